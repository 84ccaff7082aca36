// The CI a registry repository gets from `modelgit init --ci github`: a small caller of this
// project's reusable workflow (.github/workflows/registry.yml), pinned to the modelgit that wrote it.
import { VERSION } from '../version.js';

export const CI_KINDS = ['github'] as const;
export type CiKind = (typeof CI_KINDS)[number];

export const GITHUB_CALLER_PATH = '.github/workflows/modelgit.yml';

/** Where the reusable workflow lives; the tag matches the npm version the job installs. */
export const REUSABLE_WORKFLOW = `modelgit/modelgit/.github/workflows/registry.yml@v${VERSION}`;

export function githubCallerWorkflow(defaultBranch: string): string {
  return `# modelgit: pull requests are validated (schema, integrity, promotion gates) and summarised;
# merges to ${defaultBranch} get their stage tags. Written by \`modelgit init --ci github\`.
name: modelgit

on:
  pull_request:
  push:
    branches: [${JSON.stringify(defaultBranch)}]

permissions:
  contents: write        # push stage tags after a merge
  pull-requests: write   # the registry diff comment

jobs:
  registry:
    uses: ${REUSABLE_WORKFLOW}
    with:
      modelgit-version: ${JSON.stringify(VERSION)}
`;
}

export function ciFiles(kind: CiKind, defaultBranch: string): { path: string; content: string }[] {
  switch (kind) {
    case 'github':
      return [{ path: GITHUB_CALLER_PATH, content: githubCallerWorkflow(defaultBranch) }];
  }
}
