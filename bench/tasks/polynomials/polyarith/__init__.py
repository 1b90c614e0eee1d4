"""Polynomials as coefficient lists, lowest degree first: [1, 0, 3] is 3x^2 + 1."""

from polyarith.arith import add, derivative, multiply, scale, subtract
from polyarith.basics import degree, evaluate, format_poly, trim

__all__ = ["add", "degree", "derivative", "evaluate", "format_poly", "multiply", "scale", "subtract", "trim"]
