// Per-query timings → the summary recorded as a test result's performance.
export interface TimingSummary {
  total_time: number;
  average_time: number;
  median_time: number;
  p95_time: number;
  [metric: string]: number;
}

/** Percentile with linear interpolation between closest ranks (numpy's default). `sorted` ascending. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no values');
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (rank - lo);
}

/** Rounds away float noise (0.1+0.2) without hiding real precision. */
function tidy(x: number): number {
  return Number.parseFloat(x.toPrecision(12));
}

export function summarizeTimings(times: readonly number[]): TimingSummary {
  if (times.length === 0) throw new RangeError('no timings');
  const sorted = [...times].sort((a, b) => a - b);
  const total = sorted.reduce((s, t) => s + t, 0);
  return {
    total_time: tidy(total),
    average_time: tidy(total / sorted.length),
    median_time: tidy(percentile(sorted, 50)),
    p95_time: tidy(percentile(sorted, 95)),
  };
}
