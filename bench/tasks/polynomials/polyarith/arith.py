"""Arithmetic on polynomials given as coefficient lists."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import zip_longest

from polyarith.basics import Poly, trim


def add(*polynomials: Sequence[float]) -> Poly:
    """The sum of any number of polynomials.

    Polynomials of different degrees are added term by term, the shorter
    ones counting as if padded with zero coefficients. The sum of no
    polynomials is the zero polynomial [].
    """
    total: Poly = []
    for poly in polynomials:
        if not total:
            total = list(poly)
        else:
            total = [a + b for a, b in zip(total, poly)]
    return trim(total)


def scale(poly: Sequence[float], factor: float) -> Poly:
    """Every coefficient multiplied by `factor`."""
    return trim([coefficient * factor for coefficient in poly])


def subtract(p: Sequence[float], q: Sequence[float]) -> Poly:
    """The difference p - q."""
    return trim([a - b for a, b in zip_longest(p, q, fillvalue=0)])


def multiply(p: Sequence[float], q: Sequence[float]) -> Poly:
    """The product of two polynomials."""
    if not p or not q:
        return []
    product = [0.0] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            product[i + j] += a * b
    return trim(product)


def derivative(poly: Sequence[float]) -> Poly:
    """The derivative: [c0, c1, c2, ...] gives [c1, 2*c2, ...]."""
    return trim([power * coefficient for power, coefficient in enumerate(poly)][1:])
