// Assembles README.md from docs/readme-head.md, the per-area guides in docs/guide/ and
// docs/readme-tail.md, so each area's guide is edited in one place: `node scripts/readme.mjs`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const order = ['queries', 'lifecycle', 'gitops', 'validate', 'loading', 'report', 'performance'];
const read = (p) => readFileSync(new URL(`../${p}`, import.meta.url), 'utf8').trimEnd() + '\n';
const parts = [read('docs/readme-head.md')];
for (const name of order) {
  const p = `docs/guide/${name}.md`;
  if (existsSync(new URL(`../${p}`, import.meta.url))) parts.push(read(p));
}
parts.push(read('docs/readme-tail.md'));
writeFileSync(new URL('../README.md', import.meta.url), parts.join('\n'));
console.log(`README.md: ${parts.length} parts`);
