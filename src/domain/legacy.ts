// Older metadata → version 2. Pure. Two older shapes come in:
// - version 1 (the older registry's per-model JSON and model_registry.json entries): the same fields
//   without schema_version and created_at, written by Python (naive timestamps, `testing` sometimes
//   a map keyed by dataset);
// - a checkpoint's metadata.json: loading fields plus `wmtp_type` (→ role) and `storage_version`
//   (kept under extra).
// Nothing is dropped: a field version 2 doesn't know goes under `extra` at the level it was found.
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isoSeconds, timestampId } from './ids.js';
import { MODEL_NAME_RE } from './names.js';
import type { LoadingStrategy, ModelMetadata, Training } from './types.js';

export interface LegacyProblem {
  pointer: string;
  rule: string;
  message: string;
}

export interface LegacyRecord {
  kind: 'version1' | 'checkpoint';
  raw: unknown;
  /** the id the source gives (a map key, a file name or a directory name) */
  id?: string;
  /** the algorithm the source gives (an <Algo>/Model directory), as written */
  algorithm?: string;
  /** when nothing in the record says when the model was made (file time), ISO */
  fallbackDate: string;
}

export interface LegacyOverrides {
  algorithm?: string;
  id?: string;
}

const TOP_LEVEL = new Set([
  'schema_version', 'model_id', 'algorithm', 'created_at', 'model_path', 'artifact', 'parent', 'training', 'testing', 'tags', 'notes',
  'role', 'base_architecture', 'training_algorithm', 'loading_strategy', 'algorithm_compatibility', 'extra',
]);
const TRAINING = new Set(['enabled', 'dataset', 'num_queries', 'hyperparams', 'trained_at', 'training_time', 'extra']);
const RESULT = new Set(['dataset', 'num_queries', 'tested_at', 'performance', 'notes', 'extra']);
const LOADING = new Set(['loader_type', 'model_class_name', 'custom_module_file', 'transformers_class', 'state_dict_mapping', 'required_files', 'extra']);

const NAIVE_RE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$/;
const ZONED_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * A timestamp in RFC 3339 form. Python's naive `datetime.isoformat()` ("2024-10-19T10:30:00.123456"
 * or with a space) is read as UTC; epoch seconds become ISO. Anything else is returned unchanged so
 * the schema names it.
 */
export function normalizeTimestamp(value: unknown): unknown {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return isoSeconds(new Date(value * 1000));
  if (typeof value !== 'string') return value;
  const v = value.trim();
  if (ZONED_RE.test(v)) return v.replace(/z$/, 'Z');
  const m = NAIVE_RE.exec(v);
  if (m) return `${m[1]}T${m[2]!.length === 5 ? `${m[2]}:00` : m[2]}Z`;
  return value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

// Python writes a missing value as None → null. Where the schema allows the field to be absent but
// not null, a null means "not given" and is dropped; `training: null` is itself valid and is kept.
const TRAINING_NULL_ABSENT = new Set(['enabled', 'dataset', 'num_queries', 'hyperparams', 'trained_at', 'training_time', 'extra']);
const RESULT_NULL_ABSENT = new Set(['num_queries', 'tested_at', 'notes', 'extra']);

/** A copy of `obj` without the keys in `keys` whose value is null. */
function withoutNulls(obj: Record<string, unknown>, keys: Set<string> | 'all'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!(v === null && (keys === 'all' || keys.has(k)))) out[k] = v;
  return out;
}

/**
 * Metadata fields as a script writes them (`register --from`), made what the schema reads, the
 * way import reads older records: naive timestamps (Python's `datetime.now().isoformat()`) are
 * UTC, and a null where a field may be missing is dropped (every top-level field but `training`,
 * whose null means "no training information"; optional fields of training and of each result).
 * Anything else is kept as written so the schema names it.
 */
export function normalizeWrittenFields(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== null || k === 'training') out[k] = v;
  if (out.created_at !== undefined) out.created_at = normalizeTimestamp(out.created_at);
  if (isObject(out.training)) {
    const t = withoutNulls(out.training, TRAINING_NULL_ABSENT);
    if (t.trained_at !== undefined) t.trained_at = normalizeTimestamp(t.trained_at);
    out.training = t;
  }
  if (Array.isArray(out.testing)) {
    out.testing = out.testing.map((r) => {
      if (!isObject(r)) return r;
      const c = withoutNulls(r, RESULT_NULL_ABSENT);
      if (c.tested_at !== undefined) c.tested_at = normalizeTimestamp(c.tested_at);
      return c;
    });
  }
  return out;
}

