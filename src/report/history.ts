// The report's view of the history: every commit reachable from HEAD in canonical order (see
// canonicalOrder), with only its model file changes, and for commits on the first-parent line what
// each changed file held afterwards (a ScoreSummary). Reading it costs one `git log --raw` and a
// blob read per model version, so it is cached under .git/modelgit/report/ keyed by the commit it
// describes; a later HEAD extends it along its first-parent line. Encoding and decoding are here
// (pure); the file handling is in src/registry/report-history.ts.
import { crc32 } from 'node:zlib';
import type { ScoreSummary } from './best-over-time.js';

export interface ModelFileChange {
  path: string;
  /**
   * On first-parent commits: what the file holds after the commit, null when it was removed or
   * does not parse as that model. Undefined on commits off the first-parent line.
   */
  summary?: ScoreSummary | null;
}

/** What the report uses of a commit. */
export interface HistoryCommit {
  commit: string;
  author: string;
  /** author date, ISO 8601 */
  date: string;
  /** committer time, unix seconds */
  time: number;
  subject: string;
  /** only the REPORT_TRAILERS */
  trailers: Record<string, string[]>;
  /** on HEAD's first-parent line */
  firstParent: boolean;
  /** model files only */
  changes: ModelFileChange[];
}

/** The trailers the report reads (events, the promotion timeline); the cache keeps only these. */
export const REPORT_TRAILERS = ['Model-Action', 'Model-Id', 'Stage', 'Algorithm', 'Previous-Model-Id'];

export function reportTrailers(all: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const k of REPORT_TRAILERS) if (all[k]) out[k] = all[k]!;
  return out;
}

export const HISTORY_FORMAT = 1;
const MAGIC = 'modelgit-report-history';

export class CorruptHistoryError extends Error {}

export interface Header {
  format: number;
  commit: string;
  models_dir: string;
  count: number;
  bytes: number;
  crc: number;
  /** (when read) how many bytes the header line takes, padding included */
  headerBytes?: number;
}

