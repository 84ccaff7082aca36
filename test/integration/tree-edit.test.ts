// commitTree (src/git/tree-edit.ts) builds commits without an index or a work tree, for writes
// from a machine with no checkout (issue #15). What it must get exactly right is what git would
// have made: so each case applies the same changes in a real checkout with `git add` + `git commit`
// and compares the tree ids, and `git fsck --strict` checks the objects (it rejects a misordered
// tree). Real git in temp repositories; git itself is never mocked.
import { chmodSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ConflictError, UnsafeFileError } from '../../src/errors.js';
import { Git, type ObjectReader } from '../../src/git/git.js';
import { commitTree, type FileChange } from '../../src/git/tree-edit.js';
import { git, tempDir, tempRepo } from '../helpers.js';

/** A checkout holding `files`, committed. */
function repoWith(files: Record<string, string>, init: string[] = []): string {
  const dir = init.length ? initRepo(init) : tempRepo();
  applyToCheckout(dir, Object.entries(files).map(([path, content]) => ({ path, content })));
  git(dir, 'commit', '-q', '-m', 'base');
  return dir;
}

function initRepo(extra: string[]): string {
  const dir = tempDir();
  git(dir, 'init', '-q', '-b', 'main', ...extra);
  git(dir, 'config', 'user.name', 'Test Author');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'commit.gpgsign', 'false');
  return dir;
}

function applyToCheckout(dir: string, changes: FileChange[]): void {
  for (const c of changes) {
    const file = join(dir, c.path);
    if (c.content === null) {
      rmSync(file, { force: true });
    } else {
      if (existsSync(file) && statSync(file).isDirectory()) throw new Error(`${c.path} is a directory`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, c.content);
    }
  }
  git(dir, 'add', '-A');
}

/** The tree `git add` + `git commit` make of the same changes on HEAD (HEAD moves). */
function treeByGitCommit(dir: string, changes: FileChange[]): string {
  applyToCheckout(dir, changes);
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'by git');
  return rev(dir, 'HEAD^{tree}');
}

const rev = (dir: string, name: string) => git(dir, 'rev-parse', name).trim();
const fsck = (dir: string) => git(dir, 'fsck', '--strict', '--no-dangling');

/** commitTree on HEAD, then the same by git; both trees, and fsck's word on the objects. */
async function bothWays(dir: string, changes: FileChange[]): Promise<{ ours: string; theirs: string; commit: string }> {
  const base = rev(dir, 'HEAD');
  const commit = await commitTree(new Git(dir), { base: 'HEAD', changes, message: 'by tree-edit' });
  expect(rev(dir, 'HEAD')).toBe(base); // no ref moved
  expect(git(dir, 'status', '--porcelain')).toBe(''); // nor the index or the work tree
  const ours = rev(dir, `${commit}^{tree}`);
  const theirs = treeByGitCommit(dir, changes);
  fsck(dir);
  expect(git(dir, 'rev-list', '--parents', '-n1', commit).trim()).toBe(`${commit} ${base}`);
  return { ours, theirs, commit };
}

const REGISTRY = {
  'modelgit.yaml': 'version: 1\n',
  'models/mscn/m1.json': '{"id":"m1"}\n',
  'models/mscn/m2.json': '{"id":"m2"}\n',
  'models/bao/b1.json': '{"id":"b1"}\n',
  'docs/readme.md': 'hello\n',
};

