// compare: models side by side on their latest results, best per column marked, deltas against the first.
import { NotFoundError, UsageError } from '../errors.js';
import { buildComparison, type Comparison } from '../domain/comparison.js';
import { assertSafeName } from '../domain/names.js';
import type { Model } from '../domain/types.js';
import type { Registry } from './registry.js';

export interface CompareQuery {
  ids: string[];
  /** only this dataset */
  dataset?: string;
  /** only these metrics, in this order */
  metrics?: string[];
}

export async function compare(reg: Registry, q: CompareQuery): Promise<Comparison> {
  if (!q.ids || q.ids.length === 0) throw new UsageError('give at least one model id to compare');
  for (const id of q.ids) assertSafeName('model id', id, 'ID');
  if (q.dataset !== undefined) assertSafeName('dataset', q.dataset, '--dataset');
  for (const m of q.metrics ?? []) assertSafeName('metric', m, '--metric');
  const ids = [...new Set(q.ids)];
  const metrics = q.metrics && q.metrics.length ? [...new Set(q.metrics)] : undefined;

  const snap = await reg.snapshot();
  const missing = ids.filter((id) => !snap.byId.has(id));
  if (missing.length) {
    throw new NotFoundError(`no model ${missing.map((id) => JSON.stringify(id)).join(', ')} in the registry`, {
      hint: 'modelgit list shows the ids; a removed model comes back with modelgit restore ID',
      data: { missing },
    });
  }
  const models: Model[] = ids.map((id) => snap.byId.get(id)!);
  return buildComparison(models, { datasets: q.dataset ? [q.dataset] : undefined, metrics, config: reg.config });
}
