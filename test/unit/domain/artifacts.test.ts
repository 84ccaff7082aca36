// The artifacts layout of modelgit.yaml: checking a template, filling it, what init git-ignores,
// and the absolute path of a model_path.
import { describe, expect, it } from 'vitest';
import { absoluteArtifactPath, artifactIgnoreEntry, artifactTemplateProblem, expandArtifactTemplate } from '../../../src/domain/artifacts.js';

describe('artifactTemplateProblem', () => {
  it('accepts the default and other layouts with {model_id}', () => {
    for (const t of ['artifacts/{algorithm}/{model_id}', '/mnt/models/{name}/{model_id}.pt', 'w/{model_id}']) expect(artifactTemplateProblem(t)).toBeUndefined();
  });
  it.each([
    ['artifacts/{algo}/{model_id}', /unknown placeholder \{algo\} \(known: \{algorithm\}, \{model_id\}, \{name\}\)/],
    ['artifacts/{algorithm}', /must contain \{model_id\}/],
    ['artifacts/{model_id', /unmatched/],
    ['../outside/{model_id}', /must not contain "\.\."/],
    ['s3://bucket/{model_id}', /is a URI/],
    ['  ', /must not be empty/],
  ])('refuses %j', (t, message) => expect(artifactTemplateProblem(t)).toMatch(message));
});

describe('expandArtifactTemplate', () => {
  it('fills every placeholder, each as often as it occurs', () => {
    expect(expandArtifactTemplate('artifacts/{algorithm}/{model_id}/{model_id}.{name}', { algorithm: 'mscn', model_id: 'mscn_1', name: 'exp' })).toBe('artifacts/mscn/mscn_1/mscn_1.exp');
  });
});

describe('artifactIgnoreEntry', () => {
  it('the fixed leading directories, anchored; nothing for an absolute layout or one starting with a placeholder', () => {
    expect(artifactIgnoreEntry('artifacts/{algorithm}/{model_id}')).toBe('/artifacts/');
    expect(artifactIgnoreEntry('./data/weights/{model_id}')).toBe('/data/weights/');
    expect(artifactIgnoreEntry('/mnt/{model_id}')).toBeUndefined();
    expect(artifactIgnoreEntry('{algorithm}/{model_id}')).toBeUndefined();
  });
});

describe('absoluteArtifactPath', () => {
  it('relative to the root, absolute as is, file:// as a path; null for remote URIs and none', () => {
    expect(absoluteArtifactPath('artifacts/mscn/m1', '/reg')).toBe('/reg/artifacts/mscn/m1');
    expect(absoluteArtifactPath('/data/m1.pt', '/reg')).toBe('/data/m1.pt');
    expect(absoluteArtifactPath('file:///data/m1.pt', '/reg')).toBe('/data/m1.pt');
    expect(absoluteArtifactPath('s3://bucket/m1', '/reg')).toBeNull();
    expect(absoluteArtifactPath(undefined, '/reg')).toBeNull();
  });
});
