// Bounds on what modelgit will parse, checked before anything recursive sees the text. JSON.parse
// itself copes with deep nesting, but every reader after it (the schema check, key sorting,
// deep-equal, the cache's round-trip check, summaries, the report) recurses, so a file nested a few
// thousand levels passed the hook and then broke every cached read with a RangeError. One cheap
// iterative scan over the text (brackets outside strings) refuses such a file first; the same
// limits apply to YAML once it is parsed (iteratively, over the value). See docs/guide/validate.md.
import type { ErrorLocation } from '../errors.js';

/** Deepest nesting of objects and arrays accepted in a model file, config or input file. */
export const MAX_DEPTH = 64;
/** Largest model metadata file accepted (bytes). Real ones are a few kilobytes. */
export const MAX_MODEL_FILE_BYTES = 1 << 20;
/** Aliases a YAML file may expand (the `yaml` package's own default, made explicit everywhere). */
export const MAX_YAML_ALIASES = 100;

/** 1-based line and column of a character offset (the one copy: validator.ts re-exports it). */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** What one pass over a JSON text finds (brackets and colons outside strings). */
export interface JsonScan {
  /** the offset of the first `[` or `{` that opens level `max + 1`; undefined within the limit */
  deepAt?: number;
  /** colons outside strings up to the end, or up to `deepAt`: in text JSON.parse accepts, one per key written */
  colons: number;
}

/**
 * One iterative pass over a JSON text: how deep it nests (any depth is safe) and how many keys it
 * writes. The parse's fast path needs both, and a second pass over every file cost `validate --all`
 * ~0.4 s at 100,000 models.
 */
export function scanJson(text: string, max = MAX_DEPTH): JsonScan {
  let depth = 0;
  let colons = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // a string: skip to its closing quote (escapes skip the next character)
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
    } else if (c === 58) colons++;
    else if (c === 91 || c === 123) {
      if (++depth > max) return { deepAt: i, colons };
    } else if (c === 93 || c === 125) {
      if (depth > 0) depth--;
    }
  }
  return { colons };
}

/**
 * The offset of the first `[` or `{` that opens level `max + 1`, counting only brackets outside
 * JSON strings; undefined when the text stays within `max` levels. Iterative: any depth is safe.
 */
export function tooDeepAt(text: string, max = MAX_DEPTH): number | undefined {
  return scanJson(text, max).deepAt;
}

/** Whether a text's UTF-8 size is over `maxBytes`, counted only when it could be (at most 3 bytes a UTF-16 unit). */
export function overSize(text: string, maxBytes: number): boolean {
  return text.length * 3 > maxBytes && Buffer.byteLength(text, 'utf8') > maxBytes;
}

/**
 * The limit a JSON text breaks, as a located error, or undefined. `maxBytes` applies to model
 * files (pass null to check depth only).
 */
export function jsonLimitError(file: string, text: string, maxBytes: number | null = MAX_MODEL_FILE_BYTES, scan?: JsonScan): ErrorLocation | undefined {
  if (maxBytes !== null && overSize(text, maxBytes)) {
    const size = Buffer.byteLength(text, 'utf8');
    return { file, line: 1, column: 1, pointer: '', rule: 'max-file-size', message: `the file is ${size} bytes; a model file may be at most ${maxBytes} bytes` };
  }
  const at = (scan ?? scanJson(text)).deepAt;
  if (at === undefined) return undefined;
  return { file, ...positionOf(text, at), pointer: '', rule: 'max-depth', message: `nested more than ${MAX_DEPTH} levels deep (objects and arrays); modelgit refuses deeper files` };
}

/** Whether a parsed value nests deeper than `max` objects/arrays (iterative, so safe on any value). */
export function valueTooDeep(value: unknown, max = MAX_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  // containers only, each with its depth (1 for the value itself); no array of values per object
  const stack: object[] = [value];
  const depths: number[] = [1];
  while (stack.length) {
    const v = stack.pop()!;
    const d = depths.pop()!;
    if (d > max) return true;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const c: unknown = v[i];
        if (c !== null && typeof c === 'object') {
          stack.push(c);
          depths.push(d + 1);
        }
      }
    } else {
      for (const k in v) {
        const c = (v as Record<string, unknown>)[k];
        if (c !== null && typeof c === 'object') {
          stack.push(c);
          depths.push(d + 1);
        }
      }
    }
  }
  return false;
}

/** JSON.parse for texts from outside (files, blobs): undefined when the text is not JSON or is nested too deep. */
export function parseJsonBounded(text: string): { value: unknown } | undefined {
  if (tooDeepAt(text) !== undefined) return undefined;
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/**
 * A copy of a parsed value whose objects have no prototype, so user keys (an algorithm, stage or
 * metric called `constructor` or `toString`) index only what the file holds: on a plain object
 * `stages.constructor` is Object's constructor function, and a promotion to a stage of that name
 * crashed. Arrays stay arrays. Iterative, so safe on any depth.
 */
export function prototypeFree<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  const shell = (v: object): Record<string, unknown> => (Array.isArray(v) ? [] : Object.create(null)) as Record<string, unknown>;
  const root = shell(value);
  const stack: [Record<string, unknown>, Record<string, unknown>][] = [[value as Record<string, unknown>, root]];
  while (stack.length) {
    const [src, dst] = stack.pop()!;
    for (const k of Object.keys(src)) {
      const v = src[k];
      if (v !== null && typeof v === 'object') {
        const c = shell(v);
        dst[k] = c;
        stack.push([v as Record<string, unknown>, c]);
      } else dst[k] = v;
    }
  }
  return root as T;
}