/** Splits known keys from the rest; the rest merges into the object's `extra`. */
function withExtra(obj: Record<string, unknown>, known: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const extra: Record<string, unknown> = isObject(obj.extra) ? { ...obj.extra } : {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'extra') continue;
    if (known.has(k)) out[k] = v;
    else if (v !== undefined) extra[k] = v;
  }
  if (Object.keys(extra).length) out.extra = extra;
  else if (obj.extra !== undefined && !isObject(obj.extra)) out.extra = obj.extra; // let the schema name it
  return out;
}

function convertTraining(raw: unknown): Training | null | unknown {
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) return raw;
  const t = withExtra(withoutNulls(raw, TRAINING_NULL_ABSENT), TRAINING);
  if (t.trained_at !== undefined) t.trained_at = normalizeTimestamp(t.trained_at);
  return t as Training;
}

function convertResult(raw: unknown, dataset?: string): unknown {
  if (!isObject(raw)) return raw;
  const r = withoutNulls(raw, RESULT_NULL_ABSENT);
  if (dataset !== undefined && r.dataset === undefined) r.dataset = dataset;
  if (r.performance === undefined) {
    // An older result with its metrics at the top level: numbers other than num_queries are metrics.
    const performance: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
      if (!RESULT.has(k) && typeof v === 'number') {
        performance[k] = v;
        delete r[k];
      }
    }
    if (Object.keys(performance).length) r.performance = performance;
  }
  const out = withExtra(r, RESULT);
  if (out.tested_at !== undefined) out.tested_at = normalizeTimestamp(out.tested_at);
  return out;
}

/** `testing` as a list, oldest first; an older map keyed by dataset becomes entries sorted by tested_at. */
function convertTesting(raw: unknown): unknown {
  if (raw === undefined || raw === null) return [];
  if (Array.isArray(raw)) return raw.map((r) => convertResult(r));
  if (!isObject(raw)) return raw;
  const list: unknown[] = [];
  for (const [dataset, v] of Object.entries(raw)) {
    for (const r of Array.isArray(v) ? v : [v]) list.push(convertResult(r, dataset));
  }
  const at = (r: unknown) => (isObject(r) && typeof r.tested_at === 'string' ? r.tested_at : '');
  return list.map((r, i) => [r, i] as const).sort((a, b) => at(a[0]).localeCompare(at(b[0])) || a[1] - b[1]).map(([r]) => r);
}

function convertLoading(raw: unknown): LoadingStrategy | unknown {
  return isObject(raw) ? withExtra(raw, LOADING) : raw;
}

function lower(v: unknown): unknown {
  return typeof v === 'string' ? v.toLowerCase() : v;
}

/** The time in an id of the default form <name>_<YYYYMMDD>_<HHMMSS>[_n] (UTC), or undefined. */
export function timeFromId(id: unknown): string | undefined {
  if (typeof id !== 'string') return undefined;
  const m = /_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})(?:_\d+)?$/.exec(id);
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
  const t = Date.parse(iso);
  // Reject 20241399_256199 and the like: the parsed date must print back as written.
  return !Number.isNaN(t) && isoSeconds(new Date(t)) === iso ? iso : undefined;
}

/** When the model was made: training time, else its own created_at, else the fallback. */
export function creationTime(meta: { training?: unknown; created_at?: unknown }, fallback: string): string {
  const trained = isObject(meta.training) ? meta.training.trained_at : undefined;
  for (const c of [trained, meta.created_at]) {
    const n = normalizeTimestamp(c);
    if (typeof n === 'string' && ZONED_RE.test(n) && !Number.isNaN(Date.parse(n))) return n;
  }
  return fallback;
}

