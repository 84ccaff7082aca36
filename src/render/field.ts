// `--field PATH`: one value for scripts (`MODEL=$(modelgit best --algo mscn --field model_path)`).
import { NotFoundError, UsageError } from '../errors.js';

/** The value at a dotted path, own properties only (so `constructor` or `__proto__` find nothing). */
export function lookupPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/**
 * The text of the first source that has `path` (null counts as absent): strings as they are,
 * numbers and booleans as written, objects and arrays as compact JSON.
 */
export function fieldText(path: string, sources: { name: string; value: unknown }[]): string {
  if (!path || path.split('.').some((s) => s === '')) throw new UsageError(`--field: ${JSON.stringify(path)} is not a dotted path such as model_path or training.hyperparams.lr`);
  for (const { value } of sources) {
    const v = lookupPath(value, path);
    if (v === undefined || v === null) continue;
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  throw new NotFoundError(`--field: ${sources.map((s) => s.name).join(' and ')} ha${sources.length > 1 ? 've' : 's'} no field ${JSON.stringify(path)}`);
}
