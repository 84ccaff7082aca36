// JSON on stdout: two-space indented, one trailing newline, the shapes of DESIGN §5b.
export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
