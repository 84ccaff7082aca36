// JSON Schema checks with source positions. Ajv (draft 2020-12) compiles each schema once per
// process; jsonc-parser gives the offsets that turn an error's JSON pointer into file:line:col,
// and is asked only about files that have a problem (a clean file is one JSON.parse).
// The three built-in schemas are compiled at build time (scripts/postbuild.mjs writes ajv's
// standalone code to dist/schema/compiled/), and ajv and yaml load on first use: together they
// cost every command ~150 ms of startup otherwise.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv2020, ErrorObject, Options as AjvOptions, ValidateFunction } from 'ajv/dist/2020.js';
import type * as Jsonc from 'jsonc-parser';
import type * as Yaml from 'yaml';
import type { Node as YamlNode } from 'yaml';
import type { ErrorLocation } from '../errors.js';
import { cryptoLib, lazyRequire, yamlLib } from '../lazy.js';
import { jsonLimitError, MAX_DEPTH, MAX_MODEL_FILE_BYTES, overSize, positionOf as limitsPositionOf, scanJson, tooDeepAt } from '../domain/limits.js';
import { parseYamlText } from './yaml-input.js';
import { encodingProblem } from './encoding.js';
import { fastDateTime } from './date-time.js';
import { packageUrl } from '../package-root.js';
import { schemaErrorTitle } from './titles.js';

export { encodingProblem } from './encoding.js';

// jsonc-parser gives positions; a clean file needs none, so it loads only when a file has a problem.
const jsonc = (): typeof Jsonc => lazyRequire<typeof Jsonc>('jsonc-parser');

const isMap = (n: unknown): n is Yaml.YAMLMap => yamlLib().isMap(n);
const isSeq = (n: unknown): n is Yaml.YAMLSeq => yamlLib().isSeq(n);
const isScalar = (n: unknown): n is Yaml.Scalar => yamlLib().isScalar(n);
const isPair = (n: unknown): n is Yaml.Pair => yamlLib().isPair(n);
const parseDocument = ((source: string, options?: Yaml.ParseOptions & Yaml.DocumentOptions & Yaml.SchemaOptions) => yamlLib().parseDocument(source, options)) as typeof Yaml.parseDocument;
const LineCounter = function LineCounter() {
  return new (yamlLib().LineCounter)();
} as unknown as typeof Yaml.LineCounter;

export type SchemaName = 'model' | 'config' | 'stages';

const SCHEMA_DIR = packageUrl('schemas/');
// From the package root, so the path holds in the CLI bundle (dist/cli) as in dist/schema.
const COMPILED_DIR = packageUrl('dist/schema/compiled/');
const AJV_OPTIONS: AjvOptions = { allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true };

let ajvInstance: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

type FormatCheck = { validate: (value: string) => boolean; compare: (a: string, b: string) => number | undefined };

/**
 * ajv with ajv-formats' full formats, `date-time` answered first by fastDateTime. Standalone code
 * (`code.source`) finds the same formats in `compiled/formats.cjs`, which the build writes beside it.
 */
function newAjv(options: AjvOptions): Ajv2020 {
  const { Ajv2020: AjvClass, _ } = lazyRequire<typeof import('ajv/dist/2020.js')>('ajv/dist/2020.js');
  const instance = new AjvClass(options.code?.source ? { ...options, code: { ...options.code, formats: _`require("./formats.cjs")` } } : options);
  lazyRequire<(ajv: Ajv2020) => Ajv2020>('ajv-formats')(instance);
  const full = lazyRequire<{ fullFormats: Record<string, FormatCheck> }>('ajv-formats/dist/formats').fullFormats['date-time']!;
  instance.addFormat('date-time', { validate: fastDateTime(full.validate), compare: full.compare });
  return instance;
}

function ajv(): Ajv2020 {
  ajvInstance ??= newAjv(AJV_OPTIONS);
  return ajvInstance;
}

function schemaText(name: SchemaName): string {
  return readFileSync(new URL(`${name}.schema.json`, SCHEMA_DIR), 'utf8');
}

/** The text of a built-in schema (what a cache of checked files must be keyed by). */
export const builtinSchemaText: (name: SchemaName) => string = schemaText;

