// The layering rules of docs/contributing/architecture.md (R1–R6), checked on the source text so
// that a change that breaks one fails here with the file and line, instead of slowly undoing the
// layout. No new dependency: imports are found with a few regular expressions over src/**/*.ts,
// which is enough because the code only ever imports in the usual ESM forms.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Source {
  file: string; // 'src/registry/best.ts'
  text: string;
}
interface Import {
  spec: string;
  /** where a relative import lands ('src/store/models.js'); the spec itself for a package */
  target: string;
  line: number;
  typeOnly: boolean;
}

function sources(): Source[] {
  const walk = (dir: string): string[] => readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : []));
  return walk('src').map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));
}

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

function importsOf(src: Source): Import[] {
  const found: Import[] = [];
  const forms = [/^\s*(import|export)\s+(type\s+)?[^;'"]*?\bfrom\s+['"]([^'"]+)['"]/gm, /^\s*import\s+()()['"]([^'"]+)['"]/gm, /\bimport\(\s*()()['"]([^'"]+)['"]\s*\)/g];
  for (const re of forms) {
    for (const m of src.text.matchAll(re)) {
      const spec = m[3]!;
      const target = spec.startsWith('.') ? posix.join(posix.dirname(src.file), spec) : spec;
      found.push({ spec, target, line: lineAt(src.text, m.index + m[0].length), typeOnly: Boolean(m[2]) });
    }
  }
  return found;
}

/** Lines of code with comments blanked (line numbers kept), so prose about git or .git/modelgit is not code. */
function codeLines(text: string): string[] {
  let inBlock = false;
  return text.split('\n').map((line) => {
    if (inBlock) {
      if (!line.includes('*/')) return '';
      inBlock = false;
      line = line.slice(line.indexOf('*/') + 2);
    }
    if (/^\s*\/\*/.test(line) && !line.includes('*/')) return ((inBlock = true), '');
    return line.replace(/^\s*(\/\/|\*|\/\*).*$/, '').replace(/\s\/\/\s.*$/, '');
  });
}

type Check = (src: Source) => string[];
const under = (file: string, ...dirs: string[]) => dirs.some((d) => file.startsWith(d));
const at = (src: Source, line: number, what: string) => `${src.file}:${line}: ${what}`;

/** Lines matching any of `patterns`, as violations. */
const linesMatching = (src: Source, patterns: RegExp[], what: string) =>
  codeLines(src.text).flatMap((l, i) => (patterns.some((re) => re.test(l)) ? [at(src, i + 1, `${what}: ${l.trim()}`)] : []));

const importsWhere = (src: Source, bad: (i: Import) => boolean, what: string) => importsOf(src).flatMap((i) => (bad(i) ? [at(src, i.line, `${what}: '${i.spec}'`)] : []));