describe('commitTree makes the tree git add + git commit would', () => {
  it.each<[string, FileChange[]]>([
    ['adds a file', [{ path: 'models/mscn/m3.json', content: '{"id":"m3"}\n' }]],
    ['modifies a file', [{ path: 'models/mscn/m1.json', content: '{"id":"m1","x":1}\n' }]],
    ['deletes a file', [{ path: 'models/mscn/m1.json', content: null }]],
    ['deletes the last file of a directory, which disappears', [{ path: 'models/bao/b1.json', content: null }]],
    ['deletes every file up to the root directory', [{ path: 'models/bao/b1.json', content: null }, { path: 'models/mscn/m1.json', content: null }, { path: 'models/mscn/m2.json', content: null }]],
    ['creates nested new directories', [{ path: 'a/b/c/d.txt', content: 'deep\n' }]],
    ['makes several changes in one directory', [
      { path: 'models/mscn/m1.json', content: null },
      { path: 'models/mscn/m2.json', content: 'changed\n' },
      { path: 'models/mscn/m0.json', content: 'new\n' },
      { path: 'models/mscn/zz.json', content: 'new\n' },
    ]],
    ['makes changes in sibling directories', [
      { path: 'models/mscn/m9.json', content: 'n\n' },
      { path: 'models/bao/b1.json', content: 'changed\n' },
      { path: 'models/neo/n1.json', content: 'new algo\n' },
      { path: 'docs/readme.md', content: null },
      { path: 'top.txt', content: Buffer.from([0, 1, 2, 255]) },
    ]],
    ['keeps git order: a.b, a/ (a directory), a-b, a0', [
      { path: 's/a0', content: '1' },
      { path: 's/a/x', content: '2' },
      { path: 's/a-b', content: '3' },
      { path: 's/a.b', content: '4' },
      { path: 't/a', content: '5' },
      { path: 't/a.b', content: '6' },
      { path: 't/a-b', content: '7' },
      { path: 't/a0', content: '8' },
      { path: 'models/mscn.json', content: 'a file beside the directory models/mscn\n' },
      { path: 'models/mscn-x/y', content: '9' },
      { path: 'models/mscn0', content: '10' },
    ]],
    ['turns a file into a directory when the file is deleted in the same commit', [
      { path: 'docs/readme.md', content: null },
      { path: 'docs/readme.md/part.md', content: 'now a directory\n' },
    ]],
    ['names in UTF-8', [{ path: 'models/mscn/modèle-é.json', content: 'ü\n' }, { path: 'models/mscn/z😀.json', content: 'x' }]],
    ['deleting a path that is not there changes nothing', [{ path: 'models/none/x.json', content: null }]],
    ['writing a file as it is changes nothing', [{ path: 'models/mscn/m1.json', content: '{"id":"m1"}\n' }]],
  ])('%s', async (_name, changes) => {
    const dir = repoWith(REGISTRY);
    const { ours, theirs } = await bothWays(dir, changes);
    expect(ours).toBe(theirs);
  });

  it('splices into a base that already holds a.b, a/, a-b and a0 (binary search in git order)', async () => {
    const dir = repoWith({ 's/a.b': '1', 's/a/x': '2', 's/a-b': '3', 's/a0': '4', 's/a/y/z': '5', 'f/a': '6', 'f/a-b': '7', 'f/a.b': '8' });
    const changes: FileChange[] = [
      { path: 's/a.a', content: 'n' },
      { path: 's/a+', content: 'n' },
      { path: 's/a.c', content: 'n' },
      { path: 's/a/w', content: 'n' },
      { path: 's/a/y/z', content: null },
      { path: 's/a1', content: 'n' },
      { path: 's/a0', content: 'changed' },
      // the file f/a becomes a directory: it now sorts after a-b and a.b
      { path: 'f/a', content: null },
      { path: 'f/a/now-a-dir', content: 'n' },
      { path: 'f/a.a', content: 'n' },
    ];
    const { ours, theirs } = await bothWays(dir, changes);
    expect(ours).toBe(theirs);
  });

  it('a directory of 400 entries with 60 scattered edits', async () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const names = (i: number) => [`m${i}.json`, `m${i}`, `m-${i}.json`, `m.${i}`, `M${i}`][i % 5]!;
    const files: Record<string, string> = {};
    for (let i = 0; i < 400; i++) files[`d/${names(i)}${i % 7 === 0 ? '/inner.json' : ''}`] = `v${i}\n`;
    const dir = repoWith(files);
    const changes: FileChange[] = [];
    const used = new Set<string>();
    for (let k = 0; k < 60; k++) {
      const i = Math.floor(random() * 600);
      const path = `d/${names(i)}${i % 7 === 0 ? '/inner.json' : ''}`;
      if (used.has(path)) continue;
      used.add(path);
      changes.push({ path, content: i < 400 && random() < 0.4 ? null : `edit ${k}\n` });
    }
    const { ours, theirs } = await bothWays(dir, changes);
    expect(ours).toBe(theirs);
  });

  it('keeps an executable file executable', async () => {
    const dir = tempRepo();
    writeFileSync(join(dir, 'run.sh'), 'echo 1\n');
    chmodSync(join(dir, 'run.sh'), 0o755);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'base');
    const { ours, theirs } = await bothWays(dir, [{ path: 'run.sh', content: 'echo 2\n' }]);
    expect(ours).toBe(theirs);
    expect(git(dir, 'ls-tree', ours)).toMatch(/^100755 /);
  });

  it('in a sha256 repository', async () => {
    const dir = repoWith(REGISTRY, ['--object-format=sha256']);
    const { ours, theirs } = await bothWays(dir, [{ path: 'models/mscn/m3.json', content: 'x\n' }, { path: 'models/bao/b1.json', content: null }]);
    expect(ours).toHaveLength(64);
    expect(ours).toBe(theirs);
  });
});

