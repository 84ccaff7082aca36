// The first hour of a new user (issue 12, items 8–15), through the built binary: clear one-line
// errors with one prefix, --json stderr a program can parse, writes that refuse a detached HEAD,
// the missing-hook warning, k=v flags, encodings named, nothing committed when nothing changed,
// and a --help that groups the commands and shows examples.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installHookAt } from '../../src/install/hooks.js';
import { register } from '../../src/registry/register.js';
import { repoState, runCli, runCliWithEnv, tempDir, tempRegistry } from '../helpers.js';

const NO_STACK = /\n\s+at |Error: E[A-Z]+:|unexpected/;

/** stderr with --json: exactly one JSON object (and nothing else), parsed. */
function oneJsonObject(stderr: string): any {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, stderr).toHaveLength(1);
  const value = JSON.parse(lines[0]!);
  expect(typeof value).toBe('object');
  return value;
}

describe('the first hour (issue 12)', () => {
  describe('-C with a directory that is missing or a file (item 8)', () => {
    it('is one error line and a hint, exit 2, no stack trace', async () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'some-file'), 'x');
      for (const [arg, why] of [['/missing/nowhere', 'no such directory'], ['some-file', 'not a directory']] as const) {
        const r = await runCli(dir, '-C', arg, 'list');
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).not.toMatch(NO_STACK);
        expect(r.stderr.split('\n')[0]).toBe(`modelgit: error: -C ${arg}: ${why}`);
        expect(r.stderr.trim().split('\n')).toHaveLength(2); // the message and its hint
      }
      const j = await runCli(dir, '-C', 'some-file', 'list', '--json');
      expect(j.code).toBe(2);
      expect(oneJsonObject(j.stderr).error).toMatchObject({ code: 'USAGE', message: '-C some-file: not a directory' });
    });
  });

  describe('--json: stderr is exactly one JSON object (item 9)', () => {
    it('on a failed operation, a usage error from the parser, and a validation error: code, message, hint, data', async () => {
      const r = await tempRegistry();
      const missing = await r.run('test', 'nope', '--dataset', 'production', '--metric', 'x=1', '--json');
      expect(missing.code).toBe(1);
      expect(missing.stdout).toBe('');
      const e1 = oneJsonObject(missing.stderr);
      expect(e1.error).toMatchObject({ code: 'NOT_FOUND', message: 'no model "nope" in the registry' });
      expect(e1.error.hint).toMatch(/modelgit list/);

      const usage = await r.run('register', '--nope', '--json');
      expect(usage.code).toBe(2);
      expect(oneJsonObject(usage.stderr).error).toMatchObject({ code: 'USAGE', message: "unknown option '--nope'" });

      r.write('bad.json', '{"training": {"enabled": "yes"}}\n');
      const invalid = await r.run('register', '--algo', 'mscn', '--from', 'bad.json', '--json');
      expect(invalid.code).toBe(1);
      const e3 = oneJsonObject(invalid.stderr).error;
      // the line is in the model file as it would be written (init's artifacts template adds model_path above training)
      expect(e3).toMatchObject({ code: 'INVALID', data: { errors: [{ file: expect.stringMatching(/^models\/mscn\/mscn_\w+\.json$/), pointer: '/training/enabled', line: 8 }] } });
      expect(e3.errors).toEqual(e3.data.errors); // where earlier versions put them
    });

    it('a warning of a successful command goes into {"warnings": [...]}, the answer stays on stdout', async () => {
      const r = await tempRegistry(); // no hook: the first write warns
      const res = await r.run('register', '--algo', 'mscn', '--json');
      expect(res.code, res.stderr).toBe(0);
      expect(res.json().model_id).toMatch(/^mscn_/);
      const err = oneJsonObject(res.stderr);
      expect(err.error).toBeUndefined();
      expect(err.warnings.join('\n')).toMatch(/modelgit hooks install/);
      // And a warning beside an error lands in the same object.
      const r2 = await tempRegistry();
      const fail = await r2.run('test', 'nope', '--dataset', 'd', '--metric', 'x=1', '--json');
      const both = oneJsonObject(fail.stderr);
      expect(both.error.code).toBe('NOT_FOUND');
      expect(both.warnings.join('\n')).toMatch(/hooks install/);
    });
  });

  describe('a write on a detached HEAD (item 10)', () => {
    it('is refused naming git switch, leaving the repository as it was; --allow-detached or MODELGIT_ALLOW_DETACHED=1 lets it commit', async () => {
      const r = await tempRegistry();
      await register(await r.open(), { algorithm: 'mscn', id: 'm1' });
      r.git('switch', '-q', '--detach');
      const before = repoState(r.dir);
      const res = await r.run('tag', 'm1', 'keep');
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/^modelgit: error: HEAD is detached/);
      expect(res.stderr).toMatch(/git switch -c <new-branch>/);
      expect(res.stderr).toMatch(/git switch <branch>/);
      expect(repoState(r.dir)).toBe(before);
      const json = await r.run('register', '--algo', 'mscn', '--json');
      expect(json.code).toBe(1);
      expect(oneJsonObject(json.stderr).error.code).toBe('DIRTY');
      expect(repoState(r.dir)).toBe(before);

      const allowed = await r.run('tag', 'm1', 'keep', '--allow-detached');
      expect(allowed.code, allowed.stderr).toBe(0);
      expect(r.git('rev-parse', 'HEAD').trim()).toBe(allowed.stdout.trim());
      const byEnv = await runCliWithEnv(r.dir, { MODELGIT_ALLOW_DETACHED: '1' }, 'tag', 'm1', 'second');
      expect(byEnv.code, byEnv.stderr).toBe(0);
    });
  });

  describe('a write where the pre-commit hook is not installed (item 11)', () => {
    it('warns once per repository naming modelgit hooks install; never where the hook is installed', async () => {
      const r = await tempRegistry();
      const first = await r.run('register', '--algo', 'mscn');
      expect(first.code).toBe(0);
      expect(first.stderr).toMatch(/^modelgit: warning: the pre-commit hook is not installed.*modelgit hooks install/m);
      expect(existsSync(join(r.dir, '.git', 'modelgit', 'hook-warning-given'))).toBe(true);
      const second = await r.run('tag', first.stdout.trim(), 'x');
      expect(second.code).toBe(0);
      expect(second.stderr).not.toMatch(/hook/);

      const hooked = await tempRegistry();
      await installHookAt(hooked.dir);
      const res = await hooked.run('register', '--algo', 'mscn');
      expect(res.code, res.stderr).toBe(0);
      expect(res.stderr).not.toMatch(/hook/);
    });
  });

  describe('--param and --metric values (item 12)', () => {
    it('refuses an empty value and a repeated key for both flags the same way: exit 2, naming the flag and key, nothing committed', async () => {
      const r = await tempRegistry();
      const id = (await register(await r.open(), { algorithm: 'mscn', id: 'm1' })).model_id;
      const before = repoState(r.dir);
      const cases: [string[], RegExp][] = [
        [['register', '--algo', 'mscn', '--param', 'lr='], /^modelgit: error: --param lr has an empty value/],
        [['register', '--algo', 'mscn', '--param', 'lr=1', '--param', 'lr=2'], /^modelgit: error: --param lr is given twice/],
        [['test', id, '--dataset', 'd', '--metric', 'q_error='], /^modelgit: error: --metric q_error has an empty value/],
        [['test', id, '--dataset', 'd', '--metric', 'q_error=1', '--metric', 'q_error=2'], /^modelgit: error: --metric q_error is given twice/],
      ];
      for (const [args, message] of cases) {
        const res = await r.run(...args);
        expect(res.code, res.stderr).toBe(2);
        expect(res.stderr).toMatch(message);
        expect(repoState(r.dir)).toBe(before);
      }
    });
  });

  describe('encodings (item 13)', () => {
    it('validate (working tree, --all, --staged, --since) and reads name a non-UTF-8 file and a byte-order mark', async () => {
      const r = await tempRegistry();
      const reg = await r.open();
      await register(reg, { algorithm: 'mscn', id: 'latin', notes: 'caf\u00e9' });
      await register(reg, { algorithm: 'mscn', id: 'bom' });
      const base = r.git('rev-parse', 'HEAD').trim();
      const latin = join(r.dir, 'models/mscn/latin.json');
      const text = readFileSync(latin);
      const at = text.indexOf(Buffer.from('\u00e9', 'utf8'));
      writeFileSync(latin, Buffer.concat([text.subarray(0, at), Buffer.from([0xe9]), text.subarray(at + 2)]));
      const bom = join(r.dir, 'models/mscn/bom.json');
      writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(bom)]));
      const expectBoth = (out: string) => {
        expect(out).toContain(`models/mscn/latin.json`);
        expect(out).toContain(`encoding: not UTF-8 at byte ${at}`);
        expect(out).toMatch(/models\/mscn\/bom\.json:1:1: .*a UTF-8 byte-order mark is not allowed; save the file as UTF-8 without BOM \[encoding-bom\]/);
        expect(out).not.toMatch(/InvalidSymbol/);
      };
      for (const args of [['validate'], ['validate', '--all']]) {
        const res = await r.run(...args);
        expect(res.code).toBe(1);
        expectBoth(res.stdout);
      }
      r.git('add', '-A');
      const staged = await r.run('validate', '--staged');
      expect(staged.code).toBe(1);
      expectBoth(staged.stdout);
      r.git('commit', '-q', '--no-verify', '-m', 'bad encodings');
      const since = await r.run('validate', '--since', base);
      expect(since.code).toBe(1);
      expectBoth(since.stdout);
      // Reads name the file and the rule instead of showing mojibake or a JSON syntax error.
      // They could change the answer, so the read fails (exit 1) unless --skip-invalid.
      const list = await r.run('list', '--algo', 'mscn');
      expect([list.code, list.stdout]).toEqual([1, '']);
      expect(list.stderr).toMatch(new RegExp(`models/mscn/latin\\.json:\\d+:\\d+: /: encoding: not UTF-8 at byte ${at}; save the file as UTF-8 \\[encoding\\]`));
      expect(list.stderr).toMatch(/models\/mscn\/bom\.json:1:1: \/: a UTF-8 byte-order mark is not allowed.*\[encoding-bom\]/);
      const skipped = await r.run('list', '--algo', 'mscn', '--skip-invalid');
      expect(skipped.code).toBe(0);
      expect(skipped.stdout).not.toMatch(/caf/);
      expect(skipped.stderr).toContain(`models/mscn/latin.json`);
      expect(skipped.stderr).toContain(`models/mscn/bom.json`);
    });
  });

  describe('argument mistakes and commands that change nothing (item 14)', () => {
    it('too many arguments names the extra words and suggests quoting; --param with a space says it takes k=v', async () => {
      const r = await tempRegistry();
      await register(await r.open(), { algorithm: 'mscn', id: 'm1' });
      const note = await r.run('note', 'm1', 'hello', 'big', 'world');
      expect(note.code).toBe(2);
      expect(note.stderr).toMatch(/^modelgit: error: too many arguments for 'note': "big" "world" are left over/);
      expect(note.stderr).toContain('modelgit note m1 "hello big world"');
      const notes = await r.run('register', '--algo', 'mscn', '--notes', 'two', 'words');
      expect(notes.code).toBe(2);
      expect(notes.stderr).toContain('"words" is left over');
      expect(notes.stderr).toContain('--notes "two words"');
      const param = await r.run('register', '--algo', 'mscn', '--param', 'lr', '0.001');
      expect(param.code).toBe(2);
      expect(param.stderr).toMatch(/^modelgit: error: --param takes key=value as one word/);
      expect(param.stderr).toContain('--param lr=VALUE');
    });

    it('untag of an absent tag commits nothing, prints no commit id and says so; --json gives commit null', async () => {
      const r = await tempRegistry();
      await register(await r.open(), { algorithm: 'mscn', id: 'm1', tags: ['keep'] });
      const before = repoState(r.dir);
      const res = await r.run('untag', 'm1', 'absent');
      expect(res.code).toBe(0);
      expect(res.stdout).toBe('');
      expect(res.stderr).toMatch(/m1: has no tag "absent"; nothing changed, no commit made/);
      const json = await r.run('untag', 'm1', 'absent', '--json');
      expect(json.code).toBe(0);
      expect(json.json()).toEqual({ model_id: 'm1', path: 'models/mscn/m1.json', commit: null, changed: false });
      const again = await r.run('tag', 'm1', 'keep');
      expect(again.stdout).toBe('');
      expect(again.stderr).toMatch(/already has the tag "keep"; nothing changed/);
      expect(repoState(r.dir)).toBe(before);
      // A real change still prints its commit.
      const real = await r.run('untag', 'm1', 'keep');
      expect(real.stdout.trim()).toBe(r.git('rev-parse', 'HEAD').trim());
    });
  });

  describe('--help and error messages (item 15)', () => {
    it('groups the commands in the binary\'s --help (every command\'s examples and required marks: test/unit/cli/first-hour.test.ts)', async () => {
      const help = await runCli(tempDir(), '--help');
      expect(help.code).toBe(0);
      const headings = ['Setting up:', 'Registering and testing:', 'Querying:', 'Lifecycle and promotion:', 'Checks and CI:', 'Loading:', 'Import:'];
      const at = headings.map((h) => help.stdout.indexOf(`\n${h}\n`));
      expect(at.every((i) => i > 0)).toBe(true);
      expect([...at].sort((a, b) => a - b)).toEqual(at);
      expect(help.stdout.indexOf('  best ')).toBeGreaterThan(at[2]!);
      expect(help.stdout.indexOf('  best ')).toBeLessThan(at[3]!);
    });

    it("uses one error prefix, commander's own errors included", async () => {
      const r = await tempRegistry();
      const cases = [
        await r.run('register', '--nope'), // commander: unknown option
        await r.run('best'), // commander: required option missing
        await r.run('frobnicate'), // commander: unknown command
        await r.run('show', 'nope'), // modelgit: not found
      ];
      for (const res of cases) {
        expect(res.code).toBeGreaterThan(0);
        expect(res.stderr, res.stderr).toMatch(/^modelgit: error: /);
        expect(res.stderr).not.toMatch(/^error: /m);
      }
      expect(cases[0]!.stderr).toMatch(/hint: .*modelgit register --help/);
    });
  });
});
