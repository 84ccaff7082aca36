// Makes the built entry point executable (tsc doesn't keep file modes) and copies the report's
// static assets (plain JS and CSS that tsc does not handle) next to the compiled code.
import { chmodSync, cpSync } from 'node:fs';
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
cpSync(new URL('../src/report/assets/', import.meta.url), new URL('../dist/report/assets/', import.meta.url), { recursive: true });