/** Converts one older record to version 2 metadata (not yet schema-checked), or says why it can't. */
export function convertLegacy(rec: LegacyRecord, over: LegacyOverrides = {}): { meta?: ModelMetadata; problems: LegacyProblem[] } {
  const problems: LegacyProblem[] = [];
  if (!isObject(rec.raw)) return { problems: [{ pointer: '', rule: 'type', message: 'must be a JSON object of model metadata' }] };
  const raw: Record<string, unknown> = { ...rec.raw };

  if (rec.kind === 'checkpoint') {
    if (raw.wmtp_type !== undefined) {
      if (raw.role !== undefined && raw.role !== raw.wmtp_type) {
        problems.push({ pointer: '/wmtp_type', rule: 'role-conflict', message: `wmtp_type ${JSON.stringify(raw.wmtp_type)} and role ${JSON.stringify(raw.role)} disagree` });
      }
      raw.role ??= raw.wmtp_type;
      delete raw.wmtp_type;
    }
    if (raw.storage_version !== undefined) {
      raw.extra = { ...(isObject(raw.extra) ? raw.extra : {}), storage_version: raw.storage_version };
      delete raw.storage_version;
    }
  }

  const algorithm = over.algorithm ?? lower(raw.algorithm ?? (rec.kind === 'checkpoint' ? raw.base_architecture : rec.algorithm) ?? rec.algorithm);
  if (algorithm === undefined) {
    problems.push({ pointer: '/algorithm', rule: 'required', message: rec.kind === 'checkpoint' ? 'no algorithm: the metadata has no base_architecture; give --algo' : 'no algorithm: give --algo' });
  } else if (typeof algorithm !== 'string' || !MODEL_NAME_RE.test(algorithm)) {
    problems.push({ pointer: '/algorithm', rule: 'safe-name', message: `algorithm ${JSON.stringify(algorithm)} is not a safe name (lowercase letters, digits, ".", "_", "-")` });
  }

  // No time in the record: the id's own timestamp (the older default ids carry one), else the file's.
  const created = creationTime(raw, timeFromId(raw.model_id ?? rec.id) ?? rec.fallbackDate);
  let id: unknown = over.id ?? raw.model_id ?? rec.id;
  if (over.id === undefined && raw.model_id !== undefined && rec.id !== undefined && raw.model_id !== rec.id && rec.kind === 'version1') {
    problems.push({ pointer: '/model_id', rule: 'id-matches-key', message: `model_id ${JSON.stringify(raw.model_id)} differs from ${JSON.stringify(rec.id)}, the key/file name it is stored under` });
  }
  if (rec.kind === 'checkpoint' && over.id === undefined && raw.model_id === undefined) {
    // A checkpoint directory's name is its id when it is a safe one; else <algorithm>_<timestamp>.
    id = typeof rec.id === 'string' && MODEL_NAME_RE.test(rec.id) ? rec.id : typeof algorithm === 'string' ? timestampId(algorithm, new Date(created)) : undefined;
  }
  if (id === undefined) problems.push({ pointer: '/model_id', rule: 'required', message: 'no model_id' });
  else if (typeof id !== 'string' || !MODEL_NAME_RE.test(id) || id.includes('..')) {
    problems.push({ pointer: '/model_id', rule: 'safe-name', message: `model id ${JSON.stringify(id)} is not a safe name (lowercase letters, digits, ".", "_", "-", starting with a letter or digit; ids are kept as they are, so rename it in the source)` });
  }

  const top = withExtra(raw, TOP_LEVEL);
  delete top.schema_version;
  const tags = raw.tags === undefined || raw.tags === null ? [] : typeof raw.tags === 'string' ? raw.tags.split(',').map((t) => t.trim()).filter(Boolean) : raw.tags;
  const meta: Record<string, unknown> = {
    ...top,
    schema_version: 2,
    model_id: id,
    algorithm,
    created_at: created,
    training: convertTraining(raw.training),
    testing: convertTesting(raw.testing),
    tags: Array.isArray(tags) ? [...new Set(tags)] : tags,
  };
  if (raw.notes === null || raw.notes === '') delete meta.notes;
  if (raw.parent === null) delete meta.parent;
  if (raw.model_path === null || raw.model_path === '') delete meta.model_path;
  if (raw.loading_strategy !== undefined) meta.loading_strategy = convertLoading(raw.loading_strategy);
  return { meta: problems.length ? undefined : (meta as ModelMetadata), problems };
}

/** Version 1 file already in a registry → version 2: only schema_version and created_at change. */
export function upgradeToVersion2(meta: ModelMetadata, addedAt: string): ModelMetadata {
  return { ...meta, schema_version: 2, created_at: creationTime(meta, addedAt) };
}

// ---------------------------------------------------------------------------------------------
// Where an older record's artifact is. The older code saved the weights at model_path and the
// metadata beside them (model_path + ".json"), and wrote model_path relative to wherever it ran
// (`ExampleData/Mscn/Model/<id>`, `../algorithm_examples/ExampleData/Mscn/Model/<id>`), so the
// recorded path rarely resolves from the import source. It is looked for in this order:
//   1. where it names, read from each base (the source root, the metadata file's directory);
//   2. its tail under the source root, longest first (`Mscn/Model/<id>` of `…/ExampleData/Mscn/Model/<id>`);
//   3. beside the metadata file: its file name, then that name (or the id) with any one extension.
// Every path tried is confined: strictly inside the import source directory or the registry root,
// by its text and, once it exists, by its real path (a link out is not followed). A path that
// escapes both is never opened — a record cannot make import read or checksum an unrelated file.
// The only I/O is through `probe`, so the decision can be reasoned about (and tested) alone.

export interface LegacyArtifactContext {
  /** the record's model id (older trees name the artifact after it) */
  id: string;
  /** absolute directory of the metadata file (an <Algo>/Model directory, or the registry file's) */
  metadataDir: string;
  /** absolute directories a relative model_path is read from, most likely first */
  bases: string[];
  /** the import source directory (the tree root, or the registry file's directory) */
  sourceRoot: string;
  /** the registry's root */
  registryRoot: string;
}