describe('commitTree, the commit', () => {
  it('without a base makes a root commit', async () => {
    const dir = tempRepo();
    const changes = [{ path: 'models/mscn/m1.json', content: 'x\n' }, { path: 'modelgit.yaml', content: 'version: 1\n' }];
    const commit = await commitTree(new Git(dir), { base: undefined, changes, message: 'first' });
    expect(git(dir, 'rev-list', '--parents', '-n1', commit).trim()).toBe(commit);
    expect(existsSync(join(dir, '.git', 'index'))).toBe(false);
    const ours = rev(dir, `${commit}^{tree}`);
    expect(ours).toBe(treeByGitCommit(dir, changes));
    fsck(dir);
  });

  it('works in a bare repository, which has no index and no work tree', async () => {
    const src = repoWith(REGISTRY);
    const bare = join(tempDir(), 'bare.git');
    git(src, 'clone', '-q', '--bare', src, bare);
    const before = git(bare, 'for-each-ref');
    const commit = await commitTree(new Git(bare), { base: 'main', changes: [{ path: 'models/mscn/m3.json', content: 'y\n' }], message: 'bare' });
    expect(git(bare, 'show', `${commit}:models/mscn/m3.json`)).toBe('y\n');
    expect(git(bare, 'for-each-ref')).toBe(before);
    expect(existsSync(join(bare, 'index'))).toBe(false);
    fsck(bare);
  });

  it('keeps the message as given, the author asked for, and other parents', async () => {
    const dir = repoWith(REGISTRY);
    const other = rev(dir, 'HEAD');
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'second');
    const message = 'register m3\n\n# not a comment\nModelgit-Op: abc\n';
    const commit = await commitTree(new Git(dir), {
      base: 'HEAD',
      changes: [{ path: 'models/mscn/m3.json', content: 'z\n' }],
      message,
      author: { name: 'Queued Writer', email: 'q@example.com', date: '2024-01-02T03:04:05Z' },
      parents: [rev(dir, 'HEAD'), other],
    });
    expect(git(dir, 'log', '-1', '--format=%B', commit)).toBe(`${message}\n`);
    expect(git(dir, 'log', '-1', '--format=%an <%ae> %aI|%cn', commit).trim()).toBe('Queued Writer <q@example.com> 2024-01-02T03:04:05+00:00|Test Author');
    expect(git(dir, 'rev-list', '--parents', '-n1', commit).trim()).toBe(`${commit} ${rev(dir, 'HEAD')} ${other}`);
    // a message without a final newline gets one, as `git commit -m` writes it
    const plain = await commitTree(new Git(dir), { base: 'HEAD', changes: [], message: 'no newline' });
    expect(git(dir, 'cat-file', 'commit', plain).endsWith('\n\nno newline\n')).toBe(true);
  });

  it('signs when commit.gpgSign is set, as git commit would (commit-tree does not read it)', async () => {
    const dir = repoWith(REGISTRY);
    // A stand-in for gpg (git is real): it says it signed, as gpg's status protocol does.
    const fakeGpg = join(tempDir(), 'fake-gpg');
    writeFileSync(fakeGpg, '#!/bin/sh\ncat >/dev/null\nprintf "\\n[GNUPG:] SIG_CREATED D 1 8 00 1 X\\n" >&2\nprintf -- "-----BEGIN PGP SIGNATURE-----\\n\\nZmFrZQ==\\n-----END PGP SIGNATURE-----\\n"\n');
    chmodSync(fakeGpg, 0o755);
    git(dir, 'config', 'gpg.program', fakeGpg);
    const change = [{ path: 'models/mscn/m3.json', content: 's\n' }];
    const unsigned = await commitTree(new Git(dir), { base: 'HEAD', changes: change, message: 'unsigned' });
    expect(git(dir, 'cat-file', 'commit', unsigned)).not.toMatch(/^gpgsig /m);
    git(dir, 'config', 'commit.gpgSign', 'yes');
    const signed = await commitTree(new Git(dir), { base: 'HEAD', changes: change, message: 'signed' });
    expect(git(dir, 'cat-file', 'commit', signed)).toMatch(/^gpgsig -----BEGIN PGP SIGNATURE-----/m);
  });
});

