// The CI files, tested honestly: every workflow passes a workflow linter from the npm registry
// (action-validator), and every `run:` step of the reusable registry workflow is executed here
// with bash -eo pipefail (as GitHub runs `shell: bash`) against real temp repositories, with the
// GITHUB_* variables and `${{ … }}` values the step reads. Only `uses:` steps (checkout, setup-node)
// are not run: the repository is already checked out and node is this one. "Install modelgit"
// builds modelgit from a clone of this work tree at a ref, as a runner would from GitHub, and runs
// it; the other steps find `modelgit` on PATH as the build under test.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { register } from '../../src/registry/register.js';
import { recordTest } from '../../src/registry/record-test.js';
import { CLI, git, repoState, tempDir, tempRegistry, tempRepo, type TempRegistry } from '../helpers.js';
import { cloneOf, registryRemote } from './gitops-helpers.js';
import { pathWithoutModelgit, sourceSnapshot } from './adoption-helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VALIDATOR = join(ROOT, 'node_modules', '@action-validator', 'cli', 'cli.mjs');
const REGISTRY_WORKFLOW = join(ROOT, '.github', 'workflows', 'registry.yml');
const HAS_JQ = spawnSync('jq', ['--version']).status === 0;
// `validate` is built on another branch; the steps that call it run once it is merged.
const HAS_VALIDATE = /^ {2}validate\b/m.test(spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout);

function lint(file: string): { code: number; out: string } {
  const r = spawnSync(process.execPath, [VALIDATOR, file], { encoding: 'utf8' });
  return { code: r.status ?? 1, out: r.stdout + r.stderr };
}

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  if?: string;
}
interface Workflow {
  on: Record<string, any>;
  defaults?: { run?: { shell?: string } };
  jobs: Record<string, { if?: string; steps: Step[]; permissions?: Record<string, string> }>;
}

const workflow = (file: string) => parse(readFileSync(file, 'utf8')) as Workflow;

/** Replaces `${{ expr }}` with the test's value for it; an expression the test did not expect fails. */
function substitute(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    if (!(expr in values)) throw new Error(`the step reads \${{ ${expr} }}, which this test gives no value`);
    return values[expr]!;
  });
}

