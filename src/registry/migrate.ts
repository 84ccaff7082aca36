// migrate: every version-1 model file (no schema_version) rewritten to version 2 in one commit.
// created_at comes from training.trained_at, else from the author date of the commit that first
// added the file — all those dates from one `git log`, not one call per file.
import { ValidationError, type ErrorLocation } from '../errors.js';
import { isoSeconds } from '../domain/ids.js';
import { creationTime, upgradeToVersion2 } from '../domain/legacy.js';
import { schemaVersionOf, serializeMetadata } from '../domain/metadata.js';
import type { Git } from '../git/git.js';
import { checkModelTextSync } from '../schema/model-checks.js';
import { locateJsonPointer } from '../schema/validator.js';
import type { Registry } from './registry.js';

export interface MigrateAnswer {
  migrated: { model_id: string; path: string; created_at: string; from: 'trained_at' | 'commit' | 'now' }[];
  commit: string | null;
}

/** path → author date of the oldest commit that added it, under `dir`, from one git log. */
export async function dateAdded(git: Git, dir: string): Promise<Map<string, string>> {
  return git.addedDates(dir);
}

export async function migrate(reg: Registry): Promise<MigrateAnswer> {
  return reg.write<MigrateAnswer>(async () => {
    const snap = await reg.snapshot();
    const old = snap.models.filter((m) => schemaVersionOf(m.metadata) === 1).sort((a, b) => a.path.localeCompare(b.path));
    if (old.length === 0) return { nothing: { migrated: [], commit: null } };
    const added = await dateAdded(reg.git, reg.config.models_dir);
    const now = isoSeconds(reg.now());
    const found: { path: string; error: ErrorLocation }[] = [];
    const migrated: MigrateAnswer['migrated'] = [];
    const changes = old.map((m) => {
      const commitDate = added.get(m.path);
      const fallback = commitDate ? isoSeconds(new Date(commitDate)) : now;
      const meta = upgradeToVersion2(m.metadata, fallback);
      const from = creationTime({ training: m.metadata.training }, '') ? 'trained_at' : commitDate ? 'commit' : 'now';
      const text = serializeMetadata(meta);
      for (const error of checkModelTextSync(reg, m.path, text).errors) found.push({ path: m.path, error });
      migrated.push({ model_id: m.metadata.model_id, path: m.path, created_at: meta.created_at!, from });
      return { path: m.path, content: text };
    });
    if (found.length) {
      // Point into the files as committed, not into the rewritten text.
      const errors: ErrorLocation[] = [];
      for (const { path, error } of found) {
        const original = await reg.git.showFile('HEAD', path);
        errors.push(original === undefined ? error : { ...error, ...locateJsonPointer(original, error.pointer) });
      }
      throw new ValidationError(`${errors.length} problem(s) in the version-1 files; nothing was migrated`, errors, { hint: 'fix them (modelgit validate --all lists them) and migrate again' });
    }
    return {
      spec: {
        subject: `migrate ${old.length} model file${old.length > 1 ? 's' : ''} to schema version 2`,
        trailers: [['Model-Action', 'migrate'], ...old.map((m): [string, string] => ['Model-Id', m.metadata.model_id])],
        changes,
      },
      result: (commit: string) => ({ migrated, commit }),
    };
  });
}
