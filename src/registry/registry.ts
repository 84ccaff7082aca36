// The application context every registry operation takes: where the repo is, its config, and the
// façade through which operations reach the store (ARCHITECTURE R1): the snapshot and model
// readers, stage assignments, a file's history, the report's history, decision tags, operation ids
// and the write path. Operations live one per file beside this one as plain async functions
// `(registry, options) => answer`, so tests call them without argv; none of them imports store/.
// The write engine, the tag writer and the push loop are loaded by the first write (a dynamic
// import), so a read such as `best` or `list` never loads them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotARegistryError, NotFoundError, PushError, UsageError, ValidationError, type ErrorLocation } from '../errors.js';
import { CONFIG_FILE, DEFAULT_CONFIG, modelPath } from '../domain/config.js';
import { problemOfId } from '../domain/invalid-files.js';
import type { Model, RegistryConfig, StageAssignments } from '../domain/types.js';
import { Git, type LogEntry, type RefEntry } from '../git/git.js';
import type { StoreContext } from '../store/context.js';
import { locateRepo } from '../store/locate.js';
import { loadConfig } from '../store/config.js';
import type { Snapshot } from '../store/snapshot.js';
import { cachedModelsByIds, cachedProblems, registryAlgorithmModels, registryModelById, registryModels, registrySnapshot, type AlgorithmView, type ModelsView } from '../store/models.js';
import { answerShelf, type AnswerShelf } from '../store/answers.js';
import { invalidModelError, lookupAtHead, type HeadLookup } from '../store/lookup.js';
import { stagesAt } from '../store/stages.js';
import * as reportStore from '../store/report-store.js';
import { cacheDisabled, commitRecording, expectRecordingLookup, modelFileHistory, pathLogs, tracer, type HeadAt, type HistoryOptions, type HistoryRead, type RecordedResult } from '../store/path-history.js';
// Types only: the modules behind them are imported by the methods that use them (see above).
import type { CommitSpec } from '../store/write/commit.js';
import type { Replayed, WriteOptions, WriteOutcome, WritePlan } from '../store/write/engine.js';
import type { CommittedOperation, Operation, OperationJournal } from '../store/write/operations.js';
import type { DecisionTag } from '../store/write/tags.js';
import type { DrainOutcome, QueuedWrite, Reapplied } from '../store/write/queue.js';
import type { RemoteState, TagAttempt, TagWriteOptions } from '../store/write/tag-push.js';
import type { RemoteCache } from '../git/remote-cache.js';

// What operations name in their own signatures, from here rather than from store/.
export type { WriteOptions, WriteOutcome, WritePlan, TagSpec, PushInfo, Replayed } from '../store/write/engine.js';
export type { CommitSpec, FileChange } from '../store/write/commit.js';
export type { Operation } from '../store/write/operations.js';
export type { DecisionTag } from '../store/write/tags.js';
export type { DrainOutcome, DrainedItem, QueuedWrite, QueuedInfo, Reapplied } from '../store/write/queue.js';
export type { ModelFiles } from '../store/report-store.js';
export type { RemoteState, TagAttempt, TagsPushed } from '../store/write/tag-push.js';
export type { PushTarget } from '../git/branches.js';
export type { Snapshot } from '../store/snapshot.js';
export type { ModelsView } from '../store/models.js';
export type { HeadLookup } from '../store/lookup.js';
export type { HeadAt, HistoryOptions, HistoryRead, RecordedResult } from '../store/path-history.js';
export type { StoreContext } from '../store/context.js';

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
  /** every write goes to the remote's write queue (the CLI's --queue): see store/write/queue.ts */
  queue?: boolean;
}

/** Where a registry opened without a checkout lives (the CLI's --remote URL [--remote-branch B]). */
export interface RemoteOptions {
  url: string;
  branch?: string;
}

