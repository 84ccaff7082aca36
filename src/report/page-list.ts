// The page list of a report (its PAGES_FILE): a version line, then `path<TAB>key` for every keyed
// page, in path order. A rebuild reads it to know which pages it may keep, and writes the next one.
// At 100,000 models it is 100,000 lines, and a build from the report state changes a few dozen of
// them: made into a map, looked up for every model at HEAD and written back sorted, it cost ~0.4 s
// of that build's ~3.5. So the list is kept as its text: looked up by binary search over its lines,
// and the next list is the old text with the changed lines spliced in. That needs the text to be
// one this code wrote (sorted, whole): a list whose digest the report state recorded with it
// (`trusted`). Any other list — or one asked for many keys at once — is read into a map, as before.
import { hash } from 'node:crypto';

/** What the next list leaves out of this one: pages of models gone, and every page below a prefix (`a/<algorithm>/`). */
export interface PageDrops {
  paths: ReadonlySet<string>;
  prefixes: readonly string[];
}

/**
 * Lookups by binary search (~17 lines read, ~20 µs at 100,000 pages) before a map of every line
 * is made instead (~0.1 s at 100,000): a build from the state asks about its algorithms' pages
 * and the pages it makes, a few hundred; a whole build asks about every page.
 */
const LOOKUPS_BEFORE_MAP = 4096;

export class PageList {
  private map: Map<string, string> | undefined;
  private lookups = 0;
  private digestMemo: string | undefined;

  private constructor(
    /** the whole file, version line included */
    private readonly text: string,
    /** where each page's line starts, then the end of the text */
    private readonly starts: Uint32Array,
    /** sorted and whole: it may be searched and spliced */
    private sorted: boolean,
  ) {}

  /** No earlier report (or none this code can use). */
  static empty(versionLine: string): PageList {
    return new PageList(`${versionLine}\n`, Uint32Array.of(versionLine.length + 1), false);
  }

  /** The list from its text, or an empty one when the text is not a list written with `versionLine`. */
  static parse(text: string, versionLine: string): PageList {
    if (!text.startsWith(`${versionLine}\n`)) return PageList.empty(versionLine);
    const starts: number[] = [];
    let at = versionLine.length + 1;
    while (at < text.length) {
      starts.push(at);
      const nl = text.indexOf('\n', at);
      at = nl < 0 ? text.length : nl + 1;
    }
    starts.push(text.length);
    // (not known sorted until `trust`: a damaged or hand-edited list is read into a map)
    return new PageList(text, Uint32Array.from(starts), false);
  }

  /** The list's text, made from a map of every keyed page. */
  static format(versionLine: string, keys: ReadonlyMap<string, string>): string {
    const lines = [...keys].map(([path, key]) => `${path}\t${key}\n`).sort();
    return `${versionLine}\n${lines.join('')}`;
  }

  /** sha1 of the text (a report state names the list it was written with by it) */
  static digestOf(text: string): string {
    return hash('sha1', text, 'base64url');
  }

  get digest(): string {
    return (this.digestMemo ??= PageList.digestOf(this.text));
  }

  /** Lines (keyed pages). */
  get size(): number {
    return this.starts.length - 1;
  }

  /**
   * Says the text is the one a report state recorded by its digest: written by this code, so
   * sorted and whole. Answers whether it is.
   */
  trust(digest: string | undefined): boolean {
    this.sorted = digest !== undefined && digest === this.digest;
    return this.sorted;
  }

  private pathAt(i: number): string {
    const s = this.starts[i]!;
    const tab = this.text.indexOf('\t', s);
    return tab < 0 || tab >= this.starts[i + 1]! ? this.text.slice(s, this.starts[i + 1]! - 1) : this.text.slice(s, tab);
  }

  private lineAt(i: number): string {
    return this.text.slice(this.starts[i]!, this.starts[i + 1]!);
  }

