// import: bring an older registry in as commits. Sources:
// - a single-file registry (model_registry.json: model id → version-1 metadata), given as the file
//   or as a directory holding it;
// - the older per-algorithm tree (<Algo>/Model/<id>.json), with or without the artifacts beside them
//   (<id>/ or a single <id>.<ext>);
// - a checkpoint directory with a metadata.json holding loading fields.
// Everything is read, converted and checked before anything is written (ids safe, unique and free,
// every file valid version 2, loader types known, local artifacts loadable and checksummed); then
// one commit per model in training order, dated at the training time, so `git log` is the
// experiment timeline. A failure part-way resets the branch to where it started.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { ArtifactError, ConflictError, InterruptedError, ModelgitError, UsageError, ValidationError, type ErrorLocation } from '../errors.js';
import { isoSeconds } from '../domain/ids.js';
import { convertLegacy, resolveLegacyArtifact, type ArtifactProbe, type LegacyRecord } from '../domain/legacy.js';
import { serializeMetadata } from '../domain/metadata.js';
import { assertSafeName } from '../domain/names.js';
import type { ModelMetadata } from '../domain/types.js';
import { artifactOf, modelPathFor } from '../loading/artifact.js';
import { assertInsideAny, readRegularFile } from '../loading/safe-files.js';
import { loadPlan, strategyFor } from '../loading/plan.js';
import { escapePointerSegment, locateJsonPointer, parseJsonText } from '../schema/validator.js';
import { checkModelTextSync } from '../schema/model-checks.js';
import { useRegistryLoaders } from './load-plan.js';
import { OPERATION_WINDOW } from '../domain/operation-id.js';
import type { CommitSpec, PushInfo, Registry } from './registry.js';

export type ImportKind = 'registry-file' | 'algorithm-tree' | 'model-directory';

export interface ImportProgress {
  phase: 'checking' | 'checksumming' | 'committing';
  done: number;
  total: number;
  label: string;
}

export interface ImportOptions {
  path: string;
  /** algorithm for every imported model (default: from the source) */
  algorithm?: string;
  /** id for the one imported model (a checkpoint directory) */
  id?: string;
  singleCommit?: boolean;
  /** refuse the import (nothing written) when a recorded artifact is found nowhere */
  strict?: boolean;
  onProgress?: (p: ImportProgress) => void;
  /** stops between commits; what was committed is undone */
  signal?: AbortSignal;
}

export interface ImportedModel {
  model_id: string;
  algorithm: string;
  path: string;
  created_at: string;
  source: string;
  commit: string;
}

export interface ImportAnswer {
  source: string;
  kind: ImportKind;
  imported: ImportedModel[];
  commits: string[];
  /** things worth knowing that did not stop the import (a file ignored, several candidate artifacts) */
  notes: string[];
  /**
   * models whose recorded model_path was found nowhere: imported without model_path (the value
   * is kept as extra.legacy_model_path); with --strict the import is refused instead
   */
  missing_artifacts: MissingArtifact[];
  /** with --push: where the commits went and how many pushes it took; else null */
  pushed: PushInfo | null;
  /** the --operation-id was already committed by this same import: its answer again, nothing written */
  replayed?: true;
}

export interface MissingArtifact {
  model_id: string;
  /** model_path as the older record wrote it */
  model_path: string;
  /** where it was looked for, and why nothing was taken */
  reason: string;
}

export const REGISTRY_FILE = 'model_registry.json';
export const CHECKPOINT_FILE = 'metadata.json';

interface SourceRecord {
  rec: LegacyRecord;
  /** the source file, as shown in messages */
  file: string;
  text: string;
  /** the record's JSON pointer inside `text` */
  pointer: string;
  /** where a relative model_path in the record is read from, most likely first */
  bases: string[];
  /** the metadata file's directory (an older artifact sits beside its metadata) */
  metadataDir: string;
  /** the import source directory: artifacts are looked for only inside it or the registry */
  sourceRoot: string;
  /** a checkpoint directory: itself */
  artifact?: string;
}

interface Source {
  kind: ImportKind;
  records: SourceRecord[];
  problems: ErrorLocation[];
  notes: string[];
}

