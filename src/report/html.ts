// HTML building blocks. Every string that came from a registry (ids, tags, notes, subjects,
// authors…) goes through esc(); data for the page's scripts goes through jsonScript(), which keeps
// `</script>` and `<!--` in a value from ending or bending the script element.

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const SPECIAL = /[&<>"']/;
const NOT_QUOTE = /[&<>']/;

export function esc(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value ?? '');
  // most registry strings (ids, dates, numbers) need no escaping: skip the replace for them
  if (!SPECIAL.test(s)) return s;
  // pretty-printed JSON has hundreds of quotes and usually nothing else: one native pass
  if (!NOT_QUOTE.test(s)) return s.replaceAll('"', '&quot;');
  return s.replace(/[&<>"']/g, (ch) => ESC[ch]!);
}

const TEXT_SPECIAL = /[&<>]/;

/**
 * Escapes text that goes between tags, never into an attribute: there only &, < and > mean
 * anything, so quotes stay as they are (pretty-printed metadata has ~90 of them a model page,
 * which `&quot;` made 450 characters longer).
 */
export function escText(value: string): string {
  if (!TEXT_SPECIAL.test(value)) return value;
  return value.replace(/[&<>]/g, (ch) => ESC[ch]!);
}

/** JSON that is safe inside <script type="application/json">: no '<', and no U+2028/2029 surprises. */
export function safeJson(data: unknown): string {
  let json = JSON.stringify(data);
  if (json.includes('<')) json = json.replaceAll('<', '\\u003c');
  if (/[\u2028\u2029]/.test(json)) json = json.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return json;
}

export function jsonScript(id: string, data: unknown): string {
  return `<script type="application/json" id="${esc(id)}">${safeJson(data)}</script>`;
}

/** A file-name-safe, case-insensitive-file-system-safe form of a dataset name ("Prod" → "~prod"). */
export function fileSlug(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `~${c.toLowerCase()}`);
}

export function shortCommit(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 8) : '';
}

/** "2024-10-19 10:30" from an ISO date (UTC), or the input when it does not parse. */
export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '';
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z$/.test(iso)) return iso.slice(0, 16).replace('T', ' ');
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ');
}

export function fmtNum(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (Number.isInteger(n)) return String(n);
  const a = Math.abs(n);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return n.toExponential(3);
  // a value with six significant digits or fewer rounds to itself (the usual case): no toPrecision
  const s = String(n);
  return significantDigits(s) <= 6 ? s : String(Number(n.toPrecision(6)));
}

/** Significant digits of a plain decimal numeral ("-0.0605" → 3); exponent forms count as many. */
export function significantDigits(s: string): number {
  let digits = 0;
  let leading = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (c !== 48 || !leading) {
        digits++;
        leading = false;
      }
    } else if (c !== 46 && c !== 45) return Infinity;
  }
  return digits;
}

export interface PageOptions {
  title: string;
  /** relative path from the page to the site root: '', '../', '../../' */
  base: string;
  crumbs?: [string, string | null][];
  body: string;
  /** pages with charts or client tables load the scripts */
  scripts?: boolean;
  /** data scripts the page's part drawn by report.js needs (loaded before it; no charts) */
  data?: string[];
  generated: string;
}

export function page(o: PageOptions): string {
  const crumbs = o.crumbs?.length
    ? `<nav class="crumbs">${o.crumbs.map(([label, href]) => (href ? `<a href="${esc(href)}">${esc(label)}</a>` : `<span>${esc(label)}</span>`)).join(' <span class="sep">/</span> ')}</nav>`
    : '';
  // data scripts first: report.js reads them when it starts
  const data = (o.data ?? []).map((src) => `<script src="${esc(src)}"></script>\n`).join('');
  const scripts = o.scripts
    ? `${data}<script src="${o.base}assets/uPlot.iife.min.js"></script>\n<script src="${o.base}assets/report.js"></script>`
    : data
      ? `${data}<script src="${o.base}assets/report.js"></script>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)} · modelgit</title>
<link rel="icon" href="data:,">
${o.scripts ? `<link rel="stylesheet" href="${o.base}assets/uPlot.min.css">\n` : ''}<link rel="stylesheet" href="${o.base}assets/report.css">
</head>
<body>
<header class="top"><a class="brand" href="${o.base}index.html">modelgit report</a>${crumbs}</header>
<main>
${o.body}
</main>
<footer>Generated ${esc(fmtDate(o.generated))} UTC by modelgit from the registry's git history. Static files: no server, no network.</footer>
${scripts}
</body>
</html>
`;
}

/** A message where a chart or table would be, saying why it is not there and what would fill it. */
export function emptyNote(text: string, hint?: string): string {
  return `<p class="empty">${esc(text)}${hint ? ` <span class="hint">${esc(hint)}</span>` : ''}</p>`;
}

/**
 * A server-rendered table, inside a box that scrolls sideways on its own: a wide table must not
 * widen the page (on a phone the whole page scrolled sideways). `numeric` lists the columns whose
 * cells are numbers, right-aligned so their digits line up.
 */
export function table(head: string[], rows: string[][], cls = '', numeric: ReadonlySet<number> = NO_COLUMNS): string {
  // one concatenation per cell: this runs for every table of every model page
  let out = `<div class="scroll"><table class="${esc(cls)}"><thead><tr>`;
  for (let i = 0; i < head.length; i++) out += numeric.has(i) ? `<th class="num">${head[i]}</th>` : `<th>${head[i]}</th>`;
  out += '</tr></thead><tbody>';
  for (const r of rows) {
    out += '<tr>';
    for (let i = 0; i < r.length; i++) out += numeric.has(i) ? `<td class="num">${r[i]}</td>` : `<td>${r[i]}</td>`;
    out += '</tr>';
  }
  return out + '</tbody></table></div>';
}

const NO_COLUMNS: ReadonlySet<number> = new Set();

/** "1.5 MB" for a byte count (powers of 1000, as disks and downloads count them). */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '';
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${Number(v.toPrecision(3))} ${units[u]}`;
}
