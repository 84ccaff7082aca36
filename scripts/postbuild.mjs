// Makes the built entry point executable (tsc doesn't keep file modes), copies the report's
// static assets (plain JS and CSS that tsc does not handle) next to the compiled code, and
// compiles the built-in JSON Schemas to standalone validators, so no command pays for ajv's
// compiler at startup.
import { chmodSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { standaloneSource } from '../dist/schema/validator.js';

chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
cpSync(new URL('../src/report/assets/', import.meta.url), new URL('../dist/report/assets/', import.meta.url), { recursive: true });
const out = new URL('../dist/schema/compiled/', import.meta.url);
mkdirSync(out, { recursive: true });
for (const name of ['model', 'config', 'stages']) writeFileSync(new URL(`${name}.cjs`, out), standaloneSource(name));
