"""Checksum manifests in the ``sha256sum`` format: ``<hex digest>  <relative path>``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digestcheck.digest import file_digest


@dataclass(frozen=True)
class Problem:
    """A file that failed verification; ``kind`` is ``"missing"`` or ``"mismatch"``."""

    name: str
    kind: str


def parse_manifest(text: str) -> dict[str, str]:
    """Map each relative path in ``text`` to its expected (lower-case) digest.

    Blank lines are ignored.  A ``*`` before the name (binary mode marker in
    ``sha256sum`` output) is dropped.
    """
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        digest, separator, name = line.partition("  ")
        if not separator:
            digest, separator, name = line.partition(" *")
        if not separator or not name:
            raise ValueError(f"line {number}: expected '<digest>  <name>'")
        entries[name.lstrip("*")] = digest.strip().lower()
    return entries


def build_manifest(root: Path, names: list[str], algorithm: str = "sha256") -> str:
    """Manifest text for ``names`` (paths relative to ``root``), sorted by name."""
    lines = [f"{file_digest(root / name, algorithm)}  {name}" for name in sorted(names)]
    return "\n".join(lines) + "\n"


def verify(manifest: dict[str, str], root: Path, algorithm: str = "sha256") -> list[Problem]:
    """Check every file listed in ``manifest`` under ``root``.

    Returns one Problem per missing or changed file, in manifest order; an
    empty list means every file matched.
    """
    problems: list[Problem] = []
    for name, expected in manifest.items():
        path = root / name
        if not path.is_file():
            problems.append(Problem(name, "missing"))
            continue
        if file_digest(path, algorithm) != expected:
            problems.append(Problem(name, "mismatch"))
        return problems
