"""Split an amount of cents into parts without losing or inventing a cent."""

from __future__ import annotations

from collections.abc import Sequence


def split_evenly(total: int, parts: int) -> list[int]:
    """Split `total` cents into `parts` nearly equal shares.

    The leftover cents go to the first shares, one each, so the shares differ
    by at most one cent and always add up to `total`.
    """
    if parts <= 0:
        raise ValueError(f"parts must be positive, got {parts}")
    base, leftover = divmod(total, parts)
    return [base + 1 if index < leftover else base for index in range(parts)]


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` cents in proportion to `weights` (largest remainder method).

    Every share is first rounded down; the cents still missing go to the shares
    with the largest fractional parts, earlier shares first on ties.
    """
    if not weights:
        raise ValueError("at least one weight is needed")
    if any(weight < 0 for weight in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValueError("weights must not all be zero")
    exact = [total * weight / weight_sum for weight in weights]
    shares = [int(value // 1) for value in exact]
    missing = total - sum(shares)
    order = sorted(range(len(exact)), key=lambda index: (-(exact[index] - shares[index]), index))
    for index in order[:missing]:
        shares[index] += 1
    return shares


def percent_of(total: int, percent: float) -> int:
    """`percent` percent of `total` cents, rounded half away from zero."""
    exact = abs(total) * percent / 100
    rounded = int(exact + 0.5) if exact >= 0 else -int(-exact + 0.5)
    return rounded if total >= 0 else -rounded
