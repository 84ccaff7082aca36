// The rule for an operation id a caller passes (--operation-id, MODELGIT_OPERATION_ID): it is
// written into a commit trailer and searched for with git, so it is one short line of plain
// characters. A UUID, a job name or `run-42/attempt` fit.
export const OPERATION_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:@+=/-]{0,199}$/;

/** Why `value` is not a usable operation id, or undefined when it is. */
export function operationIdProblem(value: string): string | undefined {
  if (OPERATION_ID_RE.test(value)) return undefined;
  return `${JSON.stringify(value.slice(0, 60))} is not an operation id: use 1 to 200 letters, digits and . _ : @ + = / - (starting with a letter or digit)`;
}

/** How many commits back from HEAD a token is looked for (one bounded `git log`). */
export const OPERATION_WINDOW = 5000;
