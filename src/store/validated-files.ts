// The store's door to the cache of files `validate --all` found clean (cache/validated.ts):
// validate runs without an open Registry and may reach the store's top-level readers only, never
// store/cache/ itself (the layout rule in test/architecture.test.ts), as store/config.ts does for
// the YAML parse cache.
import { ValidatedFiles } from './cache/validated.js';

export type { ValidatedFiles };

/** The clean files remembered under `stamp` (every rule the per-file checks depend on). */
export function validatedFiles(gitDir: string, stamp: string): ValidatedFiles {
  return new ValidatedFiles(gitDir, stamp);
}
