// Streaming `git cat-file --batch`: every object in input order, big ones whole, missing ones skipped.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Git } from '../../src/git/git.js';
import { git, tempRepo } from '../helpers.js';

describe('Git.forEachObject', () => {
  it('streams small and multi-megabyte blobs in order and skips missing ones', async () => {
    const dir = tempRepo();
    const texts = ['{"a":1}\n', 'x'.repeat(3 << 20) + '\nend', '', 'tail\n'];
    const oids = texts.map((t, i) => {
      writeFileSync(join(dir, `f${i}`), t);
      return git(dir, 'hash-object', '-w', `f${i}`).trim();
    });
    const seen: [string, string][] = [];
    const missing = 'f'.repeat(40);
    const indexes: number[] = [];
    await new Git(dir).forEachObject([oids[0]!, missing, oids[1]!, oids[2]!, oids[3]!, oids[0]!], (oid, content, i) => {
      seen.push([oid, content.toString('utf8')]);
      indexes.push(i);
    });
    expect(seen.map(([o]) => o)).toEqual([oids[0], oids[1], oids[2], oids[3], oids[0]]);
    expect(indexes).toEqual([0, 2, 3, 4, 5]);
    expect(seen.map(([, t]) => t)).toEqual([texts[0], texts[1], texts[2], texts[3], texts[0]]);
    const map = await new Git(dir).readBlobs([oids[1]!, missing]);
    expect([...map.keys()]).toEqual([oids[1]]);
    expect(map.get(oids[1]!)!.length).toBe(texts[1]!.length);
    // Names other than object ids (rev:path) come back under the name asked for.
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'files');
    const byPath = await new Git(dir).readBlobs(['HEAD:f0', 'HEAD:nope', 'HEAD:f3']);
    expect([...byPath.entries()].map(([k, v]) => [k, v.toString('utf8')])).toEqual([['HEAD:f0', texts[0]], ['HEAD:f3', texts[3]]]);
  });
});
