// The `Key: value` trailers of a commit or tag message, as modelgit writes and reads them
// (Model-Action, Model-Id, Stage, Gate…). Plain text parsing, here so that the report's pages can
// read a tag's message without loading the git door (src/git/ re-exports it for its log readers).
export function parseTrailers(body: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  // Trailers are the last paragraph; `Key: value` lines.
  const paragraphs = body.trim().split(/\n\s*\n/);
  const last = paragraphs[paragraphs.length - 1] ?? '';
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*):\s?(.*)$/.exec(line.trim());
    if (m) (out[m[1]!] ??= []).push(m[2]!);
  }
  return out;
}

/**
 * The Model-Action values a write may be queued for (--queue): those `modelgit drain` knows how to
 * re-apply. Here, in plain data, so the CLI offers --queue on exactly these commands and the write
 * path refuses the others, from one list.
 */
export const QUEUEABLE_ACTIONS: readonly string[] = ['register', 'test', 'tag', 'untag', 'note', 'promote', 'demote'];
