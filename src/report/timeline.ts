// Events from the history: the audit trail (commit trailers), the promotion timeline (promote and
// demote commits joined with `stage/<algorithm>/<stage>/<n>` tags), and the stages each model held.
// Pure: callers hand in the scanned log and the tag refs.
import { parseTrailers } from '../domain/trailers.js';
import type { ScannedCommit } from '../git/raw-log.js';
import type { StageAssignments } from '../domain/types.js';

/** The `history --json` shape (DESIGN §5b) plus the commit time. */
export interface HistoryEvent {
  commit: string;
  action: string | null;
  model_ids: string[];
  author: string;
  date: string;
  subject: string;
}

export function historyEvent(c: Pick<ScannedCommit, 'commit' | 'trailers' | 'author' | 'date' | 'subject'>, modelIdsFromFiles: string[] = []): HistoryEvent {
  const ids = c.trailers['Model-Id'] ?? [];
  return {
    commit: c.commit,
    action: c.trailers['Model-Action']?.[0] ?? null,
    model_ids: [...new Set([...ids, ...modelIdsFromFiles])],
    author: c.author,
    date: c.date,
    subject: c.subject,
  };
}

export interface StageTag {
  ref: string;
  target: string;
  taggerDate: string;
  contents: string;
}

export interface PromotionEvent {
  action: 'promote' | 'demote';
  algorithm: string | null;
  stage: string;
  model_id: string | null;
  previous: string | null;
  commit: string | null;
  date: string;
  /** ms since the epoch, for ordering events whose dates carry different offsets */
  time: number;
  tag: string | null;
  n: number | null;
  /** first line of the tag message or the commit subject */
  summary: string;
  /** promoted with --force past failed gates (`Forced: true` on the commit or its tag) */
  forced: boolean;
}

const STAGE_TAG_RE = /^refs\/tags\/stage\/([^/]+)\/([^/]+)\/(\d+)$/;

function idOrNull(v: string | undefined): string | null {
  const t = v?.trim();
  return t && !/^(none|null|-|\(none\))$/i.test(t) ? t : null;
}

export function parseStageTag(t: StageTag): PromotionEvent | undefined {
  const m = STAGE_TAG_RE.exec(t.ref);
  if (!m) return undefined;
  const trailers = parseTrailers(t.contents);
  const modelId = idOrNull(trailers['Model-Id']?.[0]);
  const action = trailers['Model-Action']?.[0] === 'demote' ? 'demote' : 'promote';
  return {
    action,
    algorithm: m[1]!,
    stage: m[2]!,
    model_id: modelId,
    previous: idOrNull(trailers['Previous-Model-Id']?.[0]),
    commit: t.target || null,
    date: t.taggerDate,
    time: Date.parse(t.taggerDate) || 0,
    tag: t.ref.slice('refs/tags/'.length),
    n: Number(m[3]),
    summary: t.contents.split('\n')[0] ?? '',
    forced: trailers['Forced']?.[0] === 'true',
  };
}

/**
 * Promote and demote commits, each joined with the stage tag that points at it; tags whose commit
 * is not in the scanned history still appear. Oldest first.
 */
export function promotionTimeline(commits: Pick<ScannedCommit, 'commit' | 'trailers' | 'date' | 'time' | 'subject'>[], tags: StageTag[], algorithmOf: (id: string) => string | undefined): PromotionEvent[] {
  const tagEvents = tags.map(parseStageTag).filter((e): e is PromotionEvent => e !== undefined);
  const unclaimed = new Set(tagEvents);
  const events: PromotionEvent[] = [];
  for (const c of commits) {
    const action = c.trailers['Model-Action']?.[0];
    if (action !== 'promote' && action !== 'demote') continue;
    const stage = c.trailers['Stage']?.[0]?.trim() ?? '';
    const modelId = idOrNull(c.trailers['Model-Id']?.[0]);
    const tag = tagEvents.find((t) => unclaimed.has(t) && t.commit === c.commit && (!stage || t.stage === stage));
    if (tag) unclaimed.delete(tag);
    const algorithm = c.trailers['Algorithm']?.[0]?.trim() || tag?.algorithm || (modelId ? algorithmOf(modelId) : undefined) || null;
    events.push({
      action,
      algorithm,
      stage: stage || tag?.stage || '',
      model_id: modelId ?? tag?.model_id ?? null,
      previous: idOrNull(c.trailers['Previous-Model-Id']?.[0]) ?? tag?.previous ?? null,
      commit: c.commit,
      date: c.date,
      time: Date.parse(c.date) || c.time * 1000,
      tag: tag?.tag ?? null,
      n: tag?.n ?? null,
      summary: c.subject,
      forced: c.trailers['Forced']?.[0] === 'true' || !!tag?.forced,
    });
  }
  events.push(...unclaimed);
  return events.sort((a, b) => a.time - b.time || (a.n ?? 0) - (b.n ?? 0));
}

export interface Tenure {
  algorithm: string;
  stage: string;
  from: string | null;
  to: string | null;
  /** holds it now according to stages.yaml at HEAD */
  current: boolean;
  tag: string | null;
  /** the promotion that began it was forced past failed gates */
  forced?: boolean;
}

/**
 * Who held which stage when, per model: a promotion starts a tenure and ends the previous holder's;
 * a demotion ends it. stages.yaml at HEAD has the last word on who holds a stage now.
 */
export function stageTenures(timeline: PromotionEvent[], current: StageAssignments): Map<string, Tenure[]> {
  const byModel = new Map<string, Tenure[]>();
  const open = new Map<string, { model: string; tenure: Tenure }>();
  const add = (model: string, t: Tenure) => {
    const list = byModel.get(model) ?? [];
    list.push(t);
    byModel.set(model, list);
  };
  for (const e of timeline) {
    if (!e.algorithm || !e.stage) continue;
    const key = `${e.algorithm}\0${e.stage}`;
    const holder = open.get(key);
    if (holder) {
      holder.tenure.to = e.date;
      open.delete(key);
    }
    if (e.action === 'promote' && e.model_id) {
      const tenure: Tenure = { algorithm: e.algorithm, stage: e.stage, from: e.date, to: null, current: false, tag: e.tag, ...(e.forced ? { forced: true } : {}) };
      add(e.model_id, tenure);
      open.set(key, { model: e.model_id, tenure });
    }
  }
  for (const [algorithm, stages] of Object.entries(current ?? {})) {
    for (const [stage, model] of Object.entries(stages ?? {})) {
      if (typeof model !== 'string') continue;
      const holder = open.get(`${algorithm}\0${stage}`);
      if (holder?.model === model) holder.tenure.current = true;
      else add(model, { algorithm, stage, from: null, to: null, current: true, tag: null });
    }
  }
  return byModel;
}
