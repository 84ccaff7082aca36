// register: a new model file with a generated id, one commit.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError, UsageError, ValidationError } from '../errors.js';
import { firstFreeId, isoSeconds, timestampId } from '../domain/ids.js';
import { serializeMetadata } from '../domain/metadata.js';
import { assertSafeName } from '../domain/names.js';
import { numberProblem, strictNumber } from '../domain/metrics.js';
import type { Artifact, Model, ModelMetadata, Training } from '../domain/types.js';
import { artifactOf, locateArtifact } from '../loading/artifact.js';
import { checkModelText } from './checks.js';
import { validatorFor } from '../schema/validator.js';
import { modelsAtHead } from './lookup.js';
import type { Registry } from './registry.js';
import { parseInputFile, readInputText } from '../schema/yaml-input.js';

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
  /** metadata fields from a JSON or YAML file; flags win over it */
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
}

/** Reads a JSON or YAML file of metadata fields, with the file named in every error. */
export function readFieldsFile(file: string, cwd: string): Record<string, unknown> {
  const abs = join(cwd, file);
  if (!existsSync(abs)) throw new UsageError(`--from: ${file} does not exist`);
  const text = readInputText('--from', abs);
  const value = parseInputFile('--from', file, text);
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`--from: ${file} must hold an object of metadata fields`);
  return value as Record<string, unknown>;
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
  if (modelPath === undefined) throw new UsageError('--checksum needs --model-path (the artifact to checksum)');
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

export async function register(reg: Registry, opts: RegisterOptions, cwd = reg.root): Promise<WriteAnswer> {
  const fileFields = opts.from ? readFieldsFile(opts.from, cwd) : {};
  const algorithm = assertSafeName('algorithm', opts.algorithm ?? fileFields.algorithm, '--algo');
  const name = opts.name !== undefined ? assertSafeName('name', opts.name, '--name') : algorithm;
  if (opts.id !== undefined) assertSafeName('model id', opts.id, '--id');
  if (opts.dataset !== undefined) assertSafeName('dataset', opts.dataset, '--dataset');
  for (const t of opts.tags ?? []) assertSafeName('tag', t, '--tag');
  if (opts.parent !== undefined) assertSafeName('model id', opts.parent, '--parent');
  for (const [flag, v] of [['--num-queries', opts.numQueries], ['--training-time', opts.trainingTime]] as const) {
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new UsageError(`${flag} must be a non-negative number`);
  }
  if (opts.numQueries !== undefined && !Number.isInteger(opts.numQueries)) throw new UsageError('--num-queries must be a whole number');
  // Hashing a large artifact takes a while: do it before taking the lock.
  if (opts.checksum) opts = { ...opts, fields: { ...opts.fields, artifact: await checksumOf(opts.modelPath, reg.root) } };

  return reg.write(async () => {
    // One reading of the clock: the id and created_at must name the same second.
    const now = reg.now();
    // The ids this needs, looked up by path (lookup.ts), not in a snapshot of every model; each
    // id is asked once. The first ask holds all that are known now (the generated id too).
    const known = new Map<string, Model | undefined>();
    const lookup = async (ids: string[]) => {
      const ask = ids.filter((x) => !known.has(x));
      const found = await modelsAtHead(reg.git, reg.config, ask);
      for (const x of ask) known.set(x, found.get(x));
      return known;
    };
    const base = opts.id === undefined ? timestampId(name, now) : undefined;
    const first = lookup([opts.id, opts.parent, base].filter((x): x is string => x !== undefined));
    validatorFor('model'); // loads the metadata validator (checkModelText's) while git answers
    const named = await first;
    let id: string;
    if (opts.id !== undefined) {
      const registered = named.get(opts.id);
      if (registered) {
        throw new ConflictError(`model id ${opts.id} is already registered (${registered.path}); ids are never overwritten`, {
          hint: 'leave out --id to get a fresh timestamp id',
        });
      }
      // A file that doesn't parse isn't in the snapshot, but it is still someone's model.
      const existing = reg.modelFile(algorithm, opts.id);
      if (existsSync(join(reg.root, existing))) {
        throw new ConflictError(`${existing} already exists (it is not a readable model: modelgit validate --all says why); ids are never overwritten`, {
          hint: 'fix or remove that file, or leave out --id to get a fresh timestamp id',
        });
      }
      id = opts.id;
    } else {
      id = await freeId(base!, async (candidates) => {
        const models = await lookup(candidates);
        return (c) => models.get(c) !== undefined || existsSync(join(reg.root, reg.modelFile(algorithm, c)));
      });
    }
    if (opts.parent !== undefined && !named.get(opts.parent)) {
      throw new UsageError(`--parent: no model ${opts.parent} in the registry`);
    }
    const meta = buildMetadata({ ...opts, algorithm }, fileFields, id, now);
    const path = reg.modelFile(algorithm, id);
    const text = serializeMetadata(meta);
    const errors = await checkModelText(reg, path, text);
    if (errors.length) throw new ValidationError(`the new metadata for ${id} is invalid`, errors);
    return {
      spec: { subject: `register ${id}`, trailers: [['Model-Action', 'register'], ['Model-Id', id]], changes: [{ path, content: text }] },
      result: (commit: string) => ({ model_id: id, path, commit }),
    };
  });
}
