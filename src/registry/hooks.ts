// Installing the pre-commit hook: our shim, without ever clobbering someone else's hook.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConflictError } from '../errors.js';
import type { Git } from '../git/git.js';

const MARKER = 'modelgit pre-commit hook';
const SHIM = new URL('../../hooks/pre-commit', import.meta.url);
const CHAINED = 'pre-commit.local';

export interface HookInstallOptions {
  /** replace a foreign hook (it is kept as pre-commit.backup) */
  force?: boolean;
  /** keep a foreign hook and run it before ours */
  chain?: boolean;
}

export interface HookInstallAnswer {
  path: string;
  action: 'installed' | 'updated' | 'chained' | 'replaced';
  backup?: string;
}

/** The shim with the path of this modelgit's entry point filled in. */
export function hookText(): string {
  const entry = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const chain = `# Chained: the hook that was here before modelgit runs first.\nif [ -x "$(dirname "$0")/${CHAINED}" ]; then "$(dirname "$0")/${CHAINED}" "$@" || exit $?; fi\n`;
  return readFileSync(SHIM, 'utf8')
    .replace('MODELGIT_INSTALLED=""', `MODELGIT_INSTALLED=${shellQuote(entry)}`)
    .replace('MODELGIT_INSTALLED=', `${chain}MODELGIT_INSTALLED=`);
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

export async function installHook(git: Git, opts: HookInstallOptions = {}): Promise<HookInstallAnswer> {
  const hooksDir = await git.gitPath('hooks');
  const path = join(hooksDir, 'pre-commit');
  mkdirSync(dirname(path), { recursive: true });
  let action: HookInstallAnswer['action'] = 'installed';
  let backup: string | undefined;
  if (existsSync(path)) {
    const current = readFileSync(path, 'utf8');
    if (current.includes(MARKER)) {
      action = 'updated';
    } else if (opts.chain) {
      backup = join(hooksDir, CHAINED);
      if (existsSync(backup)) throw new ConflictError(`${backup} already exists; refusing to overwrite it`, { hint: 'move it away and run the command again' });
      renameSync(path, backup);
      chmodSync(backup, 0o755);
      action = 'chained';
    } else if (opts.force) {
      backup = join(hooksDir, 'pre-commit.backup');
      renameSync(path, backup);
      action = 'replaced';
    } else {
      throw new ConflictError(`${path} is another tool's pre-commit hook; modelgit will not clobber it`, {
        hint: 'modelgit hooks install --chain runs it before the modelgit check (or --force replaces it, keeping pre-commit.backup)',
      });
    }
  }
  writeFileSync(path, hookText());
  chmodSync(path, 0o755);
  return { path, action, ...(backup ? { backup } : {}) };
}
