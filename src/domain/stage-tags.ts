// Stage tags (DESIGN §4): `stage/<algorithm>/<stage>/<n>`, the n-th assignment of that stage,
// annotated and never moved; the current value is the highest number. The message is a readable
// first line and then trailers, so programs read it without guessing.
import type { StageChange } from './stages.js';

export const STAGE_TAG_NAMESPACE = 'refs/tags/stage/';

// Tag numbers are BigInts: a tag numbered at or past 2^53 (pushed by anyone) would otherwise round,
// and "one more than the highest" would name a tag that exists, failing every later promotion.

export function stageTagName(algorithm: string, stage: string, n: bigint | number): string {
  return `stage/${algorithm}/${stage}/${n}`;
}

export function parseStageTag(ref: string): { algorithm: string; stage: string; n: bigint } | undefined {
  const m = /^(?:refs\/tags\/)?stage\/([^/]+)\/([^/]+)\/([1-9][0-9]*)$/.exec(ref);
  return m ? { algorithm: m[1]!, stage: m[2]!, n: BigInt(m[3]!) } : undefined;
}

/**
 * The highest n among tags `<family>/<n>` (e.g. `cleanup/mscn`, `stage/mscn/production`), or 0.
 * Every decision-tag family is numbered this way (DESIGN §4: the current value is the highest).
 */
export function highestTagNumber(refs: { ref: string }[], family: string): bigint {
  const base = `refs/tags/${family}/`;
  let max = 0n;
  for (const { ref } of refs) {
    const name = ref.startsWith('refs/tags/') ? ref : `refs/tags/${ref}`;
    if (!name.startsWith(base)) continue;
    const rest = name.slice(base.length);
    if (/^[1-9][0-9]*$/.test(rest)) {
      const n = BigInt(rest);
      if (n > max) max = n;
    }
  }
  return max;
}

/** One more than the highest existing number for the algorithm's stage (1 for the first). */
export function nextStageTagNumber(refs: { ref: string }[], algorithm: string, stage: string): bigint {
  return highestTagNumber(refs, `stage/${algorithm}/${stage}`) + 1n;
}

export interface StageTagFacts {
  change: StageChange;
  /** `Gate:` trailer values copied from the promotion commit */
  gates?: string[];
  forced?: boolean;
  /** the commit that made the change when the tag points elsewhere (a merge) */
  via?: string;
}

export function stageSubject(change: StageChange): string {
  if (change.action === 'demote') return `demote ${change.previous} from ${change.algorithm}/${change.stage}`;
  return `promote ${change.model_id} to ${change.algorithm}/${change.stage}${change.previous ? ` (replacing ${change.previous})` : ''}`;
}

export function stageTagMessage(f: StageTagFacts): string {
  const c = f.change;
  const trailers: [string, string][] = [
    ['Model-Action', c.action],
    ['Model-Id', (c.action === 'demote' ? c.previous : c.model_id) ?? ''],
    ['Algorithm', c.algorithm],
    ['Stage', c.stage],
  ];
  if (c.previous) trailers.push(['Previous-Model-Id', c.previous]);
  for (const g of f.gates ?? []) trailers.push(['Gate', g]);
  if (c.action === 'promote') trailers.push(['Forced', f.forced ? 'true' : 'false']);
  if (f.via) trailers.push(['Promotion-Commit', f.via]);
  return `${stageSubject(c)}\n\n${trailers.map(([k, v]) => `${k}: ${v.replace(/\n/g, ' ')}`).join('\n')}\n`;
}