function mtimeIso(path: string): string {
  return isoSeconds(statSync(path).mtime);
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readJsonSource(abs: string, shown: string): { value?: unknown; text: string; problems: ErrorLocation[] } {
  // A regular file only (a FIFO would hang the import), of a sane size.
  let text: string;
  try {
    text = readRegularFile(abs, { maxBytes: 256 << 20 }).toString('utf8');
  } catch (e) {
    if (!(e instanceof ArtifactError)) throw e;
    return { text: '', problems: [{ file: shown, line: 1, column: 1, pointer: '', rule: 'regular-file', message: e.message }] };
  }
  const parsed = parseJsonText(shown, text);
  return { value: parsed.value, text, problems: parsed.errors };
}

function registryFileSource(abs: string, shown: (p: string) => string): Source {
  const file = shown(abs);
  const { value, text, problems } = readJsonSource(abs, file);
  const source: Source = { kind: 'registry-file', records: [], problems, notes: [] };
  if (value === undefined) return source;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    problems.push({ file, line: 1, column: 1, pointer: '', rule: 'type', message: `${REGISTRY_FILE} must map model ids to metadata objects` });
    return source;
  }
  const fallbackDate = mtimeIso(abs);
  for (const [id, raw] of Object.entries(value as Record<string, unknown>)) {
    source.records.push({
      rec: { kind: 'version1', raw, id, fallbackDate }, file, text, pointer: `/${escapePointerSegment(id)}`, bases: [dirname(abs)], metadataDir: dirname(abs), sourceRoot: dirname(abs),
    });
  }
  return source;
}

function treeSource(abs: string, shown: (p: string) => string): Source | undefined {
  const source: Source = { kind: 'algorithm-tree', records: [], problems: [], notes: [] };
  for (const algoDir of readdirSync(abs).sort()) {
    const modelDir = join(abs, algoDir, 'Model');
    if (!isDir(modelDir)) continue;
    const entries = readdirSync(modelDir).sort();
    for (const name of entries.filter((e) => e.endsWith('.json'))) {
      const fileAbs = join(modelDir, name);
      const file = shown(fileAbs);
      const { value, text, problems } = readJsonSource(fileAbs, file);
      source.problems.push(...problems);
      if (value === undefined) continue;
      const id = name.slice(0, -'.json'.length);
      source.records.push({
        rec: { kind: 'version1', raw: value, id, algorithm: algoDir, fallbackDate: mtimeIso(fileAbs) },
        file,
        text,
        pointer: '',
        bases: [abs, modelDir],
        metadataDir: modelDir,
        sourceRoot: abs,
      });
    }
  }
  return source.records.length || source.problems.length ? source : undefined;
}

function checkpointSource(dir: string, shown: (p: string) => string): Source {
  const fileAbs = join(dir, CHECKPOINT_FILE);
  const file = shown(fileAbs);
  const { value, text, problems } = readJsonSource(fileAbs, file);
  const source: Source = { kind: 'model-directory', records: [], problems, notes: [] };
  if (value !== undefined) {
    source.records.push({ rec: { kind: 'checkpoint', raw: value, id: basename(dir), fallbackDate: mtimeIso(fileAbs) }, file, text, pointer: '', bases: [dir], metadataDir: dir, sourceRoot: dir, artifact: dir });
  }
  return source;
}

export function readSource(abs: string, shown: (p: string) => string): Source {
  if (!existsSync(abs)) throw new UsageError(`${shown(abs)} does not exist`);
  if (!isDir(abs)) {
    if (basename(abs) === CHECKPOINT_FILE) return checkpointSource(dirname(abs), shown);
    if (extname(abs).toLowerCase() !== '.json') throw new UsageError(`${shown(abs)}: expected a ${REGISTRY_FILE}, a ${CHECKPOINT_FILE}, or a directory`);
    return registryFileSource(abs, shown);
  }
  if (existsSync(join(abs, CHECKPOINT_FILE))) return checkpointSource(abs, shown);
  const tree = treeSource(abs, shown);
  if (tree) {
    if (existsSync(join(abs, REGISTRY_FILE))) tree.notes.push(`${REGISTRY_FILE} was not read: the <Algo>/Model/<id>.json files are the models' own metadata`);
    return tree;
  }
  if (existsSync(join(abs, REGISTRY_FILE))) return registryFileSource(join(abs, REGISTRY_FILE), shown);
  throw new UsageError(`${shown(abs)} holds nothing to import: expected ${CHECKPOINT_FILE} (a model directory), <Algo>/Model/<id>.json files, or ${REGISTRY_FILE}`);
}

interface Prepared {
  src: SourceRecord;
  meta: ModelMetadata;
  path: string;
  /** the local artifact to check and checksum, when there is one */
  artifact?: string;
}

