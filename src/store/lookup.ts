// A write's own model, read by its path instead of through the snapshot: register and test need
// one model (or to know an id is free), and loading the index of every model for that grows with
// the registry (~150 ms at 100,000 models). One `git cat-file --batch` process reads the models
// tree, then `<id>.json` in each algorithm's directory. The answer is the snapshot's own: the model
// `snapshot().byId.get(id)` gives (tests compare the two).
import { ValidationError, type ErrorLocation } from '../errors.js';
import type { Model, RegistryConfig } from '../domain/types.js';
import { parseTreeObject, type Git } from '../git/git.js';
import { parseModelBlob } from './model-file.js';

/** What a lookup by path found: the models, and for an id no file of which parses, why its first file doesn't. */
export interface HeadLookup {
  found: Map<string, Model>;
  invalid: Map<string, ErrorLocation>;
}

/**
 * The models at HEAD (or `head`, a commit id) with these ids, as `snapshot().byId.get(id)` has them: the first file named
 * `<models_dir>/<algorithm>/<id>.json`, in the tree's order, that parses into that model.
 */
export async function modelsAtHead(git: Git, config: Pick<RegistryConfig, 'models_dir'>, ids: string[], head = 'HEAD'): Promise<Map<string, Model>> {
  return (await lookupAtHead(git, config, ids, head)).found;
}

/** modelsAtHead, and for each id with files none of which parses, the first one's problem. */
export async function lookupAtHead(git: Git, config: Pick<RegistryConfig, 'models_dir'>, ids: string[], head = 'HEAD'): Promise<HeadLookup> {
  const found = new Map<string, Model>();
  const invalid = new Map<string, ErrorLocation>();
  const answer = { found, invalid };
  // An id with a slash or line break names no file the snapshot would index.
  const wanted = [...new Set(ids)].filter((id) => !/[/\\\n\r\0]/.test(id) && id !== '');
  if (wanted.length === 0) return answer;
  const session = git.objectReader();
  try {
    const [dir] = await session.objects([`${head}:${config.models_dir}`]);
    if (!dir || dir.type !== 'tree') return answer;
    const algorithms = parseTreeObject(dir.content, dir.oid.length / 2).filter((e) => e.mode === '40000');
    // Every candidate file in one round, in tree order per id.
    const names = wanted.flatMap((id) => algorithms.map((a) => `${a.oid}:${id}.json`));
    const objects = await session.objects(names);
    wanted.forEach((id, i) => {
      for (const [j, a] of algorithms.entries()) {
        const obj = objects[i * algorithms.length + j];
        if (!obj || obj.type !== 'blob') continue;
        const path = `${config.models_dir}/${a.name}/${id}.json`;
        const { model, problem } = parseModelBlob(path, obj.content.toString('utf8'), config);
        if (model) {
          found.set(id, model);
          invalid.delete(id);
          return;
        }
        if (problem && !invalid.has(id)) invalid.set(id, problem);
      }
    });
    return answer;
  } finally {
    session.close();
  }
}

/**
 * The error for a model id whose file exists but can't be read: "no such model" would send the
 * user looking for a removal that never happened. Undefined when no such file is among `problems`.
 */
export function invalidModelError(id: string, problem: ErrorLocation | undefined): ValidationError | undefined {
  if (!problem) return undefined;
  return new ValidationError(`model ${JSON.stringify(id)} exists (${problem.file}) but its file is invalid, so it cannot be read`, [problem], {
    hint: `fix or restore the file (git log -- ${problem.file} shows who changed it; modelgit validate --all lists every problem)`,
  });
}
