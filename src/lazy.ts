// Libraries that take tens of milliseconds to load, required on first use instead of at startup:
// a read at 10,000 models has 150 ms for the whole process, and node alone takes 40 of them.
// Each of these ships CommonJS, so a synchronous require keeps the callers' APIs as they were.
import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';
import type * as Yaml from 'yaml';

const require = createRequire(import.meta.url);
const loaded = new Map<string, unknown>();

/** `require(name)`, once per process. */
export function lazyRequire<T>(name: string): T {
  let m = loaded.get(name);
  if (m === undefined) {
    m = require(name);
    loaded.set(name, m);
  }
  return m as T;
}

/** node:crypto (~4 ms to load as an ES module; most reads never hash). */
export function cryptoLib(): typeof Crypto {
  return lazyRequire<typeof Crypto>('node:crypto');
}

/** The `yaml` package (~50 ms to load). */
export function yamlLib(): typeof Yaml {
  return lazyRequire<typeof Yaml>('yaml');
}
