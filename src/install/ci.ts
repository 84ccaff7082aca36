// The CI a registry repository gets from `modelgit init --ci github`: a small caller of this
// project's reusable workflow (.github/workflows/registry.yml), pinned to the modelgit that wrote it.
// modelgit is not published to a package registry: the reusable workflow builds modelgit from its
// own repository at a git ref. A reusable workflow cannot see the ref it was called at, so the
// caller names that ref twice — in `uses:` and as `modelgit-version` — and both come from here.
import { Git } from '../git/git.js';
import { VERSION } from '../version.js';

export const CI_KINDS = ['github'] as const;
export type CiKind = (typeof CI_KINDS)[number];

export const GITHUB_CALLER_PATH = '.github/workflows/modelgit.yml';

/** modelgit's own repository on GitHub (package.json `repository`). */
export const MODELGIT_REPOSITORY = 'modelgit/modelgit';

/** The git ref of this modelgit: its release tag. */
export const MODELGIT_REF = `v${VERSION}`;

/** Where the reusable workflow lives, at the ref of the modelgit that writes the caller. */
export const REUSABLE_WORKFLOW = `${MODELGIT_REPOSITORY}/.github/workflows/registry.yml@${MODELGIT_REF}`;

export function githubCallerWorkflow(defaultBranch: string): string {
  return `# modelgit: pull requests are validated (schema, integrity, promotion gates) and summarised;
# merges to ${defaultBranch} get their stage tags. Written by \`modelgit init --ci github\`.
# The reusable workflow builds modelgit from its source at modelgit-version, a git ref: keep it
# the same as the ref after the @ in \`uses:\` when you upgrade.
name: modelgit

on:
  pull_request:
  push:
    branches: [${JSON.stringify(defaultBranch)}]
  schedule:
    - cron: "*/10 * * * *"   # apply queued writes (modelgit drain)

permissions:
  contents: write        # push stage tags after a merge, and drained queued writes
  pull-requests: write   # the registry diff comment

jobs:
  registry:
    uses: ${REUSABLE_WORKFLOW}
    with:
      modelgit-version: ${JSON.stringify(MODELGIT_REF)}
`;
}

export function ciFiles(kind: CiKind, defaultBranch: string): { path: string; content: string }[] {
  switch (kind) {
    case 'github':
      return [{ path: GITHUB_CALLER_PATH, content: githubCallerWorkflow(defaultBranch) }];
  }
}

/** The branch `ref: refs/heads/<name>\tHEAD` of `git ls-remote --symref` names, if any. */
export function symrefHead(lsRemote: string): string | undefined {
  const m = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(lsRemote);
  return m?.[1];
}

/**
 * The branch the caller's push trigger names: the branch merges land on, where stage tags belong.
 * That is the remote's default branch, not whatever branch `init` happens to run on: origin/HEAD
 * (set by `git clone`), else what the remote itself says its HEAD is (`git ls-remote --symref`,
 * never prompting for credentials), else a local main or master; a repository with neither (a
 * fresh one) takes the branch HEAD names.
 */
export async function ciDefaultBranch(root: string): Promise<string> {
  const git = new Git(root);
  const fromOrigin = await git.symbolicRefTarget('refs/remotes/origin/HEAD');
  if (fromOrigin?.startsWith('origin/')) return fromOrigin.slice('origin/'.length);
  if (await git.remoteUrl('origin')) {
    const remote = await git.remoteHeadListing('origin');
    const head = remote && symrefHead(remote);
    if (head) return head;
  }
  for (const name of ['main', 'master']) {
    if (await git.hasLocalBranch(name)) return name;
  }
  return (await git.symbolicRefTarget('HEAD')) ?? 'main';
}
