// Metadata, modelgit.yaml and stages.yaml are UTF-8 without a byte-order mark. Files are decoded
// as UTF-8 everywhere (git blobs, the index, the working tree); this names the two ways a file
// breaks that, so `validate` and every read say "not UTF-8 at byte N" or "byte-order mark" instead
// of passing mojibake along or reporting a JSON "InvalidSymbol". Its own module, with no imports,
// because the read path (store/model-file.ts) needs it without loading the schema machinery.
import type { ErrorLocation } from '../errors.js';

/**
 * What is wrong with the encoding of a file's decoded text, or undefined. A byte sequence that is
 * not UTF-8 decodes to U+FFFD (the replacement character), so the first U+FFFD is reported at its
 * byte offset — exact, since every byte before it decoded cleanly. A literal U+FFFD is reported
 * the same way: in a metadata file it is what an earlier bad conversion left behind.
 */
export function encodingProblem(file: string, text: string): ErrorLocation | undefined {
  if (text.charCodeAt(0) === 0xfeff) {
    return { file, line: 1, column: 1, pointer: '', rule: 'encoding-bom', message: 'a UTF-8 byte-order mark is not allowed; save the file as UTF-8 without BOM' };
  }
  const bad = text.indexOf('\ufffd');
  if (bad < 0) return undefined;
  const before = text.slice(0, bad);
  const lineStart = before.lastIndexOf('\n') + 1;
  return {
    file,
    line: before.split('\n').length,
    column: bad - lineStart + 1,
    pointer: '',
    rule: 'encoding',
    message: `encoding: not UTF-8 at byte ${Buffer.byteLength(before, 'utf8')}; save the file as UTF-8`,
  };
}
