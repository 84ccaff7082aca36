// What `--help` shows beyond commander's own listing: the commands grouped as the guides group
// them, an example or two under each command, and "(required)" on options that must be given.
// Kept in one table here rather than in each command file so the help reads as one document and
// adding a command's example never touches its parsing code.
import { Help, type Command, type Option } from 'commander';

/** Help groups, in the order they are listed; a command not named here goes under "Commands:". */
export const COMMAND_GROUPS: [heading: string, commands: string[]][] = [
  ['Setting up:', ['init', 'hooks']],
  ['Registering and testing:', ['register', 'test', 'tag', 'untag', 'note']],
  ['Querying:', ['list', 'show', 'best', 'compare', 'history', 'report']],
  ['Lifecycle and promotion:', ['promote', 'demote', 'stages', 'cleanup', 'restore']],
  ['Checks and CI:', ['validate', 'gates', 'diff', 'sync-tags', 'audit']],
  ['Many writers:', ['status', 'drain']],
  ['Loading:', ['plan', 'resolve', 'verify', 'attest']],
  ['Import:', ['import', 'migrate']],
];

/** One or two runnable examples per command, shown after its options. */
export const EXAMPLES: Record<string, string[]> = {
  init: ['modelgit init my-registry', 'modelgit init . --ci github'],
  hooks: ['modelgit hooks install', 'modelgit hooks install --server   # in a bare repository: the pre-receive hook'],
  register: [
    'modelgit register --algo mscn --dataset imdb --param lr=0.001 --param epochs=10 --model-path weights/mscn.pt',
    'modelgit register --from metadata.json --json',
    'modelgit --remote git@github.com:team/registry.git register --algo mscn --param lr=0.001',
  ],
  test: ['modelgit test mscn_20241019_103000 --dataset stats --metric q_error=1.8', 'modelgit test mscn_20241019_103000 --dataset job --times times.txt'],
  tag: ['modelgit tag mscn_20241019_103000 baseline keep'],
  untag: ['modelgit untag mscn_20241019_103000 keep'],
  note: ['modelgit note mscn_20241019_103000 "trained on the cleaned split"', 'modelgit note mscn_20241019_103000 --append "re-tested after the fix"'],
  list: ['modelgit list --algo mscn --limit 10', 'modelgit list --algo mscn --sort total_time --on production --json'],
  show: ['modelgit show mscn_20241019_103000', 'modelgit show mscn_20241019_103000 --json'],
  best: ['modelgit best --algo mscn --dataset production --metric total_time', 'modelgit best --algo mscn --field model_path'],
  compare: [
    'modelgit compare mscn_20241019_103000 mscn_20241020_090000',
    "modelgit compare mscn_20241019_103000 mscn_20241020_090000 mscn_20241021_120000 --only-changed --drop 'p95_*'",
    'modelgit compare mscn_20241019_103000 mscn_20241020_090000 --format md',
  ],
  history: ['modelgit history mscn_20241019_103000', 'modelgit history --algo mscn --action promote --since "2 weeks ago"'],
  report: ['modelgit report --out site', 'modelgit report --algo mscn --json'],
  promote: ['modelgit promote mscn_20241019_103000 --stage production', 'modelgit promote mscn_20241019_103000 --stage production --branch --push'],
  demote: ['modelgit demote mscn_20241019_103000 --stage production'],
  stages: ['modelgit stages', 'modelgit stages --algo mscn --at 2025-03-14 --json'],
  cleanup: ['modelgit cleanup --algo mscn --keep 5 --dry-run', 'modelgit cleanup --algo mscn --keep 5 --metric total_time --dataset production'],
  restore: ['modelgit restore mscn_20241019_103000'],
  validate: ['modelgit validate --all', 'modelgit validate --since origin/main --format github'],
  gates: ['modelgit gates mscn_20241019_103000 --stage production', 'modelgit gates --since origin/main'],
  diff: ['modelgit diff origin/main', 'modelgit diff v1 v2 --format json'],
  'sync-tags': ['modelgit sync-tags', 'modelgit sync-tags --push --json'],
  status: ['modelgit status', 'modelgit status --json'],
  drain: ['modelgit drain', 'modelgit drain --remote origin --json'],
  plan: ['modelgit plan critic_20241019_103000'],
  resolve: ['modelgit resolve --for critic-wmtp', 'modelgit resolve --for critic-wmtp --stage production --field model_path'],
  verify: ['modelgit verify critic_20241019_103000', 'modelgit verify critic_20241019_103000 --allowed-signers ~/.config/git/allowed_signers'],
  attest: ['modelgit attest critic_20241019_103000 --key ~/.ssh/modelgit', 'modelgit attest critic_20241019_103000 --key ~/.ssh/modelgit --push --json'],
  audit: ['modelgit audit mscn_20241019_103000', 'modelgit audit --algo mscn --json'],
  import: ['modelgit import ../old/model_registry.json', 'modelgit import ../algorithm_examples/ExampleData --algo mscn --single-commit'],
  migrate: ['modelgit migrate'],
};

const PROGRAM_EPILOG = `
Every write command takes --push; every command takes --json (the answer on stdout; with --json,
stderr is empty or exactly one JSON object: {"error": {...}} and/or {"warnings": [...]}).
Exit codes: 0 ok, 1 the check or the operation failed, 2 usage error.
Run 'modelgit <command> --help' for a command's options and examples.`;

/** Option descriptions with "(required)" after those commander will insist on. */
export function configureHelp(program: Command): void {
  program.configureHelp({
    optionDescription(this: Help, option: Option): string {
      const text = Help.prototype.optionDescription.call(this, option);
      return option.mandatory ? `${text} (required)` : text;
    },
  });
}

/** Groups the program's commands and adds the examples; call after the commands are added. */
export function decorateHelp(program: Command): void {
  const group = new Map(COMMAND_GROUPS.flatMap(([heading, names]) => names.map((n) => [n, heading] as const)));
  // The group order follows the first command of each group, so add them in COMMAND_GROUPS order.
  const order = new Map(COMMAND_GROUPS.flatMap(([, names]) => names).map((n, i) => [n, i] as const));
  const cmds = [...program.commands].sort((a, b) => (order.get(a.name()) ?? 1e9) - (order.get(b.name()) ?? 1e9));
  (program.commands as Command[]).splice(0, program.commands.length, ...cmds);
  for (const c of program.commands) {
    const heading = group.get(c.name());
    if (heading) c.helpGroup(heading);
    const examples = EXAMPLES[c.name()];
    if (examples) c.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
  }
  program.addHelpText('after', PROGRAM_EPILOG);
}
