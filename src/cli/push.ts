// `--push` for every write command. Adopting it is one line in the command and one in the action:
//   .option(...PUSH_OPTION)          and          const reg = await openRegistry(o);
// The registry then pushes each commit it makes, redoing the operation on the remote's new head
// when the push is rejected because the remote moved (src/registry/write.ts).
export const PUSH_OPTION = [
  '--push',
  'push the commit to the upstream (else origin); if the remote moved, redo the operation on its latest state and retry',
] as const;