/** Every request made of the reader, in order (it still answers: the spy only listens). */
function requestsOf(reader: ObjectReader): string[][] {
  const asked: string[][] = [];
  const objects = reader.objects.bind(reader);
  const each = reader.each.bind(reader);
  vi.spyOn(reader, 'objects').mockImplementation((names) => (asked.push(names), objects(names)));
  vi.spyOn(reader, 'each').mockImplementation((names, fn) => (asked.push(names), each(names, fn)));
  return asked;
}

describe('commitTree reads only the trees on the changed paths', () => {
  it('one round per depth: the base commit, then the root, models and models/mscn trees', async () => {
    const files: Record<string, string> = { 'docs/readme.md': 'x\n' };
    for (const algo of ['mscn', 'bao', 'neo']) for (let i = 0; i < 50; i++) files[`models/${algo}/${i}.json`] = `${algo}${i}\n`;
    const dir = repoWith(files);
    const g = new Git(dir);
    const reader = g.objectReader();
    const asked = requestsOf(reader);
    try {
      await commitTree(g, { base: 'HEAD', changes: [{ path: 'models/mscn/new.json', content: 'n\n' }, { path: 'models/mscn/3.json', content: null }], message: 'm', reader });
    } finally {
      reader.close();
    }
    expect(asked).toEqual([['HEAD^{commit}'], [rev(dir, 'HEAD^{tree}')], [rev(dir, 'HEAD:models')], [rev(dir, 'HEAD:models/mscn')]]);
  });

  it('a new directory has nothing below it to read', async () => {
    const dir = repoWith(REGISTRY);
    const g = new Git(dir);
    const reader = g.objectReader();
    const asked = requestsOf(reader);
    try {
      await commitTree(g, { base: 'HEAD', changes: [{ path: 'models/new-algo/a/b.json', content: 'n\n' }], message: 'm', reader });
    } finally {
      reader.close();
    }
    expect(asked).toEqual([['HEAD^{commit}'], [rev(dir, 'HEAD^{tree}')], [rev(dir, 'HEAD:models')]]);
  });
});

describe('commitTree refuses', () => {
  it.each(['', '/etc/passwd', 'a//b', 'a/', 'a/../b', '..', './a', 'models/./x', '.git/config', 'a/.GIT/hooks/x', 'a\0b'])('the path %j', async (path) => {
    const dir = repoWith(REGISTRY);
    const err = await commitTree(new Git(dir), { base: 'HEAD', changes: [{ path, content: 'x' }], message: 'm' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafeFileError);
    expect((err as UnsafeFileError).code).toBe('UNSAFE_FILE');
    expect((err as Error).message).not.toContain('\n');
  });

  it.each<[string, FileChange[], RegExp]>([
    ['a file under a file of the base', [{ path: 'models/mscn/m1.json/x', content: 'x' }], /"models\/mscn\/m1\.json" is a file in the base commit; "models\/mscn\/m1\.json\/x" can't go under it/],
    ['a file under a file several levels up', [{ path: 'modelgit.yaml/a/b', content: 'x' }], /"modelgit\.yaml" is a file in the base commit/],
    ['a file in place of a directory', [{ path: 'models/mscn', content: 'x' }], /"models\/mscn" is a directory in the base commit; a file can't replace it/],
    ['deleting a directory', [{ path: 'models', content: null }], /"models" is a directory in the base commit; only files are deleted/],
    ['the same path twice', [{ path: 'a', content: 'x' }, { path: 'a', content: 'y' }], /"a" is changed twice/],
    ['a file and a directory of one name in one request', [{ path: 'n/a', content: 'x' }, { path: 'n/a/b', content: 'y' }], /"n\/a" is written as a file and as a directory/],
  ])('%s', async (_name, changes, message) => {
    const dir = repoWith(REGISTRY);
    const err = await commitTree(new Git(dir), { base: 'HEAD', changes, message: 'm' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(message);
  });

  it('a base that is not a commit', async () => {
    const dir = repoWith(REGISTRY);
    await expect(commitTree(new Git(dir), { base: 'no-such-branch', changes: [], message: 'm' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
