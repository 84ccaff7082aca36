// restore: bring a removed model back from history, exactly as it was before it was removed.
import { existsSync } from 'node:fs';
import { ConflictError, GitError, NotFoundError } from '../errors.js';
import { assertSafeName } from '../domain/names.js';
import { localArtifactPath } from '../domain/retention.js';
import type { Registry } from './registry.js';
import type { WriteAnswer } from './register.js';

export interface Removal {
  /** the commit that deleted the file */
  commit: string;
  subject: string;
  date: string;
  action?: string;
  /** repo-relative path of the deleted metadata file */
  path: string;
}

/** The last commit that deleted `<models_dir>/*\/<id>.json`, or undefined when none did. */
export async function findRemoval(reg: Registry, id: string): Promise<Removal | undefined> {
  // One walk with a glob pathspec (`*` does not cross `/`), so the algorithm need not be known.
  const entries = await reg.git.log(['-1', '--diff-filter=D', '--', `:(glob)${reg.config.models_dir}/*/${id}.json`], { paths: true });
  const e = entries[0];
  if (!e) return undefined;
  const path = e.paths?.find((p) => p.endsWith(`/${id}.json`));
  if (!path) return undefined;
  return { commit: e.commit, subject: e.subject, date: e.date, action: e.trailers['Model-Action']?.[0], path };
}

export interface RestoreAnswer extends WriteAnswer {
  /** the commit the file was taken from (the parent of the removal) */
  restored_from: string;
  /** the commit that had removed it */
  removed_in: string;
  /** e.g. the local artifact is gone (deleted by cleanup --delete-artifacts) */
  warnings: string[];
}

/** A note when the restored model's local artifact is not on disk: the metadata alone came back. */
function artifactWarnings(root: string, content: string): string[] {
  let modelPath: unknown;
  try {
    modelPath = (JSON.parse(content) as { model_path?: unknown }).model_path;
  } catch {
    return [];
  }
  if (typeof modelPath !== 'string' || !modelPath) return [];
  const loc = localArtifactPath(modelPath, root);
  if (!('path' in loc) || existsSync(loc.path)) return [];
  return [`the artifact ${modelPath} is not on disk (deleted by cleanup --delete-artifacts, or kept elsewhere); only the metadata was restored`];
}

export async function restore(reg: Registry, id: string): Promise<RestoreAnswer> {
  assertSafeName('model id', id, 'ID');
  return reg.write<RestoreAnswer>(async () => {
    const current = (await reg.snapshot()).byId.get(id);
    if (current) {
      throw new ConflictError(`model ${id} is registered (${current.path}); there is nothing to restore`, { hint: `modelgit show ${id}` });
    }
    const removal = await findRemoval(reg, id);
    if (!removal) {
      throw new NotFoundError(`no model ${JSON.stringify(id)} was ever registered here (no commit removed ${reg.config.models_dir}/*/${id}.json)`, {
        hint: 'modelgit history lists what happened; modelgit list shows the current ids',
      });
    }
    // A file at that path that the snapshot could not read (broken JSON) is still not ours to overwrite.
    const head = await reg.git.head();
    if (head && (await reg.git.lsTree(head, [removal.path])).length) {
      throw new ConflictError(`${removal.path} exists at HEAD but is not a readable model; fix or remove it first`, { hint: 'modelgit validate --all' });
    }
    const from = `${removal.commit}^`;
    const content = await reg.git.showFile(from, removal.path);
    if (content === undefined) throw new GitError(`could not read ${removal.path} at ${removal.commit.slice(0, 7)}^`);
    const fromCommit = (await reg.git.resolveCommit(from)) ?? from;
    return {
      spec: {
        subject: `restore ${id}`,
        body: `Restored ${removal.path} as of ${fromCommit.slice(0, 7)}; it was removed in ${removal.commit.slice(0, 7)} (${removal.subject}).`,
        trailers: [['Model-Action', 'restore'], ['Model-Id', id], ['Restored-From', fromCommit]],
        changes: [{ path: removal.path, content }],
      },
      result: (commit: string) => ({ model_id: id, path: removal.path, commit, restored_from: fromCommit, removed_in: removal.commit, warnings: artifactWarnings(reg.root, content) }),
    };
  });
}
