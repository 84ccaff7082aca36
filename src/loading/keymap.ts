// The tensor-key mapping of a loading strategy (state_dict_mapping), applied to real tensor names.
// Pure. Order: remove_prefix, then key_transforms (literal substring replacements, in the order
// written), then add_prefix. A mapping that would make a loader silently drop or corrupt weights is
// refused: two names landing on one key, a name without the prefix the mapping says to remove, or a
// name that maps to nothing.
import type { StateDictMapping } from '../domain/types.js';

export interface KeyMappingProblem {
  rule: 'collision' | 'prefix-unmatched' | 'empty-key';
  message: string;
  keys: string[];
}

export interface KeyMappingResult {
  /** [from, to] for every tensor, in the order given */
  pairs: [string, string][];
  /** how many names the mapping changed */
  renamed: number;
  /** key_transforms entries that matched no name (probably written for another checkpoint) */
  unusedTransforms: string[];
  problems: KeyMappingProblem[];
}

/** True when the mapping changes nothing (absent, nulls, empty strings, no transforms). */
export function isIdentityMapping(m: StateDictMapping | undefined): boolean {
  return !m || (!m.remove_prefix && !m.add_prefix && Object.keys(m.key_transforms ?? {}).length === 0);
}

/** One name through the mapping; undefined when it lacks the prefix to remove. */
export function mapKey(key: string, m: StateDictMapping | undefined, used?: Set<string>): string | undefined {
  let k = key;
  if (m?.remove_prefix) {
    if (!k.startsWith(m.remove_prefix)) return undefined;
    k = k.slice(m.remove_prefix.length);
  }
  for (const [from, to] of Object.entries(m?.key_transforms ?? {})) {
    if (!from || !k.includes(from)) continue;
    used?.add(from);
    k = k.split(from).join(to);
  }
  if (m?.add_prefix) k = m.add_prefix + k;
  return k;
}

const SHOW = 5;
function some(keys: string[]): string {
  const shown = keys.slice(0, SHOW).map((k) => JSON.stringify(k)).join(', ');
  return keys.length > SHOW ? `${shown} and ${keys.length - SHOW} more` : shown;
}

export function applyKeyMapping(keys: readonly string[], m: StateDictMapping | undefined): KeyMappingResult {
  const pairs: [string, string][] = [];
  const unmatched: string[] = [];
  const empty: string[] = [];
  const targets = new Map<string, string[]>();
  const used = new Set<string>();
  let renamed = 0;
  for (const key of keys) {
    const to = mapKey(key, m, used);
    if (to === undefined) {
      unmatched.push(key);
      continue;
    }
    if (to === '') empty.push(key);
    pairs.push([key, to]);
    if (to !== key) renamed++;
    const froms = targets.get(to);
    if (froms) froms.push(key);
    else targets.set(to, [key]);
  }
  const problems: KeyMappingProblem[] = [];
  if (unmatched.length) {
    problems.push({
      rule: 'prefix-unmatched',
      keys: unmatched,
      message: `remove_prefix ${JSON.stringify(m?.remove_prefix)} does not match ${unmatched.length} of ${keys.length} tensor name(s): ${some(unmatched)} (a loader cutting the prefix off would corrupt them)`,
    });
  }
  for (const [to, froms] of targets) {
    if (froms.length > 1) {
      problems.push({ rule: 'collision', keys: froms, message: `tensor names ${some(froms)} all map to ${JSON.stringify(to)} (one would overwrite the other)` });
    }
  }
  if (empty.length) problems.push({ rule: 'empty-key', keys: empty, message: `tensor name(s) ${some(empty)} map to an empty name` });
  const unusedTransforms = Object.keys(m?.key_transforms ?? {}).filter((from) => !used.has(from));
  return { pairs, renamed, unusedTransforms, problems };
}
