// The application context every registry operation takes: where the repo is, its config, the
// snapshot reader and the write path. Operations live one per file beside this one as plain
// async functions `(registry, options) => answer`, so tests call them without argv.
import { existsSync, lstatSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { NotARegistryError, ValidationError } from '../errors.js';
import { CONFIG_FILE, STAGES_FILE, modelPath, withDefaults } from '../domain/config.js';
import type { Model, RegistryConfig, StageAssignments } from '../domain/types.js';
import { Git } from '../git/git.js';
import { OID } from '../git/head-files.js';
import type { Snapshot } from '../store/snapshot.js';
import { readSnapshot } from '../store/models.js';
import { invalidModelError } from '../store/lookup.js';
import { problemOfId } from '../domain/invalid-files.js';
import { schemaStamp, validatedYaml } from '../store/cache/yaml-cache.js';
import { cacheDisabled, modelgitDir } from '../store/cache/policy.js';
import { MemoFile } from '../store/cache/memo-file.js';
import type * as Util from 'node:util';
import type { CommitSpec } from '../store/write/commit.js';
import { recoverNow, runWrite, type WriteOptions, type WriteOutcome, type WritePlan } from '../store/write/engine.js';
import { NotFoundError } from '../errors.js';
import { MAX_YAML_ALIASES, prototypeFree } from '../domain/limits.js';
import type { OperationJournal } from '../store/write/operations.js';
import { lazyRequire, yamlLib } from '../lazy.js';


export type { WriteOptions, WriteOutcome, WritePlan, TagSpec } from '../store/write/engine.js';

/** A write that is several commits, all or nothing (import). `outcome.pushed` is set with --push. */
export type SeriesPlan<T> = { specs: CommitSpec[]; result: (commits: string[], outcome: WriteOutcome) => T | Promise<T> } | { nothing: T };

export interface OpenOptions {
  cwd: string;
  /** clock for ids and timestamps; tests pin it */
  now?: () => Date;
  /** every write pushes (the CLI's --push): see write.ts */
  push?: boolean;
  /** where the registry reports things worth a line on stderr (a push, a recovered write) */
  notify?: (message: string) => void;
  /** the caller's operation token (--operation-id); MODELGIT_OPERATION_ID when not given */
  operationId?: string;
  /**
   * Acknowledge each write's operation when the process exits with 0 (after its answer was printed)
   * instead of when the write returns: the CLI's way of making "killed before the answer was
   * printed" an attempt a re-run recognises (operations.ts).
   */
  acknowledgeOnExit?: boolean;
}

export class Registry {
  readonly root: string;
  readonly gitDir: string;
  readonly git: Git;
  readonly config: RegistryConfig;
  readonly now: () => Date;
  push = false;
  notify?: (message: string) => void;
  operationId?: string;
  settled?: (journal: OperationJournal) => void;
  private snapshots = new Map<string, Promise<Snapshot>>();

  private constructor(root: string, gitDir: string, config: RegistryConfig, now: () => Date) {
    this.root = root;
    this.gitDir = gitDir;
    this.git = new Git(root);
    this.config = config;
    this.now = now;
  }

  static async open(opts: OpenOptions): Promise<Registry> {
    const { root, gitDir } = await locateRepo(opts.cwd);
    const configFile = join(root, CONFIG_FILE);
    if (!existsSync(configFile)) {
      throw new NotARegistryError(`${root} is a git repository but not a modelgit registry (no ${CONFIG_FILE})`, { hint: `modelgit init ${JSON.stringify(root)}` });
    }
    const config = await loadConfig(gitDir, CONFIG_FILE, readFileSync(configFile, 'utf8'));
    const reg = new Registry(root, gitDir, config, opts.now ?? (() => new Date()));
    reg.push = opts.push ?? false;
    reg.notify = opts.notify;
    reg.operationId = opts.operationId;
    if (opts.acknowledgeOnExit) {
      const settled: OperationJournal[] = [];
      reg.settled = (j) => settled.push(j);
      process.once('exit', (code) => {
        if (code === 0) for (const j of settled) j.acknowledge();
      });
    }
    return reg;
  }

  /** Forgets snapshots read so far (after a commit, a fetch, or a wait for the lock). */
  clearCache(): void {
    this.snapshots.clear();
  }

  /** All models at a revision (default HEAD), read once per revision per process. */
  snapshot(rev = 'HEAD'): Promise<Snapshot> {
    let s = this.snapshots.get(rev);
    if (!s) {
      // The derived index under .git/modelgit/ makes repeated reads cheap; it never changes an answer.
      s = readSnapshot(this.git, this.config, rev, { cacheDir: modelgitDir(this.gitDir) });
      this.snapshots.set(rev, s);
      s.catch(() => this.snapshots.delete(rev));
    }
    return s;
  }

  /** A model at a revision, or NotFoundError naming the id. */
  async model(id: string, rev = 'HEAD'): Promise<Model> {
    const snap = await this.snapshot(rev);
    const m = snap.byId.get(id);
    if (!m) {
      // Its file is there but can't be read: say so, not "no model" (lookup.ts).
      const invalid = invalidModelError(id, problemOfId(snap.problems, this.config.models_dir, id));
      if (invalid) throw invalid;
      throw new NotFoundError(`no model ${JSON.stringify(id)} in the registry${rev === 'HEAD' ? '' : ` at ${rev}`}`, {
        hint: 'modelgit list shows the ids; a removed model comes back with modelgit restore ID',
      });
    }
    return m;
  }

  modelFile(algorithm: string, id: string): string {
    return modelPath(this.config, algorithm, id);
  }

  /** Stage assignments as committed at `rev` (a missing stages.yaml means none). */
  async stages(rev = 'HEAD'): Promise<StageAssignments> {
    // A commit's stages.yaml never changes: once checked, its assignments are remembered by commit.
    const memo = OID.test(rev) && !cacheDisabled() && this.git.objectsAsStored() ? new MemoFile(modelgitDir(this.gitDir), 'stages', 16) : undefined;
    const key = memo && `${rev}:${schemaStamp('stages')}`;
    const known = key && memo.get(key);
    if (known) return prototypeFree(JSON.parse(known) as StageAssignments);
    const text = await this.git.showFile(rev, STAGES_FILE);
    if (text === undefined) {
      if (key) memo.set(key, '{}');
      return prototypeFree({});
    }
    const parsed = await validatedYaml<StageAssignments | null>(modelgitDir(this.gitDir), STAGES_FILE, text, 'stages');
    if (parsed.errors.length) throw new ValidationError(`${STAGES_FILE} is invalid`, parsed.errors);
    const value = parsed.value ?? prototypeFree({});
    if (key) {
      const json = JSON.stringify(value);
      if (lazyRequire<typeof Util>('node:util').isDeepStrictEqual(prototypeFree(JSON.parse(json) as unknown), value)) memo.set(key, json);
    }
    return value;
  }

  /**
   * Runs a write under the registry lock: `plan` reads fresh state and returns the commit to make
   * (or `{nothing}`), and the commit is made before the lock is released. With `push` (or a
   * registry opened with `push: true`) the commit is pushed, and `plan` runs again on the remote's
   * new head whenever the push is rejected because the remote moved — see write.ts.
   */
  write<T>(plan: () => Promise<WritePlan<T>>, opts: WriteOptions<T> = {}): Promise<T> {
    return runWrite(this, plan, { ...opts, push: opts.push ?? this.push });
  }

  /** Undoes an interrupted write now (every write does it first anyway, under its lock). */
  recoverInterruptedWrite(): Promise<void> {
    return recoverNow(this);
  }

  /**
   * Like write, for several commits under one lock, all or nothing: on any failure the branch goes
   * back to where it was. With `push` the series is pushed as a whole, and `plan` runs again on
   * the remote's new head whenever the push is rejected because the remote moved (write.ts).
   */
  writeSeries<T>(
    plan: () => Promise<SeriesPlan<T>>,
    opts: WriteOptions & { onCommit?: (index: number, commit: string) => void; signal?: AbortSignal } = {},
  ): Promise<T> {
    return runWrite<T>(
      this,
      async () => {
        const p = await plan();
        if ('nothing' in p) return p;
        return { specs: p.specs, onCommit: opts.onCommit, signal: opts.signal, result: (_commit, outcome) => p.result(outcome.commits, outcome) };
      },
      { push: opts.push ?? this.push },
    );
  }
}

export async function locateRepo(cwd: string): Promise<{ root: string; gitDir: string }> {
  if (!existsSync(cwd)) throw new NotARegistryError(`${cwd} does not exist`);
  const plain = plainRepoOf(cwd);
  if (plain) return plain;
  const found = await Git.topLevel(cwd);
  if (!found) throw new NotARegistryError(`${cwd} is not inside a git repository`, { hint: 'modelgit init [dir] creates a registry' });
  return found;
}

/**
 * What `git rev-parse --show-toplevel --absolute-git-dir` answers, found without a process when the
 * layout is the plain one: the nearest enclosing directory with a `.git` directory that we own, whose
 * config sets no work tree, bareness or includes, with none of git's discovery variables set.
 * Anything else is git's to decide (undefined).
 */
export function plainRepoOf(cwd: string): { root: string; gitDir: string } | undefined {
  const env = process.env;
  if (env.GIT_DIR || env.GIT_WORK_TREE || env.GIT_COMMON_DIR || env.GIT_CEILING_DIRECTORIES || env.GIT_DISCOVERY_ACROSS_FILESYSTEM) return undefined;
  let dir: string;
  try {
    dir = realpathSync(cwd);
  } catch {
    return undefined;
  }
  // Inside a git dir git finds no work tree; let it say so.
  if (dir.split(sep).includes('.git')) return undefined;
  for (;;) {
    const gitDir = join(dir, '.git');
    let st: Stats | undefined;
    try {
      st = lstatSync(gitDir);
    } catch {
      st = undefined;
    }
    if (st) {
      if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) return undefined;
      let config: string;
      try {
        config = readFileSync(join(gitDir, 'config'), 'utf8');
        if (!statSync(join(gitDir, 'HEAD')).isFile() || !statSync(join(gitDir, 'objects')).isDirectory()) return undefined;
      } catch {
        return undefined;
      }
      if (/^\s*worktree\s*=|^\s*bare\s*=\s*(true|yes|on|1)\s*$|^\s*\[\s*include/im.test(config)) return undefined;
      return { root: dir, gitDir };
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The config, schema-checked, from the parse cache when this exact text was checked before. */
export async function loadConfig(gitDir: string, file: string, text: string): Promise<RegistryConfig> {
  const parsed = await validatedYaml<Partial<RegistryConfig>>(modelgitDir(gitDir), file, text, 'config');
  if (parsed.errors.length) {
    throw new ValidationError(`${file} is invalid`, parsed.errors, { hint: 'fix the config; modelgit validate --all lists every problem' });
  }
  return withDefaults(parsed.value);
}

/** For callers that want the plain parse without validation (e.g. round-tripping). */
export function readYaml(text: string): unknown {
  return yamlLib().parse(text, { maxAliasCount: MAX_YAML_ALIASES });
}
