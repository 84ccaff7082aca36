// The git environment every benchmark runs in: nothing from the user's own git config (hooks,
// signing, fsmonitor) may colour the timings, and commits get one fixed identity. One copy, shared
// by the benchmarks that spawn git themselves (tree-edit.mjs, remote-writes.mjs).
export const BENCH_GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
};
