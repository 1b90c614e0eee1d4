"""Score arithmetic for a single student."""

from __future__ import annotations

from collections.abc import Mapping

# Lowest percentage that earns each letter, best letter first.
_LETTER_CUTOFFS: tuple[tuple[float, str], ...] = (
    (90.0, "A"),
    (80.0, "B"),
    (70.0, "C"),
    (60.0, "D"),
)


def weighted_average(scores: Mapping[str, int], weights: Mapping[str, int]) -> float:
    """Average of ``scores`` (percentages), each weighted by ``weights[component]``.

    Every component in ``weights`` must have a score.  Components are usually
    things like ``"homework"``, ``"midterm"`` and ``"final"``; weights are whole
    numbers that need not add up to 100.
    """
    missing = sorted(set(weights) - set(scores))
    if missing:
        raise KeyError(f"no score for {', '.join(missing)}")
    total_weight = sum(weights.values())
    if total_weight <= 0:
        raise ValueError("weights must add up to a positive number")
    weighted_sum = sum(scores[name] * weight for name, weight in weights.items())
    return weighted_sum // total_weight


def letter_grade(percentage: float) -> str:
    """Letter for a percentage: A from 90, B from 80, C from 70, D from 60, else F."""
    if not 0 <= percentage <= 100:
        raise ValueError(f"percentage out of range: {percentage}")
    for cutoff, letter in _LETTER_CUTOFFS:
        if percentage >= cutoff:
            return letter
    return "F"
