// The page list of a report (its PAGES_FILE): a version line, then `path<TAB>key` for every keyed
// page, in path order. A rebuild reads it to know which pages it may keep, and writes the next one.
// At 100,000 models it is 100,000 lines, of which a build from the report state changes a few
// dozen: kept as its text (sorted-lines.ts) when the report state vouches for it — the state
// records the digest of the list it was written with — and read into a map otherwise.
import { SortedLines, upperOf, type LineDrops } from './sorted-lines.js';

/** What the next list leaves out of this one: pages of models gone, and every page below a prefix (`a/<algorithm>/`). */
export type PageDrops = LineDrops;

export class PageList extends SortedLines {
  /** No earlier report (or none this code can use). */
  static empty(versionLine: string): PageList {
    return new PageList(`${versionLine}\n`, Uint32Array.of(versionLine.length + 1), false);
  }

  /** The list from its text, or an empty one when the text is not a list written with `versionLine`. */
  static parse(text: string, versionLine: string): PageList {
    if (!text.startsWith(`${versionLine}\n`)) return PageList.empty(versionLine);
    // (not known sorted until `trust`: a damaged or hand-edited list is read into a map)
    return new PageList(text, SortedLines.lineStarts(text, versionLine.length + 1), false);
  }

  /** The list's text, made from a map of every keyed page. */
  static format(versionLine: string, keys: ReadonlyMap<string, string>): string {
    return `${versionLine}\n${SortedLines.linesOf(keys)}`;
  }

  /**
   * Says the text is the one a report state recorded by its digest: written by this code, so
   * sorted and whole. Answers whether it is.
   */
  trust(digest: string | undefined): boolean {
    this.sorted = digest !== undefined && digest === this.digest;
    return this.sorted;
  }

  /** The algorithms it has pages of (`a/<algorithm>/…`). */
  algorithms(): string[] {
    const out: string[] = [];
    const named = (path: string) => path.slice(2, path.indexOf('/', 2));
    if (!this.sorted) {
      for (const [path] of this.entries()) if (path.startsWith('a/') && path.indexOf('/', 2) > 2) out.push(named(path));
      return [...new Set(out)].sort();
    }
    // from one algorithm's first page to the next's, by search: a few lookups, not a pass
    for (let i = this.lowerBound('a/'); i < this.size; ) {
      const path = this.keyAt(i);
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
    if (!this.text.startsWith(`${versionLine}\n`)) this.sorted = false;
    return this.splice(`${versionLine}\n`, made, drop);
  }
}

/** Keyed pages that are HTML pages (not scripts), in a list's text. */
export function htmlPagesIn(text: string): number {
  let n = 0;
  for (let at = text.indexOf('.html\t'); at >= 0; at = text.indexOf('.html\t', at + 6)) n++;
  return n;
}