export class Registry implements StoreContext {
  readonly root: string;
  readonly gitDir: string;
  readonly git: Git;
  /** modelgit.yaml as read at open (a registry without a checkout reads it again after each fetch) */
  config: RegistryConfig;
  readonly now: () => Date;
  push = false;
  queue = false;
  notify?: (message: string) => void;
  operationId?: string;
  settled?: (journal: OperationJournal) => void;
  /**
   * Set when the registry was opened on a remote without a checkout (openRemote): `root` is then
   * the bare cache, there is no work tree, and every write is built and pushed without one.
   */
  remote?: RemoteCache;
  /** (without a checkout) a derived operation's attempt is forgotten when the process exits 0 */
  private acknowledgeOnExit = false;
  /** Without a work tree, the per-algorithm schemas are read from the branch tip (CheckContext). */
  schemaText?: (rel: string) => string | undefined;
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
    reg.queue = opts.queue ?? false;
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

  /**
   * The registry on a remote, with no checkout (a training node): a bare partial clone of it is
   * kept in the user's cache directory (git/remote-cache.ts) and read at its branch tip; writes are
   * made without a work tree and pushed (store/write/remote-write.ts).
   */
  static async openRemote(remote: RemoteOptions, opts: Omit<OpenOptions, 'cwd'>): Promise<Registry> {
    // A cache made just now is at the tip; an older one is brought there (writes fetch again under the lock).
    const cache = await (await import('../store/remote-store.js')).openRemoteStore(remote.url, remote.branch);
    const reg = new Registry(cache.dir, cache.dir, DEFAULT_CONFIG, opts.now ?? (() => new Date()));
    reg.remote = cache;
    // The config's blob may need the network (a lazy fetch); a busy server that drops it gets a few more tries.
    for (let attempt = 1; ; attempt++) {
      try {
        await reg.readRemoteConfig();
        break;
      } catch (e) {
        if (!(e instanceof PushError && e.data?.transient === true) || attempt >= 5) throw e;
        await new Promise((r) => setTimeout(r, 250 + 500 * 2 ** attempt * Math.random()));
      }
    }
    reg.push = true;
    reg.queue = opts.queue ?? false;
    reg.notify = opts.notify;
    reg.operationId = opts.operationId;
    reg.acknowledgeOnExit = opts.acknowledgeOnExit ?? false;
    return reg;
  }

  /**
   * The registry in a bare repository (a server's, in its pre-receive hook) as of `commit`: its
   * modelgit.yaml is read from that commit; when it is missing or does not validate there, from
   * `fallback` (the commit it replaces: validate reports the broken config itself), else the
   * defaults. Nothing is written: it is opened to check pushes, never to write.
   */
  static async openBare(gitDir: string, commit: string, opts: { fallback?: string } = {}): Promise<Registry> {
    const reg = new Registry(gitDir, gitDir, DEFAULT_CONFIG, () => new Date());
    for (const at of [commit, opts.fallback]) {
      const text = at === undefined ? undefined : await reg.git.showFile(at, CONFIG_FILE);
      if (text === undefined) continue;
      try {
        reg.config = await loadConfig(gitDir, CONFIG_FILE, text);
        break;
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
      }
    }
    return reg;
  }

