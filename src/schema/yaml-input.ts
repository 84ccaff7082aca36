// The one way modelgit turns YAML text (modelgit.yaml, stages.yaml, `--from` files) into a value.
// The `yaml` package throws on an alias bomb ("Excessive alias count") and can overflow the stack
// on very deep input; both used to escape as stack traces from every command. Here aliases are
// capped explicitly, anything the parser throws becomes a located error (file:line:column and
// rule), and a value nested deeper than MAX_DEPTH is refused before any recursive reader sees it.
import type * as Yaml from 'yaml';
import { UnsafeFileError, UsageError, type ErrorLocation } from '../errors.js';
import { readRegularFile } from '../loading/safe-files.js';
import { yamlLib } from '../lazy.js';
import { jsonLimitError, MAX_DEPTH, MAX_YAML_ALIASES, prototypeFree, valueTooDeep } from '../domain/limits.js';

export interface YamlParse {
  value?: unknown;
  errors: ErrorLocation[];
  doc?: Yaml.Document.Parsed;
  lineCounter?: Yaml.LineCounter;
}

/** The position of the first alias (`*name`) in a document: where an alias bomb starts expanding. */
function firstAliasOffset(doc: Yaml.Document.Parsed): number {
  let at = 0;
  try {
    yamlLib().visit(doc, {
      Alias(_key, node) {
        at = node.range?.[0] ?? 0;
        return yamlLib().visit.BREAK;
      },
    });
  } catch {
    /* position only */
  }
  return at;
}

/**
 * Parses YAML text with aliases capped and depth bounded. Syntax errors, alias bombs and
 * over-deep values come back as located errors, never as exceptions.
 */
export function parseYamlText(file: string, text: string, opts: { uniqueKeys?: boolean } = {}): YamlParse {
  const lib = yamlLib();
  const lineCounter = new lib.LineCounter();
  const located = (offset: number, rule: string, message: string): ErrorLocation => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, column: pos.col, pointer: '', rule, message };
  };
  let doc: Yaml.Document.Parsed;
  try {
    doc = lib.parseDocument(text, { lineCounter, uniqueKeys: opts.uniqueKeys ?? true, prettyErrors: false });
  } catch (e) {
    if (e instanceof RangeError) return { errors: [located(0, 'max-depth', `nested more than ${MAX_DEPTH} levels deep`)] };
    return { errors: [located(0, 'yaml-syntax', `not valid YAML: ${firstLine(e)}`)] };
  }
  if (doc.errors.length) {
    // The first error only: the parser's later ones cascade from it (dozens for one bad line).
    const e = doc.errors[0]!;
    return { errors: [located(e.pos[0], `yaml-syntax (${e.code})`, `not valid YAML: ${e.message.split('\n')[0]}`)] };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    if (e instanceof ReferenceError && /alias/i.test(e.message)) {
      return { errors: [located(firstAliasOffset(doc), 'yaml-aliases', `not accepted: its aliases expand more than ${MAX_YAML_ALIASES} times (an alias bomb?)`)] };
    }
    if (e instanceof RangeError) return { errors: [located(0, 'max-depth', `nested more than ${MAX_DEPTH} levels deep`)] };
    return { errors: [located(0, 'yaml-syntax', `not valid YAML: ${firstLine(e)}`)] };
  }
  if (valueTooDeep(value)) return { errors: [located(0, 'max-depth', `nested more than ${MAX_DEPTH} levels deep`)] };
  // Without prototypes: a key like `constructor` must not find Object's (limits.ts).
  return { value: prototypeFree(value), errors: [], doc, lineCounter };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

/** One line for a located error: `file:line:column: message [rule]`. */
export function yamlErrorLine(e: ErrorLocation): string {
  return `${e.file}:${e.line}:${e.column}: ${e.message} [${e.rule}]`;
}

/**
 * A `--from`-style input file (JSON when it ends in .json, else YAML), bounded like every other
 * input: a syntax error, an alias bomb or nesting past the limit is a usage error naming the flag,
 * the file and the line.
 */
export function parseInputFile(flag: string, file: string, text: string): unknown {
  if (/\.json$/i.test(file)) {
    const limit = jsonLimitError(file, text, null);
    if (limit) throw new UsageError(`${flag}: ${file}:${limit.line}:${limit.column}: ${limit.message} [${limit.rule}]`);
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new UsageError(`${flag}: ${file} is not valid JSON: ${firstLine(e)}`);
    }
  }
  const parsed = parseYamlText(file, text);
  const first = parsed.errors[0];
  if (first) throw new UsageError(`${flag}: ${yamlErrorLine(first)}`);
  return parsed.value;
}

/** Largest input file read (`--from`, `--times`): far above any real one, far below a runaway read. */
export const MAX_INPUT_FILE_BYTES = 64 << 20;

/**
 * The text of an input file given with `flag`: a regular file only (a FIFO or /dev/zero would
 * hang the command or grow it without end), at most MAX_INPUT_FILE_BYTES; else a usage error
 * naming the flag.
 */
export function readInputText(flag: string, abs: string): string {
  try {
    return readRegularFile(abs, { maxBytes: MAX_INPUT_FILE_BYTES }).toString('utf8');
  } catch (e) {
    if (e instanceof UnsafeFileError) throw new UsageError(`${flag}: ${e.message}`);
    throw e;
  }
}
