// register: a new model file with a generated id, one commit.
import { isAbsolute } from 'node:path';
import { ConflictError, UsageError, ValidationError } from '../errors.js';
import { absoluteArtifactPath, artifactTemplateProblem, expandArtifactTemplate } from '../domain/artifacts.js';
import { firstFreeId, isoSeconds, timestampId } from '../domain/ids.js';
import { normalizeWrittenFields } from '../domain/legacy.js';
import { serializeMetadata } from '../domain/metadata.js';
import { assertSafeName, nameProblem } from '../domain/names.js';
import { numberProblem, strictNumber } from '../domain/metrics.js';
import type { Artifact, Model, ModelMetadata, Training } from '../domain/types.js';
import { artifactOf, locateArtifact } from '../loading/artifact.js';
import { checkModelText } from '../schema/model-checks.js';
import { validatorFor } from '../schema/validator.js';
import { inputName, parseDataText, readInputText } from './input-file.js';
import type { Registry, Replayed } from './registry.js';

export interface RegisterOptions {
  algorithm?: string;
  name?: string;
  id?: string;
  dataset?: string;
  params?: Record<string, unknown>;
  numQueries?: number;
  trainingTime?: number;
  modelPath?: string;
  tags?: string[];
  notes?: string;
  parent?: string;
  /** metadata fields from a JSON or YAML file (`-`: standard input); flags win over it */
  from?: string;
  /** fields merged in by callers such as import (already-parsed metadata) */
  fields?: Partial<ModelMetadata>;
  /** record the artifact's sha256 and size (a directory: each file's) from --model-path */
  checksum?: boolean;
}

export interface WriteAnswer {
  model_id: string;
  path: string;
  commit: string;
  /** the operation was already committed by an earlier attempt; this is its commit (operations.ts) */
  replayed?: boolean;
}

export interface RegisterAnswer extends WriteAnswer {
  /** the model_path recorded (from --model-path, the --from file, or modelgit.yaml's artifacts), else null */
  model_path: string | null;
  /** model_path as an absolute local path (where to save the weights), null when remote or none */
  artifact_path: string | null;
}

/**
 * Reads a JSON or YAML file of metadata fields (`-`: standard input), with the file named in every
 * error, and reads it as import reads older records: naive timestamps are UTC, nulls where a field
 * may be missing are dropped (normalizeWrittenFields).
 */
export async function readFieldsFile(file: string, cwd: string): Promise<Record<string, unknown>> {
  const value = parseDataText('--from', file, await readInputText('--from', file, cwd));
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`--from: ${inputName(file)} must hold an object of metadata fields`);
  return normalizeWrittenFields(value as Record<string, unknown>);
}

/** Parses `--param k=v` values: numbers and booleans become numbers and booleans. */
export function parseParam(raw: string): [string, unknown] {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new UsageError(`--param ${JSON.stringify(raw)}: expected key=value`);
  const key = raw.slice(0, eq).trim();
  const v = raw.slice(eq + 1).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw new UsageError(`--param ${JSON.stringify(raw)}: key must be a plain identifier`);
  if (v === 'true' || v === 'false') return [key, v === 'true'];
  if (v === 'null') return [key, null];
  // A value that looks like a number must be one exactly (strictNumber): `1e400` used to be
  // written as null, and `.5` or `007` quietly changed. Anything else stays a string.
  if (v !== '' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)) {
    const n = strictNumber(v);
    if (n === undefined) throw new UsageError(`--param ${key}: ${numberProblem(v)}`);
    return [key, n];
  }
  return [key, v];
}

export function buildMetadata(opts: RegisterOptions, fileFields: Record<string, unknown>, id: string, now: Date): ModelMetadata {
  const base = { ...fileFields, ...(opts.fields ?? {}) } as Partial<ModelMetadata>;
  const algorithm = (opts.algorithm ?? base.algorithm) as string;
  const hasTrainingFlags =
    opts.dataset !== undefined || (opts.params && Object.keys(opts.params).length > 0) || opts.numQueries !== undefined || opts.trainingTime !== undefined;
  let training: Training | null = (base.training as Training | null | undefined) ?? null;
  if (hasTrainingFlags) {
    training = {
      enabled: true,
      ...(training ?? {}),
      ...(opts.dataset !== undefined ? { dataset: opts.dataset } : {}),
      ...(opts.numQueries !== undefined ? { num_queries: opts.numQueries } : {}),
      hyperparams: { ...((training?.hyperparams as object) ?? {}), ...(opts.params ?? {}) },
      trained_at: training?.trained_at ?? isoSeconds(now),
      ...(opts.trainingTime !== undefined ? { training_time: opts.trainingTime } : {}),
    };
  }
  const tags = [...new Set([...((base.tags as string[]) ?? []), ...(opts.tags ?? [])])];
  return {
    ...base,
    schema_version: 2,
    model_id: id,
    algorithm,
    created_at: base.created_at ?? isoSeconds(now),
    ...(opts.modelPath !== undefined ? { model_path: opts.modelPath } : {}),
    ...(opts.parent !== undefined ? { parent: opts.parent } : {}),
    training,
    testing: (base.testing as ModelMetadata['testing']) ?? [],
    tags,
    ...(opts.notes !== undefined ? { notes: opts.notes } : {}),
  };
}

