// Models read from the snapshot cache whose metadata is parsed only when first touched: most
// queries look at a few of 100,000 models. A model from the index (.full/.delta) carries its entry;
// one from a summary section carries its summary (StoredSummary: results parsed per dataset on
// demand) and its text. A text that fails its checksum is read from git instead, with a warning.
// assemble() builds the Snapshot readSnapshot gives from recorded parse outcomes, with LazyIdMap
// finding one id without creating every model.
import type { ErrorLocation } from '../errors.js';
import { KNOWN_ALGORITHM } from '../domain/metadata.js';
import { SUMMARY, summarize, type ModelSummary, type SummaryResult } from '../domain/summary.js';
import type { Model, ModelMetadata, RegistryConfig } from '../domain/types.js';
import { Git } from '../git/git.js';
import { idOfPath, parseModelBlob, sortOut } from './model-file.js';
import type { Snapshot } from './snapshot.js';
import type { SnapshotCache } from './cache/snapshot-cache.js';
import { oidOf, textIntact, textOf, type IndexEntry } from './cache/snapshot-file.js';
import { hasResults, ITEM_OID, ITEM_SUMMARY, sectionText, type Section, type SectionItem } from './cache/sections.js';

/** What a lazily parsed model needs to parse itself, or to fall back to git if its text is damaged. */
export interface LazyContext {
  root: string;
  config: Pick<RegistryConfig, 'models_dir'>;
  cache: SnapshotCache;
  files?: string[];
}

const ENTRY = Symbol('modelgit.snapshot-entry');
const CONTEXT = Symbol('modelgit.snapshot-context');
const PARSED = Symbol('modelgit.snapshot-parsed');

interface LazyModel extends Model {
  [ENTRY]: IndexEntry;
  [CONTEXT]: LazyContext;
  [PARSED]?: ModelMetadata;
}

function parseEntry(entry: IndexEntry, ctx: LazyContext): ModelMetadata {
  if (textIntact(entry)) {
    const parsed = parseModelBlob(entry.path, textOf(entry), ctx.config);
    if (parsed.model) return parsed.model.metadata;
  }
  return parseFromGit(entry.path, oidOf(entry), ctx, ctx.files ?? []);
}

/** The cache file was damaged after it was checked at load: answer from git, rebuild next time. */
function parseFromGit(path: string, oid: string, ctx: LazyContext, files: string[]): ModelMetadata {
  ctx.cache.corrupt(files, `the text of ${path} fails its checksum`);
  const text = Git.blobTextSync(ctx.root, oid);
  const parsed = parseModelBlob(path, text, ctx.config);
  if (!parsed.model) throw new Error(`${path} no longer parses as it did when it was indexed`);
  return parsed.model.metadata;
}

// One accessor pair shared by every lazy model (own and enumerable, so spreading a model or
// JSON.stringify of it sees `metadata` like a plain property, and all models share one shape).
const METADATA: PropertyDescriptor = {
  get(this: LazyModel): ModelMetadata {
    return (this[PARSED] ??= parseEntry(this[ENTRY], this[CONTEXT]));
  },
  set(this: LazyModel, value: ModelMetadata) {
    this[PARSED] = value;
  },
  enumerable: true,
  configurable: true,
};

/** A model whose metadata is parsed on first use: most queries touch a few of 100,000 models. */
function lazyModel(entry: IndexEntry, ctx: LazyContext, algorithm: string): Model {
  const m = { path: entry.path, [ENTRY]: entry, [CONTEXT]: ctx, [KNOWN_ALGORITHM]: algorithm };
  Object.defineProperty(m, 'metadata', METADATA);
  return m as unknown as Model;
}

/**
 * The same snapshot buildSnapshot makes, from recorded parse outcomes (problems and ids in file
 * order), assembled only as far as it is used: `byId.get(id)` / `byId.has(id)` find one model
 * without creating the other 99,999 (what a write needs), and `models`, `problems` or any other
 * use of `byId` assembles everything once. Every model object is created at most once, so the
 * one `get` returns is the one `models` holds.
 */
export function assemble(entries: IndexEntry[], ctx: LazyContext, commit: string): Snapshot {
  const dirLength = ctx.config.models_dir.length + 1;
  const created: (Model | undefined)[] = new Array(entries.length);
  const modelAt = (i: number): Model => {
    const e = entries[i]!;
    return (created[i] ??= lazyModel(e, ctx, e.path.slice(dirLength, e.path.lastIndexOf('/'))));
  };
  let whole: { models: Model[]; byId: Map<string, Model>; problems: ErrorLocation[] } | undefined;
  const all = () => {
    if (whole) return whole;
    const sorted = sortOut(entries);
    const models = sorted.models.map(modelAt);
    const ids = new Map<string, Model>();
    for (const m of models) ids.set(idOfPath(m.path), m);
    return (whole = { models, byId: ids, problems: sorted.problems });
  };
  // The model that holds `id`: the first file named <id>.json that parsed (later ones are duplicates).
  const find = (id: string): Model | undefined => {
    if (whole) return whole.byId.get(id);
    if (id.includes('/')) return undefined; // a file name never holds one
    const suffix = `/${id}.json`;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (!e.problem && e.path.endsWith(suffix)) return modelAt(i);
    }
    return undefined;
  };
  const snap = { commit } as Snapshot;
  for (const key of ['models', 'problems'] as const) {
    Object.defineProperty(snap, key, {
      get: () => all()[key],
      set: (value: never) => {
        all()[key] = value;
      },
      enumerable: true,
      configurable: true,
    });
  }
  snap.byId = new LazyIdMap(() => all().byId, find);
  return snap;
}

