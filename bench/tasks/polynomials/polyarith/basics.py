"""Normalising, evaluating and printing polynomials."""

from __future__ import annotations

from collections.abc import Sequence

Poly = list[float]


def trim(coefficients: Sequence[float]) -> Poly:
    """The coefficients without trailing zeros; the zero polynomial is []."""
    result = list(coefficients)
    while result and result[-1] == 0:
        result.pop()
    return result


def degree(poly: Sequence[float]) -> int:
    """The highest power with a non-zero coefficient; -1 for the zero polynomial."""
    return len(trim(poly)) - 1


def evaluate(poly: Sequence[float], x: float) -> float:
    """The value of the polynomial at `x`, by Horner's rule."""
    total = 0.0
    for coefficient in reversed(poly):
        total = total * x + coefficient
    return total


def format_poly(poly: Sequence[float], variable: str = "x") -> str:
    """Human-readable form, highest power first: [1, -1, 3] gives "3x^2 - x + 1"."""
    terms: list[str] = []
    for power in range(len(poly) - 1, -1, -1):
        coefficient = poly[power]
        if coefficient == 0:
            continue
        sign = "-" if coefficient < 0 else "+"
        size = abs(coefficient)
        number = "" if size == 1 and power > 0 else f"{size:g}"
        name = "" if power == 0 else variable if power == 1 else f"{variable}^{power}"
        terms.append(f"{sign} {number}{name}")
    if not terms:
        return "0"
    text = " ".join(terms)
    return text[2:] if text.startswith("+") else "-" + text[2:]