/** The artifact block for --checksum: model_path read the way verify reads it (relative to the registry root). */
export async function checksumOf(modelPath: string | undefined, root: string): Promise<Artifact> {
  if (modelPath === undefined) {
    throw new UsageError('--checksum needs the artifact to checksum: --model-path, a model_path in the --from file, or --id with the artifacts layout of modelgit.yaml');
  }
  const loc = locateArtifact(modelPath, root);
  if (loc.kind === 'remote') throw new UsageError(`--checksum: ${modelPath} is a ${loc.scheme}:// URI; only a local file or directory can be checksummed`);
  if (!loc.exists) throw new UsageError(`--model-path: ${loc.path} does not exist, so it cannot be checksummed`);
  return artifactOf(loc.path);
}

/**
 * firstFreeId when `taken` is asked about a batch of ids at once: the first candidate alone (it is
 * almost always free, and each costs a tree lookup per algorithm), then more of the sequence at a
 * time until one is free.
 */
export async function freeId(base: string, takenAmong: (candidates: string[]) => Promise<(id: string) => boolean>): Promise<string> {
  for (let count = 1; ; count *= 8) {
    const candidates: string[] = [];
    firstFreeId(base, (c) => (candidates.push(c), candidates.length < count));
    const taken = await takenAmong(candidates);
    const free = candidates.find((c) => !taken(c));
    if (free !== undefined) return firstFreeId(base, taken);
  }
}

/** Where the weights go on this machine; none without a checkout (a relative model_path names a place in a clone). */
function artifactPathOf(reg: Registry, modelPath: string | null): string | null {
  if (reg.remote && modelPath !== null && !isAbsolute(modelPath) && !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(modelPath)) return null;
  return absoluteArtifactPath(modelPath, reg.root);
}

/** modelgit.yaml's `artifacts` template, checked, or undefined when the registry has none. */
function artifactsTemplate(reg: Registry): string | undefined {
  const t = reg.config.artifacts;
  if (t === undefined || t === null) return undefined;
  const problem = typeof t === 'string' ? artifactTemplateProblem(t) : 'artifacts must be a string such as "artifacts/{algorithm}/{model_id}"';
  if (problem) throw new ValidationError(`modelgit.yaml: ${problem}`, [], { hint: 'fix the artifacts line in modelgit.yaml (modelgit validate --all checks it)' });
  return t as string;
}

/**
 * The id a --from file asks for (its model_id), checked: a safe name, or a usage error that says
 * how to go on. Undefined when the file names none.
 */
function fileModelId(fields: Record<string, unknown>, from: string | undefined): string | undefined {
  const v = fields.model_id;
  if (v === undefined) return undefined;
  const problem = typeof v !== 'string' || v === '' ? `model id ${JSON.stringify(v)} is not a string` : nameProblem('model id', v);
  if (problem) {
    throw new UsageError(`--from: ${inputName(from ?? '')}: model_id: ${problem}`, {
      hint: 'remove model_id from the file to get a generated id, or pass --id ID (flags win over the file)',
    });
  }
  return v as string;
}

