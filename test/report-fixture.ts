// Registries for the report tests, built through the real write path (register/recordTest) with
// pinned commit dates, plus promotions written the way `promote` records them: stages.yaml, a commit
// with Model-Action/Model-Id/Stage/Previous-Model-Id trailers and an annotated stage tag.
import { register } from '../src/registry/register.js';
import { recordTest } from '../src/registry/record-test.js';
import type { Registry } from '../src/registry/registry.js';
import { steppingClock, tempRegistry, type TempRegistry } from './helpers.js';

let day = 0;
/** Runs `fn` with git author and committer dates pinned to the next day of October 2024. */
export async function nextDay<T>(fn: () => Promise<T> | T): Promise<T> {
  day++;
  const iso = new Date(Date.UTC(2024, 9, 1, 10, 0, 0) + day * 86_400_000).toISOString();
  const saved = [process.env.GIT_AUTHOR_DATE, process.env.GIT_COMMITTER_DATE];
  process.env.GIT_AUTHOR_DATE = iso;
  process.env.GIT_COMMITTER_DATE = iso;
  try {
    return await fn();
  } finally {
    if (saved[0] === undefined) delete process.env.GIT_AUTHOR_DATE;
    else process.env.GIT_AUTHOR_DATE = saved[0];
    if (saved[1] === undefined) delete process.env.GIT_COMMITTER_DATE;
    else process.env.GIT_COMMITTER_DATE = saved[1];
  }
}

/** What `modelgit promote` writes: stages.yaml, one commit with trailers, one annotated tag. */
export async function promote(r: TempRegistry, stages: Record<string, Record<string, string>>, algorithm: string, stage: string, id: string, previous: string | null, n: number, subject?: string): Promise<string> {
  return nextDay(() => {
    const yaml = Object.entries(stages)
      .map(([a, s]) => `${a}:\n${Object.entries(s).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`)
      .join('\n');
    r.write('stages.yaml', yaml + '\n');
    r.git('add', 'stages.yaml');
    const trailers = `Model-Action: promote\nModel-Id: ${id}\nStage: ${stage}\nPrevious-Model-Id: ${previous ?? 'none'}`;
    r.git('commit', '-q', '-m', subject ?? `promote ${id} to ${stage}`, '-m', trailers);
    r.git('tag', '-a', `stage/${algorithm}/${stage}/${n}`, '-m', `${id} → ${algorithm} ${stage}\n\n${trailers.replace('Model-Action: promote\n', '')}\nGate: ok`);
    return r.git('rev-parse', 'HEAD').trim();
  });
}

export interface RichRegistry {
  r: TempRegistry;
  reg: Registry;
  ids: Record<'m1' | 'm2' | 'm3' | 'm4' | 'l1', string>;
  bulk: string[];
  /** the best total_time on production after each change, as a person reads the story below */
  totalTimeBests: [string, number][];
}

const reg1 = (reg: Registry, o: Parameters<typeof register>[1]) => nextDay(() => register(reg, o));
const test1 = (reg: Registry, id: string, dataset: string, metrics: string[]) => nextDay(() => recordTest(reg, { id, dataset, metrics }));

/**
 * mscn: four models tested on production over time (best changes four times), one also on JOB, a
 * metric only some models have (accuracy), one nobody gave a direction (foo_score), three
 * promotions. lero: a model with no results. bulk: 30 models in one commit (more than a page).
 */
export async function richRegistry(): Promise<RichRegistry> {
  const r = await tempRegistry();
  const reg = await r.open(steppingClock('2024-10-01T09:00:00Z'));
  const m1 = (await reg1(reg, { algorithm: 'mscn', dataset: 'production', params: { lr: 0.01, num_epoch: 100 }, trainingTime: 100, tags: ['experiment'] })).model_id;
  await test1(reg, m1, 'production', ['total_time=50', 'accuracy=0.8']);
  const m2 = (await reg1(reg, { algorithm: 'mscn', dataset: 'stats', params: { lr: 0.001, num_epoch: 200 }, trainingTime: 300, tags: ['baseline'] })).model_id;
  await test1(reg, m2, 'production', ['total_time=40']);
  await test1(reg, m1, 'production', ['total_time=45']);
  const m3 = (await reg1(reg, { algorithm: 'mscn', dataset: 'production', params: { lr: 0.005, num_epoch: 150 }, trainingTime: 200, tags: ['experiment', 'keep'], notes: '</script><img src=x onerror="window.__xss=1">' })).model_id;
  await test1(reg, m3, 'production', ['total_time=30', 'accuracy=0.9', 'foo_score=3']);
  await test1(reg, m2, 'JOB', ['total_time=12']);
  await promote(r, { mscn: { production: m3 } }, 'mscn', 'production', m3, null, 1, `promote ${m3} <img src=x onerror="window.__xss=2">`);
  await promote(r, { mscn: { production: m3, staging: m2 } }, 'mscn', 'staging', m2, null, 1);
  const m4 = (await reg1(reg, { algorithm: 'mscn', dataset: 'stats', trainingTime: 50 })).model_id;
  await test1(reg, m4, 'production', ['total_time=35']);
  await test1(reg, m3, 'production', ['total_time=38']);
  await promote(r, { mscn: { production: m4, staging: m2 } }, 'mscn', 'production', m4, m3, 2);
  const l1 = (
    await reg1(reg, {
      algorithm: 'lero',
      dataset: 'production',
      fields: {
        loading_strategy: { loader_type: 'custom_mtp', model_class_name: 'GPTMTPForCausalLM', required_files: ['config.json', 'model.safetensors', 'modeling.py'] },
        algorithm_compatibility: ['baseline-mtp', 'critic-wmtp'],
      },
    })
  ).model_id;

  // 30 models in one import-style commit: a leaderboard longer than one page.
  const bulk: string[] = [];
  await nextDay(() => {
    for (let i = 1; i <= 30; i++) {
      const id = `bulk_${String(i).padStart(2, '0')}`;
      bulk.push(id);
      const meta = {
        schema_version: 2, model_id: id, algorithm: 'bulk', created_at: `2024-10-01T00:00:${String(i).padStart(2, '0')}Z`,
        training: { dataset: i % 2 ? 'odd' : 'even', training_time: i * 10, hyperparams: { width: i, lr: i % 2 ? 0.01 : 0.001 } },
        testing: [{ dataset: 'production', tested_at: '2024-10-02T00:00:00Z', performance: { total_time: 100 - i } }],
        tags: i % 3 === 0 ? ['third'] : [],
      };
      r.write(`models/bulk/${id}.json`, JSON.stringify(meta, null, 2) + '\n');
    }
    r.git('add', 'models/bulk');
    r.git('commit', '-q', '-m', 'import 30 bulk models', '-m', `Model-Action: import\n${bulk.map((b) => `Model-Id: ${b}`).join('\n')}`);
  });
  return {
    r,
    reg: await r.open(),
    ids: { m1, m2, m3, m4, l1 },
    bulk,
    totalTimeBests: [[m1, 50], [m2, 40], [m3, 30], [m4, 35]],
  };
}
