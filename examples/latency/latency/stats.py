"""Dashboard numbers for a list of latency samples in milliseconds."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """Count, mean, median, 95th percentile and maximum; None where there is no data."""

    count: int
    mean: float | None
    p50: float | None
    p95: float | None
    max: float | None


def percentile(samples: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of `samples`, or None when there are no samples.

    `pct` must lie in (0, 100]; the result is always one of the samples.
    """
    if not 0 < pct <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {pct}")
    ordered = sorted(samples)
    rank = math.ceil(pct / 100 * len(ordered))
    return ordered[max(rank, 1) - 1]


def summarize(samples: list[float]) -> Summary:
    """Summary of `samples`; an empty list gives a zero count and no values."""
    mean = sum(samples) / len(samples) if samples else None
    return Summary(
        count=len(samples),
        mean=mean,
        p50=percentile(samples, 50),
        p95=percentile(samples, 95),
        max=max(samples, default=None),
    )
