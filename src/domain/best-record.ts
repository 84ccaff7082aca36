// `best --record`: the tag family best/<algorithm>/<dataset>/<metric>/<n>, what goes in a tag's
// message, whether the best changed since the last tag, and which commit recorded a result. Pure.
import type { Direction, ModelMetadata, TestResult } from './types.js';
import { parseJsonBounded } from './limits.js';

export interface TagRef {
  ref: string; // refs/tags/…
  target: string; // the commit an annotated tag points at
  contents: string; // the tag message
}

export interface BestTag {
  name: string; // best/<algorithm>/<dataset>/<metric>/<n>
  n: bigint; // BigInt: tag numbers may exceed 2^53
  target: string;
  modelId?: string;
  value?: number;
}

export function bestTagFamily(algorithm: string, dataset: string, metric: string): string {
  return `best/${algorithm}/${dataset}/${metric}`;
}

/** Trailers of a tag message: the last paragraph's `Key: value` lines (a signature block is ignored). */
export function tagTrailers(contents: string): Record<string, string> {
  const body = contents.split(/^-----BEGIN [A-Z ]*SIGNATURE-----$/m)[0]!.trim();
  const paragraphs = body.split(/\n\s*\n/);
  const out: Record<string, string> = {};
  for (const line of (paragraphs[paragraphs.length - 1] ?? '').split('\n')) {
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*):\s?(.*)$/.exec(line.trim());
    if (m && !(m[1]! in out)) out[m[1]!] = m[2]!;
  }
  return out;
}

/** The numbered tags of one family, lowest first; refs that aren't `<family>/<n>` are ignored. */
export function parseBestTags(refs: TagRef[], family: string): BestTag[] {
  const prefix = `refs/tags/${family}/`;
  const tags: BestTag[] = [];
  for (const r of refs) {
    if (!r.ref.startsWith(prefix)) continue;
    const rest = r.ref.slice(prefix.length);
    if (!/^[1-9]\d*$/.test(rest)) continue;
    const t = tagTrailers(r.contents);
    const value = t['Value'] !== undefined && t['Value'].trim() !== '' ? Number(t['Value']) : undefined;
    tags.push({
      name: r.ref.slice('refs/tags/'.length),
      n: BigInt(rest),
      target: r.target,
      modelId: t['Model-Id'],
      value: value !== undefined && Number.isFinite(value) ? value : undefined,
    });
  }
  return tags.sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : 0));
}

/** True when there is no tag yet, or the newest one names another model or another value. */
export function bestChanged(latest: BestTag | undefined, modelId: string, value: number): boolean {
  return !latest || latest.modelId !== modelId || latest.value !== value;
}

export function nextBestTagName(family: string, tags: BestTag[]): string {
  // BigInt: a tag numbered past 2^53 must not make the next name collide with it.
  const highest = tags.reduce((n, t) => (t.n > n ? t.n : n), 0n);
  return `${family}/${highest + 1n}`;
}

export interface BestTagFacts {
  algorithm: string;
  dataset: string;
  metric: string;
  direction: Direction;
  aggregate: string;
  modelId: string;
  value: number;
  runnerUp?: { modelId: string; value: number };
  candidates: number;
  previous?: BestTag;
}

/** A readable first line, a blank line, then trailers programs parse (DESIGN §4). */
export function bestTagMessage(f: BestTagFacts): string {
  const first = `best ${f.algorithm} on ${f.dataset} by ${f.metric}: ${f.modelId} (${f.value})`;
  const lines: string[] = [];
  if (f.previous?.modelId) lines.push(`Previously ${f.previous.name}: ${f.previous.modelId} (${f.previous.value ?? '?'}).`);
  const trailers: [string, string | number][] = [
    ['Model-Id', f.modelId],
    ['Algorithm', f.algorithm],
    ['Metric', f.metric],
    ['Dataset', f.dataset],
    ['Direction', f.direction],
    ['Aggregate', f.aggregate],
    ['Value', f.value],
  ];
  if (f.runnerUp) trailers.push(['Runner-Up-Model-Id', f.runnerUp.modelId], ['Runner-Up-Value', f.runnerUp.value]);
  trailers.push(['Candidates', f.candidates]);
  if (f.previous?.modelId) trailers.push(['Previous-Model-Id', f.previous.modelId]);
  return [first, ...(lines.length ? [lines.join('\n')] : []), trailers.map(([k, v]) => `${k}: ${v}`).join('\n')].join('\n\n') + '\n';
}

/** Canonical JSON (sorted keys), so a result reads the same whatever key order a file used. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function sameResult(a: TestResult | undefined, b: TestResult | undefined): boolean {
  return a !== undefined && b !== undefined && canonical(a) === canonical(b);
}

/**
 * Whether a version of a model file holds `result` at `index`; undefined when the text can't be read
 * as a model (an old version nested past the limit, or not JSON).
 */
export function versionHolds(text: string, index: number, result: TestResult): boolean | undefined {
  // Bounded: an old version nested past the limit is skipped (sameResult recurses).
  const meta = parseJsonBounded(text)?.value as ModelMetadata | undefined;
  if (!meta || typeof meta !== 'object') return undefined;
  return Array.isArray(meta.testing) && sameResult(meta.testing[index], result);
}

/**
 * The commit that recorded a result: given a model file's versions newest first (as `git log`
 * lists them; text undefined where the file didn't exist), the oldest version that already holds
 * `result` at `index` (testing is append-only, so the result keeps its index once written).
 */
export function recordingCommit(versions: { commit: string; text?: string }[], index: number, result: TestResult): string | undefined {
  for (let i = versions.length - 1; i >= 0; i--) {
    const v = versions[i]!;
    if (v.text !== undefined && versionHolds(v.text, index, result)) return v.commit;
  }
  return undefined;
}
