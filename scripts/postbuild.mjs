// Makes the built entry point executable (tsc doesn't keep file modes) and compiles the built-in
// JSON Schemas to standalone validators, so no command pays for ajv's compiler at startup.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { standaloneSource } from '../dist/schema/validator.js';

chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
const out = new URL('../dist/schema/compiled/', import.meta.url);
mkdirSync(out, { recursive: true });
for (const name of ['model', 'config', 'stages']) writeFileSync(new URL(`${name}.cjs`, out), standaloneSource(name));
