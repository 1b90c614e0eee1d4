"""Glob patterns for paths: *, ?, [...] and ** (any number of directories)."""

from globmatch.select import compile_glob, exclude, match, select
from globmatch.translate import translate

__all__ = ["compile_glob", "exclude", "match", "select", "translate"]
