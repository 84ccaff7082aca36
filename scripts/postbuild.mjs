// Makes the built entry point executable (tsc doesn't keep file modes), copies the report's
// static assets (plain JS and CSS that tsc does not handle) next to the compiled code, and
// compiles the built-in JSON Schemas to standalone validators, so no command pays for ajv's
// compiler at startup.
import { chmodSync, cpSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { standaloneSource } from '../dist/schema/validator.js';
import { fastDateTime } from '../dist/schema/date-time.js';

chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
cpSync(new URL('../src/report/assets/', import.meta.url), new URL('../dist/report/assets/', import.meta.url), { recursive: true });
const out = new URL('../dist/schema/compiled/', import.meta.url);
mkdirSync(out, { recursive: true });
for (const name of ['model', 'config', 'stages']) writeFileSync(new URL(`${name}.cjs`, out), standaloneSource(name));
// The formats those validators require: ajv-formats' full ones, date-time answered first by
// fastDateTime (src/schema/date-time.ts), whose source is self-contained for this.
writeFileSync(
  new URL('formats.cjs', out),
  `"use strict";\n// Written by scripts/postbuild.mjs: ajv-formats' full formats, date-time first checked by fastDateTime (src/schema/date-time.ts).\n` +
    `const full = require("ajv-formats/dist/formats").fullFormats;\nconst fastDateTime = ${fastDateTime.toString()};\n` +
    `module.exports = { ...full, "date-time": { validate: fastDateTime(full["date-time"].validate), compare: full["date-time"].compare } };\n`,
);

// The CLI as a bundle: one file per command plus shared chunks instead of ~45 modules, which saves
// node 10–20 ms of module resolution and loading on every command. Chunks sit beside main.js in
// dist/cli; files that ship with the package are found from its root (src/package-root.ts), so a
// module's depth in dist/ does not matter. tsc's dist/ stays for the library (dist/index.js).
const { build } = await import('rolldown');
const READS = new RegExp(
  [
    'dist/git/(?:git|head-files|commit-graph|background)\\.js$',
    'dist/domain/(?:metadata|names|selection|summary|config|metrics|datasets|operation-id)\\.js$',
    'dist/(?:errors|lazy|version|package-root)\\.js$',
    'dist/registry/(?:registry|query-options)\\.js$',
    'dist/store/(?:locate|config|snapshot|models|lazy-model|model-file|lookup|stages|path-history)\\.js$',
    'dist/store/cache/(?:snapshot-cache|snapshot-file|index-writer|sections|snapshot-fill|memo-file|yaml-cache|history-index|files)\\.js$',
    'dist/cli/(?:context|options)\\.js$',
    'dist/render/(?:table|problems|format|field)\\.js$',
  ]
    .map((p) => p.replaceAll('/', '[\\\\/]'))
    .join('|'),
);
// The write path, loaded by registry.ts on a command's first write: one chunk, not ten.
const WRITES = new RegExp(
  ['dist/store/write/[\\w-]+\\.js$', 'dist/git/(?:remote|branches)\\.js$', 'dist/install/hooks\\.js$', 'dist/domain/worktree\\.js$']
    .map((p) => p.replaceAll('/', '[\\\\/]'))
    .join('|'),
);
const cli = new URL('../dist/cli/', import.meta.url);
const staging = new URL('../dist/.cli-bundle/', import.meta.url);
rmSync(staging, { recursive: true, force: true });
await build({
  input: fileURLToPath(new URL('main.js', cli)),
  platform: 'node',
  logLevel: 'warn',
  // Dependencies load from node_modules as they are (some, like jsonc-parser's UMD build, don't
  // survive bundling); commander, which every command needs, is bundled.
  external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('commander'),
  output: { dir: fileURLToPath(staging), format: 'esm', entryFileNames: 'main.js', chunkFileNames: 'chunk-[name]-[hash].js', sourcemap: false,
    // What every read loads (registry, snapshot, git, config, commander…) in one chunk: node's ES
    // module loader costs about half a millisecond a module, and best or show loaded twenty. The
    // write path (store/write/, git/remote.ts, git/branches.ts) is not in it but in a chunk of its
    // own, which registry.ts imports on the first write: a read never parses it.
    codeSplitting: { groups: [{ name: 'reads', test: READS }, { name: 'writes', test: WRITES }] },
  },
});
for (const f of readdirSync(cli)) if (f.startsWith('chunk-')) rmSync(new URL(f, cli));
for (const f of readdirSync(staging)) renameSync(new URL(f, staging), new URL(f, cli));
rmSync(staging, { recursive: true, force: true });
chmodSync(new URL('main.js', cli), 0o755);
rmSync(new URL('main.js.map', cli), { force: true }); // tsc's map of the unbundled file
