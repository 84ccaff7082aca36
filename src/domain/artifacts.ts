// Where a model's artifact lives. Pure. It exists because the id is made inside `register`, so a
// training job can't know, before registering, a path that holds the id: with
// `artifacts: "artifacts/{algorithm}/{model_id}"` in modelgit.yaml, register records that path as
// model_path and answers with it made absolute (`artifact_path`), and the job saves its weights
// there. Also the absolute path of any model_path, for `best`/`show` answers.
import { isAbsolute, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The placeholders an `artifacts` template may hold. */
export const ARTIFACT_PLACEHOLDERS = ['algorithm', 'model_id', 'name'] as const;
export type ArtifactPlaceholder = (typeof ARTIFACT_PLACEHOLDERS)[number];

const PLACEHOLDER_RE = /\{([^{}]*)\}/g;

/** What is wrong with an `artifacts` template, or undefined when it is usable. */
export function artifactTemplateProblem(template: string): string | undefined {
  if (template.trim() === '') return 'artifacts must not be empty';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(template)) return `artifacts ${JSON.stringify(template)} is a URI; give a path (relative to the registry root, or absolute)`;
  for (const m of template.matchAll(PLACEHOLDER_RE)) {
    if (!(ARTIFACT_PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
      return `artifacts ${JSON.stringify(template)}: unknown placeholder {${m[1]}} (known: ${ARTIFACT_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`;
    }
  }
  if (/[{}]/.test(template.replace(PLACEHOLDER_RE, ''))) return `artifacts ${JSON.stringify(template)}: an unmatched "{" or "}"`;
  if (!template.includes('{model_id}')) return `artifacts ${JSON.stringify(template)} must contain {model_id}, or every model would share one path`;
  if (template.replace(/\\/g, '/').split('/').includes('..')) return `artifacts ${JSON.stringify(template)} must not contain ".." (a path under the registry, or an absolute one)`;
  return undefined;
}

/** The template with its placeholders filled: the model_path register records. */
export function expandArtifactTemplate(template: string, values: Record<ArtifactPlaceholder, string>): string {
  return template.replace(PLACEHOLDER_RE, (whole, key: string) => ((ARTIFACT_PLACEHOLDERS as readonly string[]).includes(key) ? values[key as ArtifactPlaceholder] : whole));
}

/**
 * The directory to git-ignore for a template: its fixed leading segments, e.g. `artifacts/` for
 * `artifacts/{algorithm}/{model_id}`; undefined when the template is absolute or starts with a
 * placeholder (nothing fixed inside the registry to ignore).
 */
export function artifactIgnoreEntry(template: string): string | undefined {
  const t = template.replace(/\\/g, '/');
  if (isAbsolute(t) || posix.isAbsolute(t)) return undefined;
  const fixed: string[] = [];
  for (const seg of t.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg.includes('{')) break;
    fixed.push(seg);
  }
  return fixed.length ? `/${fixed.join('/')}/` : undefined;
}

/**
 * The absolute local path a model_path names (relative to the registry root, absolute, or
 * file://), or null for a remote URI (s3://, https://) and for no model_path.
 */
export function absoluteArtifactPath(modelPath: string | undefined | null, root: string): string | null {
  if (typeof modelPath !== 'string' || modelPath === '') return null;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(modelPath);
  if (m) {
    if (m[1]!.toLowerCase() !== 'file') return null;
    try {
      return fileURLToPath(modelPath);
    } catch {
      return null;
    }
  }
  return isAbsolute(modelPath) ? modelPath : resolve(root, modelPath);
}