/** A bin directory with `modelgit` (the build under test) and a stand-in for the GitHub CLI. */
function toolDir(): string {
  const bin = tempDir('modelgit-bin-');
  writeFileSync(join(bin, 'modelgit'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`);
  // gh stand-in: logs each call; `gh api … --jq F` answers with $FAKE_GH_COMMENTS run through the real
  // jq filter F; `-F body=@file` saves the body it would send.
  writeFileSync(
    join(bin, 'gh'),
    `#!/bin/sh
echo "gh $*" >> "$FAKE_GH_LOG"
[ -n "$GH_TOKEN" ] || { echo "gh: no GH_TOKEN" >&2; exit 4; }
prev=""
for a in "$@"; do
  if [ "$prev" = "--jq" ]; then printf '%s' "$FAKE_GH_COMMENTS" | jq -r "$a"; exit $?; fi
  case "$a" in body=@*) cp "\${a#body=@}" "$FAKE_GH_BODY";; esac
  prev="$a"
done
`,
  );
  chmodSync(join(bin, 'modelgit'), 0o755);
  chmodSync(join(bin, 'gh'), 0o755);
  return bin;
}

interface RunContext {
  cwd: string;
  values: Record<string, string>;
  env: Record<string, string>;
  /** variables the test process has that a runner would not (the test identity) */
  unset?: string[];
}

/** Runs one step's script the way a runner does: its env, then bash --noprofile --norc -eo pipefail. */
function runStep(wf: Workflow, step: Step, ctx: RunContext): { code: number; stdout: string; stderr: string } {
  expect(wf.defaults?.run?.shell).toBe('bash');
  const script = join(tempDir('modelgit-step-'), 'step.sh');
  writeFileSync(script, substitute(step.run!, ctx.values));
  const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, substitute(String(v), ctx.values)]));
  const env: Record<string, string | undefined> = { ...process.env, ...ctx.env, ...stepEnv };
  // A runner has no npm_* variables (these come from the npm that started vitest, and would point
  // an npm run by a step at this checkout).
  for (const k of Object.keys(env)) if (/^npm_/i.test(k) || k === 'INIT_CWD') delete env[k];
  for (const k of ctx.unset ?? []) delete env[k];
  const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd: ctx.cwd, env, encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

function githubEnv(cwd: string, extra: Record<string, string>): Record<string, string> {
  const temp = tempDir('modelgit-runner-');
  const summary = join(temp, 'step-summary.md');
  writeFileSync(summary, '');
  writeFileSync(join(temp, 'github-path'), '');
  return {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: cwd,
    GITHUB_REPOSITORY: 'acme/registry',
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_PATH: join(temp, 'github-path'),
    GITHUB_SERVER_URL: 'https://github.com',
    RUNNER_TEMP: temp,
    PATH: `${toolDir()}:${process.env.PATH}`,
    FAKE_GH_LOG: join(temp, 'gh.log'),
    FAKE_GH_BODY: join(temp, 'gh-body.md'),
    ...extra,
  };
}

describe('workflow files', () => {
  it('every workflow here, and the one init --ci github writes, passes action-validator; a broken one does not', async () => {
    const files = ['ci.yml', 'registry.yml'].map((f) => join(ROOT, '.github', 'workflows', f));
    const r = await tempRegistry();
    const init = tempDir('modelgit-init-ci-');
    git(init, 'init', '-q', '-b', 'trunk');
    execFileSync(process.execPath, [CLI, 'init', init, '--ci', 'github', '--no-hook'], { stdio: 'pipe' });
    files.push(join(init, '.github', 'workflows', 'modelgit.yml'));
    for (const f of files) expect(lint(f), f).toMatchObject({ code: 0 });
    const broken = join(tempDir(), 'broken.yml');
    writeFileSync(broken, readFileSync(REGISTRY_WORKFLOW, 'utf8').replace('runs-on: ubuntu-latest', 'runs_on: ubuntu-latest'));
    expect(lint(broken).code).not.toBe(0);
    void r;
  });

  it('init --ci github writes a caller of the reusable workflow in the init commit, triggered on the branch', async () => {
    const dir = tempDir('modelgit-init-ci-');
    git(dir, 'init', '-q', '-b', 'trunk');
    const out = JSON.parse(execFileSync(process.execPath, [CLI, 'init', dir, '--ci', 'github', '--no-hook', '--json'], { encoding: 'utf8' }));
    expect(out.files).toContain('.github/workflows/modelgit.yml');
    expect(git(dir, 'show', '--stat', '--format=', 'HEAD')).toContain('.github/workflows/modelgit.yml');
    const caller = workflow(join(dir, '.github', 'workflows', 'modelgit.yml')) as any;
    expect(caller.on.push.branches).toEqual(['trunk']);
    expect(caller.on).toHaveProperty('pull_request');
    expect(caller.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    const job = caller.jobs.registry;
    expect(job.uses).toMatch(/^modelgit\/modelgit\/\.github\/workflows\/registry\.yml@v\d+\.\d+\.\d+$/);
    // The workflow builds modelgit at the ref it is called at: the caller names it in both places.
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    expect(job.uses.split('@')[1]).toBe(`v${version}`);
    expect(job.with).toEqual({ 'modelgit-version': `v${version}` });
    // Every input it passes is one the reusable workflow declares.
    const inputs = Object.keys(workflow(REGISTRY_WORKFLOW).on.workflow_call.inputs);
    for (const k of Object.keys(job.with ?? {})) expect(inputs).toContain(k);
    const bad = spawnSync(process.execPath, [CLI, 'init', tempDir(), '--ci', 'gitlab'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/must be one of github/);
  });

  it('init --ci github will not overwrite a workflow that is already there', () => {
    const dir = tempRepo();
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    writeFileSync(join(dir, '.github', 'workflows', 'modelgit.yml'), 'name: ours\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'our workflow');
    const before = repoState(dir);
    const res = spawnSync(process.execPath, [CLI, 'init', dir, '--ci', 'github', '--no-hook'], { encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/\.github\/workflows\/modelgit\.yml already exists; modelgit will not overwrite it/);
    expect(repoState(dir)).toBe(before);
  });

  it("ci.yml's steps are this repository's own scripts", () => {
    const wf = workflow(join(ROOT, '.github', 'workflows', 'ci.yml'));
    const scripts = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts);
    const runs = wf.jobs.test!.steps.filter((s) => s.run).map((s) => s.run!.trim());
    // The tools the tests drive (the pre-commit framework test, the comment step's jq), then npm.
    expect(runs[0]).toBe('sudo apt-get update -qq && sudo apt-get install -y -qq pre-commit jq');
    expect(runs[1]).toBe('npm ci --no-audit --no-fund');
    for (const r of runs.slice(2)) {
      const m = /^npm run (\S+)$/.exec(r);
      if (m) expect(scripts).toContain(m[1]);
      else expect(r).toBe('npx vitest run');
    }
    expect(wf.jobs.test!.steps.find((s) => s.uses?.startsWith('actions/setup-node'))).toBeDefined();
  });
});

/** main holds model a (production, 50 s); the pull request registers b, tests it (40 s) and promotes it. */
async function pullRequestCheckout(): Promise<{ r: TempRegistry; base: string }> {
  const r = await tempRegistry();
  const reg = await r.open();
  await register(reg, { algorithm: 'mscn', id: 'a' });
  await recordTest(reg, { id: 'a', dataset: 'production', metrics: ['total_time=50'] });
  expect((await r.run('promote', 'a', '--stage', 'production')).code).toBe(0);
  const base = r.git('rev-parse', 'HEAD').trim();
  r.git('switch', '-q', '-c', 'feature');
  await register(await r.open(), { algorithm: 'mscn', id: 'b' });
  await recordTest(await r.open(), { id: 'b', dataset: 'production', metrics: ['total_time=40'] });
  expect((await r.run('promote', 'b', '--stage', 'production')).code).toBe(0);
  // What actions/checkout gives a pull_request job: the merge of the branch into the base, detached.
  r.git('switch', '-q', '--detach', base);
  r.git('merge', '-q', '--no-ff', '-m', 'Merge feature into main', 'feature');
  return { r, base };
}

describe('registry.yml: the pull-request job, step by step', () => {
  const wf = workflow(REGISTRY_WORKFLOW);
  const job = wf.jobs.review!;
  const step = (name: string) => job.steps.find((s) => s.name === name)!;

  it('runs only for pull requests, with the permissions it needs, and its only unrun steps are the setup ones', () => {
    expect(job.if).toBe("github.event_name == 'pull_request'");
    expect(job.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    const notRun = job.steps.filter((s) => !s.run).map((s) => s.uses!.split('@')[0]);
    expect(notRun).toEqual(['actions/checkout', 'actions/setup-node', 'actions/upload-artifact']);
    expect(job.steps.find((s) => s.uses?.startsWith('actions/checkout@'))).toMatchObject({ with: { 'fetch-depth': 0, 'persist-credentials': false } });
    // A push to the pull request cancels the review of the commit before it: an older run never
    // overwrites the newer comment.
    expect((job as any).concurrency).toEqual({ group: 'modelgit-review-${{ github.repository }}-${{ github.event.pull_request.number }}', 'cancel-in-progress': true });
  });

  it('"Registry diff" writes the markdown diff into $GITHUB_STEP_SUMMARY', async () => {
    const { r, base } = await pullRequestCheckout();
    const env = githubEnv(r.dir, { GITHUB_EVENT_NAME: 'pull_request', GITHUB_BASE_REF: 'main', GITHUB_HEAD_REF: 'feature' });
    const res = runStep(wf, step('Registry diff'), { cwd: r.dir, env, values: { 'github.event.pull_request.base.sha': base } });
    expect(res, res.stderr).toMatchObject({ code: 0 });
    const summary = readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8');
    expect(summary).toContain(`### modelgit: registry changes ${base.slice(0, 7)}..`);
    expect(summary).toContain('| mscn | production | a → **b** |');
    expect(summary).toContain('| `b` | production | 40 | −10 (−20%) vs a (50) ✅ better |');
    expect(readFileSync(join(env.RUNNER_TEMP!, 'modelgit-diff.md'), 'utf8')).toBe(summary);
    // The whole diff as JSON beside it, uploaded as the registry-diff artifact.
    expect(JSON.parse(readFileSync(join(env.RUNNER_TEMP!, 'modelgit-diff.json'), 'utf8'))).toMatchObject({ base });
    expect(step('Upload the registry diff')).toMatchObject({ with: { name: 'registry-diff' } });
  });

  it.skipIf(!HAS_JQ)('"Comment on the pull request" posts the diff once, then updates that comment in place', async () => {
    const { r, base } = await pullRequestCheckout();
    const env = githubEnv(r.dir, { GITHUB_EVENT_NAME: 'pull_request' });
    const values = { 'github.event.pull_request.base.sha': base, 'github.token': 'ghs_test', 'github.event.pull_request.number': '7' };
    expect(runStep(wf, step('Registry diff'), { cwd: r.dir, env, values }).code).toBe(0);
    const diff = readFileSync(join(env.RUNNER_TEMP!, 'modelgit-diff.md'), 'utf8');

    // A person's comment, even one that starts with the marker, is never the one to update.
    const others = [{ id: 11, body: 'LGTM', user: { login: 'alice' } }, { id: 12, body: '<!-- modelgit-diff -->\nquoted', user: { login: 'alice' } }];
    const first = runStep(wf, step('Comment on the pull request'), { cwd: r.dir, env: { ...env, FAKE_GH_COMMENTS: JSON.stringify(others) }, values });
    expect(first, first.stderr).toMatchObject({ code: 0, stdout: 'posted the modelgit comment\n' });
    expect(readFileSync(env.FAKE_GH_BODY!, 'utf8')).toBe(`<!-- modelgit-diff -->\n${diff}`);
    const calls = readFileSync(env.FAKE_GH_LOG!, 'utf8').trim().split('\n');
    expect(calls[0]).toMatch(/^gh api repos\/acme\/registry\/issues\/7\/comments --paginate --jq /);
    expect(calls[1]).toMatch(/^gh api --method POST repos\/acme\/registry\/issues\/7\/comments -F body=@.*modelgit-comment\.md$/);

    const ours = [...others, { id: 42, body: `<!-- modelgit-diff -->\nold summary`, user: { login: 'github-actions[bot]' } }];
    const second = runStep(wf, step('Comment on the pull request'), { cwd: r.dir, env: { ...env, FAKE_GH_COMMENTS: JSON.stringify(ours) }, values });
    expect(second, second.stderr).toMatchObject({ code: 0, stdout: 'updated the modelgit comment 42\n' });
    expect(readFileSync(env.FAKE_GH_LOG!, 'utf8').trim().split('\n')[3]).toMatch(/^gh api --method PATCH repos\/acme\/registry\/issues\/comments\/42 -F body=@/);
  });

  it.skipIf(!HAS_VALIDATE)('"Validate the pull request" passes a good pull request and annotates a bad file (needs validate, merged from its branch)', async () => {
    const { r, base } = await pullRequestCheckout();
    const env = githubEnv(r.dir, { GITHUB_EVENT_NAME: 'pull_request' });
    const values = { 'github.event.pull_request.base.sha': base };
    const good = runStep(wf, step('Validate the pull request'), { cwd: r.dir, env, values });
    expect(good, good.stdout + good.stderr).toMatchObject({ code: 0 });
    expect(good.stdout).not.toContain('::error');
    // A metadata file that breaks the schema, committed past the hook.
    r.write('models/mscn/c.json', '{"model_id": "c", "algorithm": "mscn", "testing": "none"}\n');
    r.git('add', 'models/mscn/c.json');
    r.git('commit', '-q', '--no-verify', '-m', 'bad file');
    const bad = runStep(wf, step('Validate the pull request'), { cwd: r.dir, env, values });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/^::error file=models\/mscn\/c\.json,line=\d+,col=\d+(,title=[^:]*)?::/m);
  });

  it.skipIf(!HAS_VALIDATE)('"Validate the pull request" reports a promotion that skips its gates on stages.yaml (needs validate --since wired to promotionGateErrors)', async () => {
    const { r, base } = await pullRequestCheckout();
    const reg = await r.open();
    // Set-up writes straight onto the detached merge checkout, which modelgit refuses unless told.
    process.env.MODELGIT_ALLOW_DETACHED = '1';
    try {
      await register(reg, { algorithm: 'mscn', id: 'slow' });
      await recordTest(reg, { id: 'slow', dataset: 'production', metrics: ['total_time=99'] });
    } finally {
      delete process.env.MODELGIT_ALLOW_DETACHED;
    }
    r.write('stages.yaml', r.read('stages.yaml').replace('production: b', 'production: slow'));
    r.git('commit', '-qam', 'hand-edited promotion');
    const env = githubEnv(r.dir, { GITHUB_EVENT_NAME: 'pull_request' });
    const res = runStep(wf, step('Validate the pull request'), { cwd: r.dir, env, values: { 'github.event.pull_request.base.sha': base } });
    expect(res.code).not.toBe(0);
    expect(res.stdout).toMatch(/^::error file=stages\.yaml,line=\d+,col=\d+(,title=[^:]*)?::promoting slow to mscn\/production: total_time 99 does not beat 50 of a on production$/m);
  });
});