  /**
   * modelgit.yaml and the per-algorithm schemas as the fetched tip has them (a registry without a
   * checkout reads its config from the branch, and again after each fetch).
   */
  async readRemoteConfig(): Promise<void> {
    const cache = this.remote!;
    const tip = cache.tip ?? (await this.git.resolveCommit(cache.target.trackingRef));
    const where = `${cache.url} (branch ${cache.target.branch})`;
    if (!tip) throw new NotARegistryError(`--remote ${where} has no commit yet`, { hint: 'create the registry first: modelgit init, commit, git push' });
    // The tree is in the cache: whether the file is there is known without the network; its text may need a fetch.
    if ((await this.git.lsTree(tip, [CONFIG_FILE])).length === 0) {
      throw new NotARegistryError(`--remote ${where} is a git repository but not a modelgit registry (no ${CONFIG_FILE} at its tip)`, { hint: 'check the URL and the branch (--remote-branch)' });
    }
    const text = await this.git.showFile(tip, CONFIG_FILE);
    if (text === undefined) {
      throw new PushError(`--remote ${where}: could not fetch ${CONFIG_FILE} from the remote`, { hint: `check the remote: git ls-remote ${cache.url}`, data: { transient: true } });
    }
    const config = await loadConfig(this.gitDir, CONFIG_FILE, text);
    const schemas = new Map<string, string>();
    const rels = [...new Set(Object.values(config.schemas))];
    const texts = await Promise.all(rels.map((rel) => this.git.showFile(tip, rel).catch(() => undefined)));
    rels.forEach((rel, i) => texts[i] !== undefined && schemas.set(rel, texts[i]!));
    this.config = config;
    this.schemaText = (rel) => schemas.get(rel);
    this.clearCache();
  }

  /**
   * Whether a file is at `path` in the work tree (or, without one, at the branch tip): a model file
   * that does not parse is still someone's model, so its id is taken.
   */
  async hasFile(path: string): Promise<boolean> {
    if (!this.remote) return existsSync(join(this.root, path));
    return (await this.git.lsTree('HEAD', [path])).length > 0;
  }

  /**
   * The allowed-signers file SSH signatures are checked against: `explicit` (--allowed-signers,
   * refused when missing), else git's gpg.ssh.allowedSignersFile. Without one, /dev/null: git then
   * calls an SSH-signed commit "unknown key" instead of unsigned, and `checkable` says why.
   */
  async allowedSigners(explicit?: string): Promise<{ file: string; checkable: boolean }> {
    if (explicit !== undefined && !existsSync(explicit)) throw new UsageError(`--allowed-signers ${explicit}: no such file`);
    const file = explicit ?? (await this.git.configPath('gpg.ssh.allowedSignersFile'));
    return file !== undefined && existsSync(file) ? { file, checkable: true } : { file: '/dev/null', checkable: false };
  }

