// Naming rules (DESIGN §2). Every name that becomes part of a path, a ref or a git argument passes
// through here first, so '../x', 'a b' or '--upload-pack=…' never reach the file system or git.
import { UsageError } from '../errors.js';

export const MODEL_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,127}$/;
export const LABEL_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export type NameKind = 'model id' | 'algorithm' | 'name' | 'dataset' | 'stage' | 'metric' | 'tag';

const RULES: Record<NameKind, { re: RegExp; rule: string }> = {
  'model id': { re: MODEL_NAME_RE, rule: 'lowercase letters, digits, ".", "_" or "-", starting with a letter or digit, at most 128 characters' },
  algorithm: { re: MODEL_NAME_RE, rule: 'lowercase letters, digits, ".", "_" or "-", starting with a letter or digit, at most 128 characters' },
  name: { re: MODEL_NAME_RE, rule: 'lowercase letters, digits, ".", "_" or "-", starting with a letter or digit, at most 128 characters' },
  dataset: { re: LABEL_NAME_RE, rule: 'letters, digits, ".", "_" or "-", starting with a letter or digit, at most 64 characters' },
  stage: { re: LABEL_NAME_RE, rule: 'letters, digits, ".", "_" or "-", starting with a letter or digit, at most 64 characters' },
  metric: { re: LABEL_NAME_RE, rule: 'letters, digits, ".", "_" or "-", starting with a letter or digit, at most 64 characters' },
  tag: { re: LABEL_NAME_RE, rule: 'letters, digits, ".", "_" or "-", starting with a letter or digit, at most 64 characters' },
};

/** Why `value` is not a safe `kind`, or undefined when it is. */
export function nameProblem(kind: NameKind, value: string): string | undefined {
  const { re, rule } = RULES[kind];
  if (re.test(value)) {
    // '..' inside a name is legal for the regex but reads like a path escape in a ref: git refuses it.
    if (value.includes('..')) return `${kind} ${JSON.stringify(value)} must not contain ".."`;
    if (value.endsWith('.lock') || value.endsWith('.')) return `${kind} ${JSON.stringify(value)} must not end with "." or ".lock" (git refuses such ref names)`;
    return undefined;
  }
  return `${kind} ${JSON.stringify(value)} is not a safe name: use ${rule}`;
}

export function assertSafeName(kind: NameKind, value: unknown, flag?: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new UsageError(`${flag ? flag + ': ' : ''}${kind} is required`);
  }
  const problem = nameProblem(kind, value);
  if (problem) throw new UsageError(flag ? `${flag}: ${problem}` : problem);
  return value;
}