describe('registry.yml: the default-branch job, step by step', () => {
  const wf = workflow(REGISTRY_WORKFLOW);
  const job = wf.jobs['stage-tags']!;
  const step = job.steps.find((s) => s.name === 'Write and push stage tags')!;

  it('runs only on pushes to the default branch, one at a time, allowed to push', () => {
    expect(job.if).toBe("github.event_name == 'push' && github.ref_name == github.event.repository.default_branch");
    expect(job.permissions).toEqual({ contents: 'write' });
    expect((job as any).concurrency).toMatchObject({ 'cancel-in-progress': false });
    expect(job.steps.filter((s) => s.run).map((s) => s.name)).toEqual(['Install modelgit', 'Write and push stage tags']);
    // It pushes, so its checkout keeps the credentials — after the install, so no dependency's
    // install script runs while the writing token is in .git/config.
    const checkout = job.steps.findIndex((s) => !!s.uses?.startsWith('actions/checkout@'));
    expect((job.steps[checkout] as any).with['persist-credentials']).toBeUndefined();
    expect(checkout).toBeGreaterThan(job.steps.findIndex((s) => s.name === 'Install modelgit'));
  });

  it('"Write and push stage tags" tags a merged promotion, pushes the tag and summarises; the next push writes none', async () => {
    const { bare, seed } = await registryRemote();
    const reg = await seed.open();
    await register(reg, { algorithm: 'mscn', id: 'a' });
    await recordTest(reg, { id: 'a', dataset: 'production', metrics: ['total_time=5'] });
    expect((await seed.run('promote', 'a', '--stage', 'production', '--branch')).code).toBe(0);
    seed.git('merge', '-q', '--no-ff', '-m', 'Merge pull request #3', 'promote/a-production');
    seed.git('push', '-q', 'origin', 'main');
    const merged = seed.git('rev-parse', 'HEAD').trim();

    // actions/checkout with fetch-depth 0 on a push: a clone with the branch checked out.
    const ci = cloneOf(bare, 'runner');
    ci.git('config', '--unset', 'user.name');
    const env = githubEnv(ci.dir, { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main', GITHUB_SHA: merged });
    const values = { 'github.event.repository.default_branch': 'main' };
    // A runner has no identity in its environment: the step's own `git config` is what names the tagger.
    const unset = ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL'];
    const res = runStep(wf, step, { cwd: ci.dir, env, values, unset });
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(git(bare, 'for-each-ref', '--format=%(refname:short) %(*objectname)', 'refs/tags/')).toBe(`stage/mscn/production/1 ${merged}\n`);
    expect(git(bare, 'tag', '-l', '--format=%(taggername) %(taggeremail)', 'stage/mscn/production/1').trim()).toBe('github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>');
    const summary = readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8');
    expect(summary).toBe(`### modelgit stage tags\n\n\`\`\`\nstage/mscn/production/1 ${merged.slice(0, 10)} promote a\n\`\`\`\n`);

    writeFileSync(env.GITHUB_STEP_SUMMARY!, '');
    const again = runStep(wf, step, { cwd: ci.dir, env, values, unset });
    expect(again.code).toBe(0);
    expect(readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8')).toBe('### modelgit stage tags\n\nNo new stage tags.\n');
  });

  it('"Write and push stage tags" fails the job when the push is refused', async () => {
    const { bare, seed } = await registryRemote();
    const reg = await seed.open();
    await register(reg, { algorithm: 'mscn', id: 'a' });
    expect((await seed.run('promote', 'a', '--stage', 'staging', '--branch')).code).toBe(0);
    seed.git('merge', '-q', '--no-ff', '-m', 'Merge', 'promote/a-staging');
    seed.git('push', '-q', 'origin', 'main');
    const hooks = join(bare, 'hooks');
    mkdirSync(hooks, { recursive: true });
    writeFileSync(join(hooks, 'pre-receive'), '#!/bin/sh\necho "tags are protected" >&2\nexit 1\n');
    chmodSync(join(hooks, 'pre-receive'), 0o755);
    const ci = cloneOf(bare, 'runner');
    const env = githubEnv(ci.dir, { GITHUB_EVENT_NAME: 'push' });
    const res = runStep(wf, step, { cwd: ci.dir, env, values: { 'github.event.repository.default_branch': 'main' } });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/refused them: refs\/tags\/stage\/mscn\/staging\/1 \[remote rejected\]/);
    expect(existsSync(env.GITHUB_STEP_SUMMARY!) && readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8')).toBe('');
  });
});

describe('registry.yml: the drain job, step by step', () => {
  const wf = workflow(REGISTRY_WORKFLOW);
  const job = wf.jobs['drain']!;
  const step = job.steps.find((s) => s.name === 'Drain the write queue')!;

  it('runs on pushes to the default branch and on the schedule, one at a time, allowed to push', () => {
    expect(job.if).toMatch(/github.event_name == 'schedule'/);
    expect(job.permissions).toEqual({ contents: 'write' });
    expect((job as any).concurrency).toMatchObject({ 'cancel-in-progress': false });
    expect(job.steps.filter((s) => s.run).map((s) => s.name)).toEqual(['Install modelgit', 'Drain the write queue']);
    expect(wf.jobs['report']!.if).toBe("github.event_name != 'schedule'");
  });

  it('"Drain the write queue" applies a queued registration with its author, deletes the queue ref and summarises', async () => {
    const { bare } = await registryRemote();
    const fleet = cloneOf(bare, 'trainer');
    expect((await fleet.run('register', '--algo', 'mscn', '--id', 'queued-1', '--queue')).code).toBe(0);
    const ci = cloneOf(bare, 'runner');
    ci.git('config', '--unset', 'user.name');
    const env = githubEnv(ci.dir, { GITHUB_EVENT_NAME: 'schedule', GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main' });
    const unset = ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL'];
    const res = runStep(wf, step, { cwd: ci.dir, env, values: {}, unset });
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(git(bare, 'log', '-1', '--format=%s|%cn', 'main').trim()).toBe('register queued-1|github-actions[bot]');
    expect(git(bare, 'for-each-ref', 'refs/modelgit/')).toBe('');
    expect(readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8')).toMatch(/^### modelgit queued writes\n\n```\napplied +[0-9a-f]{10} register queued-1\n```\n$/);
    writeFileSync(env.GITHUB_STEP_SUMMARY!, '');
    expect(runStep(wf, step, { cwd: ci.dir, env, values: {}, unset }).code).toBe(0);
    expect(readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8')).toBe('### modelgit queued writes\n\nNothing queued.\n');
  });
});

describe('registry.yml: the report job, step by step', () => {
  const wf = workflow(REGISTRY_WORKFLOW);
  const job = wf.jobs['report']!;

  it('checks out the whole history with tags and uploads the built site', () => {
    const checkout = job.steps.find((s) => s.uses?.startsWith('actions/checkout@'))!;
    expect((checkout as any).with).toMatchObject({ 'fetch-depth': 0, 'fetch-tags': true, 'persist-credentials': false });
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect((upload as any).with).toMatchObject({ name: 'modelgit-report', path: '${{ runner.temp }}/modelgit-report' });
  });

  it("keeps modelgit's caches between runs, restored after the checkout and before the build", () => {
    const at = (pred: (s: (typeof job.steps)[number]) => boolean) => job.steps.findIndex(pred);
    const cache = at((s) => !!s.uses?.startsWith('actions/cache@'));
    expect(cache).toBeGreaterThan(at((s) => !!s.uses?.startsWith('actions/checkout@')));
    expect(cache).toBeLessThan(at((s) => s.name === 'Build the registry report'));
    expect((job.steps[cache] as any).with).toMatchObject({ path: '.git/modelgit', 'restore-keys': 'modelgit-${{ runner.os }}-' });
  });

  it('"Build the registry report" writes the site where the upload step looks for it', async () => {
    const r = await tempRegistry();
    await register(await r.open(), { algorithm: 'mscn', id: 'a' });
    await recordTest(await r.open(), { id: 'a', dataset: 'production', metrics: ['total_time=5'] });
    const env = githubEnv(r.dir, { GITHUB_EVENT_NAME: 'push' });
    const step = job.steps.find((s) => s.name === 'Build the registry report')!;
    const res = runStep(wf, step, { cwd: r.dir, env, values: {} });
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(existsSync(join(env.RUNNER_TEMP!, 'modelgit-report', 'index.html'))).toBe(true);
    expect(readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8')).toMatch(/modelgit report/);
  });
});

describe('registry.yml: modelgit comes from its own source, at a git ref', () => {
  const wf = workflow(REGISTRY_WORKFLOW);
  const installs = Object.values(wf.jobs).map((j) => j.steps.find((s) => s.name === 'Install modelgit'));

  it('every job installs it the same way, after setup-node, from modelgit-repository at modelgit-version', () => {
    expect(installs.every(Boolean)).toBe(true);
    for (const step of installs) expect(step).toEqual(installs[0]);
    expect(installs[0]!.env).toEqual({ MODELGIT_REPOSITORY: '${{ inputs.modelgit-repository }}', MODELGIT_REF: '${{ inputs.modelgit-version }}' });
    for (const job of Object.values(wf.jobs)) {
      const at = (pred: (s: Step) => boolean) => job.steps.findIndex(pred);
      expect(at((s) => s.name === 'Install modelgit')).toBeGreaterThan(at((s) => !!s.uses?.startsWith('actions/setup-node@')));
    }
    const inputs = wf.on.workflow_call.inputs;
    // The default is the release this file belongs to; Node: the current LTS by default.
    expect(inputs['modelgit-version'].default).toBe(`v${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}`);
    expect(inputs['modelgit-repository'].default).toBe('modelgit/modelgit');
    expect(inputs['node-version'].default).toBe('24');
  });

  it('no workflow, hook or pre-commit manifest installs modelgit from a package registry, and every action is pinned by commit', () => {
    const files = [
      ...['ci.yml', 'registry.yml'].map((f) => join(ROOT, '.github', 'workflows', f)),
      join(ROOT, 'hooks', 'pre-commit'),
      join(ROOT, '.pre-commit-hooks.yaml'),
    ];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      // Not even in a comment or a message: no line names modelgit and an npm install together.
      for (const line of text.split('\n')) if (/\bnpm (install|i)\b/.test(line)) expect(line, f).not.toMatch(/modelgit/);
      for (const m of text.matchAll(/uses:\s*(\S+)/g)) {
        if (m[1]!.startsWith('modelgit/')) continue; // the example caller in a comment
        expect(m[1], `${f}: ${m[1]}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      }
    }
  });

  it('"Install modelgit" fetches the ref, builds it with npm ci and puts it on PATH; the next steps run that build', async () => {
    // modelgit's repository as GitHub would serve it: a snapshot of this work tree, tagged.
    const src = sourceSnapshot();
    git(src.dir, 'tag', 'v9.9.9');
    const { r, base } = await pullRequestCheckout();
    const env = githubEnv(r.dir, { GITHUB_EVENT_NAME: 'pull_request', GITHUB_SERVER_URL: `file://${join(src.dir, '..')}`, PATH: pathWithoutModelgit() });
    const values = { 'inputs.modelgit-repository': 'modelgit', 'inputs.modelgit-version': 'v9.9.9' };
    const install = runStep(wf, installs[0]!, { cwd: r.dir, env, values });
    expect(install, install.stderr).toMatchObject({ code: 0 });
    expect(install.stdout).toContain(`modelgit 0.1.0 from modelgit@v9.9.9 (${src.rev})`);
    const added = readFileSync(env.GITHUB_PATH!, 'utf8').trim();
    expect(added).toBe(join(env.RUNNER_TEMP!, 'modelgit-bin'));
    // Built from the fetched source, not this checkout.
    expect(existsSync(join(env.RUNNER_TEMP!, 'modelgit-src', 'dist', 'cli', 'main.js'))).toBe(true);

    // The runner prepends GITHUB_PATH to the next steps' PATH; no other modelgit is on it.
    const next = { ...env, PATH: `${added}:${pathWithoutModelgit()}` };
    const diffStep = wf.jobs.review!.steps.find((s) => s.name === 'Registry diff')!;
    const res = runStep(wf, diffStep, { cwd: r.dir, env: next, values: { 'github.event.pull_request.base.sha': base } });
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8')).toContain('| mscn | production | a → **b** |');

    // A ref that does not exist fails the job, naming it.
    const missing = runStep(wf, installs[0]!, { cwd: r.dir, env: githubEnv(r.dir, { GITHUB_SERVER_URL: `file://${join(src.dir, '..')}` }), values: { ...values, 'inputs.modelgit-version': 'v0.0.404' } });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/v0\.0\.404/);
  }, 400_000);
});

describe('init --ci github: the branch that gets stage tags is the remote default branch', () => {
  const pushBranches = (dir: string) => (workflow(join(dir, '.github', 'workflows', 'modelgit.yml')) as any).on.push.branches;

  /** A clone of a remote whose default branch is `trunk`, switched to a feature branch. */
  function featureClone(): { bare: string; dir: string } {
    const seed = tempRepo();
    git(seed, 'switch', '-q', '-c', 'trunk');
    git(seed, 'commit', '-q', '--allow-empty', '-m', 'root');
    const bare = join(tempDir('modelgit-remote-'), 'r.git');
    git(seed, 'clone', '-q', '--bare', seed, bare);
    const dir = join(tempDir('modelgit-clone-'), 'c');
    git(seed, 'clone', '-q', bare, dir);
    git(dir, 'switch', '-q', '-c', 'feature/ci');
    return { bare, dir };
  }

  it("takes origin/HEAD, not the feature branch init runs on", () => {
    const { dir } = featureClone();
    execFileSync(process.execPath, [CLI, 'init', dir, '--ci', 'github', '--no-hook'], { stdio: 'pipe' });
    expect(pushBranches(dir)).toEqual(['trunk']);
  });

  it('asks the remote (ls-remote --symref) when origin/HEAD is not set', () => {
    const { dir } = featureClone();
    git(dir, 'remote', 'set-head', 'origin', '--delete');
    execFileSync(process.execPath, [CLI, 'init', dir, '--ci', 'github', '--no-hook'], { stdio: 'pipe' });
    expect(pushBranches(dir)).toEqual(['trunk']);
  });

  it('without a reachable remote, takes a local main or master over the current branch', () => {
    const dir = tempRepo();
    git(dir, 'switch', '-q', '-c', 'master');
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'root');
    git(dir, 'switch', '-q', '-c', 'feature');
    git(dir, 'remote', 'add', 'origin', join(tempDir(), 'gone.git'));
    execFileSync(process.execPath, [CLI, 'init', dir, '--ci', 'github', '--no-hook'], { stdio: 'pipe' });
    expect(pushBranches(dir)).toEqual(['master']);
  });
});
