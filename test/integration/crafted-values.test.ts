// Crafted values (issue 19, item 5): a stage tag numbered past 2^53, metric/stage names that are
// Object.prototype's (constructor, toString), numbers JavaScript reads too kindly (0x10, 1e400,
// Infinity, ''), and YAML alias bombs in modelgit.yaml, stages.yaml and --from. Each must work
// exactly, or be refused with one clear line naming the flag or file:line, never a stack trace,
// and leave the repository as it was.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { register } from '../../src/registry/register.js';
import { recordTest } from '../../src/registry/record-test.js';
import { repoState, steppingClock, tempRegistry, type TempRegistry } from '../helpers.js';

const NO_TRACE = /\n\s+at |unexpected error|RangeError|ReferenceError/;

async function twoModels(): Promise<TempRegistry> {
  const r = await tempRegistry();
  const reg = await r.open(steppingClock());
  await register(reg, { algorithm: 'mscn', id: 'a', dataset: 'production' });
  await register(reg, { algorithm: 'mscn', id: 'b', dataset: 'production' });
  return r;
}

const tags = (r: TempRegistry, family: string) => r.git('tag', '-l', `${family}/*`).split('\n').filter(Boolean).sort();

describe('tag numbers at and past 2^53', () => {
  it('promote and sync-tags number the next stage tag exactly, one past the huge one', async () => {
    const r = await twoModels();
    r.git('tag', '-a', '-m', 'crafted', 'stage/mscn/staging/9007199254740993', 'HEAD');
    const first = await r.run('promote', 'a', '--stage', 'staging', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(tags(r, 'stage/mscn/staging')).toContain('stage/mscn/staging/9007199254740994');
    // A stages.yaml change made by hand (no tag yet): sync-tags numbers it after the last one.
    r.write('stages.yaml', 'mscn:\n  staging: b\n');
    r.git('commit', '-q', '--no-verify', '-am', 'hand promotion of b');
    const sync = await r.run('sync-tags');
    expect(sync.code, sync.stderr).toBe(0);
    expect(tags(r, 'stage/mscn/staging')).toEqual(['stage/mscn/staging/9007199254740993', 'stage/mscn/staging/9007199254740994', 'stage/mscn/staging/9007199254740995']);
    const again = await r.run('promote', 'a', '--stage', 'staging');
    expect(again.code, again.stderr).toBe(0);
    expect(tags(r, 'stage/mscn/staging')).toContain('stage/mscn/staging/9007199254740996');
  });
});

describe("names that are Object.prototype's", () => {
  it('metrics called constructor and toString are two metrics, and a stage called constructor can be promoted to', async () => {
    const r = await twoModels();
    const res = await r.run('test', 'a', '--dataset', 'production', '--metric', 'constructor=1', '--metric', 'toString=2');
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(r.read('models/mscn/a.json')).testing[0].performance).toEqual({ constructor: 1, toString: 2 });
    const twice = await r.run('test', 'a', '--dataset', 'production', '--metric', 'constructor=1', '--metric', 'constructor=2');
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/--metric constructor is given twice/);
    r.write('modelgit.yaml', r.read('modelgit.yaml').replace('stages: [staging, production]', 'stages: [staging, production, constructor]'));
    r.git('commit', '-q', '--no-verify', '-am', 'a stage called constructor');
    const promote = await r.run('promote', 'b', '--stage', 'constructor', '--json');
    expect(promote.code, promote.stderr).toBe(0);
    expect(r.read('stages.yaml')).toMatch(/constructor: b/);
    const stages = await r.run('stages', '--json');
    expect(stages.code).toBe(0);
    expect(stages.json()).toEqual(expect.arrayContaining([expect.objectContaining({ algorithm: 'mscn', stage: 'constructor', model_id: 'b' })]));
  });
});

describe('numbers are parsed strictly', () => {
  it('refuses 0x10, 1e400, Infinity and empty values, naming the flag; nothing is written', async () => {
    const r = await twoModels();
    const before = repoState(r.dir);
    const cases: [string[], RegExp][] = [
      [['test', 'a', '--dataset', 'production', '--metric', 'total_time=0x10'], /--metric total_time: "0x10" is not a number/],
      [['test', 'a', '--dataset', 'production', '--metric', 'total_time=1e400'], /--metric total_time: "1e400" is out of range/],
      [['test', 'a', '--dataset', 'production', '--metric', 'total_time=Infinity'], /--metric total_time: "Infinity" is not a number/],
      [['test', 'a', '--dataset', 'production', '--metric', 'total_time='], /--metric total_time has an empty value/],
      [['register', '--algo', 'mscn', '--training-time', '0x10'], /--training-time.*"0x10" is not a number/],
      [['register', '--algo', 'mscn', '--param', 'lr=1e400'], /--param lr: "1e400" is out of range/],
    ];
    for (const [args, message] of cases) {
      const res = await r.run(...args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.stderr).not.toMatch(NO_TRACE);
    }
    expect(repoState(r.dir)).toBe(before);
  });

  it('a times file with a hex value is refused at its line', async () => {
    const r = await twoModels();
    writeFileSync(join(r.dir, 'times.txt'), '0.5\n0x10\n');
    const res = await r.run('test', 'a', '--dataset', 'production', '--times', 'times.txt');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--times: times\.txt:2: "0x10" is not a non-negative number of seconds/);
  });
});

describe('YAML alias bombs', () => {
  const BOMB = ['x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...[1, 2, 3, 4].map((i) => `x${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`)].join('\n') + '\n';

  it('in --from, modelgit.yaml and stages.yaml: one located line each, no stack trace, nothing written', async () => {
    const r = await twoModels();
    await recordTest(await r.open(), { id: 'a', dataset: 'production', metrics: ['total_time=3'] });
    writeFileSync(join(r.dir, 'bomb.yaml'), BOMB);
    const before = repoState(r.dir);
    const from = await r.run('register', '--algo', 'mscn', '--from', 'bomb.yaml');
    expect(from.code).toBe(2);
    expect(from.stderr).toMatch(/^modelgit: error: --from: bomb\.yaml:2:\d+: .*aliases expand more than 100 times.*\[yaml-aliases\]$/m);
    expect(from.stderr).not.toMatch(NO_TRACE);
    expect(repoState(r.dir)).toBe(before);

    const config = r.read('modelgit.yaml');
    r.write('modelgit.yaml', config + BOMB);
    const list = await r.run('list');
    expect(list.code).toBe(1);
    expect(list.stderr).toMatch(/modelgit\.yaml:\d+:\d+: .*\[yaml-aliases\]/);
    expect(list.stderr).not.toMatch(NO_TRACE);
    r.write('modelgit.yaml', config);

    r.write('stages.yaml', 'mscn:\n  staging: a\n' + BOMB);
    r.git('commit', '-q', '--no-verify', '-am', 'stages bomb');
    for (const args of [['stages'], ['promote', 'b', '--stage', 'staging']]) {
      const res = await r.run(...args);
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stderr).toMatch(/stages\.yaml:\d+:\d+: .*\[yaml-aliases\]/);
      expect(res.stderr).not.toMatch(NO_TRACE);
    }
  });
});