// The body is text, one line per commit, fields split by control characters (a JSON array of
// 30,000 small arrays takes ten times longer to parse than splitting the same data). Every string
// has \, newline and the separators escaped, so a subject can hold anything.
const F = '\x1f'; // fields of a commit
const L = '\x1d'; // items of a list field
const P = '\x1c'; // parts of an item
const SPECIAL = /[\\\n\x1c-\x1f]/;
const SPECIALS = /[\\\n\x1c-\x1f]/g;
const put = (v: string) => (SPECIAL.test(v) ? v.replace(SPECIALS, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`) : v);
const get = (v: string) => (v.includes('\\') ? v.replace(/\\([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : v);

function encodeChange(ch: ModelFileChange): string {
  if (ch.summary === undefined) return `${put(ch.path)}${P}u`;
  if (ch.summary === null) return `${put(ch.path)}${P}n`;
  // trainedAt is whatever the file had (a hand-edited date may not be a string): kept as it was
  const t = ch.summary.trainedAt as unknown;
  const parts = [put(ch.path), typeof t === 'string' ? 's' : 'j', put(typeof t === 'string' ? t : JSON.stringify(t))];
  for (const [d, m, v] of ch.summary.scores) parts.push(put(d), put(m), String(v));
  return parts.join(P);
}

function decodeChange(item: string, prefixLength: number): ModelFileChange {
  const parts = item.split(P);
  const path = get(parts[0]!);
  const kind = parts[1];
  if (kind === 'u') return { path };
  if (kind === 'n') return { path, summary: null };
  if ((kind !== 's' && kind !== 'j') || parts.length % 3 !== 0) throw new CorruptHistoryError('unreadable change');
  const scores: ScoreSummary['scores'] = [];
  for (let i = 3; i < parts.length; i += 3) scores.push([get(parts[i]!), get(parts[i + 1]!), Number(parts[i + 2])]);
  // a summary is only ever made for a file whose id and algorithm match its path
  const slash = path.indexOf('/', prefixLength);
  return { path, summary: { id: path.slice(slash + 1, -'.json'.length), algorithm: path.slice(prefixLength, slash), trainedAt: kind === 's' ? get(parts[2]!) : (JSON.parse(get(parts[2]!)) as string), scores } };
}

/**
 * The header's JSON is padded with spaces to this width: a header for a longer history is then as
 * long as the one it replaces, so the cache file can be extended where it is (the new lines
 * appended, the header written over) instead of copied — 129 MB at 100,000 models.
 */
const HEADER_WIDTH = 256;

/** The header line (the fields of Header, nothing read off a file). */
export function headerLine(h: Header): Buffer {
  const json = JSON.stringify({ format: h.format, commit: h.commit, models_dir: h.models_dir, count: h.count, bytes: h.bytes, crc: h.crc });
  return Buffer.from(`${MAGIC}\n${json.padEnd(HEADER_WIDTH)}\n`);
}

function encodeCommit(c: HistoryCommit): string {
  const trailers: string[] = [];
  for (const [k, vs] of Object.entries(c.trailers)) for (const v of vs) trailers.push(`${put(k)}${P}${put(v)}`);
  return [c.commit, put(c.date), String(c.time), put(c.author), put(c.subject), c.firstParent ? '1' : '0', trailers.join(L), c.changes.map(encodeChange).join(L)].join(F);
}

/** The cache file for the history up to `commit` (canonical order). */
export function encodeHistory(commit: string, modelsDir: string, commits: HistoryCommit[]): Buffer {
  const body = Buffer.from(commits.map(encodeCommit).join('\n'), 'utf8');
  const header: Header = { format: HISTORY_FORMAT, commit, models_dir: modelsDir, count: commits.length, bytes: body.length, crc: crc32(body) >>> 0 };
  return Buffer.concat([headerLine(header), body]);
}

/**
 * The cache file for `base`'s history followed by `more` (the commits a later HEAD adds along its
 * first-parent line, in canonical order: the old history is a prefix of the new one), up to
 * `commit`: exactly what encodeHistory of the whole would give, without encoding the old commits
 * again or checksumming their bytes (the CRC-32 continues from the old one). At 100,000 models
 * re-encoding the whole history for one new commit cost ~1.6 s.
 */
export function extendHistory(base: Buffer, commit: string, modelsDir: string, more: HistoryCommit[]): Buffer {
  const h = historyHeader(base);
  const body = base.subarray(base.length - h.bytes);
  const { tail, header } = historyTail(h, commit, modelsDir, more);
  return Buffer.concat([headerLine(header), body, tail]);
}

/**
 * The cache file for the first `count` commits of a cache file's history, up to `commit` (one of
 * its first-parent commits: its history is that front, in canonical order): the front of the
 * body's bytes under a new header — exactly what encodeHistory of those commits gives, without
 * encoding them again (a test compares the two).
 */
export function historyFront(file: Buffer, count: number, commit: string, modelsDir: string): Buffer {
  const h = historyHeader(file);
  const body = file.subarray(file.length - h.bytes);
  const end = count === 0 ? 0 : count >= h.count ? body.length : lineOffsets(body, count + 1)[count]! - 1;
  const front = body.subarray(0, end);
  const header: Header = { format: HISTORY_FORMAT, commit, models_dir: modelsDir, count, bytes: front.length, crc: crc32(front) >>> 0 };
  return Buffer.concat([headerLine(header), front]);
}

/**
 * What extending a file whose header is `h` by `more` appends after its body, and the new header; `offsets`
 * are where each new commit's line begins in the body.
 */
export function historyTail(h: Header, commit: string, modelsDir: string, more: HistoryCommit[]): { tail: Buffer; header: Header; offsets: number[] } {
  const lead = h.count > 0 && more.length > 0 ? '\n' : '';
  const offsets: number[] = [];
  let at = h.bytes + lead.length;
  const lines = more.map((c) => {
    const line = encodeCommit(c);
    offsets.push(at);
    at += Buffer.byteLength(line) + 1;
    return line;
  });
  const tail = Buffer.from(lead + lines.join('\n'), 'utf8');
  const header: Header = { format: HISTORY_FORMAT, commit, models_dir: modelsDir, count: h.count + more.length, bytes: h.bytes + tail.length, crc: crc32(tail, h.crc) >>> 0 };
  return { tail, header, offsets };
}

/** Where each commit's line begins in a body (byte offsets; the report state points at lines by them). */
export function lineOffsets(body: Buffer, count: number): number[] {
  if (count === 0) return [];
  const out = [0];
  for (let at = body.indexOf(10); at >= 0 && out.length < count; at = body.indexOf(10, at + 1)) out.push(at + 1);
  return out;
}

/** One commit's line (the bytes from its offset to the next newline), as historyLine reads it. */
export function decodeHistoryLine(line: string, modelsDir: string): HistoryCommit {
  try {
    return decodeCommit(line, modelsDir.length + 1);
  } catch (e) {
    throw e instanceof CorruptHistoryError ? e : new CorruptHistoryError(`unreadable commit (${(e as Error).message})`);
  }
}

/**
 * Only the header: which commit a file describes (cheap; the body is checked by decodeHistory).
 * `buf` may be the first bytes of a file of `size` bytes.
 */
export function historyHeader(buf: Buffer, size = buf.length): Header {
  const nl1 = buf.indexOf(10);
  if (nl1 < 0 || buf.toString('latin1', 0, nl1) !== MAGIC) throw new CorruptHistoryError('not a report history cache file');
  const nl2 = buf.indexOf(10, nl1 + 1);
  if (nl2 < 0) throw new CorruptHistoryError('truncated header');
  let h: Header;
  try {
    h = JSON.parse(buf.toString('utf8', nl1 + 1, nl2)) as Header;
  } catch {
    throw new CorruptHistoryError('unreadable header');
  }
  if (h === null || typeof h !== 'object' || h.format !== HISTORY_FORMAT) throw new CorruptHistoryError(`format ${h?.format}, expected ${HISTORY_FORMAT}`);
  if (typeof h.commit !== 'string' || !/^[0-9a-f]{40,64}$/.test(h.commit)) throw new CorruptHistoryError('header names no commit');
  if (size - (nl2 + 1) !== h.bytes) throw new CorruptHistoryError('truncated or padded');
  return { ...h, headerBytes: nl2 + 1 };
}

/** The history a cache file holds; throws CorruptHistoryError when it is not exactly what was written. */
export function decodeHistory(buf: Buffer, expect: { commit: string; modelsDir: string }): HistoryCommit[] {
  const h = historyHeader(buf);
  if (h.commit !== expect.commit) throw new CorruptHistoryError('header names another commit');
  if (h.models_dir !== expect.modelsDir) throw new CorruptHistoryError('written for another models_dir');
  const body = buf.subarray(buf.length - h.bytes);
  if (crc32(body) >>> 0 !== h.crc) throw new CorruptHistoryError('checksum mismatch');
  if (h.count === 0) return [];
  const lines = body.toString('utf8').split('\n');
  if (lines.length !== h.count) throw new CorruptHistoryError('commit count mismatch');
  const prefixLength = expect.modelsDir.length + 1;
  try {
    return lines.map((line) => decodeCommit(line, prefixLength));
  } catch (e) {
    throw e instanceof CorruptHistoryError ? e : new CorruptHistoryError(`unreadable commit (${(e as Error).message})`);
  }
}

function decodeCommit(line: string, prefixLength: number): HistoryCommit {
  {
    const f = line.split(F);
    if (f.length !== 8) throw new CorruptHistoryError('unreadable commit');
    const trailers: Record<string, string[]> = {};
    if (f[6]) {
      for (const item of f[6].split(L)) {
        const [k, v] = item.split(P) as [string, string];
        (trailers[get(k)] ??= []).push(get(v ?? ''));
      }
    }
    return {
      commit: f[0]!,
      date: get(f[1]!),
      time: Number(f[2]),
      author: get(f[3]!),
      subject: get(f[4]!),
      firstParent: f[5] === '1',
      trailers,
      changes: f[7] ? f[7].split(L).map((item) => decodeChange(item, prefixLength)) : [],
    };
  }
}