/** A Map of id → model that answers get/has by a scan until something needs the whole map. */
class LazyIdMap extends Map<string, Model> {
  constructor(
    private readonly whole: () => Map<string, Model>,
    private readonly find: (id: string) => Model | undefined,
  ) {
    super();
  }
  override get(id: string): Model | undefined {
    return this.find(id);
  }
  override has(id: string): boolean {
    return this.find(id) !== undefined;
  }
  override get size(): number {
    return this.whole().size;
  }
  override set(id: string, model: Model): this {
    this.whole().set(id, model);
    return this;
  }
  override delete(id: string): boolean {
    return this.whole().delete(id);
  }
  override clear(): void {
    this.whole().clear();
  }
  override forEach(fn: (value: Model, key: string, map: Map<string, Model>) => void, thisArg?: unknown): void {
    this.whole().forEach((v, k) => fn.call(thisArg, v, k, this));
  }
  override keys(): MapIterator<string> {
    return this.whole().keys();
  }
  override values(): MapIterator<Model> {
    return this.whole().values();
  }
  override entries(): MapIterator<[string, Model]> {
    return this.whole().entries();
  }
  override [Symbol.iterator](): MapIterator<[string, Model]> {
    return this.whole()[Symbol.iterator]();
  }
}

const ITEM = Symbol('modelgit.section-item');
const SECTION = Symbol('modelgit.section');

interface SectionModel extends Model {
  [ITEM]: SectionItem;
  [SECTION]: Section;
  [CONTEXT]: LazyContext;
  [PARSED]?: ModelMetadata;
}

function parseItem(m: SectionModel): ModelMetadata {
  const text = sectionText(m[SECTION], m[ITEM]);
  const parsed = text && parseModelBlob(m.path, text.toString('utf8'), m[CONTEXT].config).model;
  if (parsed) return parsed.metadata;
  const section = m[SECTION];
  return parseFromGit(m.path, m[ITEM][ITEM_OID], m[CONTEXT], section.file ? [section.file] : []);
}

const SECTION_METADATA: PropertyDescriptor = {
  get(this: SectionModel): ModelMetadata {
    return (this[PARSED] ??= parseItem(this));
  },
  set(this: SectionModel, value: ModelMetadata) {
    this[PARSED] = value;
  },
  enumerable: true,
  configurable: true,
};

/** A model with its summary at hand; its metadata is parsed from the section's text on first use. */
export function sectionModel(path: string, item: SectionItem, index: number, section: Section, ctx: LazyContext): Model {
  const head = item[ITEM_SUMMARY];
  const m = { path, [ITEM]: item, [SECTION]: section, [CONTEXT]: ctx, [KNOWN_ALGORITHM]: section.algorithm, [SUMMARY]: undefined as ModelSummary | undefined };
  Object.defineProperty(m, 'metadata', SECTION_METADATA);
  if (head !== 0) m[SUMMARY] = hasResults(head) ? head : new StoredSummary(head, index, section, m as unknown as Model);
  return m as unknown as Model;
}

/**
 * A summary read from a section file: its `testing` is the section's results, parsed (for all
 * its models at once) when first read, or, if they are damaged, the model's own metadata's.
 */
class StoredSummary implements ModelSummary {
  model_id: string;
  algorithm: string;
  created_at?: string;
  training?: ModelSummary['training'];
  tags: string[];
  private results?: SummaryResult[];

  constructor(
    head: Omit<ModelSummary, 'testing'>,
    private readonly index: number,
    private readonly section: Section,
    private readonly model: Model,
  ) {
    this.model_id = head.model_id;
    this.algorithm = head.algorithm;
    if (head.created_at !== undefined) this.created_at = head.created_at;
    if (head.training !== undefined) this.training = head.training;
    this.tags = head.tags;
  }

  get testing(): SummaryResult[] {
    return (this.results ??= this.section.results()?.[this.index] ?? summarize(this.model.metadata).testing);
  }

  testingOn(dataset: string): [number, SummaryResult][] {
    if (!this.results) {
      const group = this.section.resultsOn(dataset);
      if (group) return group[this.index] ?? [];
    }
    // Read already, or the group is damaged: from the whole list.
    const out: [number, SummaryResult][] = [];
    this.testing.forEach((r, i) => {
      if (r !== null && typeof r === 'object' && r.dataset === dataset) out.push([i, r]);
    });
    return out;
  }

  toJSON(): ModelSummary {
    const { model_id, algorithm, created_at, training, tags, testing } = this;
    // summarize's order
    return { model_id, algorithm, tags, testing, ...(created_at !== undefined && { created_at }), ...(training !== undefined && { training }) };
  }
}
