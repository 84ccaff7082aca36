// What store/ needs from an open registry: where the work tree and the git dir are, the door to git
// and the config. The Registry (registry/registry.ts) implements it; store/ functions take this
// instead of the Registry, so store/ never imports the layer above it (no cycle, and tests can hand
// it a plain object).
import type { RegistryConfig } from '../domain/types.js';
import type { Git } from '../git/git.js';

export interface StoreContext {
  /** the work tree's root */
  readonly root: string;
  /** the git dir (`.git`, or a linked worktree's); caches live under it (cache/policy.ts) */
  readonly gitDir: string;
  readonly git: Git;
  readonly config: RegistryConfig;
}
