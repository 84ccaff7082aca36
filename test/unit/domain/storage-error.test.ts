// A write that fails for lack of space (or permission) names the file it could not write: for a
// copy or a rename, Node's error names both files, and the one that failed is the destination
// (a report's assets copied onto a full disk named the source in node_modules).
import { describe, expect, it } from 'vitest';
import { storageError } from '../../../src/errors.js';

const errno = (fields: Record<string, string>) => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC', ...fields });

describe('storageError', () => {
  it('names the destination of a failed copy, the path of a failed write, or the path given', () => {
    expect(storageError(errno({ path: '/src/uPlot.js', dest: '/full/site/assets/uPlot.js' }))?.message).toBe('could not write a file (/full/site/assets/uPlot.js): no space left on device (ENOSPC)');
    expect(storageError(errno({ path: '/full/page.html' }))?.message).toBe('could not write a file (/full/page.html): no space left on device (ENOSPC)');
    expect(storageError(errno({ path: '/src', dest: '/dst' }), 'the report directory', 'site')?.message).toBe('could not write the report directory (site): no space left on device (ENOSPC)');
    expect(storageError(new Error('other'))).toBeUndefined();
  });
});