/** The file system as resolveLegacyArtifact sees it. */
const DISK: ArtifactProbe = {
  kind: (p) => {
    try {
      return statSync(p).isDirectory() ? 'dir' : 'file';
    } catch {
      return undefined;
    }
  },
  list: (d) => {
    try {
      return readdirSync(d).sort();
    } catch {
      return [];
    }
  },
  realpath: (p) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  },
};

/**
 * model_path for an imported record. A checkpoint directory is its own artifact. An older record's
 * artifact is looked for by resolveLegacyArtifact (where it names, under the import source, beside
 * the metadata file; never outside the source or the registry). Found, model_path is where it is
 * (relative to the registry root when inside it, else absolute). Not found, model_path is left
 * out (a path that leads nowhere would be a lie), the recorded value is kept as
 * extra.legacy_model_path, and the model is listed in missing_artifacts.
 */
function placeArtifact(p: Prepared, root: string, notes: string[], missing: MissingArtifact[]): void {
  const src = p.src;
  if (src.rec.kind === 'checkpoint') {
    p.artifact = src.artifact;
    p.meta.model_path = modelPathFor(src.artifact!, root);
    return;
  }
  const recorded = typeof p.meta.model_path === 'string' ? p.meta.model_path : undefined;
  const found = resolveLegacyArtifact(recorded, { id: p.meta.model_id, metadataDir: src.metadataDir, bases: src.bases, sourceRoot: src.sourceRoot, registryRoot: root }, DISK);
  if (found.kind === 'remote' || found.kind === 'none') return; // s3://, https://: kept as written
  if (found.kind === 'found') {
    p.artifact = found.path;
    p.meta.model_path = modelPathFor(found.path, root);
    return;
  }
  if (recorded === undefined) {
    notes.push(`${p.meta.model_id}: ${found.reason}`);
    return;
  }
  delete p.meta.model_path;
  p.meta.extra = { ...(p.meta.extra ?? {}), legacy_model_path: recorded };
  missing.push({ model_id: p.meta.model_id, model_path: recorded, reason: found.reason });
}

function locate(src: SourceRecord, pointer: string, rule: string, message: string): ErrorLocation {
  const full = src.pointer + pointer;
  return { file: src.file, ...locateJsonPointer(src.text, full), pointer: full, rule, message };
}

/**
 * An import run again with the --operation-id of one already committed finds its own ids taken:
 * it is that earlier operation, answered with its commits (nothing written) when the source is
 * the same models it imported, and refused as a reuse of the id otherwise (as the write engine
 * does). With --push it is refused as before: whether the remote has those commits is not asked.
 */
async function repeatedOperation(reg: Registry, clashed: Prepared[], fresh: number, answer: (models: Prepared[], commits: Map<string, string>) => ImportAnswer): Promise<ImportAnswer | undefined> {
  const token = await reg.operationToken();
  const found = token ? await reg.committedOperation(token) : undefined;
  if (!token || !found) return undefined;
  if (!reg.push && fresh === 0 && found.action === 'import') {
    const commits = await operationCommits(reg, token);
    const snap = await reg.snapshot();
    const same = commits.size === clashed.length && clashed.every((p) => commits.has(p.meta.model_id) && snap.byId.get(p.meta.model_id)?.path === p.path);
    if (same) {
      reg.notify?.(`operation ${token} was already committed: ${found.commit.slice(0, 10)} ("${found.subject}"); answering with it, nothing was written again`);
      return { ...answer(clashed, commits), replayed: true };
    }
  }
  throw new ConflictError(`operation ${token} was already done by an earlier run: ${found.commit.slice(0, 10)} ("${found.subject}"); doing it again would write again, so nothing was written`, {
    hint: 'see it with: git show ' + found.commit.slice(0, 10) + '; a new operation needs a new --operation-id',
    data: { commit: found.commit, operation_id: token, replayed: true },
  });
}

/** Model id -> the commit of operation `token` that imported it (an import is one commit or a series). */
async function operationCommits(reg: Registry, token: string): Promise<Map<string, string>> {
  const log = (await reg.git.trailerLog(['HEAD'], ['Operation-Id', 'Model-Id'], { limit: OPERATION_WINDOW, strict: true }))!;
  const byId = new Map<string, string>();
  for (const { commit, trailers } of log) {
    if (!trailers['Operation-Id']!.includes(token)) continue;
    for (const id of trailers['Model-Id']!) if (!byId.has(id)) byId.set(id, commit);
  }
  return byId;
}

/** Training order: the order of an import's commits. */
function sortByTraining(ps: Prepared[]): void {
  ps.sort((a, b) => Date.parse(a.meta.created_at!) - Date.parse(b.meta.created_at!) || a.meta.model_id.localeCompare(b.meta.model_id));
}

