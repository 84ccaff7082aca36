// Gate verdicts as people read them, one palette for `gates`, `promote` and `audit`: a failed gate in
// red, a passed one in green (when the output takes colour), the words themselves unchanged so a log
// or a grep reads the same.
import { paint, type Output } from './terminal.js';

/** `pass min_tests: 3 results ≥ 1` / `FAIL …`, coloured by outcome. */
export function gateLine(g: { ok: boolean; gate: string; detail: string }, out?: Output): string {
  return `${verdict(g.ok ? 'pass' : 'FAIL', out)} ${g.gate}: ${g.detail}`;
}

/** A verdict word in its colour: ok/pass/passed green; FAIL, FORCED and BAD in red. */
export function verdict(word: string, out?: Output): string {
  if (!out) return word;
  return /^(ok|pass|passed|signed|verified)$/i.test(word) ? paint(out, 'passed', word) : paint(out, 'failed', word);
}
