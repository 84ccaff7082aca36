// plan: a registered model's load plan (src/loading/plan.ts), with the registry's own loaders.
import { assertSafeName } from '../domain/names.js';
import { loadPlan, type LoadPlan } from '../loading/plan.js';
import { loadConfiguredLoaders } from '../loading/strategies.js';
import type { Registry } from './registry.js';

/** Registers the loaders modelgit.yaml lists; every command that builds plans calls it first. */
export function useRegistryLoaders(reg: Registry): Promise<void> {
  return loadConfiguredLoaders(reg.root, reg.config);
}

export async function planModel(reg: Registry, id: string, rev = 'HEAD'): Promise<LoadPlan> {
  assertSafeName('model id', id, 'ID');
  const model = await reg.model(id, rev);
  await useRegistryLoaders(reg);
  return loadPlan(model, { root: reg.root });
}
