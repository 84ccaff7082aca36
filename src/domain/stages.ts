// Editing stages.yaml so a promotion is a one-line change in a pull request: the team's comments,
// spacing, key order and style stay as they were. The edit is made on the text at the positions
// the yaml parser reports; the result is parsed back and compared with the intended assignments,
// and should an unusual layout defeat the text edit, the yaml Document API (which keeps comments
// and order but normalises spacing) makes it instead.
import { isDeepStrictEqual } from 'node:util';
import { MAX_YAML_ALIASES, prototypeFree } from './limits.js';
import { isMap, isPair, isScalar, LineCounter, parse, parseDocument, type Document, type Pair, type YAMLMap } from 'yaml';
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

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** The offset just past the newline ending the line that holds `offset`. */
function nextLine(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl < 0 ? text.length : nl + 1;
}

function splice(text: string, from: number, to: number, insert: string): string {
  return text.slice(0, from) + insert + text.slice(to);
}

function withNewline(text: string, at: number): { text: string; at: number } {
  if (at > 0 && at === text.length && !text.endsWith('\n')) return { text: text + '\n', at: at + 1 };
  return { text, at };
}

/** The indentation nested keys use in this file (two spaces if it has none yet). */
function indentUnit(text: string, root: YAMLMap | undefined): string {
  for (const p of root?.items ?? []) {
    if (isPair(p) && isMap(p.value) && !p.value.flow) {
      const first = p.value.items[0];
      if (first && isScalar(first.key) && first.key.range) {
        const col = first.key.range[0] - lineStart(text, first.key.range[0]);
        if (col > 0) return ' '.repeat(col);
      }
    }
  }
  return '  ';
}

function currentOf(text: string): StageAssignments {
  const v = parse(text, { maxAliasCount: MAX_YAML_ALIASES }) as StageAssignments | null;
  // Without prototypes: an algorithm or stage called `constructor` must not find Object's.
  return prototypeFree(v && typeof v === 'object' ? v : {});
}

type Edit = (current: StageAssignments) => void;

/** The text edit, checked; the Document API edit when the text edit does not give `want`. */
function checked(want: StageAssignments, textual: () => string | undefined, viaDocument: () => string): string {
  try {
    const out = textual();
    if (out !== undefined && isDeepStrictEqual(currentOf(out), want)) return out;
  } catch {
    /* fall through to the Document API */
  }
  return viaDocument();
}

function intended(text: string, edit: Edit): StageAssignments {
  const cur = prototypeFree(currentOf(text)); // a copy (structuredClone would restore prototypes)
  edit(cur);
  return prototypeFree(cur); // (the edit may add plain objects; currentOf gives none)
}

/** stages.yaml text with `algorithm.stage` set to `modelId`; everything else as it was. */
export function assignStage(text: string, algorithm: string, stage: string, modelId: string): string {
  const want = intended(text, (c) => {
    (c[algorithm] ??= {})[stage] = modelId;
  });
  return checked(want, () => assignText(text, algorithm, stage, modelId), () => assignDocument(text, algorithm, stage, modelId));
}

function assignText(text: string, algorithm: string, stage: string, modelId: string): string | undefined {
  const doc = parseDocument(text);
  if (doc.errors.length) return undefined;
  const root = isMap(doc.contents) ? doc.contents : undefined;
  const unit = indentUnit(text, root);
  const block = `${algorithm}:\n${unit}${stage}: ${modelId}\n`;
  if (!root) {
    if (doc.contents !== null && doc.contents !== undefined) return undefined; // a scalar or list: not ours to fix here
    const w = withNewline(text, text.length);
    return w.text + block;
  }
  if (root.flow) {
    if (root.items.length || !root.range) return undefined;
    return splice(text, root.range[0], root.range[1], block.replace(/\n$/, ''));
  }
  const algoPair = findPair(root, algorithm);
  if (!algoPair) {
    const last = root.items[root.items.length - 1] as Pair | undefined;
    const end = last?.value && (last.value as { range?: [number, number, number] }).range ? (last.value as { range: [number, number, number] }).range[1] : root.range![1];
    const w = withNewline(text, nextLine(text, Math.max(end - 1, 0)));
    return splice(w.text, w.at, w.at, block);
  }
  const map = algoPair.value;
  if (!isMap(map) || map.flow) return undefined;
  const stagePair = findPair(map, stage);
  if (stagePair) {
    if (!isScalar(stagePair.value) || !stagePair.value.range) return undefined;
    const [from, to] = stagePair.value.range;
    return splice(text, from, to, modelId);
  }
  const first = map.items[0] as Pair | undefined;
  const last = map.items[map.items.length - 1] as Pair | undefined;
  if (!first || !isScalar(first.key) || !first.key.range || !last?.value || !(last.value as { range?: number[] }).range) return undefined;
  const indent = text.slice(lineStart(text, first.key.range[0]), first.key.range[0]);
  if (indent.trim() !== '') return undefined;
  const w = withNewline(text, nextLine(text, (last.value as { range: number[] }).range[1]! - 1));
  return splice(w.text, w.at, w.at, `${indent}${stage}: ${modelId}\n`);
}

