// A table kept as text: `key<TAB>value` lines sorted by key, searched by binary search and changed
// by splicing lines into the text. The report keeps two tables of 100,000 lines at 100,000 models —
// the page list (page-list.ts) and each model's place in the history (the report state) — and a
// build after one commit looks up and changes a few dozen lines of each: read into maps and written
// back sorted, they were ~0.5 s of that build. Only a text this code wrote may be searched (sorted
// and whole); its owner says so (`sorted`) after checking the text's digest. Otherwise, or when
// asked about many keys at once, it is read into a map.
import { hash } from 'node:crypto';

/** What a splice leaves out: lines by key, and every line whose key starts with a prefix. */
export interface LineDrops {
  paths: ReadonlySet<string>;
  prefixes: readonly string[];
}

/**
 * Lookups by binary search (~17 lines read, ~20 µs at 100,000 lines) before a map of every line
 * is made instead (~0.1 s at 100,000): a build from the state asks about a few hundred keys; a
 * whole build asks about every one.
 */
const LOOKUPS_BEFORE_MAP = 4096;

export class SortedLines {
  private map: Map<string, string> | undefined;
  private lookups = 0;
  private digestMemo: string | undefined;

  protected constructor(
    /** the whole text: what comes before the lines (`head`), then the lines */
    protected readonly text: string,
    /** where each line starts, then the end of the text */
    protected readonly starts: Uint32Array,
    /** sorted and whole: it may be searched and spliced */
    protected sorted: boolean,
  ) {}

  /** Where each line of `text` from `from` on starts, then its end. */
  protected static lineStarts(text: string, from: number): Uint32Array {
    const starts: number[] = [];
    let at = from;
    while (at < text.length) {
      starts.push(at);
      const nl = text.indexOf('\n', at);
      at = nl < 0 ? text.length : nl + 1;
    }
    starts.push(text.length);
    return Uint32Array.from(starts);
  }

  static digestOf(text: string): string {
    return hash('sha1', text, 'base64url');
  }

  /** sha1 of the whole text */
  get digest(): string {
    return (this.digestMemo ??= SortedLines.digestOf(this.text));
  }

  /** Lines. */
  get size(): number {
    return this.starts.length - 1;
  }

  protected keyAt(i: number): string {
    const s = this.starts[i]!;
    const end = this.starts[i + 1]!;
    const tab = this.text.indexOf('\t', s);
    return tab < 0 || tab >= end ? this.text.slice(s, end - 1) : this.text.slice(s, tab);
  }

  private lineAt(i: number): string {
    return this.text.slice(this.starts[i]!, this.starts[i + 1]!);
  }

  /** The first line whose key is not before `key`. */
  protected lowerBound(key: string): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keyAt(mid) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  protected asMap(): Map<string, string> {
    if (this.map) return this.map;
    const map = new Map<string, string>();
    for (let i = 0; i < this.size; i++) {
      const line = this.lineAt(i);
      const tab = line.indexOf('\t');
      if (tab > 0) map.set(line.slice(0, tab), line.slice(tab + 1).replace(/\n$/, ''));
    }
    return (this.map = map);
  }

  get(key: string): string | undefined {
    if (!this.sorted || this.map || ++this.lookups > LOOKUPS_BEFORE_MAP) return this.asMap().get(key);
    const i = this.lowerBound(key);
    if (i >= this.size || this.keyAt(i) !== key) return undefined;
    const line = this.lineAt(i);
    return line.slice(key.length + 1, line.endsWith('\n') ? -1 : undefined);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Every key and value, in the text's order. */
  *entries(): Generator<[string, string]> {
    if (!this.sorted) return yield* this.asMap();
    for (let i = 0; i < this.size; i++) {
      const key = this.keyAt(i);
      const end = this.starts[i + 1]!;
      yield [key, this.text.slice(this.starts[i]! + key.length + 1, this.text[end - 1] === '\n' ? end - 1 : end)];
    }
  }

  /**
   * The text of the next table, after `head`: these lines less `drop`, with `made` (each key's
   * value, new or the same), and the keys the next table does not have. A sorted text is spliced
   * (its unchanged lines copied in runs); any other is read into a map and written sorted.
   */
  protected splice(head: string, made: ReadonlyMap<string, string>, drop: LineDrops): { text: string; removed: string[] } {
    const dropped = (key: string) => drop.paths.has(key) || drop.prefixes.some((p) => key.startsWith(p));
    if (!this.sorted) {
      const keys = new Map<string, string>();
      const removed: string[] = [];
      for (const [key, value] of this.asMap()) {
        if (made.has(key)) continue;
        if (dropped(key)) removed.push(key);
        else keys.set(key, value);
      }
      for (const [key, value] of made) keys.set(key, value);
      return { text: head + SortedLines.linesOf(keys), removed };
    }
    // the lines that go (dropped, or made again) and the lines that come, by where they are
    const gone = new Set<number>();
    for (const key of drop.paths) {
      const i = this.lowerBound(key);
      if (i < this.size && this.keyAt(i) === key) gone.add(i);
    }
    for (const prefix of drop.prefixes) {
      for (let i = this.lowerBound(prefix), end = this.lowerBound(upperOf(prefix)); i < end; i++) gone.add(i);
    }
    const come = new Map<number, string[]>();
    const replaced = new Set<number>();
    for (const key of [...made.keys()].sort()) {
      const i = this.lowerBound(key);
      if (i < this.size && this.keyAt(i) === key) {
        gone.add(i);
        replaced.add(i);
      }
      const lines = come.get(i);
      const line = `${key}\t${made.get(key)}\n`;
      if (lines) lines.push(line);
      else come.set(i, [line]);
    }
    const removed = [...gone].filter((i) => !replaced.has(i)).sort((x, y) => x - y).map((i) => this.keyAt(i));
    const pieces: string[] = [head];
    let from = 0; // the first line not yet copied
    for (const i of [...new Set([...gone, ...come.keys()])].sort((x, y) => x - y)) {
      if (i > from) pieces.push(this.text.slice(this.starts[from]!, this.starts[i]!));
      pieces.push(...(come.get(i) ?? []));
      from = gone.has(i) ? i + 1 : i;
    }
    if (from < this.size) pieces.push(this.text.slice(this.starts[from]!, this.starts[this.size]!));
    return { text: pieces.join(''), removed };
  }

  /** Lines of a map, sorted by key (a key holds no tab, newline or character below them). */
  static linesOf(keys: ReadonlyMap<string, string>): string {
    return [...keys].map(([key, value]) => `${key}\t${value}\n`).sort().join('');
  }
}

/** The least string after every string that starts with `prefix`. */
export function upperOf(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** Whether a key can be a line's: lines are split at newlines and tabs, and sorted whole. */
export const lineKey = (key: string) => !/[\x00-\x0a]/.test(key);
