"""Errors of kog.tools that a user can cause; the CLI catches ToolError once, prints it, exits 2."""

from __future__ import annotations


class ToolError(Exception):
    """Base of every error raised by kog.tools for something the user or their repository caused."""

    exit_code = 2


class PathOutsideRepoError(ToolError):
    """A path resolves outside the repository (``..``, absolute, symlink) or into its ``.git``."""


class NotARepositoryError(ToolError):
    """The target folder is not inside a git work tree."""


class DirtyTreeError(ToolError):
    """The work tree has uncommitted changes or untracked files and allow_dirty was not given."""


class GitStateError(ToolError):
    """The repository is in a state the guard cannot work from (detached mid-rebase, no commits, ...)."""


class TestCommandError(ToolError):
    """The test command cannot be run (not found, not executable, bad pyproject setting)."""

    __test__ = False


class SourceParseError(ToolError):
    """A file cannot be read as Python source (not UTF-8, not a file)."""
