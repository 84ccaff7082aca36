// namesItsDirectory lets the first read of one algorithm skip parsing other directories' files; a
// wrong "yes" would hide a file the answer must refuse, so every shape that could fool a byte search
// must answer "parse it" — and agree with what parseModelBlob finds.
import { describe, expect, it } from 'vitest';
import { namesItsDirectory, parseModelBlob } from '../../../src/store/model-file.js';

const config = { models_dir: 'models' };
const says = (text: string, algorithm = 'lero') => namesItsDirectory(Buffer.from(text), algorithm);
const algorithmProblem = (text: string, algorithm = 'lero') => parseModelBlob(`models/${algorithm}/x.json`, text, config).problem?.pointer === '/algorithm';

describe('namesItsDirectory', () => {
  it('is sure of a file naming its own directory, however spaced', () => {
    for (const t of ['{"model_id":"x","algorithm":"lero"}', '{ "model_id": "x", "algorithm" :\n\t"lero" }', '{"algorithm": "lero", "model_id": "x"}']) {
      expect(says(t)).toBe(true);
      expect(algorithmProblem(t)).toBe(false);
    }
  });

  it('asks for a parse whenever the bytes could mean another algorithm', () => {
    const unsure = [
      '{"model_id":"x","algorithm":"mscn"}', // another one
      '{"model_id":"x","algorithm":"lero2"}', // a longer name
      '{"model_id":"x","algorithm":"lero","algorithm":"mscn"}', // the last key wins
      '{"model_id":"x","\\u0061lgorithm":"mscn","d":{"algorithm":"lero"}}', // the key spelled with an escape
      '{"model_id":"x","algorithm":"ler\\u006f"}', // an escape in the value
      '{"model_id":"x","algorithm":["lero"]}',
      '{"model_id":"x"}',
    ];
    for (const t of unsure) expect(says(t), t).toBe(false);
    expect(algorithmProblem(unsure[0]!)).toBe(true);
    expect(algorithmProblem(unsure[2]!)).toBe(true);
    expect(algorithmProblem(unsure[3]!)).toBe(true);
  });

  it('never vouches for a name JSON would escape', () => {
    expect(says('{"model_id":"x","algorithm":"a"b"}', 'a"b')).toBe(false);
    expect(says('{"model_id":"x","algorithm":"a\\b"}', 'a\\b')).toBe(false);
  });

  it('a "yes" is never a file with the problem: nested or broken files are other problems', () => {
    for (const t of ['{"model_id":"x","d":{"algorithm":"lero"}}', '{"model_id":"x","algorithm":"lero"', '{"model_id":"x","note":"a \\"algorithm": "lero"}']) {
      if (says(t)) expect(algorithmProblem(t), t).toBe(false);
    }
  });
});
