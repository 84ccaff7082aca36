// Writes a registry history straight into one git pack + index, for generating 100,000-model
// registries in minutes. Why not only `git fast-import`: every commit rewrites the directory tree
// of its algorithm (up to ~25,000 entries at 100,000 models), fast-import serialises that tree with
// one printf per entry and re-sorts it, which makes a 100,000-model history take about 40 minutes
// here; and its packs chain each blob to the previous, unrelated blob 50 deep, so reading HEAD is
// slower than in any repository `git gc` has seen. Here a directory tree changes by one entry per
// commit, so its delta against an earlier version is written from the edit itself (no delta
// search), with a depth of at most 10 (a binary-counter base scheme) and a full copy every 1024
// versions; blobs, commits and small trees are stored whole. The commit ids are the ones
// fast-import produces for the same stream (bench/generate.mjs checks this in the tests), and
// `git fsck --full` accepts the result.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, renameSync, writeSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

const OBJ_COMMIT = 1;
const OBJ_TREE = 2;
const OBJ_BLOB = 3;
const OBJ_OFS_DELTA = 6;
const BLOCK = 1024; // a directory tree is stored whole every BLOCK versions

function sha1(type, body) {
  return createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest();
}

function varint(n, out) {
  // delta header sizes: little-endian base-128
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
}

function objectHeader(type, size) {
  const bytes = [];
  let b = (type << 4) | (size & 0x0f);
  size = Math.floor(size / 16);
  while (size > 0) {
    bytes.push(b | 0x80);
    b = size & 0x7f;
    size = Math.floor(size / 128);
  }
  bytes.push(b);
  return bytes;
}

function ofsEncoding(distance) {
  const bytes = [distance & 0x7f];
  let n = Math.floor(distance / 128);
  while (n > 0) {
    n -= 1;
    bytes.unshift(0x80 | (n & 0x7f));
    n = Math.floor(n / 128);
  }
  return bytes;
}

/** Delta opcodes: copy ranges of the base and literal inserts. */
class DeltaBuilder {
  constructor(baseSize, targetSize) {
    this.parts = [];
    const head = [];
    varint(baseSize, head);
    varint(targetSize, head);
    this.parts.push(Buffer.from(head));
  }
  copy(offset, size) {
    while (size > 0) {
      const n = Math.min(size, 0xffffff);
      const op = [0x80];
      for (let i = 0; i < 4; i++) {
        const byte = Math.floor(offset / 2 ** (8 * i)) & 0xff;
        if (byte) {
          op[0] |= 1 << i;
          op.push(byte);
        }
      }
      for (let i = 0; i < 3; i++) {
        const byte = (n >> (8 * i)) & 0xff;
        if (byte) {
          op[0] |= 0x10 << i;
          op.push(byte);
        }
      }
      this.parts.push(Buffer.from(op));
      offset += n;
      size -= n;
    }
  }
  insert(buf) {
    for (let i = 0; i < buf.length; i += 127) {
      const chunk = buf.subarray(i, i + 127);
      this.parts.push(Buffer.from([chunk.length]), chunk);
    }
  }
  done() {
    return Buffer.concat(this.parts);
  }
}

/** git's tree order: byte order of names, a directory compared as if it ended in "/". */
function treeKey(name, isDir) {
  return Buffer.from(isDir ? name + '/' : name, 'utf8');
}