  /** The per-algorithm schema files modelgit.yaml names (the write engine's fast retry watches them). */
  schemaFiles(): string[] {
    return Object.values(this.config.schemas);
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
      s = registrySnapshot(this, rev);
      this.snapshots.set(rev, s);
      s.catch(() => this.snapshots.delete(rev));
    }
    return s;
  }

  /**
   * How many files the models directory holds at `rev`, from the tree alone (no model is read): what
   * decides on a background build, where building the snapshot of every model just to count them
   * would be most of a fresh clone's first `show`.
   */
  async modelFileCount(rev = 'HEAD'): Promise<number> {
    return (await this.git.lsTree(rev, [this.config.models_dir])).length;
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

  /**
   * The models of one algorithm (or all) at `rev`, with the snapshot's problems: from the cache,
   * two small files (the algorithm's summaries), whose models parse their metadata on first use.
   */
  models(algorithm: string | undefined, rev = 'HEAD'): Promise<ModelsView> {
    return registryModels(this, algorithm, rev);
  }

  /**
   * One algorithm's models at `rev` and the unreadable files that could be its (what an answer about
   * one algorithm needs): on a fresh clone without building the index of every model first.
   */
  algorithmModels(algorithm: string, rev = 'HEAD'): Promise<AlgorithmView> {
    return registryAlgorithmModels(this, algorithm, rev);
  }

  /**
   * Every unreadable model file at `rev` (the snapshot's problems) when the cache holds them without
   * building anything, with the commit they are of; undefined otherwise (ask `snapshot`).
   */
  cachedProblems(rev = 'HEAD'): Promise<{ commit: string; problems: ErrorLocation[] } | undefined> {
    return cachedProblems(this, rev);
  }

  /**
   * Where an answer to `question` (of `kind`) at `rev` is kept for the next time the same models tree
   * is asked it (store/answers.ts); undefined when answers can't be kept there.
   */
  answerShelf<T>(rev: string, kind: string, question: unknown): Promise<AnswerShelf<T> | undefined> {
    return answerShelf<T>(this, rev, kind, question);
  }

  /**
   * The models `snapshot(rev).byId` has for these ids and the snapshot's problems, from the cache
   * without reading any directory of the tree (its id table, then the blobs by id); undefined when
   * the cache can't say (then `snapshot`, or `cachedProblems` and `lookup`).
   */
  cachedModelsByIds(ids: string[], rev = 'HEAD'): Promise<{ commit: string; problems: ErrorLocation[]; found: Map<string, Model> } | undefined> {
    return cachedModelsByIds(this, ids, rev);
  }

  /**
   * The model `snapshot(commit).byId.get(id)` gives, when the cache already holds its algorithm's
   * summaries at that commit; undefined when it can't say for certain (then ask `lookup`).
   */
  cachedModel(id: string, commit: string): Model | undefined {
    return registryModelById(this, id, commit);
  }

  /**
   * A few models by id at HEAD (or `head`, a commit), read by their paths instead of through the
   * snapshot of every model; for an id none of whose files parses, why the first one doesn't.
   */
  lookup(ids: string[], head = 'HEAD'): Promise<HeadLookup> {
    return lookupAtHead(this.git, this.config, ids, head);
  }

  /**
   * The error for a model whose file is there but can't be read (`problem`, from a snapshot or a
   * lookup): "no such model" would send the user looking for a removal that never happened.
   * Undefined when there is no problem.
   */
  invalidModel(id: string, problem: ErrorLocation | undefined): ValidationError | undefined {
    return invalidModelError(id, problem);
  }

  /** Stage assignments as committed at `rev` (a missing stages.yaml means none). */
  stages(rev = 'HEAD'): Promise<StageAssignments> {
    return stagesAt(this, rev);
  }

  /**
   * `git log --full-history -- <path>` from HEAD for each path, newest first. Given where HEAD is
   * (`at`), the history index may name the commits, and git only reads those. `naming: id`: only
   * the entries whose trailers name that model will be kept, and the others may be left out.
   */
  fileHistory(paths: string[], at?: HeadAt, opts: { naming?: string } = {}): Promise<LogEntry[][]> {
    return pathLogs(this, paths, at, opts);
  }

  /** Says a recordingCommit question about `revision` will come: what answers it without an index may start now. */
  expectRecordingCommit(revision: string): void {
    expectRecordingLookup(this, revision);
  }

  /** The commit, at or below `revision`, that recorded `recorded` in its model file; null when none can be found. */
  recordingCommit(recorded: RecordedResult, revision: string, at: HeadAt): Promise<string | null> {
    return commitRecording(this, recorded, revision, at);
  }

  /** MODELGIT_NO_CACHE is set: answers come from git alone (no cache is read). */
  cachesOff(): boolean {
    return cacheDisabled();
  }

  /** A trace line on stderr under MODELGIT_CACHE_TRACE, prefixed by what it is about. */
  cacheTrace(prefix: string): (message: string) => void {
    return tracer(prefix);
  }

  /** Every commit up to the snapshot's, as the report reads history (extended from a cached copy when it can be). */
  reportHistory(snapshot: Snapshot, opts: HistoryOptions = {}): Promise<HistoryRead> {
    return modelFileHistory(this, snapshot, opts);
  }

  /** The report state kept at `commit` (its text), the history HEAD adds after it, and lines of that history (store/report-store.ts). */
  get reportStore() {
    return {
      read: (commit: string) => reportStore.readReportState(this, commit),
      save: (commit: string, text: string) => reportStore.saveReportState(this, commit, text),
      drop: (commit: string) => reportStore.dropReportState(this, commit),
      since: (from: string, head: string) => reportStore.reportHistorySince(this, from, head),
      lines: (head: string, offsets: number[]) => reportStore.historyLines(this, head, offsets),
      modelFiles: (commit: string) => reportStore.modelFilesAt(this, commit),
    };
  }

  /** Every tag of a decision-tag family (`stage/<algo>/<stage>`, `best/…`, `cleanup/<algo>`). */
  async decisionTags(family: string): Promise<RefEntry[]> {
    return (await import('../store/write/tags.js')).familyTags(this.git, family);
  }

  /** The highest n among the tags `<prefix>/<n>`, or 0: the next decision tag is one more. */
  async highestTagNumber(prefix: string): Promise<bigint> {
    return (await import('../store/write/tags.js')).highestTagNumber(this.git, prefix);
  }

  /**
   * Creates decision tags in order, all or none: when git refuses one, those made are deleted
   * again and `refused(tag, gitWords)` is thrown.
   */
  async createDecisionTags(tags: DecisionTag[], refused: (tag: DecisionTag, gitWords: string) => Error): Promise<string[]> {
    return (await import('../store/write/tags.js')).createDecisionTags(this.git, tags, refused);
  }

  /** The message a commit of `spec` gets (a cleanup's tag repeats its commit's). */
  async commitMessage(spec: Pick<CommitSpec, 'subject' | 'body' | 'trailers'>): Promise<string> {
    return (await import('../store/write/commit.js')).commitMessage(spec);
  }

  /** The branch stage tags and sync-tags belong to (modelgit.defaultBranch, else the remote's HEAD, else main/master). */
  async defaultBranch(): Promise<string | undefined> {
    return (await import('../git/branches.js')).defaultBranch(this.git);
  }

  /**
   * The operation a write runs as: the caller's token (--operation-id, MODELGIT_OPERATION_ID),
   * else one derived from what it was asked (`inputs`, read only then), in this clone.
   */
  async operation(action: string, inputs: () => unknown): Promise<Operation | undefined> {
    const ops = await import('../store/write/operations.js');
    return ops.operationOf(this.operationId ?? ops.envOperationId(), () => ops.derivedOperationId(this.gitDir, action, inputs()));
  }

  /** The caller's operation token (--operation-id, else MODELGIT_OPERATION_ID, checked), if any. */
  async operationToken(): Promise<string | undefined> {
    return this.operationId ?? (await import('../store/write/operations.js')).envOperationId();
  }

  /** The newest commit of HEAD's recent history carrying `Operation-Id: <token>`. */
  async committedOperation(token: string): Promise<CommittedOperation | undefined> {
    return (await import('../store/write/operations.js')).findOperation(this.git, token, 'HEAD', undefined, this.gitDir);
  }

  /** Refuses (ConflictError) a token reused for another operation than `action` on `modelId`. */
  async assertSameOperation(found: Replayed, action: string, modelId?: string): Promise<void> {
    (await import('../store/write/operations.js')).assertSameOperation(found, action, modelId);
  }

  /**
   * Runs a write under the registry lock: `plan` reads fresh state and returns the commit to make
   * (or `{nothing}`), and the commit is made before the lock is released. With `push` (or a
   * registry opened with `push: true`) the commit is pushed, and `plan` runs again on the remote's
   * new head whenever the push is rejected because the remote moved — see write.ts.
   */
  async write<T>(plan: () => Promise<WritePlan<T>>, opts: WriteOptions<T> = {}): Promise<T> {
    if (this.remote) {
      const { runRemoteWrite } = await import('../store/write/remote-write.js');
      const { validateCommit } = await import('./validate.js');
      const cache = this.remote;
      return runRemoteWrite(
        { git: this.git, gitDir: this.gitDir, cache, clearCache: () => this.clearCache(), refreshConfig: () => this.readRemoteConfig(), schemaFiles: () => this.schemaFiles(), notify: this.notify, operationId: this.operationId, acknowledgeOnExit: this.acknowledgeOnExit, check: (base, commit) => validateCommit(this, base, commit, { branch: cache.target.branch }), reapplyQueued: (q) => this.reapplyQueued(q) },
        plan,
        { ...opts, queue: opts.queue ?? (this.queue || (this.config.queue === true ? 'if-supported' : undefined)) },
      );
    }
    const { runWrite } = await import('../store/write/engine.js');
    // modelgit.yaml's `queue: true` makes --push writes queue, for the operations drain re-applies.
    const queue = opts.queue ?? (this.queue ? true : (opts.push ?? this.push) && this.config.queue === true ? 'if-supported' : undefined);
    return runWrite(this, plan, { ...opts, push: opts.push ?? this.push, queue });
  }

  /** The writes queued on `remote` (default: the branch's upstream), oldest first, freshly fetched. */
  async queuedWrites(remote?: string): Promise<{ remote: string; branch: string; writes: QueuedWrite[] }> {
    const q = await import('../store/write/queue.js');
    const target = await q.queueTarget(this.git, remote);
    return { remote: target.remote, branch: target.branch, writes: await q.readQueue(this.git, target.remote) };
  }

  /** The newest registration of `id` this clone queued and no drain has applied yet (its queued commit), if any. */
  async queuedRegistration(id: string): Promise<string | undefined> {
    const q = await import('../store/write/queue.js');
    const target = await q.queueTarget(this.git);
    return q.queuedRegistration(this.git, target.remote, id);
  }

  /**
   * For a queued write to model `id` (WriteOptions.queueOnto): when `id` is not on the fetched tip,
   * the registration of it this clone queued, to plan the write on; drain re-applies the write
   * where that registration landed.
   */
  ontoQueuedRegistration(id: string): () => Promise<string | undefined> {
    return async () => {
      const l = await this.lookup([id]);
      return l.found.has(id) || l.invalid.has(id) ? undefined : this.queuedRegistration(id);
    };
  }

  /**
   * How drain re-applies a queued write on today's tip (drain.ts); also what a --push write the
   * remote keeps rejecting uses when it joins the queue and drains it (store/write/combine.ts).
   */
  async reapplyQueued(q: QueuedWrite): Promise<Reapplied> {
    return (await import('./drain.js')).reapply(this, q);
  }

  /** Applies the queued writes onto the remote branch, each as `apply` re-applies it (store/write/queue.ts). */
  async drainQueue(apply: (q: QueuedWrite) => Promise<Reapplied>, opts: { remote?: string } = {}): Promise<DrainOutcome> {
    await (await import('../store/write/guards.js')).checkBeforeWrite(this);
    return (await import('../store/write/queue.js')).drainQueue(this, apply, opts);
  }

  /** Undoes an interrupted write now (every write does it first anyway, under its lock). */
  async recoverInterruptedWrite(): Promise<void> {
    const { recoverNow } = await import('../store/write/engine.js');
    return recoverNow(this);
  }

  /**
   * Like write, for several commits under one lock, all or nothing: on any failure the branch goes
   * back to where it was. With `push` the series is pushed as a whole, and `plan` runs again on
   * the remote's new head whenever the push is rejected because the remote moved (write.ts).
   */
  async writeSeries<T>(
    plan: () => Promise<SeriesPlan<T>>,
    opts: WriteOptions & { onCommit?: (index: number, commit: string) => void; signal?: AbortSignal } = {},
  ): Promise<T> {
    const { runWrite } = await import('../store/write/engine.js');
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

  /**
   * A tag-only write (best --record, sync-tags): `attempt` decides and tags under the write lock;
   * with `push` the tags go to the upstream, and `attempt` runs again (after its tags are deleted)
   * whenever the remote took their numbers first — see store/write/tag-push.ts.
   */
  async writeTags<T>(attempt: (remote?: RemoteState) => Promise<TagAttempt<T>>, opts: TagWriteOptions): Promise<T> {
    const { writeTags } = await import('../store/write/tag-push.js');
    return writeTags(this, attempt, opts);
  }
}