export async function register(reg: Registry, opts: RegisterOptions, cwd = reg.root): Promise<RegisterAnswer> {
  const fileFields = opts.from ? await readFieldsFile(opts.from, cwd) : {};
  const algorithm = assertSafeName('algorithm', opts.algorithm ?? fileFields.algorithm, '--algo');
  const name = opts.name !== undefined ? assertSafeName('name', opts.name, '--name') : algorithm;
  if (opts.id !== undefined) assertSafeName('model id', opts.id, '--id');
  // --id wins; else the file's model_id is used when it is free (refused, never ignored, when not).
  const fromFile = opts.id === undefined ? fileModelId(fileFields, opts.from) : undefined;
  const wanted = opts.id ?? fromFile;
  const wantedBy = opts.id !== undefined ? '--id' : `model_id in ${inputName(opts.from ?? '')}`;
  const freshHint = opts.id !== undefined ? 'leave out --id to get a fresh timestamp id' : 'remove model_id from the file to get a fresh timestamp id, or pass --id ID';
  if (opts.dataset !== undefined) assertSafeName('dataset', opts.dataset, '--dataset');
  for (const t of opts.tags ?? []) assertSafeName('tag', t, '--tag');
  if (opts.parent !== undefined) assertSafeName('model id', opts.parent, '--parent');
  for (const [flag, v] of [['--num-queries', opts.numQueries], ['--training-time', opts.trainingTime]] as const) {
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new UsageError(`${flag} must be a non-negative number`);
  }
  if (opts.numQueries !== undefined && !Number.isInteger(opts.numQueries)) throw new UsageError('--num-queries must be a whole number');
  // model_path: --model-path, else the file's, else modelgit.yaml's artifacts layout (filled in once the id is known).
  const template = opts.modelPath === undefined && typeof fileFields.model_path !== 'string' ? artifactsTemplate(reg) : undefined;
  const templated = (id: string) => (template !== undefined ? expandArtifactTemplate(template, { algorithm, model_id: id, name }) : undefined);
  // Hashing a large artifact takes a while: do it before taking the lock.
  if (opts.checksum) {
    const known = opts.modelPath ?? (typeof fileFields.model_path === 'string' ? fileFields.model_path : wanted !== undefined ? templated(wanted) : undefined);
    opts = { ...opts, fields: { ...opts.fields, artifact: await checksumOf(known, reg.remote ? cwd : reg.root) } };
  }

  // The operation's identity: the caller's token, or what was asked (never the clock or the id it generates).
  const operation = await reg.operation('register', () => ({ opts: { ...opts, from: undefined, checksum: undefined }, fileFields }));
  const replay = async (found: Replayed): Promise<RegisterAnswer> => {
    await reg.assertSameOperation(found, 'register', opts.id);
    const id = found.modelIds[0]!;
    const path = reg.modelFile(algorithm, id);
    // model_path as that commit recorded it, so the answer names the same artifact the first run did.
    let modelPath: string | null = null;
    try {
      const text = await reg.git.showFile(found.commit, path);
      const recorded = text ? (JSON.parse(text) as { model_path?: unknown }).model_path : undefined;
      if (typeof recorded === 'string') modelPath = recorded;
    } catch {
      /* not plain JSON at that commit: answer without the path */
    }
    return { model_id: id, path, commit: found.commit, replayed: true, model_path: modelPath, artifact_path: artifactPathOf(reg, modelPath) };
  };
  return reg.write(async () => {
    // One reading of the clock: the id and created_at must name the same second.
    const now = reg.now();
    // The ids this needs, looked up by path (lookup.ts), not in a snapshot of every model; each
    // id is asked once. The first ask holds all that are known now (the generated id too).
    const known = new Map<string, Model | undefined>();
    // Ids whose file is there but does not parse: taken all the same (someone's model).
    const unreadable = new Set<string>();
    const lookup = async (ids: string[]) => {
      const ask = ids.filter((x) => !known.has(x));
      const { found, invalid } = await reg.lookup(ask);
      for (const x of ask) known.set(x, found.get(x));
      for (const x of invalid.keys()) unreadable.add(x);
      return known;
    };
    // A file at the id's path: in a work tree (committed or not) on disk; without one, in the tip's tree, as the lookup saw it.
    const fileAt = async (id: string) => (reg.remote ? unreadable.has(id) : reg.hasFile(reg.modelFile(algorithm, id)));
    const base = wanted === undefined ? timestampId(name, now) : undefined;
    const first = lookup([wanted, opts.parent, base].filter((x): x is string => x !== undefined));
    validatorFor('model'); // loads the metadata validator (checkModelText's) while git answers
    const named = await first;
    let id: string;
    if (wanted !== undefined) {
      const registered = named.get(wanted);
      if (registered) {
        throw new ConflictError(`${wantedBy}: model id ${wanted} is already registered (${registered.path}); ids are never overwritten`, { hint: freshHint });
      }
      // A file that doesn't parse isn't in the snapshot, but it is still someone's model.
      const existing = reg.modelFile(algorithm, wanted);
      if (await fileAt(wanted)) {
        throw new ConflictError(`${wantedBy}: ${existing} already exists (it is not a readable model: modelgit validate --all says why); ids are never overwritten`, {
          hint: `fix or remove that file, or ${freshHint}`,
        });
      }
      id = wanted;
    } else {
      id = await freeId(base!, async (candidates) => {
        const models = await lookup(candidates);
        const files = new Set<string>();
        for (const c of candidates) if (models.get(c) === undefined && (await fileAt(c))) files.add(c);
        return (c) => models.get(c) !== undefined || files.has(c);
      });
    }
    if (opts.parent !== undefined && !named.get(opts.parent)) {
      throw new UsageError(`--parent: no model ${opts.parent} in the registry`);
    }
    const meta = buildMetadata({ ...opts, algorithm, modelPath: opts.modelPath ?? templated(id) }, fileFields, id, now);
    const path = reg.modelFile(algorithm, id);
    const text = serializeMetadata(meta);
    const errors = await checkModelText(reg, path, text);
    if (errors.length) throw new ValidationError(`the new metadata for ${id} is invalid`, errors);
    const modelPath = typeof meta.model_path === 'string' ? meta.model_path : null;
    return {
      spec: { subject: `register ${id}`, trailers: [['Model-Action', 'register'], ['Model-Id', id]], changes: [{ path, content: text }] },
      result: (commit: string) => ({ model_id: id, path, commit, model_path: modelPath, artifact_path: artifactPathOf(reg, modelPath) }),
    };
  }, { operation, replay, combine: wanted === undefined });
}
