// In-process checks behind the CLI's first-hour fixes (issue 12): the k=v flag rules, the encoding
// rule, how commander's parse errors are reworded, and the help every command shows.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { keyValueProblem } from '../../../src/cli/options.js';
import { COMMAND_GROUPS, EXAMPLES } from '../../../src/cli/help.js';
import { buildProgram, formatError, usageErrorOf, wantsJson, type ParseFailure } from '../../../src/cli/program.js';
import { CommanderError } from 'commander';
import { NotFoundError } from '../../../src/errors.js';
import { encodingProblem } from '../../../src/schema/encoding.js';
import { parseJsonText } from '../../../src/schema/validator.js';
import { detachedAllowed } from '../../../src/store/write/guards.js';
import { hookInstalledIn, hookText } from '../../../src/install/hooks.js';

describe('key=value flags', () => {
  it('accepts distinct keys with values', () => {
    expect(keyValueProblem('--param', 'lr=0.001', 'lr=0.1', ['epochs=3'])).toBeUndefined();
    expect(keyValueProblem('--param', 'lr=0.001', 'note=a=b', [])).toBeUndefined();
  });
  it('refuses a missing =, an empty key, an empty value and a repeated key, naming flag and key', () => {
    expect(keyValueProblem('--param', 'lr=0.001', 'lr', [])!.message).toBe('--param takes key=value as one word (e.g. --param lr=0.001); got "lr"');
    expect(keyValueProblem('--param', 'lr=0.001', '=3', [])!.message).toMatch(/^--param "=3": the key before = is missing/);
    expect(keyValueProblem('--param', 'lr=0.001', 'lr=', [])!.message).toMatch(/^--param lr has an empty value/);
    expect(keyValueProblem('--param', 'lr=0.001', 'lr=  ', [])!.message).toMatch(/^--param lr has an empty value/);
    expect(keyValueProblem('--metric', 'x=1', 'q=2', ['q=1'])!.message).toBe('--metric q is given twice (q=1 and q=2)');
    expect(keyValueProblem('--param', 'lr=0.001', 'lr =2', ['lr=1'])!.message).toMatch(/--param lr is given twice/);
  });
});

describe('encodingProblem', () => {
  it('names a byte-order mark and the byte offset of the first non-UTF-8 byte', () => {
    expect(encodingProblem('f.json', '\ufeff{}')).toMatchObject({ rule: 'encoding-bom', line: 1, column: 1 });
    const bytes = Buffer.concat([Buffer.from('{\n  "notes": "café '), Buffer.from([0xe9]), Buffer.from('"\n}\n')]);
    const p = encodingProblem('f.json', bytes.toString('utf8'))!;
    expect(p).toMatchObject({ file: 'f.json', rule: 'encoding', line: 2, column: 18, message: `encoding: not UTF-8 at byte ${bytes.indexOf(0xe9)}; save the file as UTF-8` });
    expect(encodingProblem('f.json', '{"notes": "café ✓"}')).toBeUndefined();
  });
  it('comes before the JSON parse, so a BOM is not reported as InvalidSymbol', () => {
    expect(parseJsonText('f.json', '\ufeff{"a": 1}').errors.map((e) => e.rule)).toEqual(['encoding-bom']);
  });
});

describe('the MODELGIT_ALLOW_DETACHED switch', () => {
  it('is on for 1/true/yes and off when unset, empty, 0 or false', () => {
    for (const v of ['1', 'true', 'yes']) expect(detachedAllowed({ MODELGIT_ALLOW_DETACHED: v })).toBe(true);
    for (const v of [undefined, '', '0', 'false', 'FALSE']) expect(detachedAllowed({ MODELGIT_ALLOW_DETACHED: v })).toBe(false);
  });
});

