// sync-tags: stage tags for promotions that reached the default branch without one — merged pull
// requests (merge, squash or rebase) and hand edits of stages.yaml. It walks the branch's
// first-parent history of stages.yaml, so each change is tagged on the commit that brought it to
// the branch, in order. Idempotent: a change whose commit already has its tag is skipped.
import { parseYamlText, yamlErrorLine } from '../schema/yaml-input.js';
import { GitError, NotFoundError, PushError, UsageError } from '../errors.js';
import { STAGES_FILE } from '../domain/config.js';
import { nextStageTagNumber, parseStageTag, STAGE_TAG_NAMESPACE, stageTagMessage, stageTagName } from '../domain/stage-tags.js';
import { stageChanges, type StageChange } from '../domain/stages.js';
import type { StageAssignments } from '../domain/types.js';
import type { Git } from '../git/git.js';
import type { Registry } from './registry.js';

export interface SyncTagsOptions {
  /** the branch to walk (default: the default branch, see branches.ts) */
  branch?: string;
  push?: boolean;
}

export interface CreatedTag {
  tag: string;
  commit: string;
  action: StageChange['action'];
  algorithm: string;
  stage: string;
  model_id: string | null;
  previous: string | null;
}

export interface SyncTagsAnswer {
  branch: string;
  created: CreatedTag[];
  /** stage changes on the branch that already had their tag */
  existing: number;
  /** problems that kept a commit from being read (an invalid stages.yaml) */
  skipped: { commit: string; reason: string }[];
  pushed: boolean;
}

interface PlannedTag extends CreatedTag {
  message: string;
}

function parseStages(text: string | undefined): StageAssignments | string {
  if (text === undefined) return {};
  // Aliases capped and depth bounded; a failure is one located line (yaml-input.ts).
  const parsed = parseYamlText('stages.yaml', text);
  const first = parsed.errors[0];
  if (first) return `stages.yaml does not parse: ${yamlErrorLine(first)}`;
  const v = parsed.value;
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) return 'stages.yaml is not a map';
  return v as StageAssignments;
}

/** Gate and Forced trailers of the promotion commit behind a first-parent commit (itself, or inside a merge). */
async function promotionFacts(git: Git, commit: string, parents: number, change: StageChange): Promise<{ gates?: string[]; forced?: boolean; via?: string }> {
  const range = parents > 1 ? [`${commit}^1..${commit}`] : ['-1', commit];
  const entries = await git.log([...range, '--extended-regexp', '--grep=^Model-Action: (promote|demote)$']);
  const id = change.model_id ?? change.previous;
  const hit = entries.find((e) => e.trailers['Model-Action']?.[0] === change.action && e.trailers['Model-Id']?.[0] === id && e.trailers['Stage']?.[0] === change.stage);
  if (!hit) return {};
  return { gates: hit.trailers['Gate'], forced: hit.trailers['Forced']?.[0] === 'true', via: hit.commit === commit ? undefined : hit.commit };
}

async function planTags(git: Git, tip: string, answer: SyncTagsAnswer): Promise<PlannedTag[]> {
  const commits = await git.firstParentCommitsChanging(tip, STAGES_FILE);
  const names = commits.flatMap((c) => [`${c.commit}:${STAGES_FILE}`, ...(c.parents[0] ? [`${c.parents[0]}:${STAGES_FILE}`] : [])]);
  const blobs = await git.readBlobs(names);
  const refs = await git.refs(STAGE_TAG_NAMESPACE);
  const tagged = new Set<string>();
  for (const r of refs) {
    const t = parseStageTag(r.ref);
    if (t) tagged.add(`${r.target} ${t.algorithm}/${t.stage}`);
  }
  const planned: PlannedTag[] = [];
  const numbers = new Map<string, bigint>();
  answer.existing = 0;
  answer.skipped = [];
  for (const c of commits) {
    const after = parseStages(blobs.get(`${c.commit}:${STAGES_FILE}`)?.toString('utf8'));
    const before = c.parents[0] ? parseStages(blobs.get(`${c.parents[0]}:${STAGES_FILE}`)?.toString('utf8')) : {};
    if (typeof after === 'string' || typeof before === 'string') {
      answer.skipped.push({ commit: c.commit, reason: typeof after === 'string' ? after : `its parent's ${before}` });
      continue;
    }
    for (const change of stageChanges(before, after)) {
      const key = `${change.algorithm}/${change.stage}`;
      if (tagged.has(`${c.commit} ${key}`)) {
        answer.existing++;
        continue;
      }
      const n = numbers.get(key) ?? nextStageTagNumber(refs, change.algorithm, change.stage);
      numbers.set(key, n + 1n);
      const facts = await promotionFacts(git, c.commit, c.parents.length, change);
      planned.push({
        tag: stageTagName(change.algorithm, change.stage, n),
        commit: c.commit,
        action: change.action,
        algorithm: change.algorithm,
        stage: change.stage,
        model_id: change.model_id,
        previous: change.previous,
        message: stageTagMessage({ change, ...facts }),
      });
    }
  }
  return planned;
}

async function createAll(reg: Registry, planned: PlannedTag[]): Promise<void> {
  await reg.createDecisionTags(
    planned.map((t) => ({ name: t.tag, commit: t.commit, message: t.message })),
    (t, gitWords) => new GitError(`could not write the tag ${t.name}: ${gitWords}`),
  );
}

export async function syncTags(reg: Registry, opts: SyncTagsOptions = {}): Promise<SyncTagsAnswer> {
  const git = reg.git;
  const branch = opts.branch ?? (await reg.defaultBranch());
  if (!branch) {
    throw new UsageError('cannot tell which branch is the default branch', {
      hint: 'pass --branch NAME, or set it once: git config modelgit.defaultBranch NAME',
    });
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/.test(branch) || branch.includes('..') || branch.endsWith('.lock') || branch.endsWith('/')) {
    throw new UsageError(`--branch: ${JSON.stringify(branch)} is not a branch name modelgit accepts (letters, digits, ".", "_", "-", "/")`);
  }
  return reg.writeTags(
    async (remote) => {
      const answer: SyncTagsAnswer = { branch, created: [], existing: 0, skipped: [], pushed: false };
      const tip = await git.resolveCommit(`refs/heads/${branch}`);
      if (!tip) throw new NotFoundError(`there is no local branch ${branch}`, { hint: `fetch it (git fetch origin ${branch}:${branch}) or name another with --branch` });
      const planned = await planTags(git, tip, answer);
      await createAll(reg, planned);
      answer.created = planned.map(({ message: _m, ...t }) => t);
      const tags = planned.map((t) => t.tag);
      return {
        created: tags,
        publish: tags,
        answer: (pushed) => (pushed ? { ...answer, pushed: true } : answer),
        giveUp: ({ detail }) =>
          new PushError(`wrote ${planned.length} tag(s) locally, but ${remote!.target.remote} refused them: ${detail}`, {
            hint: `push them later: git push ${remote!.target.remote} ${tags.map((t) => `refs/tags/${t}`).join(' ')}`,
            data: { tags },
          }),
      };
    },
    // Tags of history the branch has hold whatever the remote says: kept when the push gives up.
    { push: !!opts.push, keepUnpushed: true },
  );
}
