"""Reading and writing files of one repository, refusing any path that leaves it or enters .git."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from kog.tools.errors import PathOutsideRepoError, SourceParseError

SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".venv",
        "venv",
        "env",
        ".env",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "build",
        "dist",
        "node_modules",
        "site-packages",
        ".eggs",
    }
)


class RepoFiles:
    """The files of the repository at ``root``; every path given is repository-relative."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def resolve(self, rel: str | Path) -> Path:
        """The absolute path of ``rel``; PathOutsideRepoError if it leaves the repository or enters .git.

        Symlinks are followed before the check, so a link pointing outside is refused too.
        An absolute path is accepted only when it lies inside the repository.
        """
        given = Path(rel)
        candidate = given if given.is_absolute() else self.root / given
        resolved = candidate.resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise PathOutsideRepoError(f"{rel} is outside the repository {self.root}")
        inside = resolved.relative_to(self.root)
        if inside.parts and inside.parts[0] == ".git":
            raise PathOutsideRepoError(f"{rel} is inside the repository's .git folder")
        return resolved

    def relative(self, path: str | Path) -> str:
        """The repository-relative posix form of ``path`` (checked like resolve)."""
        return self.resolve(path).relative_to(self.root).as_posix()

    def read(self, rel: str | Path) -> str:
        """The text of a file, decoded as UTF-8 with newlines kept as they are."""
        path = self.resolve(rel)
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                return handle.read()
        except UnicodeDecodeError as exc:
            raise SourceParseError(f"{rel} is not UTF-8 text") from exc
        except IsADirectoryError as exc:
            raise SourceParseError(f"{rel} is a folder, not a file") from exc

    def write(self, rel: str | Path, text: str) -> None:
        """Replace the file atomically (temp file in the same folder, then os.replace), keeping its mode."""
        path = self.resolve(rel)
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else None
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".kogtmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            if mode is not None:
                os.chmod(temp_name, mode)
            os.replace(temp_name, path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def splice_lines(self, rel: str | Path, start_line: int, end_line: int, new_text: str) -> str:
        """The file's new full text with lines start_line..end_line (1-based, inclusive) replaced.

        Nothing is written. ``new_text`` gets a trailing newline if the replaced range had one.
        """
        return splice_text(self.read(rel), start_line, end_line, new_text)

    def python_files(self) -> list[str]:
        """Repository-relative paths of every .py file, sorted, skipping .git, venvs, caches, build dirs."""
        found: list[str] = []
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not _is_venv(Path(folder) / d))
            for name in files:
                if name.endswith(".py"):
                    found.append((Path(folder) / name).relative_to(self.root).as_posix())
        return sorted(found)


def splice_text(text: str, start_line: int, end_line: int, new_text: str) -> str:
    """``text`` with lines start_line..end_line (1-based, inclusive) replaced by ``new_text``."""
    lines = text.splitlines(keepends=True)
    if not 1 <= start_line <= end_line + 1 or end_line > len(lines):
        raise ValueError(f"line range {start_line}-{end_line} is not within 1-{len(lines)}")
    replaced = lines[start_line - 1 : end_line]
    ending = _line_ending(replaced[-1] if replaced else (lines[0] if lines else "\n"))
    if new_text and not new_text.endswith(("\n", "\r")) and (end_line < len(lines) or ending):
        new_text += ending or "\n"
    return "".join(lines[: start_line - 1]) + new_text + "".join(lines[end_line:])


def _line_ending(line: str) -> str:
    for ending in ("\r\n", "\n", "\r"):
        if line.endswith(ending):
            return ending
    return ""


def _is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()