  /** The first line whose path is not before `path`. */
  private lowerBound(path: string): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pathAt(mid) < path) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private asMap(): Map<string, string> {
    if (this.map) return this.map;
    const map = new Map<string, string>();
    for (let i = 0; i < this.size; i++) {
      const line = this.lineAt(i);
      const tab = line.indexOf('\t');
      if (tab > 0) map.set(line.slice(0, tab), line.slice(tab + 1).replace(/\n$/, ''));
    }
    return (this.map = map);
  }

  get(path: string): string | undefined {
    if (!this.sorted || this.map || ++this.lookups > LOOKUPS_BEFORE_MAP) return this.asMap().get(path);
    const i = this.lowerBound(path);
    if (i >= this.size || this.pathAt(i) !== path) return undefined;
    const line = this.lineAt(i);
    return line.slice(path.length + 1, line.endsWith('\n') ? -1 : undefined);
  }

  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  /** The algorithms it has pages of (`a/<algorithm>/…`). */
  algorithms(): string[] {
    const out: string[] = [];
    const named = (path: string) => path.slice(2, path.indexOf('/', 2));
    if (!this.sorted) {
      for (const path of this.asMap().keys()) if (path.startsWith('a/') && path.indexOf('/', 2) > 2) out.push(named(path));
      return [...new Set(out)].sort();
    }
    // from one algorithm's first page to the next's, by search: a few lookups, not a pass
    for (let i = this.lowerBound('a/'); i < this.size; ) {
      const path = this.pathAt(i);
      if (!path.startsWith('a/')) break;
      if (path.indexOf('/', 2) < 0) {
        i++;
        continue;
      }
      const a = named(path);
      out.push(a);
      i = this.lowerBound(upperOf(`a/${a}/`));
    }
    return out;
  }

  /**
   * The next list: this one less `drop` and with `made` (each made page's key, new or the same),
   * and the pages of this list the next one does not have (their files go).
   */
  update(versionLine: string, made: ReadonlyMap<string, string>, drop: PageDrops): { text: string; removed: string[] } {
    const dropped = (path: string) => drop.paths.has(path) || drop.prefixes.some((p) => path.startsWith(p));
    if (!this.sorted || !this.text.startsWith(`${versionLine}\n`)) {
      const keys = new Map<string, string>();
      const removed: string[] = [];
      for (const [path, key] of this.asMap()) {
        if (made.has(path)) continue;
        if (dropped(path)) removed.push(path);
        else keys.set(path, key);
      }
      for (const [path, key] of made) keys.set(path, key);
      return { text: PageList.format(versionLine, keys), removed };
    }
    // the lines that go (dropped, or made again) and the lines that come, by where they are
    const gone = new Set<number>();
    for (const path of drop.paths) {
      const i = this.lowerBound(path);
      if (i < this.size && this.pathAt(i) === path) gone.add(i);
    }
    for (const prefix of drop.prefixes) {
      for (let i = this.lowerBound(prefix), end = this.lowerBound(upperOf(prefix)); i < end; i++) gone.add(i);
    }
    const come = new Map<number, string[]>();
    const replaced = new Set<number>();
    for (const path of [...made.keys()].sort()) {
      const i = this.lowerBound(path);
      if (i < this.size && this.pathAt(i) === path) {
        gone.add(i);
        replaced.add(i);
      }
      const lines = come.get(i);
      const line = `${path}\t${made.get(path)}\n`;
      if (lines) lines.push(line);
      else come.set(i, [line]);
    }
    const removed = [...gone].filter((i) => !replaced.has(i)).sort((x, y) => x - y).map((i) => this.pathAt(i));
    const pieces: string[] = [this.text.slice(0, this.starts[0]!)];
    let from = 0; // the first line not yet copied
    for (const i of [...new Set([...gone, ...come.keys()])].sort((x, y) => x - y)) {
      if (i > from) pieces.push(this.text.slice(this.starts[from]!, this.starts[i]!));
      pieces.push(...(come.get(i) ?? []));
      from = gone.has(i) ? i + 1 : i;
    }
    if (from < this.size) pieces.push(this.text.slice(this.starts[from]!, this.starts[this.size]!));
    return { text: pieces.join(''), removed };
  }
}

/** The least string after every string that starts with `prefix`. */
function upperOf(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** Keyed pages that are HTML pages (not scripts), in a list's text. */
export function htmlPagesIn(text: string): number {
  let n = 0;
  for (let at = text.indexOf('.html\t'); at >= 0; at = text.indexOf('.html\t', at + 6)) n++;
  return n;
}
