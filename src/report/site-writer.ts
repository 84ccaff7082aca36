// Writes the report's pages on a worker thread. Creating ~10,000 files is mostly kernel time
// (open/create, write, close); on this thread it would come after the rendering, on another it
// runs alongside. The pages go over in batches (a batch is one message); the worker makes each
// directory once. When no worker can be started the pages are written here, synchronously.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';

// Plain CommonJS run with eval: it works the same from dist/ and from the TypeScript sources.
const WORKER = `
const { parentPort } = require('node:worker_threads');
const { mkdirSync, renameSync, writeFileSync } = require('node:fs');
const { dirname } = require('node:path');
const made = new Set();
let failed = null;
parentPort.on('message', (m) => {
  if (m.type === 'files') {
    if (failed) return;
    try {
      const bytes = new Uint8Array(m.bytes);
      for (let i = 0, at = 0; i < m.paths.length; i++) {
        const p = m.paths[i];
        const d = dirname(p);
        if (!made.has(d)) {
          mkdirSync(d, { recursive: true });
          made.add(d);
        }
        if (m.replace) {
          // over a page a reader may be looking at: the new one appears whole, or not yet
          writeFileSync(p + '.modelgit-tmp', bytes.subarray(at, m.ends[i]));
          renameSync(p + '.modelgit-tmp', p);
        } else writeFileSync(p, bytes.subarray(at, m.ends[i]));
        at = m.ends[i];
      }
    } catch (e) {
      failed = { message: String(e && e.message), code: e && e.code };
    }
    parentPort.postMessage({ type: 'wrote', bytes: m.bytes.byteLength });
  } else if (m.type === 'end') {
    parentPort.postMessage(failed ? { type: 'error', ...failed } : { type: 'done' });
  }
});
`;

const BATCH_BYTES = 1 << 20;

export class SiteWriter {
  private worker?: Worker;
  private paths: string[] = [];
  private ends: number[] = [];
  private bytes = Buffer.alloc(0);
  private used = 0;
  private done?: Promise<void>;
  private readonly made = new Set<string>();
  /** bytes handed to the worker and not yet written (see `settle`) */
  private inFlight = 0;
  private waiters: (() => void)[] = [];
  private ended?: (m: { type: string; message?: string; code?: string }) => void;
  /**
   * Pages replace files a reader may have open (a rebuild in place): each is written beside its
   * place and renamed over it, so no reader sees half a page.
   */
  replace = false;

  constructor() {
    try {
      this.worker = new Worker(WORKER, { eval: true });
      // a worker that dies is reported by finish(); never as an unhandled error
      this.worker.on('error', () => {});
      this.worker.on('message', (m: { type: string; bytes?: number; message?: string; code?: string }) => {
        if (m.type === 'wrote') {
          this.inFlight -= m.bytes ?? 0;
          this.wake();
        } else this.ended?.(m);
      });
      // (a worker gone writes nothing more: nobody waits for it)
      this.worker.on('exit', () => {
        this.inFlight = 0;
        this.wake();
      });
    } catch {
      this.worker = undefined;
    }
  }

  write(path: string, text: string): void {
    if (!this.worker) {
      const d = dirname(path);
      if (!this.made.has(d)) {
        mkdirSync(d, { recursive: true });
        this.made.add(d);
      }
      if (this.replace) {
        writeFileSync(`${path}.modelgit-tmp`, text);
        renameSync(`${path}.modelgit-tmp`, path);
      } else writeFileSync(path, text);
      return;
    }
    // pages are encoded into one buffer per batch, which is handed over, not copied
    // (posting strings copies them: 65 MB of pages cost ~0.5 s that way)
    // (a large page is measured: 3 bytes a character would hand 25 MB over for an 8 MB page)
    const worst = text.length > BATCH_BYTES / 3 ? Buffer.byteLength(text, 'utf8') : text.length * 3;
    if (this.used + worst > this.bytes.length) {
      this.flush();
      this.bytes = Buffer.allocUnsafeSlow(Math.max(BATCH_BYTES, worst));
    }
    this.used += this.bytes.write(text, this.used, 'utf8');
    this.paths.push(path);
    this.ends.push(this.used);
    if (this.used >= BATCH_BYTES) this.flush();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Resolves once at most `bytes` of pages are still waiting for the worker: a caller that makes
   * pages faster than they are written (a few large pages, 30 MB for the largest algorithm at
   * 100,000 models) would otherwise hold them all in memory at once.
   */
  async settle(bytes: number): Promise<void> {
    while (this.worker && this.inFlight > bytes) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private flush(): void {
    if (this.paths.length === 0) return;
    const bytes = this.bytes.buffer as ArrayBuffer; // allocUnsafeSlow: its own ArrayBuffer, from 0
    this.inFlight += bytes.byteLength;
    this.worker!.postMessage({ type: 'files', paths: this.paths, ends: this.ends, bytes, replace: this.replace }, [bytes]);
    this.paths = [];
    this.ends = [];
    this.bytes = Buffer.alloc(0);
    this.used = 0;
  }

  /** Resolves when every page written so far is on disk; rejects with the first write error. */
  finish(): Promise<void> {
    if (!this.worker) return Promise.resolve();
    this.flush();
    this.done ??= new Promise<void>((resolvePromise, reject) => {
      const w = this.worker!;
      const onExit = () => reject(new Error('the report writer thread stopped unexpectedly'));
      w.once('exit', onExit);
      this.ended = (m) => {
        w.off('exit', onExit);
        if (m.type === 'done') resolvePromise();
        else reject(Object.assign(new Error(m.message ?? 'write failed'), { code: m.code }));
      };
      w.postMessage({ type: 'end' });
    });
    return this.done;
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }
}
