// Answers kept ready (issue #18): a read whose answer depends only on the models tree and the
// question (best of one algorithm on one dataset, metric and aggregate; a listing of a few models) is remembered under
// .git/modelgit/answers-<kind>, keyed by that tree, the question and the registry's config, so asking it
// again at 100,000 models reads one small file instead of the algorithm's summaries. A commit that
// leaves the models tree alone (a stage change, a note elsewhere) keeps the answer; the caller
// refreshes what depends on the commit itself. The answer is the same with or without the shelf:
// the reader without cache stays the reference in tests, and a damaged line is dropped (memo-file.ts).
import { createHash } from 'node:crypto';
import type { StoreContext } from './context.js';
import { MemoFile } from './cache/memo-file.js';
import { modelgitDir, tracer } from './cache/policy.js';
import { cachedModelsTree } from './models.js';
import { roundTrips } from './model-file.js';

const trace = tracer('modelgit-cache');

/** Enough for a few questions asked at HEAD and at the commit before it; one file per kind of question. */
const KEEP = 32;
/** A bigger answer (a long listing) is not kept: reading the shelf must stay cheaper than answering. */
const MAX_ANSWER_BYTES = 128 << 10;

export interface AnswerShelf<T> {
  /** the commit the question is asked at */
  commit: string;
  /** the answer kept for this question at this models tree, and the commit it was read at */
  kept(): { value: T; commit: string } | undefined;
  keep(value: T): void;
}

/**
 * The shelf for `kind` (`best`, …) and `question` at `rev`; undefined when answers can't be kept
 * there (no cache, replaced objects, a models directory git would read as a pattern).
 */
export async function answerShelf<T>(ctx: StoreContext, rev: string, kind: string, question: unknown): Promise<AnswerShelf<T> | undefined> {
  const at = await cachedModelsTree(ctx, rev);
  if (!at) return undefined;
  const memo = new MemoFile(modelgitDir(ctx.gitDir), `answers-${kind}`, KEEP);
  // The config decides defaults, directions and which files count: part of the question.
  const key = createHash('sha256').update(JSON.stringify([kind, at.tree, ctx.config.models_dir, question, ctx.config])).digest('hex');
  return {
    commit: at.commit,
    kept() {
      const text = memo.get(key);
      if (text === undefined) return undefined;
      try {
        const { value, commit } = JSON.parse(text) as { value: T; commit: string };
        if (typeof commit !== 'string') return undefined;
        trace(`answer-hit ${kind}`);
        return { value, commit };
      } catch {
        return undefined;
      }
    },
    keep(value: T) {
      // A -0 or an overflowed number in a model file would come back as 0 or null: not kept.
      if (!roundTrips(value)) return;
      const text = JSON.stringify({ value, commit: at.commit });
      if (text.length <= MAX_ANSWER_BYTES) memo.set(key, text);
    },
  };
}
