// A schema error in words a reviewer reads at a glance: `tag "bad tag" is not allowed` rather than
// `pattern (#/properties/tags/items/pattern)` over `/tags/1 must match …`. GitHub shows it as the
// bold title of the annotation on the file's line; the message under it keeps the rule's details.
import type { ErrorObject } from 'ajv/dist/2020.js';

/** `/tags/1` → `tag`, `/training/hyperparams/lr` → `training.hyperparams.lr`, `/testing/2/dataset` → `testing[2].dataset`. */
export function fieldName(pointer: string): string {
  const segs = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (!segs.length) return 'the document';
  const last = segs[segs.length - 1]!;
  if (/^\d+$/.test(last) && segs.length > 1) {
    // an item of a list: named after the list, in the singular ("tags" → "tag")
    const list = segs[segs.length - 2]!;
    const prefix = joined(segs.slice(0, -2));
    const item = list.endsWith('s') && list.length > 1 ? list.slice(0, -1) : `${list} item`;
    return prefix ? `${prefix}.${item}` : item;
  }
  return joined(segs);
}

function joined(segs: string[]): string {
  let out = '';
  for (const s of segs) out += /^\d+$/.test(s) ? `[${s}]` : out ? `.${s}` : s;
  return out;
}

/** A value as it reads in a title: short strings quoted, long ones cut. */
function shown(value: unknown): string {
  if (value === undefined) return '';
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 48 ? `${s.slice(0, 45)}…${s[0] === '"' ? '"' : ''}` : s;
}

const ARTICLE: Record<string, string> = { integer: 'an integer', object: 'an object', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false', null: 'null' };

/** The title of one schema error; `value` is the value at its instance path (undefined when absent). */
export function schemaErrorTitle(e: ErrorObject, value: unknown): string {
  const p = e.params as Record<string, unknown>;
  const where = e.instancePath ? fieldName(e.instancePath) : '';
  const v = shown(value);
  switch (e.keyword) {
    case 'required':
      return `missing field "${String(p.missingProperty)}"${where ? ` in ${where}` : ''}`;
    case 'additionalProperties':
      return `unknown field "${String(p.additionalProperty)}"${where ? ` in ${where}` : ''}`;
    case 'propertyNames':
      return `name "${String(p.propertyName)}" is not allowed${where ? ` in ${where}` : ''}`;
    case 'pattern':
    case 'const':
    case 'enum':
      return `${where || 'value'} ${v} is not allowed`;
    case 'format':
      return `${where || 'value'} ${v} is not a valid ${String(p.format)}`;
    case 'type': {
      const types = String(p.type).split(',').map((t) => ARTICLE[t] ?? t);
      return `${where || 'the document'} must be ${types.join(' or ')}`;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${where || 'value'} ${v} is out of range`;
    case 'minLength':
    case 'maxLength':
    case 'minItems':
    case 'maxItems':
      return `${where || 'value'} has the wrong length`;
    default:
      return `${where || 'the document'} ${e.message ?? 'is invalid'}`;
  }
}
