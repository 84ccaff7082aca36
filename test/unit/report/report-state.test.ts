// The report state's pure pieces: which model pages a build from the state makes, whose stage
// tenures changed, a commit's event and whose history it joins, and a state read back only when it
// is the one asked for. (The build itself is tested against whole builds in
// test/integration/report.test.ts.)
import { describe, expect, it } from 'vitest';
import type { HistoryCommit } from '../../../src/report/history.js';
import { commitEvent, decodeState, encodeState, eventsOnward, HistoryTable, modelPagesToMake, STATE_FORMAT, tenureChanges, type ReportState } from '../../../src/report/report-state.js';
import type { Tenure } from '../../../src/report/timeline.js';

const pathOf = (id: string) => `models/mscn/${id}.json`;

describe('modelPagesToMake', () => {
  const known = new Map([['a', 'mscn'], ['b', 'mscn'], ['c', 'mscn'], ['d', 'mscn']]);
  const hasPage = () => true;

  it('makes the changed files, the named models at HEAD, and the children of a model that came or went', () => {
    const args = () => ({
      changed: [
        { path: pathOf('a'), id: 'a', status: 'M' },
        { path: pathOf('gone'), id: 'gone', status: 'D' },
        { path: pathOf('new'), id: 'new', status: 'A' },
      ],
      named: ['b', 'removed-long-ago'],
      parentOf: new Map([[pathOf('c'), 'gone'], [pathOf('d'), 'a']]),
      known: new Map([...known, ['new', 'mscn']]),
      models: () => new Map([...known, ['new', 'mscn']]),
      pathOf,
      hasPage,
    });
    const pages = modelPagesToMake(args());
    // (and the same when the earlier report is known to have a page for every model)
    expect([...modelPagesToMake({ ...args(), hasPage: undefined })].sort()).toEqual([...pages].sort());
    // c: its parent went; d's parent was only modified (its link stays); a removed file has no page
    expect([...pages].sort()).toEqual([pathOf('a'), pathOf('b'), pathOf('c'), pathOf('new')]);
  });

  it('makes any page the earlier report does not have', () => {
    const pages = modelPagesToMake({ changed: [], named: [], parentOf: new Map(), known, models: () => known, pathOf, hasPage: (id) => id !== 'd' });
    expect([...pages]).toEqual([pathOf('d')]);
    // not asked: none
    expect(modelPagesToMake({ changed: [], named: [], parentOf: new Map(), known, models: () => known, pathOf }).size).toBe(0);
  });
});

describe('tenureChanges', () => {
  const t = (stage: string, current: boolean): Tenure => ({ algorithm: 'mscn', stage, from: '2024-10-01T00:00:00Z', to: null, current, tag: null });
  it('names the models whose tenures differ, came or went', () => {
    const before = new Map([['a', [t('production', true)]], ['b', [t('staging', true)]], ['c', [t('staging', false)]]]);
    const after = new Map([['a', [t('production', false)]], ['b', [t('staging', true)]], ['d', [t('production', true)]]]);
    expect([...tenureChanges(before, after)].sort()).toEqual(['a', 'c', 'd']);
  });
});

describe('commitEvent', () => {
  const commit = (trailers: Record<string, string[]>, paths: string[] = []): HistoryCommit => ({
    commit: 'c1',
    author: 'A',
    date: '2024-10-01T00:00:00Z',
    time: 1,
    subject: 's',
    trailers,
    firstParent: true,
    changes: paths.map((path) => ({ path })),
  });
  const idOf = (p: string) => p.split('/')[2]!.replace(/\.json$/, '');

  it('is no event without an action or a model file change', () => {
    expect(commitEvent(commit({}), idOf)).toBeUndefined();
  });

  it('joins the history of the models it names and of the model a promotion replaced', () => {
    const found = commitEvent(commit({ 'Model-Action': ['promote'], 'Model-Id': ['b'], 'Previous-Model-Id': ['a'] }), idOf)!;
    expect(found.event.model_ids).toEqual(['b']);
    expect(found.ids).toEqual(['b', 'a']);
    expect(commitEvent(commit({ 'Model-Action': ['promote'], 'Model-Id': ['b'], 'Previous-Model-Id': ['none'] }), idOf)!.ids).toEqual(['b']);
    expect(commitEvent(commit({}, [pathOf('x')]), idOf)!.ids).toEqual(['x']);
  });
});

