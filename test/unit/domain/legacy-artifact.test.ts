// resolveLegacyArtifact (where an older record's weights are, and what is never followed) and
// normalizeWrittenFields (metadata as a Python script writes it), against an in-memory file tree.
import { describe, expect, it } from 'vitest';
import { isConfined, normalizeWrittenFields, resolveLegacyArtifact, type ArtifactProbe, type LegacyArtifactContext } from '../../../src/domain/legacy.js';

/** A file tree: path → 'file' | 'dir'; `links` maps a path to where it really is. */
function tree(entries: Record<string, 'file' | 'dir'>, links: Record<string, string> = {}): ArtifactProbe {
  const real = (p: string) => {
    for (const [from, to] of Object.entries(links)) if (p === from || p.startsWith(from + '/')) return to + p.slice(from.length);
    return p;
  };
  return {
    kind: (p) => entries[real(p)],
    list: (d) => Object.keys(entries).filter((p) => p.startsWith(d + '/') && !p.slice(d.length + 1).includes('/')).map((p) => p.slice(d.length + 1)).sort(),
    realpath: real,
  };
}

const MODEL = '/w/algorithm_examples/ExampleData/Mscn/Model';
const ctx = (over: Partial<LegacyArtifactContext> = {}): LegacyArtifactContext => ({
  id: 'mscn_1',
  metadataDir: MODEL,
  bases: ['/w/algorithm_examples/ExampleData', MODEL],
  sourceRoot: '/w/algorithm_examples/ExampleData',
  registryRoot: '/reg',
  ...over,
});

describe('resolveLegacyArtifact', () => {
  it.each([
    ['ExampleData/Mscn/Model/mscn_1'],
    ['../algorithm_examples/ExampleData/Mscn/Model/mscn_1'],
    ['/home/bob/algorithm_examples/ExampleData/Mscn/Model/mscn_1'],
    ['file:///home/bob/ExampleData/Mscn/Model/mscn_1'],
    ['ExampleData\\Mscn\\Model\\mscn_1'],
  ])('the older paths (%s) find the weights saved beside the metadata', (recorded) => {
    const probe = tree({ [`${MODEL}/mscn_1`]: 'file', [`${MODEL}/mscn_1.json`]: 'file' });
    expect(resolveLegacyArtifact(recorded, ctx(), probe)).toMatchObject({ kind: 'found', path: `${MODEL}/mscn_1` });
  });

  it('prefers where the path names, then its tail under the source, then beside the metadata', () => {
    const probe = tree({ '/w/algorithm_examples/ExampleData/Mscn/Model/x.pt': 'file', [`${MODEL}/mscn_1.pt`]: 'file' });
    expect(resolveLegacyArtifact('Mscn/Model/x.pt', ctx(), probe)).toEqual({ kind: 'found', path: `${MODEL}/x.pt`, how: 'as recorded' });
    expect(resolveLegacyArtifact('old/ExampleData/Mscn/Model/x.pt', ctx(), probe)).toEqual({ kind: 'found', path: `${MODEL}/x.pt`, how: 'under the import source' });
    expect(resolveLegacyArtifact('gone/mscn_1', ctx(), probe)).toEqual({ kind: 'found', path: `${MODEL}/mscn_1.pt`, how: 'beside the metadata' });
  });

  it('no model_path: the id as a directory, an exact file, or one file with an extension; else none', () => {
    expect(resolveLegacyArtifact(undefined, ctx(), tree({ [`${MODEL}/mscn_1`]: 'dir' }))).toMatchObject({ kind: 'found', path: `${MODEL}/mscn_1` });
    expect(resolveLegacyArtifact(undefined, ctx(), tree({ [`${MODEL}/mscn_1`]: 'file' }))).toMatchObject({ kind: 'found', path: `${MODEL}/mscn_1` });
    expect(resolveLegacyArtifact(undefined, ctx(), tree({ [`${MODEL}/mscn_1.json`]: 'file' }))).toEqual({ kind: 'none' });
    const two = resolveLegacyArtifact(undefined, ctx(), tree({ [`${MODEL}/mscn_1.pt`]: 'file', [`${MODEL}/mscn_1.bak`]: 'file' }));
    expect(two).toMatchObject({ kind: 'missing', reason: expect.stringMatching(/several files .*mscn_1\.bak, mscn_1\.pt/) });
  });

  it('a remote URI is kept as written', () => {
    expect(resolveLegacyArtifact('s3://bucket/mscn_1', ctx(), tree({}))).toEqual({ kind: 'remote' });
  });

  it('never follows a path out of both the source and the registry, even to an existing file', () => {
    const probe = tree({ '/etc/shadow': 'file', '/w/secret': 'file' });
    for (const recorded of ['../../../../../etc/shadow', '/etc/shadow', 'file:///etc/shadow', '../../secret']) {
      const r = resolveLegacyArtifact(recorded, ctx(), probe);
      expect(r.kind).toBe('missing');
    }
    expect(resolveLegacyArtifact('/etc/shadow', ctx(), probe)).toMatchObject({ reason: expect.stringMatching(/^it names \/etc\/shadow, outside the registry and the import source \(not followed\)/) });
    // A name beside the metadata that is a link out of the source is not followed either.
    const linked = tree({ '/etc/shadow': 'file' }, { [`${MODEL}/mscn_1`]: '/etc/shadow' });
    expect(resolveLegacyArtifact('ExampleData/Mscn/Model/mscn_1', ctx(), linked).kind).toBe('missing');
    // The tail never climbs: ".." segments are dropped with everything before them.
    const above = tree({ '/w/algorithm_examples/x': 'file', '/w/algorithm_examples/ExampleData/x': 'file' });
    expect(resolveLegacyArtifact('ExampleData/../../x', ctx({ bases: [MODEL] }), above)).toMatchObject({ kind: 'missing' });
  });

  it('a path inside the registry root is followed', () => {
    const probe = tree({ '/reg/artifacts/mscn_1': 'file' });
    expect(resolveLegacyArtifact('/reg/artifacts/mscn_1', ctx(), probe)).toMatchObject({ kind: 'found', path: '/reg/artifacts/mscn_1' });
  });
});