describe('errors', () => {
  it('have one prefix and an indented hint', () => {
    expect(formatError(new NotFoundError('no model "x"', { hint: 'modelgit list' }))).toBe('modelgit: error: no model "x"\n  hint: modelgit list\n');
  });
  it("commander's: without its own prefix, the suggestion moved into the hint", async () => {
    const program = await buildProgram();
    const register = program.commands.find((c) => c.name() === 'register')!;
    const err: ParseFailure = new CommanderError(1, 'commander.unknownOption', "error: unknown option '--nmae'\n(Did you mean --name?)");
    err.command = register;
    const u = usageErrorOf(err, ['register', '--nmae']);
    expect(u.message).toBe("unknown option '--nmae'");
    expect(u.hint).toBe("Did you mean --name? (run 'modelgit register --help' for usage)");
    expect(u.exitCode).toBe(2);
  });
  it('--json is asked for by --json or --format json', () => {
    expect(wantsJson(['list', '--json'])).toBe(true);
    expect(wantsJson(['compare', 'a', '--format', 'json'])).toBe(true);
    expect(wantsJson(['validate', '--format=json'])).toBe(true);
    expect(wantsJson(['compare', 'a', '--format', 'md'])).toBe(false);
  });
});

function fullHelp(cmd: Command): string {
  let out = '';
  cmd.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  cmd.outputHelp();
  return out;
}

describe('--help', () => {
  it('every command is in a group, has examples that start with its name, and marks its required options', async () => {
    const program = await buildProgram();
    const grouped = COMMAND_GROUPS.flatMap(([, names]) => names);
    for (const cmd of program.commands) {
      const name = cmd.name();
      if (name === 'help') continue;
      expect(grouped, name).toContain(name);
      expect(EXAMPLES[name]?.length, name).toBeGreaterThan(0);
      const text = fullHelp(cmd);
      expect(text, name).toMatch(new RegExp(`\\nExamples:\\n(  \\$ modelgit ${name}( .*)?\\n)+`));
      for (const opt of cmd.options) {
        const line = text.split('\n').find((l) => l.trimStart().startsWith(opt.flags));
        if (opt.mandatory) expect(text, `${name} ${opt.flags}`).toMatch(new RegExp(`${opt.flags.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\s\\S]*?\\(required\\)`));
        else if (line) expect(line, `${name} ${opt.flags}`).not.toMatch(/\(required\)/);
      }
    }
    // The commands the guides call required really are.
    const requiredOf = (n: string) => program.commands.find((c) => c.name() === n)!.options.filter((o) => o.mandatory).map((o) => o.long);
    expect(requiredOf('best')).toEqual(['--algo']);
    expect(requiredOf('test')).toEqual(['--dataset']);
    expect(requiredOf('cleanup')).toEqual(['--algo', '--keep']);
    expect(requiredOf('promote')).toEqual(['--stage']);
  });
});

describe('hookInstalledIn', () => {
  it("counts modelgit's shim, a hook that runs modelgit, and the pre-commit framework running modelgit-validate; not a missing, foreign or non-executable hook", () => {
    const root = mkdtempSync(join(tmpdir(), 'modelgit-hooks-'));
    try {
      const hooks = join(root, 'hooks');
      mkdirSync(hooks);
      const hook = (text: string, mode = 0o755) => {
        writeFileSync(join(hooks, 'pre-commit'), text);
        chmodSync(join(hooks, 'pre-commit'), mode);
      };
      expect(hookInstalledIn(hooks, root)).toBe(false);
      hook(hookText());
      expect(hookInstalledIn(hooks, root)).toBe(true);
      hook(hookText(), 0o644);
      expect(hookInstalledIn(hooks, root)).toBe(false);
      hook('#!/bin/sh\nnpx eslint .\n');
      expect(hookInstalledIn(hooks, root)).toBe(false);
      hook('#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\n');
      expect(hookInstalledIn(hooks, root)).toBe(false);
      writeFileSync(join(root, '.pre-commit-config.yaml'), 'repos:\n  - repo: https://github.com/modelgit/modelgit\n    hooks: [{ id: modelgit-validate }]\n');
      expect(hookInstalledIn(hooks, root)).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
