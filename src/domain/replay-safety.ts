// When a write that lost a push race can be put on the new tip as it is, without planning it again
// (issue #15, the fast retry path). The operation was planned and checked on the old tip; what the
// others committed meanwhile can change its outcome only through the files it read or wrote, the
// ids it took, or the rules it was checked by. When none of those changed, the same file contents
// on the new tip are the same write: the retry rebuilds only the commit. Anything else re-plans.
import { CONFIG_FILE, STAGES_FILE } from './config.js';

export interface ReplaySafetyInput {
  /** the files the write changes (its commit's paths) */
  ours: string[];
  /** the files the others changed between the old tip and the new one */
  theirs: string[];
  /** the per-algorithm schema files of modelgit.yaml (they check what is written) */
  schemaFiles: string[];
}

/**
 * Why the write must be planned again on the new tip, or undefined when its commit can be rebuilt
 * there unchanged: none of its files changed, no new file took one of its file names (a model id
 * is unique across algorithms: models/a/X.json and models/b/X.json clash), and neither the config,
 * the stages nor a schema changed. A promotion (it writes stages.yaml) is always planned again.
 */
export function replanReason(input: ReplaySafetyInput): string | undefined {
  // A stage change is checked against the candidate's and the holder's results, in files it does not write.
  if (input.ours.includes(STAGES_FILE)) return `${STAGES_FILE} is written (its gates read other files)`;
  const ours = new Set(input.ours);
  const names = new Set(input.ours.map(baseName));
  const rules = new Set([CONFIG_FILE, STAGES_FILE, ...input.schemaFiles]);
  for (const path of input.theirs) {
    if (ours.has(path)) return `${path} changed`;
    if (rules.has(path)) return `${path} changed`;
    if (names.has(baseName(path))) return `${path} takes the same name`;
  }
  return undefined;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
