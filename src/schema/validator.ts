// JSON Schema checks with source positions. Ajv (draft 2020-12) compiles each schema once per
// process; jsonc-parser gives the offsets that turn an error's JSON pointer into file:line:col.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import * as jsonc from 'jsonc-parser';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair, type Node as YamlNode } from 'yaml';
import type { ErrorLocation } from '../errors.js';

// ajv-formats ships CommonJS with a default export; under NodeNext its type is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export type SchemaName = 'model' | 'config' | 'stages';

const SCHEMA_DIR = new URL('../../schemas/', import.meta.url);

let ajvInstance: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function ajv(): Ajv2020 {
  if (!ajvInstance) {
    ajvInstance = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    addFormats(ajvInstance);
  }
  return ajvInstance;
}

function loadSchema(name: SchemaName): object {
  return JSON.parse(readFileSync(new URL(`${name}.schema.json`, SCHEMA_DIR), 'utf8')) as object;
}

export function validatorFor(name: SchemaName): ValidateFunction {
  let fn = compiled.get(name);
  if (!fn) {
    fn = ajv().compile(loadSchema(name));
    compiled.set(name, fn);
  }
  return fn;
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
export function positionOf(text: string, offset: number): Position {
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
function jsonOffset(root: jsonc.Node | undefined, pointer: string, atKey = false): number {
  if (!root) return 0;
  const segs = pointerSegments(pointer);
  for (let n = segs.length; n >= 0; n--) {
    const node = jsonc.findNodeAtLocation(root, segs.slice(0, n));
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

function ajvLocations(file: string, errors: ErrorObject[], locate: (pointer: string, atKey: boolean) => Position): ErrorLocation[] {
  const out: ErrorLocation[] = [];
  const seen = new Set<string>();
  for (const e of concreteErrors(errors)) {
    const { pointer, message, atKey } = plainMessage(e);
    const rule = `${e.keyword} (${e.schemaPath})`;
    const key = `${pointer}|${e.keyword}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ file, ...locate(pointer, atKey), pointer, rule, message });
  }
  return out;
}

// ---------- JSON documents ----------

export interface ParsedJson<T> {
  value?: T;
  errors: ErrorLocation[];
}

/** Strict JSON parse with positions: syntax errors and duplicate keys become ErrorLocations. */
export function parseJsonText<T = unknown>(file: string, text: string): ParsedJson<T> & { root?: jsonc.Node } {
  const syntax: jsonc.ParseError[] = [];
  const root = jsonc.parseTree(text, syntax, { disallowComments: true, allowTrailingComma: false });
  if (syntax.length > 0 || !root) {
    const errors = syntax.map((s) => ({
      file,
      ...positionOf(text, s.offset),
      pointer: '',
      rule: `json-syntax (${jsonc.printParseErrorCode(s.error)})`,
      message: `not valid JSON: ${jsonc.printParseErrorCode(s.error)}`,
    }));
    if (errors.length === 0) errors.push({ file, line: 1, column: 1, pointer: '', rule: 'json-syntax', message: 'not valid JSON: empty file' });
    return { errors };
  }
  const errors: ErrorLocation[] = [];
  const visit = (node: jsonc.Node, pointer: string) => {
    if (node.type === 'object') {
      const seen = new Set<string>();
      for (const prop of node.children ?? []) {
        const key = String(prop.children?.[0]?.value);
        if (seen.has(key)) {
          errors.push({ file, ...positionOf(text, prop.offset), pointer: `${pointer}/${escapePointerSegment(key)}`, rule: 'json-duplicate-key', message: `duplicate key "${key}" (JSON readers disagree on which one wins)` });
        }
        seen.add(key);
        if (prop.children?.[1]) visit(prop.children[1], `${pointer}/${escapePointerSegment(key)}`);
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((c, i) => visit(c, `${pointer}/${i}`));
    }
  };
  visit(root, '');
  if (errors.length) return { errors, root };
  return { value: JSON.parse(text) as T, errors, root };
}

/** Parse and validate JSON text against a compiled schema; every error located in the text. */
export function validateJsonText<T>(file: string, text: string, validate: ValidateFunction, extra: ValidateFunction[] = []): ParsedJson<T> {
  const parsed = parseJsonText<T>(file, text);
  if (parsed.value === undefined) return { errors: parsed.errors };
  const root = parsed.root;
  const locate = (pointer: string, atKey: boolean) => positionOf(text, jsonOffset(root, pointer, atKey));
  const errors: ErrorLocation[] = [];
  for (const fn of [validate, ...extra]) {
    if (!fn(parsed.value)) errors.push(...ajvLocations(file, fn.errors ?? [], locate));
  }
  return errors.length ? { value: parsed.value, errors } : { value: parsed.value, errors: [] };
}

/** Position of a JSON pointer inside JSON text (for integrity errors found after parsing). */
export function locateJsonPointer(text: string, pointer: string): Position {
  const root = jsonc.parseTree(text);
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
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    return {
      errors: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, pointer: '', rule: `yaml-syntax (${e.code})`, message: `not valid YAML: ${e.message.split('\n')[0]}` };
      }),
    };
  }
  const value = doc.toJS() as T;
  if (validate(value ?? null)) return { value, errors: [] };
  const locate = (pointer: string) => {
    const node = yamlNodeAt(doc.contents, pointerSegments(pointer));
    const offset = node?.range?.[0] ?? 0;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  return { value, errors: ajvLocations(file, validate.errors ?? [], locate) };
}

/** Position of a JSON pointer inside YAML text (for integrity errors found after parsing); nearest parent when absent. */
export function locateYamlPointer(text: string, pointer: string): Position {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const node = yamlNodeAt(doc.contents, pointerSegments(pointer));
  const pos = lineCounter.linePos(node?.range?.[0] ?? 0);
  return { line: pos.line, column: pos.col };
}
