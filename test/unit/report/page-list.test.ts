// The page list kept as its text: a list the report state vouches for is searched and spliced, any
// other is read into a map; both ways must give what a map of every page, changed and written
// sorted, gives — on random lists and random changes, to the byte.
import { describe, expect, it } from 'vitest';
import { htmlPagesIn, PageList } from '../../../src/report/page-list.js';
import { SortedLines } from '../../../src/report/sorted-lines.js';

const VERSION = 'version\tv1';

function random(seed: number) {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** A report's keyed pages: algorithm pages and model pages, of a few algorithms. */
function site(rnd: () => number): Map<string, string> {
  const keys = new Map<string, string>();
  for (const a of ['lero', 'mscn', 'ms', 'mscn2', 'z']) {
    if (rnd() < 0.2) continue;
    keys.set(`a/${a}/index.html`, `k${Math.floor(rnd() * 5)}`);
    keys.set(`a/${a}/standing.js`, `k${Math.floor(rnd() * 5)}`);
    for (const d of ['job', 'stats', '~job']) if (rnd() < 0.6) keys.set(`a/${a}/d/${d}.html`, `k${Math.floor(rnd() * 5)}`);
    for (let i = Math.floor(rnd() * 30); i > 0; i--) keys.set(`m/${a}/${a}_${Math.floor(rnd() * 100)}${rnd() < 0.2 ? '-b' : ''}.html`, `k${Math.floor(rnd() * 5)}`);
  }
  return keys;
}

describe('PageList', () => {
  it('searched and spliced, or read into a map, gives what a map of every page gives', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = random(seed);
      const before = site(rnd);
      const text = PageList.format(VERSION, before);
      const paths = [...before.keys()];
      // changes: pages made (new, or again with a key), models gone, algorithms dropped
      const made = new Map<string, string>();
      for (let i = Math.floor(rnd() * 8); i > 0; i--) made.set(rnd() < 0.5 && paths.length ? paths[Math.floor(rnd() * paths.length)]! : `m/mscn/new_${Math.floor(rnd() * 50)}.html`, `n${i}`);
      const gone = new Set<string>();
      for (let i = Math.floor(rnd() * 4); i > 0; i--) if (paths.length) gone.add(paths[Math.floor(rnd() * paths.length)]!);
      const prefixes = ['lero', 'mscn', 'ms', 'z'].filter(() => rnd() < 0.3).map((a) => `a/${a}/`);
      // the reference: a map of every page
      const after = new Map<string, string>();
      const removed: string[] = [];
      for (const [p, k] of before) {
        if (made.has(p)) continue;
        if (gone.has(p) || prefixes.some((x) => p.startsWith(x))) removed.push(p);
        else after.set(p, k);
      }
      for (const [p, k] of made) after.set(p, k);
      const expected = PageList.format(VERSION, after);

      for (const trusted of [true, false]) {
        const list = PageList.parse(text, VERSION);
        expect(list.trust(trusted ? SortedLines.digestOf(text) : 'another')).toBe(trusted);
        expect(list.size).toBe(before.size);
        for (const p of [...paths, 'a/', 'm/mscn/none.html', 'zzz']) expect(list.get(p), `${seed} ${p}`).toBe(before.get(p));
        expect(list.algorithms()).toEqual([...new Set(paths.filter((p) => p.startsWith('a/')).map((p) => p.split('/')[1]))].sort());
        const next = list.update(VERSION, made, { paths: gone, prefixes });
        expect(next.text, `seed ${seed}, trusted ${trusted}`).toBe(expected);
        expect(next.removed.sort()).toEqual(removed.sort());
        expect(htmlPagesIn(next.text)).toBe([...after.keys()].filter((p) => p.endsWith('.html')).length);
      }
    }
  });

  it('a list of other code, or damaged, has no pages; one that is not sorted is not trusted', () => {
    const text = PageList.format(VERSION, new Map([['a/x/index.html', 'k'], ['m/x/b.html', 'k2']]));
    expect(PageList.parse(text, 'version\tv2').size).toBe(0);
    expect(PageList.parse('garbage', VERSION).size).toBe(0);
    const unsorted = `${VERSION}\nm/x/b.html\tk2\na/x/index.html\tk\n`;
    const list = PageList.parse(unsorted, VERSION);
    expect(list.trust(SortedLines.digestOf(text))).toBe(false);
    expect(list.get('a/x/index.html')).toBe('k');
    expect(list.get('m/x/b.html')).toBe('k2');
  });
});
