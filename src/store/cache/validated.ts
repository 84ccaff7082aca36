// Which model files `validate --all` already found clean, so a run over an unchanged registry need
// not read and check 100,000 blobs again. A file's checks depend only on its path, its text (named
// exactly by its blob id) and the rules it is checked against: the governing config, the
// per-algorithm schemas, the built-in model schema and modelgit itself. Those rules make the
// file's stamp; a file under `.git/modelgit/validated/` holds, for one stamp, every (path, blob id)
// that passed every per-file check. Only clean files are kept: a file with a problem is checked
// again each run, so every message still comes from the checks themselves. Cross-file rules (ids
// unique, stages pointing at models) are never cached. The stamp is stored whole and compared, its
// CRC-32 only names the file; the entries carry a CRC-32, and a damaged file is reported once,
// deleted and rebuilt. MODELGIT_NO_CACHE=1 turns it off.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { cacheDisabled, modelgitDir, tracer } from './policy.js';
import { mtime, remove, touch, writeWhole } from './files.js';
import { isMissing, readCacheFile } from '../../loading/safe-files.js';

const FORMAT = 1;
/** Stamps kept at once (a config being edited back and forth, two branches' schemas). */
const KEEP = 2;
const trace = tracer('modelgit-cache');
const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

interface Header {
  format: number;
  stamp: string;
  count: number;
  crc: string;
}

/**
 * The clean files of one stamp, loaded once; `save` what this run found clean (written only when
 * it differs from what was loaded).
 */
export class ValidatedFiles {
  private loaded = new Map<string, string>();
  private readonly file?: string;

  /** `stamp`: every rule the per-file checks depend on, as one string (compared whole). */
  constructor(
    gitDir: string,
    private readonly stamp: string,
    private readonly warn: (message: string) => void = (m) => process.stderr.write(m),
  ) {
    if (cacheDisabled()) return;
    this.file = modelgitDir(gitDir, 'validated', `${hex(crc32(stamp))}-${stamp.length}`);
    this.load();
  }

  /** Whether `path` at blob `oid` passed every per-file check under this stamp before. */
  clean(path: string, oid: string): boolean {
    return this.loaded.get(path) === oid;
  }

  /**
   * Remembers the files this run found clean (`clean`: each [path, blob id]), of which `fresh`
   * were checked now and the rest were known clean before.
   */
  save(clean: Iterable<[string, string]>, fresh: number, known: number): void {
    if (!this.file) return;
    if (fresh === 0 && known === this.loaded.size) {
      touch(this.file); // the same set: keep it as the most recently used
      return;
    }
    const parts: string[] = [];
    for (const [path, oid] of clean) parts.push(oid, path);
    const body = parts.join('\0');
    const header: Header = { format: FORMAT, stamp: this.stamp, count: parts.length / 2, crc: hex(crc32(body)) };
    trace(`validated: save ${parts.length / 2} clean files (${fresh} checked now)`);
    if (writeWhole(this.file, `${JSON.stringify(header)}\n${body}`)) this.prune();
  }

  private load(): void {
    const file = this.file!;
    let raw: string;
    try {
      raw = readCacheFile(file).toString('utf8');
    } catch (e) {
      if (isMissing(e)) return trace('validated: miss');
      return this.damaged((e as Error).message);
    }
    try {
      const nl = raw.indexOf('\n');
      if (nl < 0) throw new Error('truncated');
      const header = JSON.parse(raw.slice(0, nl)) as Header;
      if (header.format !== FORMAT) throw new Error(`format ${String(header.format)}`);
      const body = raw.slice(nl + 1);
      if (hex(crc32(body)) !== header.crc) throw new Error('checksum mismatch');
      // Another stamp whose CRC is the same: a miss, and this file is replaced.
      if (header.stamp !== this.stamp) return trace('validated: miss (another stamp)');
      const parts = body === '' ? [] : body.split('\0');
      if (parts.length !== header.count * 2) throw new Error('entry count mismatch');
      for (let i = 0; i < parts.length; i += 2) this.loaded.set(parts[i + 1]!, parts[i]!);
      trace(`validated: hit ${this.loaded.size} clean files`);
    } catch (e) {
      this.loaded = new Map();
      this.damaged((e as Error).message);
    }
  }

  private damaged(reason: string): void {
    this.warn(`modelgit: warning: the validation cache ${this.file} is unreadable (${reason}); checking every file again\n`);
    remove(this.file!);
  }

  /** Keeps the KEEP most recently used stamps' files. */
  private prune(): void {
    const dir = dirname(this.file!);
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => !n.includes('.tmp-'));
    } catch {
      return;
    }
    const byAge = names.map((n) => join(dir, n)).sort((a, b) => mtime(b) - mtime(a));
    for (const old of byAge.slice(KEEP)) remove(old);
  }
}
