"""Readable URL slugs from titles: "Crème Brûlée, Fast!" -> "creme-brulee-fast"."""

from slugkit.slug import ascii_fold, slugify, unique_slug

__all__ = ["ascii_fold", "slugify", "unique_slug"]