/**
 * This module's file name: in the bundled CLI it carries a hash of the module's code, so what
 * remembers a check's outcome misses when the code that checks changes.
 */
export const VALIDATOR_CODE = basename(fileURLToPath(import.meta.url));

function textHash(text: string): string {
  return cryptoLib().createHash('sha1').update(text).digest('hex');
}

/** The build-time validator for `name`, if it was built from exactly this schema text. */
function precompiled(name: SchemaName, text: string): ValidateFunction | undefined {
  try {
    const fn = lazyRequire<ValidateFunction & { schemaHash?: string }>(fileURLToPath(new URL(`${name}.cjs`, COMPILED_DIR)));
    return fn.schemaHash === textHash(text) ? fn : undefined;
  } catch {
    return undefined; // not built (running from source) or unreadable: compile instead
  }
}

export function validatorFor(name: SchemaName): ValidateFunction {
  let fn = compiled.get(name);
  if (!fn) {
    const text = schemaText(name);
    fn = precompiled(name, text) ?? compileSchema(name, text);
    compiled.set(name, fn);
  }
  return fn;
}

/** Compiles a built-in schema at run time (what the build-time code must agree with). */
export function compileSchema(name: SchemaName, text = schemaText(name)): ValidateFunction {
  return ajv().compile(JSON.parse(text) as object);
}

/** ajv's standalone code for a built-in schema (CommonJS), stamped with the schema's hash. */
export function standaloneSource(name: SchemaName): string {
  const text = schemaText(name);
  const instance = newAjv({ ...AJV_OPTIONS, code: { source: true } });
  const standalone = lazyRequire<{ default: (ajv: Ajv2020, fn: ValidateFunction) => string }>('ajv/dist/standalone').default;
  const code = standalone(instance, instance.compile(JSON.parse(text) as object));
  return `${code}\nmodule.exports.schemaHash = ${JSON.stringify(textHash(text))};\n`;
}

/** Compiles a team's per-algorithm schema (modelgit.yaml `schemas:`), keyed by its text. */
export function validatorForSchemaText(key: string, schemaText: string): ValidateFunction {
  const cacheKey = `extra:${key}:${schemaText}`;
  let fn = compiled.get(cacheKey);
  if (!fn) {
    const schema = JSON.parse(schemaText) as Record<string, unknown>;
    // Two files may share an $id; the key (path + text) is what identifies it here.
    delete schema.$id;
    fn = ajv().compile(schema);
    compiled.set(cacheKey, fn);
  }
  return fn;
}

// ---------- positions ----------

export interface Position {
  line: number;
  column: number;
}

/** 1-based line and column of a character offset. */
export const positionOf: (text: string, offset: number) => Position = limitsPositionOf;

function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function escapePointerSegment(s: string): string {
  return s.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Where a pointer lands in JSON text: the value, or the key when `atKey`; falls back to the nearest parent. */
function jsonOffset(root: Jsonc.Node | undefined, pointer: string, atKey = false): number {
  if (!root) return 0;
  const segs = pointerSegments(pointer);
  for (let n = segs.length; n >= 0; n--) {
    const node = jsonc().findNodeAtLocation(root, segs.slice(0, n));
    if (node) {
      if (atKey && n === segs.length && node.parent?.type === 'property') return node.parent.offset;
      return node.offset;
    }
  }
  return 0;
}

// ---------- messages ----------

function plainMessage(e: ErrorObject): { pointer: string; message: string; atKey: boolean } {
  const where = e.instancePath || '(top level)';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return {
        pointer: `${e.instancePath}/${escapePointerSegment(String(p.missingProperty))}`,
        message: `${where}: missing required field "${String(p.missingProperty)}"`,
        atKey: false,
      };
    case 'additionalProperties':
      return {
        pointer: `${e.instancePath}/${escapePointerSegment(String(p.additionalProperty))}`,
        message: `${where}: unknown field "${String(p.additionalProperty)}" (put team fields under "extra")`,
        atKey: true,
      };
    case 'pattern':
      // The artifact path rule reads better in words than as its regular expression.
      if (/^\/artifact\/files\/\d+\/path$/.test(e.instancePath)) {
        return { pointer: e.instancePath, message: `${where} must be a path inside the artifact directory: relative, no ".." segment`, atKey: false };
      }
      return { pointer: e.instancePath, message: `${where} must match ${String(p.pattern)}`, atKey: false };
    case 'propertyNames':
      return { pointer: `${e.instancePath}/${escapePointerSegment(String(p.propertyName))}`, message: `${where}: name "${String(p.propertyName)}" is not allowed`, atKey: true };
    case 'const':
      return { pointer: e.instancePath, message: `${where} must be ${JSON.stringify(p.allowedValue)}`, atKey: false };
    case 'enum':
      return { pointer: e.instancePath, message: `${where} must be one of ${JSON.stringify(p.allowedValues)}`, atKey: false };
    case 'format':
      return { pointer: e.instancePath, message: `${where} must be a ${String(p.format)} (e.g. 2024-10-19T10:30:00Z)`, atKey: false };
    case 'type':
      return { pointer: e.instancePath, message: `${where} must be ${String(p.type)}`, atKey: false };
    default:
      return { pointer: e.instancePath, message: `${where} ${e.message ?? 'is invalid'}`, atKey: false };
  }
}

