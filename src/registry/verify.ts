// verify: prove a model's bytes are the registered ones. Every check is reported, passed or not,
// so one run tells everything that is wrong. Checksums stream (a multi-GB file costs a buffer).
// An artifact behind a non-file URI (s3://, https://) can't be seen from here: that check fails
// with a detail saying so, because verify answers "proven", not "not disproven". Paths recorded
// inside the artifact are confined to its directory, and only regular files are read (safe-files.ts).
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ModelgitError } from '../errors.js';
import { assertSafeName } from '../domain/names.js';
import type { ModelMetadata } from '../domain/types.js';
import { hashFile, locateArtifact } from '../loading/artifact.js';
import { confinedPath, kindOf, UnsafeFileError } from '../loading/safe-files.js';
import { loadPlan, strategyFor } from '../loading/plan.js';
import { readSafetensorsHeader } from '../loading/safetensors.js';
import { useRegistryLoaders } from './load-plan.js';
import type { Registry } from './registry.js';

export interface VerifyCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface VerifyAnswer {
  ok: boolean;
  model_id: string;
  model_path: string | null;
  checks: VerifyCheck[];
}

function sizeOf(path: string): number | undefined {
  try {
    const s = statSync(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

/** Why `path` can't be checked: missing, or not a regular file (a FIFO, a device: never read). */
function notAFile(path: string): string {
  try {
    return `${path} is ${kindOf(statSync(path))}; only regular files are checked`;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ELOOP' ? `${path} is a loop of symbolic links` : `${path} is missing`;
  }
}

/**
 * A path recorded relative to the artifact directory (artifact.files[].path, a required file),
 * confined to it (safe-files.ts), or the check that refuses it: a `../` must not make verify
 * print the size and sha256 of any readable file.
 */
function inside(dir: string, rel: string, name: string): { path: string } | { refused: VerifyCheck } {
  try {
    return { path: confinedPath(dir, rel) };
  } catch (e) {
    if (!(e instanceof UnsafeFileError)) throw e;
    return { refused: { name, ok: false, detail: `refused: ${e.message}` } };
  }
}

async function fileChecks(label: string, path: string, want: { sha256?: string; size_bytes?: number }): Promise<VerifyCheck[]> {
  const size = sizeOf(path);
  if (size === undefined) return [{ name: `file:${label}`, ok: false, detail: notAFile(path) }];
  const checks: VerifyCheck[] = [];
  if (want.size_bytes !== undefined) {
    checks.push({ name: `size:${label}`, ok: size === want.size_bytes, detail: size === want.size_bytes ? `${size} bytes` : `${size} bytes, registered ${want.size_bytes}` });
  }
  if (want.sha256 !== undefined) {
    if (want.size_bytes !== undefined && size !== want.size_bytes) {
      checks.push({ name: `sha256:${label}`, ok: false, detail: 'not computed: the size already differs' });
    } else {
      let got: string;
      try {
        got = (await hashFile(path)).sha256;
      } catch (e) {
        if (!(e instanceof UnsafeFileError)) throw e;
        checks.push({ name: `sha256:${label}`, ok: false, detail: `refused: ${e.message}` });
        return checks;
      }
      checks.push({ name: `sha256:${label}`, ok: got === want.sha256, detail: got === want.sha256 ? got : `${got}, registered ${want.sha256}` });
    }
  }
  return checks;
}

async function headerCheck(label: string, path: string): Promise<VerifyCheck> {
  try {
    const h = await readSafetensorsHeader(path);
    return { name: `safetensors:${label}`, ok: true, detail: `${Object.keys(h.tensors).length} tensors, header ${h.headerLength} bytes` };
  } catch (e) {
    return { name: `safetensors:${label}`, ok: false, detail: (e as Error).message };
  }
}

export async function verifyMetadata(meta: ModelMetadata, root: string): Promise<VerifyAnswer> {
  const checks: VerifyCheck[] = [];
  const answer = (): VerifyAnswer => ({ ok: checks.every((c) => c.ok), model_id: meta.model_id, model_path: meta.model_path ?? null, checks });
  if (!meta.model_path) {
    checks.push({ name: 'artifact-present', ok: false, detail: 'no model_path is recorded, so there is nothing to verify' });
    return answer();
  }
  const loc = locateArtifact(meta.model_path, root);
  if (loc.kind === 'remote') {
    checks.push({ name: 'artifact-present', ok: false, detail: `${loc.uri} is a ${loc.scheme}:// URI; verify checks local artifacts only (fetch it and verify the copy)` });
    return answer();
  }
  if (!loc.exists) {
    checks.push({ name: 'artifact-present', ok: false, detail: `${loc.path} does not exist` });
    return answer();
  }
  checks.push({ name: 'artifact-present', ok: true, detail: `${loc.isDirectory ? 'directory' : 'file'} ${loc.path}` });
  const directory = loc.isDirectory ? loc.path : dirname(loc.path);

  // Checksums: a file's sha256/size, or each listed file of a directory.
  const art = meta.artifact;
  const headersDone = new Set<string>();
  if (!art || (art.sha256 === undefined && art.size_bytes === undefined && !art.files)) {
    checks.push({ name: 'checksum', ok: true, detail: 'no checksum recorded (modelgit register --model-path P --checksum records one)' });
  } else {
    if (art.sha256 !== undefined || art.size_bytes !== undefined) {
      if (loc.isDirectory) checks.push({ name: 'checksum', ok: false, detail: 'artifact.sha256/size_bytes describe a file, but model_path is a directory' });
      else checks.push(...(await fileChecks('artifact', loc.path, art)));
    }
    for (const f of art.files ?? []) {
      if (!loc.isDirectory) {
        checks.push({ name: `file:${f.path}`, ok: false, detail: 'artifact.files describe a directory, but model_path is a file' });
        continue;
      }
      const at = inside(loc.path, f.path, `file:${f.path}`);
      if ('refused' in at) checks.push(at.refused);
      else checks.push(...(await fileChecks(f.path, at.path, f)));
    }
  }

  // Loading: the files the plan needs, and a header check for every safetensors file.
  let plannable = false;
  const safetensors: [string, string][] = [];
  if (!loc.isDirectory && loc.path.endsWith('.safetensors')) safetensors.push([meta.model_path, loc.path]);
  if (meta.loading_strategy) {
    try {
      const { strategy, loader } = strategyFor(meta);
      checks.push({ name: 'loading-strategy', ok: true, detail: `loader_type ${strategy.loader_type}` });
      const names = [...new Set([...(loader.files?.(strategy) ?? []), ...(strategy.required_files ?? [])])];
      plannable = true;
      for (const n of names) {
        const at = inside(directory, n, `required-file:${n}`);
        if ('refused' in at) {
          checks.push(at.refused);
          plannable = false;
          continue;
        }
        const p = at.path;
        const size = sizeOf(p);
        checks.push({ name: `required-file:${n}`, ok: size !== undefined, detail: size !== undefined ? `${size} bytes` : `${p} is missing` });
        if (size === undefined) plannable = false;
        else if (n.endsWith('.safetensors')) safetensors.push([n, p]);
      }
    } catch (e) {
      if (!(e instanceof ModelgitError)) throw e;
      checks.push({ name: 'loading-strategy', ok: false, detail: e.message });
    }
  }
  for (const f of art?.files ?? []) {
    if (!loc.isDirectory || !f.path.endsWith('.safetensors')) continue;
    const at = inside(loc.path, f.path, `file:${f.path}`);
    if ('path' in at) safetensors.push([f.path, at.path]);
  }
  for (const [label, p] of safetensors) {
    if (headersDone.has(p) || sizeOf(p) === undefined) continue;
    headersDone.add(p);
    const c = await headerCheck(label, p);
    checks.push(c);
    if (!c.ok) plannable = false;
  }
  if (plannable) {
    try {
      const plan = await loadPlan(meta, { root });
      const mapped = plan.weights.filter((w) => w.key_mapping);
      checks.push({
        name: 'key-mapping',
        ok: true,
        detail: mapped.length ? `${mapped.reduce((n, w) => n + (w.tensors ?? 0), 0)} tensor names map cleanly (${mapped.reduce((n, w) => n + (w.renamed ?? 0), 0)} renamed)` : 'no safetensors weights to map',
      });
    } catch (e) {
      if (!(e instanceof ModelgitError)) throw e;
      checks.push({ name: 'key-mapping', ok: false, detail: e.message });
    }
  }
  return answer();
}

/** `allowedSigners`: the file an attestation's signer must be listed in (default: git's gpg.ssh.allowedSignersFile). */
export async function verifyModel(reg: Registry, id: string, opts: { allowedSigners?: string } = {}): Promise<VerifyAnswer> {
  assertSafeName('model id', id, 'ID');
  // A file named on the command line must be there, attestation or not (Registry.allowedSigners says so).
  if (opts.allowedSigners !== undefined) await reg.allowedSigners(opts.allowedSigners);
  const model = await reg.model(id);
  await useRegistryLoaders(reg);
  const answer = await verifyMetadata(model.metadata, reg.root);
  // A signed attestation, when there is one, is checked too (attest.ts).
  const { attestationChecks, artifactSubjects } = await import('./attest.js');
  const extra = await attestationChecks(reg, id, model.metadata.algorithm, () => artifactSubjects(model.metadata.model_path, reg.root), opts.allowedSigners);
  const checks = [...answer.checks, ...extra];
  return { ...answer, ok: checks.every((c) => c.ok), checks };
}
