// Where human output goes, and what it can do there: a terminal of some width that may show colour,
// or a pipe/file/CI log. Every text renderer takes one of these rather than asking the process, so
// tests render "at 80 columns" or "through a pipe" in-process, and the CLI decides once (main.ts).
//
// The rules follow gh and git: a terminal gets tables fitted to its width, colour and default limits on
// long listings; anything else gets plain columns, no colour, no truncation (a log or a script reads it
// whole). Colour is off with NO_COLOR (https://no-color.org), --no-color, TERM=dumb, or a pipe.

export interface Output {
  /** stdout is a terminal a person reads (or MODELGIT_FORCE_TTY says to behave as if it were) */
  tty: boolean;
  /** columns to fit tables in; undefined: no limit (a pipe, a file) */
  width: number | undefined;
  /** ANSI colour allowed */
  color: boolean;
}

/** Output for a pipe or a file: plain, whole, uncoloured. Also what library callers get by default. */
export const PLAIN_OUTPUT: Output = Object.freeze({ tty: false, width: undefined, color: false });

/** A terminal of `width` columns, with or without colour (tests, and MODELGIT_FORCE_TTY). */
export function terminalOutput(width: number, color = false): Output {
  return { tty: true, width: Math.max(20, Math.floor(width)), color };
}

export interface OutputEnvironment {
  isTTY: boolean | undefined;
  columns: number | undefined;
  env: NodeJS.ProcessEnv;
  /** --no-color given */
  noColor?: boolean;
}

/**
 * What stdout is. MODELGIT_FORCE_TTY=N (N ≥ 20) behaves as a terminal of N columns (as gh's GH_FORCE_TTY), and
 * any other value but 0 as a terminal of COLUMNS (else 80) columns: for
 * tests and for `watch`/`less -R`. COLUMNS overrides the width a terminal reports.
 */
export function detectOutput(e: OutputEnvironment): Output {
  const forced = e.env.MODELGIT_FORCE_TTY;
  // a number of columns (as gh's GH_FORCE_TTY), or any other value ("1", "true") for a terminal of COLUMNS or 80
  const forcedWidth = forced !== undefined && /^\d+$/.test(forced.trim()) && Number(forced) >= 20 ? Number(forced) : undefined;
  const tty = forced !== undefined && forced !== '' && forced !== '0' ? true : !!e.isTTY;
  if (!tty) return PLAIN_OUTPUT;
  const fromEnv = e.env.COLUMNS !== undefined && /^\d+$/.test(e.env.COLUMNS.trim()) ? Number(e.env.COLUMNS) : undefined;
  const width = forcedWidth ?? fromEnv ?? (e.columns && e.columns > 0 ? e.columns : 80);
  const color = !e.noColor && !('NO_COLOR' in e.env && e.env.NO_COLOR !== '') && e.env.TERM !== 'dumb';
  return terminalOutput(width, color);
}

/** What a coloured word means; one palette for every command. */
export type Tone = 'best' | 'better' | 'worse' | 'failed' | 'passed' | 'muted' | 'heading';

const SGR: Record<Tone, [string, string]> = {
  best: ['\x1b[1;32m', '\x1b[22;39m'],
  better: ['\x1b[32m', '\x1b[39m'],
  worse: ['\x1b[31m', '\x1b[39m'],
  failed: ['\x1b[1;31m', '\x1b[22;39m'],
  passed: ['\x1b[32m', '\x1b[39m'],
  muted: ['\x1b[2m', '\x1b[22m'],
  heading: ['\x1b[1m', '\x1b[22m'],
};

/** `text` in the colour of `tone` when the output takes colour; as is otherwise. */
export function paint(out: Output, tone: Tone, text: string): string {
  if (!out.color || text === '') return text;
  const [on, off] = SGR[tone];
  return on + text + off;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Text without colour codes, for measuring a cell's width. */
export function stripColor(text: string): string {
  return text.indexOf('\x1b') < 0 ? text : text.replace(ANSI, '');
}
