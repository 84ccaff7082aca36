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

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * One date format for all human text: `YYYY-MM-DD HH:MM` in UTC, whatever offset the time was written
 * with (`2024-10-19T12:30:00+02:00` → `2024-10-19 10:30`), so two dates side by side compare. A time
 * with no offset is taken as UTC, as modelgit writes them. Other text (a bare date, a note) is shown
 * as is. The caller says "UTC" once: in the column header, or after the value (`formatDateUtc`).
 */
export function formatDate(iso: string | undefined | null): string {
  if (!iso) return '';
  const m = ISO.exec(iso.trim());
  if (!m) return iso;
  const [, y, mo, d, h, mi, sec, zone] = m;
  let minutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = zone.replace(':', '');
    minutes = (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5)));
  }
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec ?? 0)) - minutes * 60_000;
  if (Number.isNaN(t)) return iso;
  const u = new Date(t).toISOString();
  return `${u.slice(0, 10)} ${u.slice(11, 16)}`;
}

/** `formatDate` with the zone said: `2024-10-19 10:30 UTC` (for a value standing alone). */
export function formatDateUtc(iso: string | undefined | null): string {
  const s = formatDate(iso);
  return iso && ISO.test(iso.trim()) ? `${s} UTC` : s;
}

/** A value of any type in one table cell. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