/** oneOf/if failures repeat what their branches already said; keep the concrete ones. */
function concreteErrors(errors: ErrorObject[]): ErrorObject[] {
  const concrete = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'if' && e.keyword !== 'anyOf');
  const isNullBranch = (e: ErrorObject) => e.keyword === 'type' && (e.params as { type?: string }).type === 'null';
  // `training: null | object`: an object with a bad field also fails "must be null"; that is noise.
  return concrete.filter((e) => !(isNullBranch(e) && concrete.some((o) => o !== e && !isNullBranch(o) && o.instancePath.startsWith(e.instancePath) && o.instancePath !== e.instancePath)));
}

/** The value at an instance path of `root` (undefined when the path leads nowhere). */
function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const s of pointerSegments(pointer)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[s];
  }
  return v;
}

function ajvLocations(file: string, errors: ErrorObject[], locate: (pointer: string, atKey: boolean) => Position, root: unknown): ErrorLocation[] {
  const out: ErrorLocation[] = [];
  const seen = new Set<string>();
  for (const e of concreteErrors(errors)) {
    const { pointer, message, atKey } = plainMessage(e);
    const rule = `${e.keyword} (${e.schemaPath})`;
    const key = `${pointer}|${e.keyword}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ file, ...locate(pointer, atKey), pointer, rule, message, title: schemaErrorTitle(e, valueAt(root, e.instancePath)) });
  }
  return out;
}

// ---------- JSON documents ----------

export interface ParsedJson<T> {
  value?: T;
  errors: ErrorLocation[];
}

/**
 * Colons outside strings: in text JSON.parse accepted, exactly one per key written. Used to
 * tell whether the parse kept every key (no duplicates) without building a syntax tree.
 */
export function writtenKeyCount(text: string): number {
  return scanJson(text, Infinity).colons;
}

/** Keys of every object in a parsed value (an object holds each key once). */
export function parsedKeyCount(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) n += parsedKeyCount(v);
    return n;
  }
  for (const k in value) {
    n++;
    n += parsedKeyCount((value as Record<string, unknown>)[k]);
  }
  return n;
}

/**
 * The value of well-formed JSON without duplicate keys, from one JSON.parse; undefined when the
 * text needs the positional parser (a syntax error, a duplicate key, or whitespace JSON.parse
 * rejects but jsonc-parser allows). JSON.parse accepts a subset of what jsonc-parser (without
 * comments or trailing commas) accepts, so a value here is what the full parse would give.
 */
export function fastJsonValue(text: string, keysWritten?: number): { value: unknown } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return (keysWritten ?? writtenKeyCount(text)) === parsedKeyCount(value) ? { value } : undefined;
}

/** Strict JSON parse with positions: syntax errors and duplicate keys become ErrorLocations. */
export function parseJsonText<T = unknown>(file: string, text: string, opts: { maxBytes?: number } = {}): ParsedJson<T> {
  const quick = cleanJsonValue(text, opts.maxBytes ?? null);
  if (quick) return { value: quick.value as T, errors: [] };
  // Depth (and, for model files, size) first: everything after this point recurses. The same
  // pass counts the keys written, which the fast path compares with the parse.
  const scan = scanJson(text);
  const limit = jsonLimitError(file, text, opts.maxBytes ?? null, scan);
  if (limit) return { errors: [limit] };
  const encoding = encodingProblem(file, text);
  if (encoding) return { errors: [encoding] };
  const fast = fastJsonValue(text, scan.colons);
  if (fast) return { value: fast.value as T, errors: [] };
  return parseJsonTree<T>(file, text);
}

/**
 * The value of a clean file (within the size and depth limits, well-formed, no duplicate key, no
 * encoding problem) without a pass over its text in JavaScript: JSON.parse (native, and iterative,
 * so any depth is safe), then one walk over the value for its depth, its keys and the colons in its
 * strings. Without a `\u` escape in the text every colon written is a key's or one inside a string,
 * so the colons in the text (a native search) equal keys plus colons in strings exactly
 * when no key was dropped as a duplicate (a dropped key, with its value's strings, only makes the
 * sum smaller). Undefined for anything else: parseJsonText then decides, and locates, as before.
 * At 100,000 model files this is ~0.5 s of `validate --all` without its cache of clean files.
 */
export function cleanJsonValue(text: string, maxBytes: number | null): { value: unknown } | undefined {
  if (maxBytes !== null && overSize(text, maxBytes)) return undefined;
  if (text.includes('\\u')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  let found = 0; // keys, and colons inside strings
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') {
      found += colonsIn(v);
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_DEPTH) return undefined;
    if (Array.isArray(v)) {
      for (const item of v) if (item !== null && (typeof item === 'object' || typeof item === 'string')) stack.push([item, depth + 1]);
      continue;
    }
    for (const k in v) {
      found += 1 + colonsIn(k);
      const item = (v as Record<string, unknown>)[k];
      if (item !== null && (typeof item === 'object' || typeof item === 'string')) stack.push([item, depth + 1]);
    }
  }
  if (found !== colonsIn(text)) return undefined;
  return text.charCodeAt(0) === 0xfeff || text.includes('\ufffd') ? undefined : { value };
}

function colonsIn(s: string): number {
  let n = 0;
  for (let i = s.indexOf(':'); i >= 0; i = s.indexOf(':', i + 1)) n++;
  return n;
}

/** The positional parse: what a clean file skips (exported so tests can hold the fast path to it). */
export function parseJsonTree<T>(file: string, text: string): ParsedJson<T> {
  const encoding = encodingProblem(file, text);
  if (encoding) return { errors: [encoding] };
  const lib = jsonc();
  const syntax: Jsonc.ParseError[] = [];
  const root = lib.parseTree(text, syntax, { disallowComments: true, allowTrailingComma: false });
  if (syntax.length > 0 || !root) {
    const errors = syntax.map((s) => ({
      file,
      ...positionOf(text, s.offset),
      pointer: '',
      rule: `json-syntax (${lib.printParseErrorCode(s.error)})`,
      message: `not valid JSON: ${lib.printParseErrorCode(s.error)}`,
    }));
    if (errors.length === 0) errors.push({ file, line: 1, column: 1, pointer: '', rule: 'json-syntax', message: 'not valid JSON: empty file' });
    return { errors };
  }
  const errors: ErrorLocation[] = [];
  // The pointer is built only for a duplicate: building one per node cost `validate --all`
  // ~60 ms per 10,000 files.
  const at: (string | number)[] = [];
  const visit = (node: Jsonc.Node) => {
    if (node.type === 'object') {
      const seen = new Set<string>();
      for (const prop of node.children ?? []) {
        const key = String(prop.children?.[0]?.value);
        if (seen.has(key)) {
          const pointer = [...at, key].map((s) => `/${escapePointerSegment(String(s))}`).join('');
          errors.push({ file, ...positionOf(text, prop.offset), pointer, rule: 'json-duplicate-key', message: `duplicate key "${key}" (JSON readers disagree on which one wins)` });
        }
        seen.add(key);
        const value = prop.children?.[1];
        if (value && (value.type === 'object' || value.type === 'array')) {
          at.push(key);
          visit(value);
          at.pop();
        }
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((c, i) => {
        if (c.type !== 'object' && c.type !== 'array') return;
        at.push(i);
        visit(c);
        at.pop();
      });
    }
  };
  visit(root);
  if (errors.length) return { errors };
  return { value: JSON.parse(text) as T, errors };
}

/** Parse and validate JSON text against a compiled schema; every error located in the text. */
export function validateJsonText<T>(file: string, text: string, validate: ValidateFunction, extra: ValidateFunction[] = [], opts: { maxBytes?: number } = { maxBytes: MAX_MODEL_FILE_BYTES }): ParsedJson<T> {
  const parsed = parseJsonText<T>(file, text, opts);
  if (parsed.value === undefined) return { errors: parsed.errors };
  // The tree that turns a pointer into an offset is built on the first error only.
  let root: Jsonc.Node | undefined;
  const locate = (pointer: string, atKey: boolean) => positionOf(text, jsonOffset((root ??= jsonc().parseTree(text)), pointer, atKey));
  const errors: ErrorLocation[] = [];
  for (const fn of [validate, ...extra]) {
    if (!fn(parsed.value)) errors.push(...ajvLocations(file, fn.errors ?? [], locate, parsed.value));
  }
  return errors.length ? { value: parsed.value, errors } : { value: parsed.value, errors: [] };
}

/** Position of a JSON pointer inside JSON text (for integrity errors found after parsing). */
export function locateJsonPointer(text: string, pointer: string): Position {
  // jsonc-parser recurses: a text nested past the limit is located at its top.
  if (tooDeepAt(text) !== undefined) return { line: 1, column: 1 };
  const root = jsonc().parseTree(text);
  return positionOf(text, jsonOffset(root, pointer));
}

// ---------- YAML documents ----------

function yamlNodeAt(node: unknown, segs: (string | number)[]): YamlNode | undefined {
  let cur: unknown = node;
  let last: YamlNode | undefined = isMap(cur) || isSeq(cur) || isScalar(cur) ? (cur as YamlNode) : undefined;
  for (const s of segs) {
    if (isMap(cur)) {
      const pair = cur.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(s));
      if (!pair) return last;
      cur = pair.value ?? pair.key;
    } else if (isSeq(cur)) {
      cur = cur.items[Number(s)];
    } else return last;
    if (cur && (isMap(cur) || isSeq(cur) || isScalar(cur))) last = cur as YamlNode;
  }
  return last;
}

export function validateYamlText<T>(file: string, text: string, validate: ValidateFunction): ParsedJson<T> {
  const encoding = encodingProblem(file, text);
  if (encoding) return { errors: [encoding] };
  // Aliases capped, depth bounded, every parser failure located (yaml-input.ts).
  const parsed = parseYamlText(file, text);
  if (parsed.errors.length || !parsed.doc || !parsed.lineCounter) return { errors: parsed.errors };
  const { doc, lineCounter } = parsed;
  const value = parsed.value as T;
  if (validate(value ?? null)) return { value, errors: [] };
  const locate = (pointer: string) => {
    const node = yamlNodeAt(doc.contents, pointerSegments(pointer));
    const offset = node?.range?.[0] ?? 0;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  return { value, errors: ajvLocations(file, validate.errors ?? [], locate, value ?? null) };
}

/** Position of a JSON pointer inside YAML text (for integrity errors found after parsing); nearest parent when absent. */
export function locateYamlPointer(text: string, pointer: string): Position {
  const lineCounter = new LineCounter();
  let doc: Yaml.Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter });
  } catch {
    return { line: 1, column: 1 }; // a text the parser chokes on (too deep): the top
  }
  const node = yamlNodeAt(doc.contents, pointerSegments(pointer));
  const pos = lineCounter.linePos(node?.range?.[0] ?? 0);
  return { line: pos.line, column: pos.col };
}
