// Default model ids: <name>_<YYYYMMDD>_<HHMMSS> in UTC; a clash in the same second gets _2, _3, …
export function timestampId(name: string, at: Date): string {
  const iso = at.toISOString(); // 2024-10-19T10:30:00.000Z, always UTC
  const date = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 19).replaceAll(':', '');
  return `${name}_${date}_${time}`;
}

/** The first of base, base_2, base_3, … that `taken` does not contain. */
export function firstFreeId(base: string, taken: (id: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}_${n}`;
    if (!taken(candidate)) return candidate;
  }
}

/** ISO-8601 UTC without milliseconds, the form every timestamp in metadata takes. */
export function isoSeconds(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
