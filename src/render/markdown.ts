// GitHub-flavoured markdown tables (pull-request comments, reports).
import type { Align } from './table.js';

/** A cell's text made safe inside a table row: pipes escaped, line breaks as <br>. */
export function markdownCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

export function renderMarkdownTable(head: string[], rows: string[][], align: Align[] = []): string {
  const line = (cells: string[]) => `| ${cells.map(markdownCell).join(' | ')} |`;
  const rule = `|${head.map((_, i) => (align[i] === 'right' ? ' ---: ' : ' --- ')).join('|')}|`;
  return [line(head), rule, ...rows.map((r) => line(head.map((_, i) => r[i] ?? '')))].join('\n') + '\n';
}
