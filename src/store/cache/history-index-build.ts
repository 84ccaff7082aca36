// The detached background process that builds the history index (history-index.ts) for one HEAD:
// `node history-index-build.js <root> <cacheDir> <head>`. It holds the build lock until it is done.
import { unlinkSync } from 'node:fs';
import { buildHistoryIndex, historyFiles, saveHistoryIndex } from './history-index.js';

const [root, cacheDir, head] = process.argv.slice(2);
try {
  if (root && cacheDir && head) saveHistoryIndex(cacheDir, await buildHistoryIndex(root, head));
} catch {
  // Nothing to report to: the next read asks git and tries again.
} finally {
  try {
    if (cacheDir) unlinkSync(historyFiles(cacheDir).lock);
  } catch {
    // gone
  }
}