// R3: git/ is the only door to git (git/background.ts starts node, also from git/).
const startsProcesses: Check = (src) => (under(src.file, 'src/git/') ? [] : linesMatching(src, [/['"](node:)?child_process['"]/], 'child_process outside src/git/'));
const rawGitArgv: Check = (src) =>
  under(src.file, 'src/git/')
    ? []
    : linesMatching(src, [/\.(run|text|write)\(\s*\[/, /\bgit\.(run|text|write)\(/, /\b(runGit|spawnGit)\(/, /\b(spawn|spawnSync|execFile|execFileSync|exec|execSync)\(\s*['"`]git\b/], 'git argv outside src/git/');
// R2: the path of .git/modelgit is spelled once, in store/cache/policy.ts modelgitDir().
const spellsModelgitDir: Check = (src) =>
  src.file === 'src/store/cache/policy.ts'
    ? []
    : linesMatching(src, [/\b(join|resolve)\([^)]*['"`]modelgit['"`]/, /\$\{[^}]+\}\/modelgit(?![\w.-])/, /['"`]\.git\/modelgit\b/], "'modelgit' joined onto a git dir outside store/cache/policy.ts");

// R1: operations reach the store only through registry.ts; init.ts and validate.ts run without an
// open Registry and may use store/'s top-level readers and store/write/commit.ts, never store/cache/.
const NO_REGISTRY = ['src/registry/init.ts', 'src/registry/validate.ts'];
const operationsThroughRegistry: Check = (src) => {
  if (!/^src\/registry\/[^/]+\.ts$/.test(src.file)) return [];
  const cache = importsWhere(src, (i) => i.target.startsWith('src/store/cache/'), 'registry/ imports store/cache/');
  if (src.file === 'src/registry/registry.ts') return cache;
  if (NO_REGISTRY.includes(src.file)) return [...cache, ...importsWhere(src, (i) => /^src\/store\/write\/(?!commit\.js$)/.test(i.target), 'init/validate import store/write/ beyond commit.ts')];
  return [...cache, ...importsWhere(src, (i) => /^src\/store\/(?!cache\/)|^src\/git\/(remote|branches)\.js$/.test(i.target), 'an operation imports the store or git/remote|branches, not through registry.ts')];
};
// R5: the CLI parses, calls registry/ and renders.
const cliStaysThin: Check = (src) => (under(src.file, 'src/cli/') ? importsWhere(src, (i) => /^src\/(store|git)\//.test(i.target), 'cli/ imports store/ or git/') : []);

// R4: domain/ is pure and the base layer: nothing but domain/, errors.ts and pure modules (even
// types); lazy.ts counts as one (it only defers loading node:crypto and yaml, for startup time).
// render/ and report/ load nothing impure: type-only imports (the answer shapes) load no code.
const IMPURE = /^(node:)?(fs|fs\/promises|child_process|net|http|https|worker_threads)$/;
const domainIsPure: Check = (src) =>
  under(src.file, 'src/domain/') ? importsWhere(src, (i) => IMPURE.test(i.target) || (i.target.startsWith('src/') && !i.target.startsWith('src/domain/') && !['src/errors.js', 'src/lazy.js'].includes(i.target)), 'domain/ imports outside domain/ and errors.ts') : [];
const renderingIsPure: Check = (src) =>
  under(src.file, 'src/render/', 'src/report/') && src.file !== 'src/report/site-writer.ts'
    ? importsWhere(src, (i) => IMPURE.test(i.target) || (!i.typeOnly && /^src\/(store|git|registry)\//.test(i.target)), 'render/report import fs, a process or store/git/registry code')
    : [];

// R6: every file opens with a paragraph saying why it exists (a shebang may come first).
const saysWhy: Check = (src) => {
  const opening = src.text.replace(/^#!.*\n/, '').match(/^(\s*\/\/.*\n)+|^\s*\/\*[\s\S]*?\*\//)?.[0] ?? '';
  return opening.replace(/[/*\s]+/g, ' ').trim().length >= 40 ? [] : [at(src, 1, 'no opening paragraph saying why the file exists')];
};

const CHECKS: Record<string, Check> = { startsProcesses, rawGitArgv, spellsModelgitDir, operationsThroughRegistry, cliStaysThin, domainIsPure, renderingIsPure, saysWhy };
const ALL = sources();
const violations = (name: string) => ALL.flatMap((s) => CHECKS[name]!(s));

/**
 * "There are no cycles": among the static imports that load code (not `import type`, not a lazy
 * `import()`), no file reaches itself. Returns each cycle found once, as its files in order.
 */
function importCycles(all: Source[]): string[] {
  const edges = new Map<string, string[]>();
  const staticForm = /^\s*(import|export)\s+(?!type\s)[^;'"]*?\bfrom\s+['"](\.[^'"]+)['"]|^\s*import\s+['"](\.[^'"]+)['"]/gm;
  for (const src of all) {
    const to: string[] = [];
    for (const m of src.text.matchAll(staticForm)) {
      const spec = m[2] ?? m[3]!;
      to.push(posix.join(posix.dirname(src.file), spec).replace(/\.js$/, '.ts'));
    }
    edges.set(src.file, to);
  }
  const cycles = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of edges.get(f) ?? []) {
      if (state.get(g) === 'open') {
        const loop = stack.slice(stack.indexOf(g));
        const first = loop.indexOf([...loop].sort()[0]!);
        cycles.add([...loop.slice(first), ...loop.slice(0, first)].join(' -> '));
      } else if (!state.has(g) && edges.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of edges.keys()) if (!state.has(f)) visit(f);
  return [...cycles];
}

describe('the layering rules hold (docs/contributing/architecture.md)', () => {
  it('reads the source', () => expect(ALL.length).toBeGreaterThan(100));
  it('no import cycles', () => expect(importCycles(ALL)).toEqual([]));
  for (const name of Object.keys(CHECKS)) {
    it(name, () => {
      expect(violations(name), `violations of ${name}`).toEqual([]);
    });
  }
});

describe('the checks catch what they are for', () => {
  const fake = (file: string, text: string): Source => ({ file, text: `// ${'a paragraph saying why this file exists, '.repeat(2)}\n${text}` });
  it.each([
    [startsProcesses, 'src/store/x.ts', "import { spawn } from 'node:child_process';"],
    [rawGitArgv, 'src/store/x.ts', "const r = await git.run(['log', '-1']);"],
    [rawGitArgv, 'src/registry/x.ts', "execFileSync('git', ['cat-file', 'blob', oid]);"],
    [spellsModelgitDir, 'src/store/write/x.ts', "const dir = join(gitDir, 'modelgit', 'locks');"],
    [spellsModelgitDir, 'src/registry/x.ts', 'const dir = `${reg.gitDir}/modelgit`;'],
    [operationsThroughRegistry, 'src/registry/best.ts', "import { registryModels } from '../store/models.js';"],
    [operationsThroughRegistry, 'src/registry/registry.ts', "import {\n  MemoFile,\n} from '../store/cache/memo-file.js';"],
    [operationsThroughRegistry, 'src/registry/validate.ts', "import { cacheDisabled } from '../store/cache/policy.js';"],
    [operationsThroughRegistry, 'src/registry/promote.ts', "import { defaultBranch } from '../git/branches.js';"],
    [cliStaysThin, 'src/cli/commands/best.ts', "import type { Git } from '../../git/git.js';"],
    [domainIsPure, 'src/domain/x.ts', "import { readFileSync } from 'node:fs';"],
    [domainIsPure, 'src/domain/x.ts', "import type { Model } from '../store/snapshot.js';"],
    [renderingIsPure, 'src/render/x.ts', "const { writeFileSync } = await import('node:fs');"],
    [renderingIsPure, 'src/report/x.ts', "import { parseTrailers } from '../git/git.js';"],
  ] as [Check, string, string][])('%o flags %s: %s', (check, file, text) => {
    const [v] = check(fake(file, text));
    expect(v).toMatch(new RegExp(`^${file.replace(/\./g, '\\.')}:\\d+: `));
  });
  it('lets through what the rules allow', () => {
    expect(startsProcesses(fake('src/git/background.ts', "import { spawn } from 'node:child_process';"))).toEqual([]);
    expect(operationsThroughRegistry(fake('src/registry/init.ts', "import { commitChanges } from '../store/write/commit.js';"))).toEqual([]);
    expect(renderingIsPure(fake('src/render/x.ts', "import type { BestOutcome } from '../registry/best.js';"))).toEqual([]);
    expect(spellsModelgitDir(fake('src/store/x.ts', "// under <git dir>/modelgit, see join(gitDir, 'modelgit')"))).toEqual([]);
    expect(saysWhy({ file: 'src/x.ts', text: "const VERSION = '0.1.0';\n" })).toHaveLength(1);
  });
});
