// Makes the built entry point executable (tsc doesn't keep file modes).
import { chmodSync } from 'node:fs';
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