function smallTree(entries) {
  // entries: [{name, mode, oid(Buffer), dir}]
  const sorted = [...entries].sort((a, b) => Buffer.compare(treeKey(a.name, a.dir), treeKey(b.name, b.dir)));
  return Buffer.concat(sorted.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`), e.oid]));
}

/** One big directory (models/<algorithm>), kept serialised and edited in place. */
class DirectoryTree {
  constructor() {
    this.names = []; // sorted file names
    this.offsets = []; // byte offset of each entry
    this.buf = Buffer.alloc(1 << 16);
    this.size = 0;
    this.version = -1;
    this.insertedAt = new Map(); // name → version that added it
    this.edits = []; // version → name it touched
    this.packOffsets = []; // version → pack offset of that version's object
  }

  // Names are ASCII (DESIGN §2 naming rules), so string order is git's byte order.
  find(name) {
    let lo = 0;
    let hi = this.names.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const n = this.names[mid];
      if (n === name) return { index: mid, found: true };
      if (n < name) lo = mid + 1;
      else hi = mid;
    }
    return { index: lo, found: false };
  }

  /** Sets `name` to `oid`; returns the new version number. */
  set(name, oid) {
    this.version++;
    const { index, found } = this.find(name);
    if (found) {
      const end = index + 1 < this.offsets.length ? this.offsets[index + 1] : this.size;
      oid.copy(this.buf, end - 20);
    } else {
      const entry = Buffer.concat([Buffer.from(`100644 ${name}\0`), oid]);
      if (this.size + entry.length > this.buf.length) {
        const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.size + entry.length));
        this.buf.copy(bigger, 0, 0, this.size);
        this.buf = bigger;
      }
      const at = index < this.offsets.length ? this.offsets[index] : this.size;
      this.buf.copy(this.buf, at + entry.length, at, this.size);
      entry.copy(this.buf, at);
      this.size += entry.length;
      this.names.splice(index, 0, name);
      this.offsets.splice(index, 0, at);
      for (let i = index + 1; i < this.offsets.length; i++) this.offsets[i] += entry.length;
      this.insertedAt.set(name, this.version);
    }
    this.edits.push(name);
    return this.version;
  }

  content() {
    return this.buf.subarray(0, this.size);
  }

  /** The version this one is stored as a delta against, or -1 to store it whole. */
  baseOf(v) {
    const r = v % BLOCK;
    if (r === 0) return -1;
    return v - (r & -r);
  }

  /** Delta from version `base` to the current version, from the names edited in between. */
  deltaFrom(base, baseSize) {
    const changed = new Map();
    for (let v = base + 1; v <= this.version; v++) {
      const name = this.edits[v];
      changed.set(name, this.insertedAt.get(name) > base ? 'insert' : 'modify');
    }
    const spots = [...changed].map(([name, kind]) => {
      const { index } = this.find(name);
      const start = this.offsets[index];
      const end = index + 1 < this.offsets.length ? this.offsets[index + 1] : this.size;
      return { start, end, kind };
    });
    spots.sort((a, b) => a.start - b.start);
    const d = new DeltaBuilder(baseSize, this.size);
    let t = 0; // target cursor
    let b = 0; // base cursor
    for (const s of spots) {
      if (s.start > t) d.copy(b, s.start - t);
      b += s.start - t;
      d.insert(this.buf.subarray(s.start, s.end));
      if (s.kind === 'modify') b += s.end - s.start;
      t = s.end;
    }
    if (this.size > t) d.copy(b, this.size - t);
    return d.done();
  }
}

export class PackWriter {
  constructor(gitDir) {
    this.gitDir = gitDir;
    this.tmp = join(gitDir, 'objects', 'pack', `tmp-bench-${process.pid}.pack`);
    mkdirSync(join(gitDir, 'objects', 'pack'), { recursive: true });
    this.fd = openSync(this.tmp, 'w');
    this.offset = 0;
    this.pending = [];
    this.pendingBytes = 0;
    // Object ids, offsets and CRCs in flat arrays: a 100,000-model history has ~1.6M objects.
    this.count = 0;
    this.oids = Buffer.alloc(20 * 65536);
    this.offsets = new Float64Array(65536);
    this.crcs = new Uint32Array(65536);
    this.write(Buffer.from([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2, 0, 0, 0, 0])); // count patched at the end
    this.root = new Map(); // name → {mode, oid, dir}
    this.models = new Map(); // entries of models/: .gitkeep and algorithm directories
    this.dirs = new Map(); // algorithm → DirectoryTree
    this.dirSizes = new Map(); // algorithm → size of each stored version (for delta headers)
    this.parent = undefined;
  }

  write(buf) {
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    this.offset += buf.length;
    if (this.pendingBytes > 1 << 22) this.flush();
  }

  flush() {
    if (!this.pending.length) return;
    writeSync(this.fd, Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Stores an object whole; returns its pack offset. */
  whole(type, oid, body) {
    const at = this.offset;
    const packed = Buffer.concat([Buffer.from(objectHeader(type, body.length)), deflateSync(body, { level: 1 })]);
    this.record(oid, at, packed);
    return at;
  }

  delta(oid, baseOffset, delta) {
    const at = this.offset;
    const packed = Buffer.concat([Buffer.from(objectHeader(OBJ_OFS_DELTA, delta.length)), Buffer.from(ofsEncoding(at - baseOffset)), deflateSync(delta, { level: 1 })]);
    this.record(oid, at, packed);
    return at;
  }

  record(oid, at, packed) {
    if (this.count === this.offsets.length) {
      const n = this.count * 2;
      const oids = Buffer.alloc(20 * n);
      this.oids.copy(oids);
      this.oids = oids;
      const offsets = new Float64Array(n);
      offsets.set(this.offsets);
      this.offsets = offsets;
      const crcs = new Uint32Array(n);
      crcs.set(this.crcs);
      this.crcs = crcs;
    }
    oid.copy(this.oids, 20 * this.count);
    this.offsets[this.count] = at;
    this.crcs[this.count] = crc32(packed);
    this.count++;
    this.write(packed);
  }

  blob(text) {
    const body = Buffer.from(text, 'utf8');
    const oid = sha1('blob', body);
    this.whole(OBJ_BLOB, oid, body);
    return oid;
  }

  setFile(path, oid) {
    const parts = path.split('/');
    if (parts.length === 1) this.root.set(parts[0], { name: parts[0], mode: '100644', oid, dir: false });
    else if (parts.length === 2) this.models.set(parts[1], { name: parts[1], mode: '100644', oid, dir: false });
    else if (parts.length === 3) {
      const [, algorithm, file] = parts;
      let dir = this.dirs.get(algorithm);
      if (!dir) {
        dir = new DirectoryTree();
        this.dirs.set(algorithm, dir);
        this.dirSizes.set(algorithm, []);
      }
      const v = dir.set(file, oid);
      const body = dir.content();
      const treeOid = sha1('tree', body);
      const base = dir.baseOf(v);
      const sizes = this.dirSizes.get(algorithm);
      const at = base < 0 ? this.whole(OBJ_TREE, treeOid, body) : this.delta(treeOid, dir.packOffsets[base], dir.deltaFrom(base, sizes[base]));
      dir.packOffsets.push(at);
      sizes.push(body.length);
      this.models.set(algorithm, { name: algorithm, mode: '40000', oid: treeOid, dir: true });
    } else throw new Error(`unexpected path depth: ${path}`);
  }

  /** One commit: the files it writes (path, text), then the root and models trees, then the commit. */
  commit({ author, committer, message, files }) {
    for (const [path, text] of files) this.setFile(path, this.blob(text));
    const modelsBody = smallTree([...this.models.values()]);
    const modelsOid = sha1('tree', modelsBody);
    this.whole(OBJ_TREE, modelsOid, modelsBody);
    this.root.set('models', { name: 'models', mode: '40000', oid: modelsOid, dir: true });
    const rootBody = smallTree([...this.root.values()]);
    const rootOid = sha1('tree', rootBody);
    this.whole(OBJ_TREE, rootOid, rootBody);
    const text = `tree ${rootOid.toString('hex')}\n${this.parent ? `parent ${this.parent.toString('hex')}\n` : ''}author ${author}\ncommitter ${committer}\n\n${message}`;
    const body = Buffer.from(text, 'utf8');
    const oid = sha1('commit', body);
    this.whole(OBJ_COMMIT, oid, body);
    this.parent = oid;
    return oid.toString('hex');
  }

  /** Finishes the pack, writes its index, and returns the last commit id. */
  finish() {
    this.flush();
    const count = this.count;
    const oids = this.oids;
    const cmp = (a, b) => oids.compare(oids, 20 * b, 20 * b + 20, 20 * a, 20 * a + 20);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(count);
    writeSync(this.fd, header, 0, 4, 8);
    closeSync(this.fd);
    // The trailer is the SHA-1 of everything before it; read the file back once to compute it.
    const hash = createHash('sha1');
    const fd = openSync(this.tmp, 'r');
    const chunk = Buffer.alloc(1 << 22);
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) hash.update(chunk.subarray(0, n));
    closeSync(fd);
    const packSum = hash.digest();
    writeFileSync(this.tmp, packSum, { flag: 'a' });

    const order = Array.from({ length: count }, (_, i) => i).sort(cmp);
    for (let i = 1; i < count; i++) {
      if (cmp(order[i - 1], order[i]) === 0) throw new Error(`duplicate object ${oids.toString('hex', 20 * order[i], 20 * order[i] + 20)}`);
    }
    const fanout = Buffer.alloc(256 * 4);
    const counts = new Array(256).fill(0);
    for (let i = 0; i < count; i++) counts[oids[20 * i]]++;
    let acc = 0;
    for (let i = 0; i < 256; i++) fanout.writeUInt32BE((acc += counts[i]), i * 4);
    const names = Buffer.alloc(20 * count);
    order.forEach((i, k) => oids.copy(names, 20 * k, 20 * i, 20 * i + 20));
    const crcs = Buffer.alloc(count * 4);
    const small = Buffer.alloc(count * 4);
    const large = [];
    order.forEach((i, k) => {
      crcs.writeUInt32BE(this.crcs[i] >>> 0, k * 4);
      const off = this.offsets[i];
      if (off < 0x80000000) small.writeUInt32BE(off, k * 4);
      else {
        small.writeUInt32BE((0x80000000 | large.length) >>> 0, k * 4);
        const b = Buffer.alloc(8);
        b.writeBigUInt64BE(BigInt(off));
        large.push(b);
      }
    });
    const idxBody = Buffer.concat([Buffer.from([0xff, 0x74, 0x4f, 0x63, 0, 0, 0, 2]), fanout, names, crcs, small, ...large, packSum]);
    const idx = Buffer.concat([idxBody, createHash('sha1').update(idxBody).digest()]);
    const name = join(this.gitDir, 'objects', 'pack', `pack-${packSum.toString('hex')}`);
    writeFileSync(`${name}.idx`, idx);
    renameSync(this.tmp, `${name}.pack`);
    return this.parent?.toString('hex');
  }
}
