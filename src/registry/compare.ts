// compare: models side by side on their scores (each metric's aggregate of its results), best per
// column marked, deltas against the first.
import { NotFoundError, UsageError, ValidationError } from '../errors.js';
import { buildComparison, filterComparison, type Comparison } from '../domain/comparison.js';
import { problemOfId, skippedFiles } from '../domain/invalid-files.js';
import { assertSafeName } from '../domain/names.js';
import type { Aggregate, Model } from '../domain/types.js';
import type { Registry } from './registry.js';
import { assertAggregate, checkInvalidFiles } from './query-options.js';

export interface CompareQuery {
  ids: string[];
  /** only this dataset */
  dataset?: string;
  /** only these metrics, in this order */
  metrics?: string[];
  /** overrides each metric's aggregate (metrics.<m>.aggregate in modelgit.yaml, else latest) */
  aggregate?: Aggregate;
  /** compare even when a file that could hold one of the ids can't be read (another file has the id) */
  skipInvalid?: boolean;
  /** hide training fields and results whose value is the same for every model */
  onlyChanged?: boolean;
  /** globs naming rows to show even when --drop or --only-changed would hide them (alone: only these) */
  keep?: string[];
  /** globs naming rows to hide: a hyperparameter, a metric, a dataset, `metric on dataset` */
  drop?: string[];
}

export async function compare(reg: Registry, q: CompareQuery): Promise<Comparison> {
  if (!q.ids || q.ids.length === 0) throw new UsageError('give at least one model id to compare');
  for (const id of q.ids) assertSafeName('model id', id, 'ID');
  if (q.dataset !== undefined) assertSafeName('dataset', q.dataset, '--dataset');
  for (const m of q.metrics ?? []) assertSafeName('metric', m, '--metric');
  const ids = [...new Set(q.ids)];
  const metrics = q.metrics && q.metrics.length ? [...new Set(q.metrics)] : undefined;
  if (q.aggregate !== undefined) assertAggregate(q.aggregate);
  for (const [flag, patterns] of [['--keep', q.keep], ['--drop', q.drop]] as const) {
    for (const p of patterns ?? []) if (p.trim() === '') throw new UsageError(`${flag} needs a pattern (a glob such as 'q_error*'); got an empty one`);
  }

  // A few models need not load every model: from the cache, the tree's id table names their blobs
  // and the manifest holds the problems; else their files by path (lookup.ts, the snapshot's own
  // answer) with the manifest's problems; without a cache, the snapshot.
  const byIds = await reg.cachedModelsByIds(ids);
  const known = byIds ? undefined : await reg.cachedProblems();
  const { found, problems } = byIds
    ? byIds
    : known
      ? { found: (await reg.lookup(ids, known.commit)).found, problems: known.problems }
      : await reg.snapshot().then((s) => ({ found: s.byId, problems: s.problems }));
  const missing = ids.filter((id) => !found.has(id));
  // A compared model whose file can't be read: said as such, --skip-invalid or not (nothing else holds it).
  const invalid = missing.map((id) => [id, problemOfId(problems, reg.config.models_dir, id)] as const).filter(([, p]) => p !== undefined);
  if (invalid.length === 1) throw reg.invalidModel(invalid[0]![0], invalid[0]![1])!;
  if (invalid.length > 1) {
    throw new ValidationError(`models ${invalid.map(([id]) => JSON.stringify(id)).join(', ')} exist but their files are invalid, so they cannot be read`, invalid.map(([, p]) => p!), {
      hint: 'fix or restore the files (modelgit validate --all lists every problem)',
    });
  }
  // Only a file named after a compared id could change the comparison.
  const skipped = checkInvalidFiles(problems, reg.config, { kind: 'ids', ids }, q.skipInvalid);
  if (missing.length) {
    throw new NotFoundError(`no model ${missing.map((id) => JSON.stringify(id)).join(', ')} in the registry`, {
      hint: 'modelgit list shows the ids; a removed model comes back with modelgit restore ID',
      data: { missing },
    });
  }
  const models: Model[] = ids.map((id) => found.get(id)!);
  const comparison = buildComparison(models, { datasets: q.dataset ? [q.dataset] : undefined, metrics, config: reg.config, aggregate: q.aggregate });
  const filtered = filterComparison(comparison, { onlyChanged: q.onlyChanged, keep: q.keep, drop: q.drop });
  // A pattern that names nothing is most likely a typo; --drop would silently show everything.
  if (filtered.unmatched.length) {
    const [first, ...more] = filtered.unmatched;
    throw new UsageError(`${first!.flag} ${JSON.stringify(first!.pattern)} matches no row of this comparison${more.length ? ` (nor ${more.map((u) => `${u.flag} ${JSON.stringify(u.pattern)}`).join(', ')})` : ''}`, {
      hint: `patterns are globs (* and ?) matched against a whole name; here: ${filtered.names.join(', ')}, or 'METRIC on DATASET'`,
    });
  }
  if (q.skipInvalid) filtered.comparison.skipped = skippedFiles(skipped);
  return filtered.comparison;
}