export interface ArtifactProbe {
  /** 'file' | 'dir' for an existing path (links followed), undefined when there is none */
  kind(path: string): 'file' | 'dir' | undefined;
  /** the names in a directory ([] when it can't be read) */
  list(dir: string): string[];
  /** the path with every link resolved (the path itself when that fails) */
  realpath(path: string): string;
}

export type LegacyArtifactResolution =
  | { kind: 'remote' }
  /** the record names no artifact and none is beside it */
  | { kind: 'none' }
  | { kind: 'found'; path: string; how: 'as recorded' | 'beside the metadata' | 'under the import source' }
  | { kind: 'missing'; reason: string };

const URI_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/** Whether `path` is strictly inside `root` (both absolute, compared as text). */
export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel);
}

/** Whether `path` is strictly inside one of `roots`, by its text and (probe) by its real path. */
export function isConfined(path: string, roots: string[], probe?: Pick<ArtifactProbe, 'realpath'>): boolean {
  if (!roots.some((r) => isInside(path, r))) return false;
  if (!probe) return true;
  const real = probe.realpath(path);
  return roots.some((r) => isInside(real, probe.realpath(r)));
}

/** A model_path's segments, `\` read as `/` (older records written on Windows). */
function segmentsOf(p: string): string[] {
  return p.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.');
}

/** The absolute paths a recorded model_path names, read from each base (as the older code would have). */
function namedPaths(text: string, ctx: LegacyArtifactContext): string[] {
  if (isAbsolute(text) || text.startsWith('/')) return [resolve(text)];
  return [...new Set(ctx.bases.map((b) => resolve(b, segmentsOf(text).join('/'))))];
}

/** Finds the artifact an older record names (see above). */
export function resolveLegacyArtifact(recorded: string | undefined, ctx: LegacyArtifactContext, probe: ArtifactProbe): LegacyArtifactResolution {
  const roots = [ctx.sourceRoot, ctx.registryRoot];
  const ok = (p: string) => isConfined(p, roots) && probe.kind(p) !== undefined && isConfined(p, roots, probe);
  let named: string[] = [];
  let file: string | undefined;

  if (recorded !== undefined) {
    const m = URI_RE.exec(recorded);
    if (m && m[1]!.toLowerCase() !== 'file') return { kind: 'remote' };
    const text = m ? recorded.slice(m[0].length - 1) : recorded; // file:///x → /x
    const segs = segmentsOf(text);
    file = segs.at(-1);
    // 1. Where it names.
    named = namedPaths(text, ctx);
    for (const p of named) if (ok(p)) return { kind: 'found', path: p, how: 'as recorded' };
    // 2. Its tail under the source root, longest first (only after the last "..": never upwards).
    const tail = segs.slice(segs.lastIndexOf('..') + 1);
    for (let i = 0; i < tail.length - 1; i++) {
      const p = join(ctx.sourceRoot, ...tail.slice(i));
      if (ok(p)) return { kind: 'found', path: p, how: 'under the import source' };
    }
  }
  // 3. Beside the metadata file: its file name exactly, then with any one extension.
  const exact = [...new Set([file, ctx.id].filter((x): x is string => !!x && x !== '..' && extname(x).toLowerCase() !== '.json'))];
  for (const name of exact) {
    const p = join(ctx.metadataDir, name);
    if (ok(p)) return { kind: 'found', path: p, how: 'beside the metadata' };
  }
  const stems = [...new Set([...exact, ...exact.map((n) => n.slice(0, n.length - extname(n).length))].filter(Boolean))];
  const entries = probe.list(ctx.metadataDir);
  for (const stem of stems) {
    const withExt = entries.filter((e) => e.startsWith(`${stem}.`) && extname(e).toLowerCase() !== '.json' && !exact.includes(e));
    const usable = withExt.filter((e) => ok(join(ctx.metadataDir, e)));
    if (usable.length === 1) return { kind: 'found', path: join(ctx.metadataDir, usable[0]!), how: 'beside the metadata' };
    if (usable.length > 1) return { kind: 'missing', reason: `several files beside its metadata could be it (${usable.join(', ')}); none taken (set model_path)` };
  }
  if (recorded === undefined) return { kind: 'none' };
  const beside = `nor beside its metadata in ${ctx.metadataDir}`;
  const outside = named.filter((p) => !isConfined(p, roots));
  return {
    kind: 'missing',
    reason: outside.length === named.length
      ? `it names ${outside[0]}, outside the registry and the import source (not followed), ${beside}`
      : `not found at ${named.filter((p) => isConfined(p, roots)).join(' or ')}, ${beside}`,
  };
}
