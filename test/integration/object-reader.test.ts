import { describe, expect, it } from 'vitest';
import { ObjectReader } from '../../src/git/objects.js';
import { git, tempRepo } from '../helpers.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

describe('ObjectReader (one cat-file --batch for a whole run)', () => {
  it('answers request after request in order, skipping missing names, and fails clearly once git is gone', async () => {
    const dir = tempRepo();
    writeFileSync(join(dir, 'a.txt'), 'alpha\n');
    writeFileSync(join(dir, 'b.txt'), 'b'.repeat(300_000)); // spans many pipe chunks
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'two files');
    const oid = git(dir, 'rev-parse', 'HEAD:a.txt').trim();
    const reader = new ObjectReader(dir);
    try {
      const seen: [string, string, number, number][] = [];
      await reader.each(['HEAD:a.txt', 'HEAD:nope', 'HEAD:b.txt', oid], (name, type, content, i) => seen.push([name, type, content.length, i]));
      expect(seen).toEqual([
        ['HEAD:a.txt', 'blob', 6, 0],
        ['HEAD:b.txt', 'blob', 300_000, 2],
        [oid, 'blob', 6, 3],
      ]);
      // concurrent requests are answered each in turn
      const [one, two] = await Promise.all([reader.read(['HEAD:b.txt', 'HEAD']), reader.read([':a.txt', 'HEAD:missing'])]);
      expect([...one.keys()]).toEqual(['HEAD:b.txt', 'HEAD']);
      expect(one.get('HEAD')!.type).toBe('commit');
      expect(two.get(':a.txt')!.data.toString()).toBe('alpha\n');
      expect(two.has('HEAD:missing')).toBe(false);
      // an error thrown by the callback is that request's failure, and the reader stays usable
      await expect(reader.each(['HEAD:a.txt', 'HEAD:b.txt'], () => { throw new Error('boom'); })).rejects.toThrow('boom');
      expect((await reader.read(['HEAD:a.txt'])).size).toBe(1);
    } finally {
      reader.close();
    }
    // once closed (or once git has died), a request fails rather than waiting forever
    await expect(reader.read(['HEAD:a.txt'])).rejects.toThrow(/cat-file/);
    await expect(new ObjectReader(join(dir, 'no-such-dir')).read(['HEAD'])).rejects.toThrow(/git/);
  });
});