const state: ReportState = {
  format: STATE_FORMAT,
  commit: 'a'.repeat(40),
  key: 'k',
  pages: 'p',
  commits: 0,
  lastTime: null,
  endTime: 0,
  algorithms: [],
  files: [],
  removed: [],
  parentOf: [],
  summaries: [],
  best: { series: [], unknownDirection: [] },
  events: [],
  promotions: [],
  tenures: [],
  history: HistoryTable.of(new Map([['a', [3, 1]], ['b', []]]))!,
};

describe('decodeState', () => {
  it('reads back only the state of that commit, key and format', () => {
    const text = encodeState(state);
    expect(decodeState(text, { commit: state.commit, key: 'k' })?.commit).toBe(state.commit);
    expect(decodeState(text, { commit: 'b'.repeat(40), key: 'k' })).toBeUndefined();
    expect(decodeState(text, { commit: state.commit, key: 'other' })).toBeUndefined();
    expect(decodeState(text.replace(`"format":${STATE_FORMAT}`, '"format":99'), { commit: state.commit, key: 'k' })).toBeUndefined();
    expect(decodeState(text.slice(0, -5), { commit: state.commit, key: 'k' })).toBeUndefined();
    expect(decodeState('null', { commit: state.commit, key: 'k' })).toBeUndefined();
    // the history table whole, as written: its digest is checked
    expect(decodeState(text.replace('a\t3,1', 'a\t3,2'), { commit: state.commit, key: 'k' })).toBeUndefined();
    expect(decodeState(text.replace(/"history":"[^"]+"/, '"history":{}'), { commit: state.commit, key: 'k' })).toBeUndefined();
    expect(decodeState(text, { commit: state.commit, key: 'k' })!.history.offsetsOf('a')).toEqual([3, 1]);
    expect(decodeState(text, { commit: state.commit, key: 'k' })!.history.offsetsOf('b')).toEqual([]);
    // an id that can't be a line: no table
    expect(HistoryTable.of(new Map([['x\ty', [1]]]))).toBeUndefined();
  });
});

describe('eventsOnward', () => {
  it('from a state at any commit gives what one pass from the start gives', () => {
    let seed = 3;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const ids = ['a', 'b', 'c', 'd'];
    const commits: HistoryCommit[] = [];
    for (let i = 0; i < 40; i++) {
      const trailers: Record<string, string[]> = {};
      if (rand() < 0.3) trailers['Model-Action'] = [rand() < 0.5 ? 'promote' : 'test'];
      if (rand() < 0.3) trailers['Model-Id'] = [ids[Math.floor(rand() * 4)]!];
      if (rand() < 0.2) trailers['Previous-Model-Id'] = [ids[Math.floor(rand() * 4)]!];
      const changes = ids.filter(() => rand() < 0.25).map((id) => ({ path: `models/mscn/${id}.json` }));
      commits.push({ commit: `c${i}`, author: 'A', date: `2024-10-${String(i + 1).padStart(2, '0')}`, time: i, subject: `s${i}`, trailers, firstParent: true, changes });
    }
    const offsets = commits.map((_, i) => i * 100);
    const idOf = (p: string) => p.split('/')[2]!.replace(/\.json$/, '');
    const empty = { events: [], history: HistoryTable.of(new Map())! };
    const whole = eventsOnward(empty, commits, offsets, idOf, 5);
    for (const k of [0, 1, 17, 39, 40]) {
      const before = eventsOnward(empty, commits.slice(0, k), offsets.slice(0, k), idOf, 5);
      // (the state's table as text and back, as the next build reads it)
      const table = decodeState(encodeState({ ...state, history: before.history }), { commit: state.commit, key: 'k' })!.history;
      const after = eventsOnward({ events: before.events, history: table }, commits.slice(k), offsets.slice(k), idOf, 5);
      expect(after.events).toEqual(whole.events);
      expect(after.history.toMap()).toEqual(whole.history.toMap());
      expect(after.history.body).toBe(whole.history.body);
      for (const id of [...ids, 'none']) expect(after.history.offsetsOf(id)).toEqual(whole.history.offsetsOf(id));
    }
    // and each id's history is newest first, as the whole build lists it
    for (const list of whole.history.toMap().values()) expect([...list].sort((x, y) => y - x)).toEqual(list);
  });
});
