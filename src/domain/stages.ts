// Editing stages.yaml as text through the yaml Document API, so the team's comments, key order
// and flow/block style survive a promotion: a pull request shows one changed line, not a rewrite.
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Pair, type YAMLMap } from 'yaml';
import type { StageAssignments } from './types.js';

function rootMap(doc: Document): YAMLMap {
  if (!isMap(doc.contents)) {
    // An empty file, or one holding only comments: start a block map and keep those comments.
    const comment = doc.contents?.commentBefore ?? undefined;
    doc.contents = doc.createNode({}) as YAMLMap;
    if (comment) doc.contents.commentBefore = comment;
  }
  return doc.contents as YAMLMap;
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key) as Pair | undefined;
}

/**
 * Removes a key and hands the comment written above it to whatever now comes first, so a header
 * comment attached to the first key is not lost with it. Returns a comment with no new home.
 */
function removePair(map: YAMLMap, key: string): string | undefined {
  const i = map.items.findIndex((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
  if (i < 0) return undefined;
  const [pair] = map.items.splice(i, 1) as Pair[];
  const comment = isScalar(pair!.key) ? pair!.key.commentBefore : undefined;
  if (!comment) return undefined;
  const next = map.items[i] as Pair | undefined;
  if (next && isScalar(next.key)) {
    next.key.commentBefore = next.key.commentBefore ? `${comment}\n${next.key.commentBefore}` : comment;
    return undefined;
  }
  return comment;
}

/** stages.yaml text with `algorithm.stage` set to `modelId`; everything else as it was. */
export function assignStage(text: string, algorithm: string, stage: string, modelId: string): string {
  const doc = parseDocument(text);
  const root = rootMap(doc);
  // `{}` (what init writes) becomes a block map as soon as it has an entry.
  if (root.items.length === 0) root.flow = false;
  const algoPair = findPair(root, algorithm);
  if (algoPair && isMap(algoPair.value)) {
    algoPair.value.set(stage, modelId);
  } else {
    doc.setIn([algorithm], doc.createNode({ [stage]: modelId }));
  }
  return doc.toString();
}

/** stages.yaml text without `algorithm.stage` (an algorithm left with no stage goes too). */
export function unassignStage(text: string, algorithm: string, stage: string): string {
  const doc = parseDocument(text);
  const root = rootMap(doc);
  const algoPair = findPair(root, algorithm);
  if (!algoPair || !isMap(algoPair.value)) return doc.toString();
  const orphan = removePair(algoPair.value, stage);
  if (algoPair.value.items.length === 0) {
    if (orphan && isScalar(algoPair.key)) algoPair.key.commentBefore = algoPair.key.commentBefore ? `${algoPair.key.commentBefore}\n${orphan}` : orphan;
    const rootOrphan = removePair(root, algorithm);
    if (root.items.length === 0) {
      root.flow = true; // back to `{}`, with the header comment above it
      if (rootOrphan) root.commentBefore = root.commentBefore ? `${root.commentBefore}\n${rootOrphan}` : rootOrphan;
    }
  }
  return doc.toString();
}

export interface StageChange {
  algorithm: string;
  stage: string;
  /** the new holder; null when the assignment was removed */
  model_id: string | null;
  /** the holder before; null when nobody held it */
  previous: string | null;
  action: 'promote' | 'demote';
}

/** Every assignment that differs, sorted by algorithm then stage. */
export function stageChanges(before: StageAssignments, after: StageAssignments): StageChange[] {
  const changes: StageChange[] = [];
  const algos = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  for (const algorithm of algos) {
    const b = before?.[algorithm] ?? {};
    const a = after?.[algorithm] ?? {};
    for (const stage of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()) {
      const prev = b[stage] ?? null;
      const next = a[stage] ?? null;
      if (prev === next) continue;
      changes.push({ algorithm, stage, model_id: next, previous: prev, action: next === null ? 'demote' : 'promote' });
    }
  }
  return changes;
}


/** 1-based line and column of `algorithm.stage` in stages.yaml text (of the algorithm, or 1:1, when absent). */
export function locateStage(text: string, algorithm: string, stage?: string): { line: number; column: number } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  let offset = 0;
  if (isMap(doc.contents)) {
    const algoPair = findPair(doc.contents, algorithm);
    if (algoPair && isScalar(algoPair.key)) offset = algoPair.key.range?.[0] ?? 0;
    if (algoPair && stage !== undefined && isMap(algoPair.value)) {
      const stagePair = findPair(algoPair.value, stage);
      if (stagePair && isScalar(stagePair.key)) offset = stagePair.key.range?.[0] ?? offset;
    }
  }
  const pos = lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}
