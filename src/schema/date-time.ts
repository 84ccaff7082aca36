// The `date-time` format, checked on every timestamp of every model file (created_at, trained_at,
// each result's tested_at): ajv-formats' full check splits the string on a regular expression and
// runs two more on its halves, ~1 µs a value, ~0.4 s of `validate --all` at 100,000 models. Every
// timestamp modelgit writes has one form, `YYYY-MM-DDTHH:MM:SSZ`; that form is decided here from its
// characters, and anything else (or a value this check doubts) goes to ajv-formats' check, so the
// answer is always the one ajv-formats gives (a unit test holds the two together).

/**
 * A `date-time` check that answers the common form itself and asks `full` (ajv-formats' check) for
 * everything else. Self-contained, with no reference outside its body: the build writes its source
 * into the standalone validators (scripts/postbuild.mjs), so both paths run the same code.
 */
export function fastDateTime(full: (value: string) => boolean): (value: string) => boolean {
  const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  /** the two decimal digits at `i`, or -1 */
  const two = (s: string, i: number): number => {
    const a = s.charCodeAt(i) - 48;
    const b = s.charCodeAt(i + 1) - 48;
    return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
  };
  return function dateTime(s: string): boolean {
    // 2023-06-22T06:18:31Z: '-' at 4 and 7, 'T' at 10, ':' at 13 and 16, 'Z' at 19
    if (s.length === 20 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && s.charCodeAt(10) === 84 && s.charCodeAt(13) === 58 && s.charCodeAt(16) === 58 && s.charCodeAt(19) === 90) {
      const century = two(s, 0);
      const year = two(s, 2);
      const month = two(s, 5);
      const day = two(s, 8);
      const hour = two(s, 11);
      const minute = two(s, 14);
      const second = two(s, 17);
      if (century >= 0 && year >= 0 && month >= 1 && month <= 12 && day >= 1 && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59) {
        const y = century * 100 + year;
        const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
        if (day <= (month === 2 && leap ? 29 : DAYS[month]!)) return true;
      }
    }
    return full(s);
  };
}