function importedModel(p: Prepared, commit: string): ImportedModel {
  return { model_id: p.meta.model_id, algorithm: p.meta.algorithm, path: p.path, created_at: p.meta.created_at!, source: p.src.file + (p.src.pointer ? `#${p.src.pointer}` : ''), commit };
}

export async function importRegistry(reg: Registry, opts: ImportOptions, cwd = process.cwd()): Promise<ImportAnswer> {
  if (opts.algorithm !== undefined) assertSafeName('algorithm', opts.algorithm, '--algo');
  if (opts.id !== undefined) assertSafeName('model id', opts.id, '--id');
  const abs = resolve(cwd, opts.path);
  const shown = (p: string) => {
    const rel = relative(cwd, p);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
  };
  const source = readSource(abs, shown);
  const sourceName = shown(abs);
  const problems = [...source.problems];
  const notes = [...source.notes];
  const missing: MissingArtifact[] = [];
  if (opts.id !== undefined && source.records.length !== 1) {
    throw new UsageError(`--id names one model, but ${sourceName} holds ${source.records.length}`);
  }
  await useRegistryLoaders(reg);
  const progress = (phase: ImportProgress['phase'], done: number, total: number, label: string) => opts.onProgress?.({ phase, done, total, label });

  // 1. Convert and check everything cheap (against HEAD as it is once a killed import is undone).
  await reg.recoverInterruptedWrite();
  const snap = await reg.snapshot();
  const prepared: Prepared[] = [];
  const seen = new Map<string, SourceRecord>();
  const clashes: string[] = [];
  const clashed: Prepared[] = [];
  source.records.forEach((src, i) => {
    progress('checking', i, source.records.length, src.rec.id ?? src.file);
    const { meta, problems: conv } = convertLegacy(src.rec, { algorithm: opts.algorithm, id: opts.id });
    for (const p of conv) problems.push(locate(src, p.pointer, p.rule, p.message));
    if (!meta) return;
    const id = meta.model_id;
    const other = seen.get(id);
    if (other) {
      problems.push(locate(src, '/model_id', 'unique-id', `model id ${id} is imported twice (also from ${other.file}${other.pointer ? ` at ${other.pointer}` : ''})`));
      return;
    }
    seen.set(id, src);
    const existing = snap.byId.get(id);
    const path = reg.modelFile(meta.algorithm, id);
    if (existing || existsSync(join(reg.root, path))) {
      clashed.push({ src, meta, path }); // perhaps imported by this very operation before: see repeatedOperation
      clashes.push(`${id} (already ${existing ? `registered at ${existing.path}` : `a file at ${path}`})`);
      return;
    }
    const p: Prepared = { src, meta, path };
    placeArtifact(p, reg.root, notes, missing);
    for (const e of checkModelTextSync(reg, path, serializeMetadata(meta)).errors) {
      problems.push(locate(src, e.pointer, e.rule, `as ${path}: ${e.message}`));
    }
    if (meta.loading_strategy) {
      try {
        strategyFor(meta);
      } catch (e) {
        if (!(e instanceof ModelgitError)) throw e;
        problems.push(locate(src, '/loading_strategy', e.code === 'LOAD_PLAN' ? 'loading-strategy' : e.code, e.message));
      }
    }
    prepared.push(p);
  });
  progress('checking', source.records.length, source.records.length, '');
  const fail = () => {
    if (problems.length) {
      throw new ValidationError(`${sourceName}: ${problems.length} problem${problems.length > 1 ? 's' : ''}; nothing was imported`, problems, {
        hint: 'fix the source (ids are kept as they are) and run the import again',
      });
    }
  };
  fail();
  if (clashes.length) {
    const replayed = await repeatedOperation(reg, clashed, prepared.length, (models, commits) => {
      for (const p of models) placeArtifact(p, reg.root, notes, missing); // the notes the first run gave
      sortByTraining(models);
      const imported = models.map((p) => importedModel(p, commits.get(p.meta.model_id)!));
      return { source: sourceName, kind: source.kind, imported, commits: [...new Set(imported.map((m) => m.commit))], notes, missing_artifacts: missing, pushed: null };
    });
    if (replayed) return replayed;
    throw new ConflictError(`${clashes.length} of the ${source.records.length} models in ${sourceName} clash with the registry; nothing was imported:\n  ${clashes.join('\n  ')}`, {
      hint: 'ids are never overwritten; remove or rename the clashing models in the source',
      data: { clashes },
    });
  }
  if (opts.strict && missing.length) {
    throw new ArtifactError(
      `--strict: ${missing.length} recorded artifact${missing.length > 1 ? 's were' : ' was'} found nowhere; nothing was imported:\n  ${missing.map((m) => `${m.model_id}: model_path ${m.model_path}: ${m.reason}`).join('\n  ')}`,
      { hint: 'put the artifacts beside their metadata files (or where model_path names, inside the import source), or import without --strict', data: { missing_artifacts: missing } },
    );
  }
  if (prepared.length === 0) return { source: sourceName, kind: source.kind, imported: [], commits: [], notes: [...notes, 'nothing to import'], missing_artifacts: missing, pushed: null };

  // 2. Local artifacts: loadable as described, and checksummed (all before the first commit).
  const withArtifacts = prepared.filter((p) => p.artifact);
  for (const [i, p] of withArtifacts.entries()) {
    if (opts.signal?.aborted) throw new InterruptedError('interrupted while checking artifacts; nothing was imported');
    progress('checksumming', i, withArtifacts.length, p.meta.model_id);
    // Checksummed first, confined to the registry and the import source (safe-files.ts): a legacy
    // model_path that climbs out (`../../../../etc/shadow`), a FIFO or a device is a problem, never read.
    try {
      const confineTo = [reg.root, isDir(abs) ? abs : dirname(abs)];
      if (p.meta.artifact) assertInsideAny(p.artifact!, confineTo, 'the artifact');
      else p.meta.artifact = await artifactOf(p.artifact!, undefined, { confineTo });
    } catch (e) {
      if (!(e instanceof ArtifactError)) throw e;
      problems.push(locate(p.src, '/model_path', e.code === 'UNSAFE_FILE' ? 'artifact-file' : 'artifact', e.message));
      continue;
    }
    if (p.meta.loading_strategy) {
      try {
        await loadPlan(p.meta, { root: reg.root });
      } catch (e) {
        if (!(e instanceof ModelgitError)) throw e;
        problems.push(locate(p.src, '/loading_strategy', e.code === 'ARTIFACT' ? 'artifact' : 'load-plan', e.message));
      }
    }
  }
  if (withArtifacts.length) progress('checksumming', withArtifacts.length, withArtifacts.length, '');
  fail();

  // 3. Commits, in the order the models were trained.
  sortByTraining(prepared);
  const body = `Imported from ${sourceName}.`;
  const specs: CommitSpec[] = opts.singleCommit
    ? [{
        subject: `import ${prepared.length} model${prepared.length > 1 ? 's' : ''} from ${basename(abs)}`,
        body,
        trailers: [['Model-Action', 'import'], ...prepared.map((p): [string, string] => ['Model-Id', p.meta.model_id])],
        changes: prepared.map((p) => ({ path: p.path, content: serializeMetadata(p.meta) })),
      }]
    : prepared.map((p) => ({
        subject: `import ${p.meta.model_id}`,
        body,
        trailers: [['Model-Action', 'import'], ['Model-Id', p.meta.model_id]],
        changes: [{ path: p.path, content: serializeMetadata(p.meta) }],
        date: isoSeconds(new Date(p.meta.created_at!)),
      }));
  return reg.writeSeries(
    async () => {
      // Someone may have registered one of these ids while we were checking, or (with --push) on
      // the remote, whose head this runs on: ids are kept, never overwritten, so the import stops.
      const fresh = await reg.snapshot();
      const taken = prepared.filter((p) => fresh.byId.has(p.meta.model_id) || existsSync(join(reg.root, p.path))).map((p) => p.meta.model_id);
      if (taken.length) {
        throw new ConflictError(`${taken.join(', ')} ${taken.length > 1 ? 'were' : 'was'} registered meanwhile${reg.push ? ' (on the remote)' : ''}; ids are kept, never overwritten, so nothing was imported`, {
          hint: 'remove or rename the clashing models in the source and run the import again',
          data: { clashes: taken },
        });
      }
      return {
        specs,
        result: (commits, outcome) => ({
          source: sourceName,
          kind: source.kind,
          imported: prepared.map((p, i) => importedModel(p, commits[opts.singleCommit ? 0 : i]!)),
          commits,
          notes,
          missing_artifacts: missing,
          pushed: outcome.pushed ?? null,
        }),
      };
    },
    { signal: opts.signal, onCommit: (i) => progress('committing', i + 1, specs.length, prepared[i]?.meta.model_id ?? '') },
  );
}