describe('isConfined', () => {
  it('strictly inside a root, by text and by real path', () => {
    expect(isConfined('/a/b', ['/a'])).toBe(true);
    expect(isConfined('/a', ['/a'])).toBe(false);
    expect(isConfined('/ab', ['/a'])).toBe(false);
    expect(isConfined('/a/../b', ['/a'])).toBe(false);
    expect(isConfined('/a/l', ['/a'], { realpath: (p) => (p === '/a/l' ? '/x' : p) })).toBe(false);
  });
});

describe('normalizeWrittenFields', () => {
  it('naive timestamps are UTC; nulls of optional fields dropped; training: null kept', () => {
    expect(
      normalizeWrittenFields({
        model_id: null, notes: null, created_at: '2024-10-19T10:30:00.123456', training: null,
        testing: [{ dataset: 'p', tested_at: '2024-10-19 12:00:00', num_queries: null, notes: null, performance: { t: 1 } }],
      }),
    ).toEqual({ created_at: '2024-10-19T10:30:00.123456Z', training: null, testing: [{ dataset: 'p', tested_at: '2024-10-19T12:00:00Z', performance: { t: 1 } }] });
    expect(normalizeWrittenFields({ training: { training_time: null, num_queries: null, trained_at: '2024-10-19T10:30:00', hyperparams: { lr: null } } })).toEqual({
      training: { trained_at: '2024-10-19T10:30:00Z', hyperparams: { lr: null } },
    });
  });

  it('keeps what it does not know how to read, for the schema to name', () => {
    expect(normalizeWrittenFields({ created_at: 'yesterday', testing: [{ dataset: null, performance: null }] })).toEqual({ created_at: 'yesterday', testing: [{ dataset: null, performance: null }] });
  });
});
