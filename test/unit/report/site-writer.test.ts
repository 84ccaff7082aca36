// The report's writer thread: pages handed over in batches of every size come out byte for byte
// (a large page is measured, not sized at 3 bytes a character), and `settle` lets a caller keep
// only a few megabytes of pages waiting for the disk.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SiteWriter } from '../../../src/report/site-writer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function page(seed: number, length: number): string {
  // mostly ASCII with some multi-byte characters, so byte and character lengths differ
  let s = `<!-- page ${seed} -->`;
  while (s.length < length) s += `row ${seed} ${s.length} é ✓ `;
  return s.slice(0, length);
}

describe('SiteWriter', () => {
  it('writes large and small pages whole, settling after each', async () => {
    const out = mkdtempSync(join(tmpdir(), 'modelgit-writer-'));
    dirs.push(out);
    const writer = new SiteWriter();
    const pages: [string, string][] = [];
    // small pages (1 MB batches), large ones (a buffer of their own, measured), small again
    const small = (k: number) => Array.from({ length: 150 }, (_, i) => 7_000 + ((i * 997 + k) % 5_000));
    const sizes = [...small(1), 3_000_000, ...small(2), 5_000_000, 700_000, ...small(3), 2_500_000, 12];
    sizes.forEach((n, i) => pages.push([join(out, `d${i % 3}`, `p${i}.html`), page(i, n)]));
    let settledUnder = 0;
    for (const [path, html] of pages) {
      writer.write(path, html);
      await writer.settle(0);
      settledUnder++;
    }
    await writer.finish();
    writer.close();
    expect(settledUnder).toBe(pages.length);
    for (const [path, html] of pages) expect(readFileSync(path, 'utf8')).toBe(html);
  });

  it('replaces pages in place when asked (written beside, renamed over)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'modelgit-writer-'));
    dirs.push(out);
    const first = new SiteWriter();
    first.write(join(out, 'a.html'), page(1, 5000));
    await first.finish();
    first.close();
    const second = new SiteWriter();
    second.replace = true;
    second.write(join(out, 'a.html'), page(2, 2_000_000));
    await second.settle(0);
    await second.finish();
    second.close();
    expect(readFileSync(join(out, 'a.html'), 'utf8')).toBe(page(2, 2_000_000));
  });
});
