// `best` output: a short block for people, the DESIGN §5b object for programs, one value for scripts.
import type { BestOutcome } from '../registry/best.js';
import { fieldText } from './field.js';
import { formatDateUtc, formatNumber } from './format.js';
import { renderFields } from './table.js';
import { paint, type Output } from './terminal.js';

export function bestText(o: BestOutcome, out?: Output): string {
  const a = o.answer;
  const value = out ? paint(out, 'best', formatNumber(a.value)) : formatNumber(a.value);
  const fields: [string, string][] = [
    ['model_id', a.model_id],
    ['algorithm', a.algorithm],
    [a.metric, `${value} on ${a.dataset} (${a.direction === 'min' ? 'lower' : 'higher'} is better; ${a.aggregate === 'latest' ? 'latest result' : a.aggregate === 'best' ? 'best result' : 'mean of results'})`],
    ['model_path', a.model_path ?? '(none recorded)'],
    ...(a.artifact_path && a.artifact_path !== a.model_path ? ([['artifact path', a.artifact_path]] as [string, string][]) : []),
    ['runner-up', a.runner_up ? `${a.runner_up.model_id} (${formatNumber(a.runner_up.value)})` : '(none)'],
    ['candidates', String(a.candidates)],
    ['recorded in', a.commit ? `${a.commit.slice(0, 12)}${a.tested_at ? ` (tested ${formatDateUtc(a.tested_at)})` : ''}` : '(unknown)'],
  ];
  if (a.current_tag !== undefined) fields.push(['tag', a.current_tag ?? '(none)']);
  return renderFields(fields, out);
}

/** `--field PATH`: looked up in the answer first, then in the winner's metadata. */
export function bestField(o: BestOutcome, path: string): string {
  return fieldText(path, [
    { name: 'the best answer', value: o.answer },
    { name: `${o.answer.model_id}'s metadata`, value: o.metadata },
  ]);
}