function assignDocument(text: string, algorithm: string, stage: string, modelId: string): string {
  const doc = parseDocument(text);
  const root = rootMap(doc);
  // `{}` (what init writes) becomes a block map as soon as it has an entry.
  if (root.items.length === 0) root.flow = false;
  const algoPair = findPair(root, algorithm);
  if (algoPair && isMap(algoPair.value)) algoPair.value.set(stage, modelId);
  else doc.setIn([algorithm], doc.createNode({ [stage]: modelId }));
  return doc.toString();
}

/** stages.yaml text without `algorithm.stage` (an algorithm left with no stage goes too). */
export function unassignStage(text: string, algorithm: string, stage: string): string {
  const want = intended(text, (c) => {
    if (!c[algorithm] || !(stage in c[algorithm]!)) return;
    delete c[algorithm]![stage];
    if (Object.keys(c[algorithm]!).length === 0) delete c[algorithm];
  });
  if (isDeepStrictEqual(want, currentOf(text))) return text;
  return checked(want, () => unassignText(text, algorithm, stage), () => unassignDocument(text, algorithm, stage));
}

function unassignText(text: string, algorithm: string, stage: string): string | undefined {
  const doc = parseDocument(text);
  if (doc.errors.length || !isMap(doc.contents) || doc.contents.flow) return undefined;
  const root = doc.contents;
  const algoPair = findPair(root, algorithm);
  const map = algoPair?.value;
  if (!algoPair || !isMap(map) || map.flow || !isScalar(algoPair.key) || !algoPair.key.range) return undefined;
  const stagePair = findPair(map, stage);
  if (!stagePair || !isScalar(stagePair.key) || !stagePair.key.range || !isScalar(stagePair.value) || !stagePair.value.range) return undefined;
  // The lines to drop: the stage's own line, or the algorithm's whole block when it held only that.
  const [from, lastValueEnd] =
    map.items.length > 1
      ? [lineStart(text, stagePair.key.range[0]), stagePair.value.range[1]]
      : [lineStart(text, algoPair.key.range[0]), stagePair.value.range[1]];
  let out = splice(text, from, nextLine(text, lastValueEnd - 1), '');
  // The last entry gone: leave `{}` as init writes it, under whatever comments remain.
  if (root.items.length === 1 && map.items.length === 1) out = withNewline(out, out.length).text + '{}\n';
  return out;
}

function unassignDocument(text: string, algorithm: string, stage: string): string {
  const doc = parseDocument(text);
  const root = rootMap(doc);
  const algoPair = findPair(root, algorithm);
  if (!algoPair || !isMap(algoPair.value)) return doc.toString();
  algoPair.value.delete(stage);
  if (algoPair.value.items.length === 0) root.delete(algorithm);
  if (root.items.length === 0) root.flow = true;
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
  // Without prototypes: `before.constructor` must not read as an assignment.
  before = prototypeFree(before);
  after = prototypeFree(after);
  const changes: StageChange[] = [];
  const algos = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  for (const algorithm of algos) {
    const b = before?.[algorithm] ?? Object.create(null);
    const a = after?.[algorithm] ?? Object.create(null);
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
