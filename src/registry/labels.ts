// tag, untag, note: small edits to one model file, one commit each.
import { UsageError } from '../errors.js';
import { serializeMetadata } from '../domain/metadata.js';
import { assertSafeName } from '../domain/names.js';
import type { ModelMetadata } from '../domain/types.js';
import type { Registry } from './registry.js';
import type { WriteAnswer } from './register.js';

/**
 * What a label edit answers. `commit` is null when nothing changed (a tag already there, an absent
 * tag removed, the same note): no commit was made, and naming HEAD would suggest one was.
 */
export type LabelAnswer = Omit<WriteAnswer, 'commit'> & { commit: string | null; changed: boolean };

async function editModel(
  reg: Registry,
  id: string,
  action: 'tag' | 'untag' | 'note',
  edit: (meta: ModelMetadata) => { meta: ModelMetadata; subject: string; changed: boolean },
): Promise<LabelAnswer> {
  assertSafeName('model id', id, 'ID');
  return reg.write<LabelAnswer>(async () => {
    const model = await reg.model(id);
    const { meta, subject, changed } = edit(structuredClone(model.metadata));
    // Nothing to change is not an error, and not a commit either.
    if (!changed) return { nothing: { model_id: id, path: model.path, commit: null, changed: false } };
    return {
      spec: {
        subject,
        trailers: [['Model-Action', action], ['Model-Id', id]],
        changes: [{ path: model.path, content: serializeMetadata(meta) }],
      },
      result: (commit: string) => ({ model_id: id, path: model.path, commit, changed: true }),
    };
  }, { queueOnto: reg.ontoQueuedRegistration(id) }); // queued, of a model whose registration is queued too
}

export function tagModel(reg: Registry, id: string, tags: string[]) {
  if (tags.length === 0) throw new UsageError('give at least one tag');
  tags.forEach((t) => assertSafeName('tag', t, 'TAG'));
  return editModel(reg, id, 'tag', (meta) => {
    const added = tags.filter((t) => !meta.tags.includes(t));
    meta.tags = [...meta.tags, ...added];
    return { meta, subject: `tag ${id}: ${added.join(', ')}`, changed: added.length > 0 };
  });
}

export function untagModel(reg: Registry, id: string, tags: string[]) {
  if (tags.length === 0) throw new UsageError('give at least one tag');
  tags.forEach((t) => assertSafeName('tag', t, 'TAG'));
  return editModel(reg, id, 'untag', (meta) => {
    const removed = tags.filter((t) => meta.tags.includes(t));
    meta.tags = meta.tags.filter((t) => !tags.includes(t));
    return { meta, subject: `untag ${id}: ${removed.join(', ')}`, changed: removed.length > 0 };
  });
}

export function noteModel(reg: Registry, id: string, text: string, opts: { append?: boolean } = {}) {
  if (typeof text !== 'string') throw new UsageError('give the note text');
  return editModel(reg, id, 'note', (meta) => {
    const next = opts.append && meta.notes ? `${meta.notes}\n${text}` : text;
    const changed = next !== meta.notes;
    meta.notes = next;
    if (next === '') delete meta.notes;
    return { meta, subject: `note ${id}`, changed };
  });
}
