"""Hashing files without reading them into memory at once."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK_SIZE = 64 * 1024


def _new_hasher(algorithm: str):
    try:
        return hashlib.new(algorithm)
    except ValueError:
        raise ValueError(f"unsupported hash algorithm {algorithm!r}") from None


def bytes_digest(data: bytes, algorithm: str = "sha256") -> str:
    """Hex digest of ``data``."""
    hasher = _new_hasher(algorithm)
    hasher.update(data)
    return hasher.hexdigest()


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of the contents of ``path``, read in chunks."""
    hasher = _new_hasher(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            hasher.update(chunk)
    return hasher.hexdigest()


def list_files(root: Path, include_hidden: bool = False) -> list[str]:
    """Every regular file under ``root`` as a ``/``-separated relative path, sorted.

    Files and directories whose name starts with a dot are skipped unless
    ``include_hidden`` is true.
    """
    names = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if not include_hidden and any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file():
            names.append(relative.as_posix())
    return sorted(names)
