// Remotes for the GitOps tests: a bare repository seeded from a registry, and clones of it, each
// with its own identity — the way several machines share one registry.
import { join } from 'node:path';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { CLI, git, runCli, runCliWithEnv, tempDir, tempRegistry, type CliResult, type TempRegistry } from '../helpers.js';

export interface Clone {
  dir: string;
  run: (...args: string[]) => Promise<CliResult>;
  git: (...args: string[]) => string;
  read: (rel: string) => string;
}

export function asClone(dir: string): Clone {
  return { dir, run: (...a) => runCli(dir, ...a), git: (...a) => git(dir, ...a), read: (rel) => readFileSync(join(dir, rel), 'utf8') };
}

/** A bare remote holding a fresh registry; `seed` is the registry it was made from (origin set up). */
export async function registryRemote(): Promise<{ bare: string; seed: TempRegistry }> {
  const seed = await tempRegistry();
  const bare = join(tempDir('modelgit-remote-'), 'registry.git');
  git(seed.dir, 'init', '-q', '--bare', '-b', 'main', bare);
  seed.git('remote', 'add', 'origin', bare);
  seed.git('push', '-q', '-u', 'origin', 'main');
  return { bare, seed };
}

/** A clone of `bare` with its own identity; `origin`: the URL its pushes go to instead (a server in front of `bare`). */
export function cloneOf(bare: string, name = 'writer', origin?: string): Clone {
  const dir = join(tempDir(`modelgit-${name}-`), 'clone');
  git(process.cwd(), 'clone', '-q', bare, dir);
  for (const [k, v] of [['user.name', name], ['user.email', `${name}@example.com`], ['commit.gpgsign', 'false'], ['tag.gpgsign', 'false']]) git(dir, 'config', k!, v!);
  if (origin !== undefined) git(dir, 'remote', 'set-url', 'origin', origin);
  return asClone(dir);
}

/** `Model-Action` trailers on the remote's main, oldest first, as [action, model ids]. */
export function remoteActions(bare: string): { action: string; ids: string[]; subject: string }[] {
  const out = git(bare, 'log', '--reverse', '--format=%s%x1f%(trailers:key=Model-Action,valueonly,separator=%x2c)%x1f%(trailers:key=Model-Id,valueonly,separator=%x2c)%x1e', 'main');
  return out
    .split('\x1e')
    .map((r) => r.replace(/^\n/, ''))
    .filter(Boolean)
    .map((r) => {
      const [subject, action, ids] = r.split('\x1f');
      return { subject: subject!, action: action!.trim(), ids: ids!.trim() ? ids!.trim().split(',') : [] };
    });
}

/** The built CLI with extra environment (another author, a default branch override…). */
export const runWithEnv = runCliWithEnv;

/**
 * A pre-push hook in `victim` that, the first time it runs (the first `times`, or every time with `always`), makes
 * another clone write and push first — so the remote moves between the victim's fetch and push,
 * exactly the race many writers meet.
 */
export function moveRemoteDuringPush(victim: Clone, other: Clone, args: string[], opts: { always?: boolean; times?: number } = {}): string {
  const mark = join(tempDir('modelgit-mark-'), 'moved');
  const log = join(tempDir('modelgit-hooklog-'), 'log');
  const quoted = args.map((a) => `'${a}'`).join(' ');
  // `times`: the first n pushes (the mark file counts them); default once; `always`: every push
  const guard = opts.always ? '' : `n=$(cat '${mark}' 2>/dev/null || echo 0)\n[ "$n" -ge ${opts.times ?? 1} ] && exit 0\necho $((n + 1)) > '${mark}'\n`;
  const hook = `#!/bin/sh
${guard}unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
cd '${other.dir}' && '${process.execPath}' '${CLI}' ${quoted} >>'${log}' 2>&1 || { echo "the other writer failed" >&2; cat '${log}' >&2; exit 1; }
exit 0
`;
  const path = join(victim.dir, '.git', 'hooks', 'pre-push');
  writeFileSync(path, hook);
  chmodSync(path, 0o755);
  return mark;
}

/** A bare remote holding three tested mscn models (fast 40, mid 50, slow 90), and two clones of it. */
export async function seededRemote(): Promise<{ bare: string; a: Clone; b: Clone }> {
  const { register } = await import('../../src/registry/register.js');
  const { recordTest } = await import('../../src/registry/record-test.js');
  const { bare, seed } = await registryRemote();
  const reg = await seed.open();
  for (const [id, t] of [['fast', 40], ['mid', 50], ['slow', 90]] as const) {
    await register(reg, { algorithm: 'mscn', id });
    await recordTest(reg, { id, dataset: 'production', metrics: [`total_time=${t}`] });
  }
  seed.git('push', '-q', 'origin', 'main');
  return { bare, a: cloneOf(bare, 'alice'), b: cloneOf(bare, 'bob') };
}
