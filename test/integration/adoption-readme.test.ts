// README.md is the front door, written by hand, and what it shows must work as shown: this test
// takes every shell command from its ```sh blocks and runs them in order, in one bash session in a
// temp directory (so `cd` carries over), with `modelgit` on PATH being this build and no other; it
// checks the output block after them, runs the Python snippet in the registry they made (with the
// Python client of this checkout, python/, driving this build), and checks that every link points
// at a file (and heading) that exists.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, tempDir } from '../helpers.js';
import { ROOT, cleanEnv } from './adoption-helpers.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
// Debian's python3, as python/run-tests.sh uses: the client is standard library only.
const PYTHON = '/usr/bin/python3';
const HAS_PYTHON = spawnSync(PYTHON, ['--version']).status === 0;

/**
 * Commands README shows that this test does not run, and why. Keep this list small: every other
 * command runs.
 */
const NOT_RUN = new Map([
  ['npm install && npm run demo', 'installs dependencies from the npm registry into this checkout; .ci/run does exactly this first'],
  ['npm test', 'the test suite this test is part of'],
  ['npm link', "links this checkout into the machine's global npm prefix"],
]);

function blocks(lang: string): string[] {
  return [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].filter((m) => m[1] === lang).map((m) => m[2]!);
}

/** The commands of a shell block: one a line, `\` continuations joined, comments and blanks left out. */
function commands(block: string): string[] {
  return block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** GitHub's anchor for a heading. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

function anchors(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)));
}

describe('README.md', () => {
  it('is a front door: at most 300 lines, the two commands first, then the sections a new user needs', () => {
    expect(README.split('\n').length).toBeLessThanOrEqual(300);
    expect(commands(blocks('sh')[0]!)).toEqual(['npm install && npm run demo', 'npm test']);
    const headings = [...README.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    for (const h of ['Your first registry', 'From Python', 'In CI', 'Commands at a glance', 'Documentation']) expect(headings).toContain(h);
    // No longer assembled from the guides.
    for (const gone of ['scripts/readme.mjs', 'docs/readme-head.md', 'docs/readme-tail.md']) expect(existsSync(join(ROOT, gone)), gone).toBe(false);
  });

  it('every link points at a file that exists, and every #anchor at a heading there', () => {
    const links = [...README.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(10);
    for (const link of links) {
      if (/^https?:\/\//.test(link)) continue;
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const file = path ? join(ROOT, path) : join(ROOT, 'README.md');
      expect(existsSync(file), link).toBe(true);
      if (anchor) expect(anchors(readFileSync(file, 'utf8')).has(anchor), link).toBe(true);
    }
    // Every guide page is linked.
    const guide = spawnSync('ls', [join(ROOT, 'docs', 'guide')], { encoding: 'utf8' }).stdout.split('\n').filter((f) => f.endsWith('.md'));
    for (const page of guide) expect(links, page).toContain(`docs/guide/${page}`);
  });

  it('every shell command it shows runs as shown, and answers what it shows; then the Python snippet runs in that registry', () => {
    const all = blocks('sh').flatMap(commands);
    for (const c of NOT_RUN.keys()) expect(all, `NOT_RUN lists "${c}", which README no longer shows`).toContain(c);
    const run = all.filter((c) => !NOT_RUN.has(c));
    expect(run.filter((c) => c.startsWith('modelgit ')).length).toBeGreaterThanOrEqual(4);

    const bin = tempDir('modelgit-readme-bin-');
    writeFileSync(join(bin, 'modelgit'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
    chmodSync(join(bin, 'modelgit'), 0o755);
    const env = cleanEnv();
    env.PATH = `${bin}:${env.PATH}`;
    const home = tempDir('modelgit-readme-');
    const script = join(tempDir(), 'readme.sh');
    // set -x marks each command in stderr, so a failure names the README line that failed.
    writeFileSync(script, `set -eux\n${run.join('\n')}\npwd > "${join(home, 'final-cwd')}"\n`);
    const r = spawnSync('bash', ['--noprofile', '--norc', script], { cwd: home, env, encoding: 'utf8' });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    // The output README shows after the commands is what they print.
    for (const line of blocks('text')[0]!.trim().split('\n')) expect(r.stdout).toContain(line);

    const registry = readFileSync(join(home, 'final-cwd'), 'utf8').trim();
    expect(existsSync(join(registry, 'modelgit.yaml'))).toBe(true);
    if (!HAS_PYTHON) return; // python3 is part of Debian's pre-commit, which .ci/run installs
    const [python] = blocks('python');
    expect(python).toContain('from modelgit import Registry');
    const pyEnv = { ...env, PYTHONPATH: join(ROOT, 'python'), MODELGIT_BIN: CLI };
    const py = spawnSync(PYTHON, ['-c', python!], { cwd: registry, env: pyEnv, encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    // The new model gets its weights' place from the artifacts layout, and beats mscn_first (42.5).
    const m = /^save the weights at (\S+)\n(mscn_\d{8}_\d{6}) 40\.1 artifacts\/mscn\/(mscn_\d{8}_\d{6})\n$/.exec(py.stdout);
    expect(m, py.stdout).not.toBeNull();
    expect(m![3]).toBe(m![2]);
    expect(m![1]).toBe(join(registry, 'artifacts', 'mscn', m![2]!));
    // One commit each for register and test, both with an operation id the client chose.
    const log = spawnSync('git', ['log', '-2', '--format=%s%n%(trailers:key=Operation-Id,valueonly)'], { cwd: registry, encoding: 'utf8' }).stdout;
    expect(log).toContain(`register ${m![2]}`);
    expect(log).toContain(`test ${m![2]} on production`);
    expect(log.match(/^[0-9a-f]{32}$/gm), log).toHaveLength(2);
  });
});
