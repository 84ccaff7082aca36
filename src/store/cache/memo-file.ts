// A few remembered answers about immutable git objects (which tree a commit has, which commit
// recorded a result), so a repeated read needn't start a git process to ask again. One small file
// per kind under .git/modelgit/, newest first; each line carries a CRC-32, and a line that fails it
// is dropped with a warning (git is asked again), so damage can't change an answer.
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { writeWhole } from './files.js';
import { isMissing, readCacheFile } from '../../loading/safe-files.js';

export type MemoEntry = [key: string, value: string];

function lineOf([key, value]: MemoEntry): string {
  const body = JSON.stringify([key, value]);
  return `${crc32(body).toString(16).padStart(8, '0')} ${body}\n`;
}

/** The well-formed entries of a memo file's text, newest first, and whether any line was damaged. */
export function parseMemo(text: string): { entries: MemoEntry[]; damaged: boolean } {
  const entries: MemoEntry[] = [];
  let damaged = false;
  for (const line of text.split('\n')) {
    if (!line) continue;
    const body = line.slice(9);
    let entry: unknown;
    try {
      if (line[8] !== ' ' || line.slice(0, 8) !== crc32(body).toString(16).padStart(8, '0')) throw new Error('crc');
      entry = JSON.parse(body);
    } catch {
      damaged = true;
      continue;
    }
    if (Array.isArray(entry) && entry.length === 2 && typeof entry[0] === 'string' && typeof entry[1] === 'string') entries.push(entry as MemoEntry);
    else damaged = true;
  }
  return { entries, damaged };
}

/** The text with `e` first, no older entry for its key, and at most `keep` entries. */
export function withMemo(entries: MemoEntry[], e: MemoEntry, keep: number): string {
  return [e, ...entries.filter(([k]) => k !== e[0])].slice(0, keep).map(lineOf).join('');
}

export class MemoFile {
  private readonly file: string;
  private entries: MemoEntry[] | undefined;

  constructor(
    dir: string,
    name: string,
    private readonly keep: number,
    private readonly warn: (message: string) => void = (m) => process.stderr.write(m),
  ) {
    this.file = join(dir, name);
  }

  get(key: string): string | undefined {
    return this.load().find(([k]) => k === key)?.[1];
  }

  set(key: string, value: string): void {
    const entries = this.load();
    if (entries[0]?.[0] === key && entries[0][1] === value) return;
    this.write(withMemo(entries, [key, value], this.keep));
    this.entries = undefined;
  }

  /** Several at once, one write (the first given ends up newest). */
  setMany(pairs: MemoEntry[]): void {
    if (!pairs.length) return;
    let entries = this.load();
    const fresh = new Set(pairs.map(([k]) => k));
    entries = [...pairs, ...entries.filter(([k]) => !fresh.has(k))].slice(0, this.keep);
    this.write(entries.map(lineOf).join(''));
    this.entries = undefined;
  }

  private load(): MemoEntry[] {
    if (this.entries) return this.entries;
    let text = '';
    try {
      // Not followed if a link, never blocking, a regular file of a sane size (safe-files.ts).
      text = readCacheFile(this.file, 64 << 20).toString('utf8');
    } catch (e) {
      if (!isMissing(e)) text = '\0'; // odd (a FIFO, a link): damaged, so warned about and rewritten
    }
    const { entries, damaged } = parseMemo(text);
    if (damaged) {
      this.warn(`modelgit: warning: the cache file ${this.file} is damaged; asking git again\n`);
      this.write(entries.map(lineOf).join(''));
    }
    return (this.entries = entries);
  }

  private write(text: string): void {
    writeWhole(this.file, text);
  }
}
