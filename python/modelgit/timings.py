"""Per-query timings -> the summary a test result records.

Same definitions as the CLI's ``--times`` (src/domain/timings.ts): total, average, median and p95,
percentiles by linear interpolation between closest ranks (numpy's default), each rounded to 12
significant digits to drop float noise. Computing it here lets ``record_test(times=[...])`` pass
plain ``--metric`` values: no temp file, nothing through a shell, and the same numbers as the CLI.
"""
from __future__ import annotations

import math
from typing import Dict, Iterable, List


def percentile(sorted_values: List[float], p: float) -> float:
    if not sorted_values:
        raise ValueError("percentile of no values")
    rank = (p / 100.0) * (len(sorted_values) - 1)
    lo = math.floor(rank)
    hi = math.ceil(rank)
    a = sorted_values[lo]
    b = sorted_values[hi]
    return a + (b - a) * (rank - lo)


def _tidy(x: float) -> float:
    # JavaScript's parseFloat(x.toPrecision(12)).
    return float(f"{x:.12g}")


def summarize_timings(times: Iterable[float]) -> Dict[str, float]:
    values = [float(t) for t in times]
    if not values:
        raise ValueError("no timings")
    for t in values:
        if not math.isfinite(t) or t < 0:
            raise ValueError(f"timing {t!r} is not a non-negative finite number of seconds")
    s = sorted(values)
    total = 0.0
    for t in s:  # same order of additions as the CLI (ascending), so the same rounding
        total += t
    return {
        "total_time": _tidy(total),
        "average_time": _tidy(total / len(s)),
        "median_time": _tidy(percentile(s, 50)),
        "p95_time": _tidy(percentile(s, 95)),
    }
