// How numbers, deltas and dates read in human output. Machine output (json, csv values) keeps the
// raw numbers; these are for people.

/** Up to 6 significant digits, no float noise, no exponent for ordinary magnitudes. */
export function formatNumber(n: number | undefined | null): string {
  if (n === undefined || n === null || Number.isNaN(n)) return '';
  if (Number.isInteger(n)) return String(n);
  return String(Number(n.toPrecision(6)));
}

export function formatSigned(n: number): string {
  const s = formatNumber(n);
  return n > 0 ? `+${s}` : s;
}

export function formatPercent(p: number | null | undefined): string {
  if (p === null || p === undefined) return 'n/a';
  const s = Math.abs(p) >= 100 ? p.toFixed(0) : p.toFixed(1);
  return `${p > 0 ? '+' : ''}${s}%`;
}

/** `2024-10-19T10:30:00Z` → `2024-10-19 10:30` (UTC as written); other text is shown as is. */
export function formatDate(iso: string | undefined): string {
  if (!iso) return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

/** A value of any type in one table cell. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
