// Which models tree a commit has. A commit never changes, so once git has said it, every later read
// of the same HEAD can skip the `git cat-file --batch-check` that asks it again (~8 ms a read).
// The few most recent answers live in one small file; each line carries a CRC-32, and a line that
// fails it is dropped with a warning (git is asked again), so damage can't change an answer.
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

const FILE = 'commit-trees';
/** enough for HEAD, the commit before it and a few branches switched between */
const KEEP = 16;

export interface CommitTree {
  commit: string;
  modelsDir: string;
  tree: string;
}

const OID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

function lineOf(e: CommitTree): string {
  const body = `${e.commit} ${e.tree} ${e.modelsDir}`;
  return `${crc32(body).toString(16).padStart(8, '0')} ${body}`;
}

/** The well-formed entries of the file's text, newest first, and whether any line was damaged. */
export function parseCommitTrees(text: string): { entries: CommitTree[]; damaged: boolean } {
  const entries: CommitTree[] = [];
  let damaged = false;
  for (const line of text.split('\n')) {
    if (!line) continue;
    const crc = line.slice(0, 8);
    const body = line.slice(9);
    const [commit = '', tree = ''] = body.split(' ', 2);
    const modelsDir = body.slice(commit.length + tree.length + 2);
    if (line[8] !== ' ' || crc !== crc32(body).toString(16).padStart(8, '0') || !OID.test(commit) || !OID.test(tree) || !modelsDir) {
      damaged = true;
      continue;
    }
    entries.push({ commit, tree, modelsDir });
  }
  return { entries, damaged };
}

/** The file's text with `e` first, without an older answer for the same commit and models dir. */
export function withCommitTree(entries: CommitTree[], e: CommitTree): string {
  const kept = [e, ...entries.filter((x) => x.commit !== e.commit || x.modelsDir !== e.modelsDir)].slice(0, KEEP);
  return kept.map((x) => lineOf(x) + '\n').join('');
}

export class CommitTrees {
  private readonly file: string;
  private entries: CommitTree[] | undefined;

  constructor(
    private readonly dir: string,
    private readonly warn: (message: string) => void = (m) => process.stderr.write(m),
  ) {
    this.file = join(dir, FILE);
  }

  private load(): CommitTree[] {
    if (this.entries) return this.entries;
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      /* none yet */
    }
    const { entries, damaged } = parseCommitTrees(text);
    if (damaged) {
      this.warn(`modelgit: warning: the cache file ${this.file} is damaged; asking git again\n`);
      this.write(entries.map((x) => lineOf(x) + '\n').join(''));
    }
    return (this.entries = entries);
  }

  treeOf(commit: string, modelsDir: string): string | undefined {
    return this.load().find((e) => e.commit === commit && e.modelsDir === modelsDir)?.tree;
  }

  remember(e: CommitTree): void {
    const entries = this.load();
    if (entries[0]?.commit === e.commit && entries[0].modelsDir === e.modelsDir && entries[0].tree === e.tree) return;
    this.write(withCommitTree(entries, e));
    this.entries = undefined;
  }

  private write(text: string): void {
    const tmp = `${this.file}.tmp-${process.pid}`;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, text);
      renameSync(tmp, this.file);
    } catch {
      // A read-only or full disk only costs speed.
      try {
        unlinkSync(tmp);
      } catch {
        /* never created */
      }
    }
  }
}
