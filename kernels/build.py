"""Run-time compilation of the CUDA sources: NVRTC through CuPy, one module per (source, rows).

Local `#include "x.cuh"` lines are inlined before compiling, so the text CuPy hashes is the whole
program: CuPy's on-disk kernel cache (``~/.cupy/kernel_cache``, or ``CUPY_CACHE_DIR``) then keys on
every header too, and a second process loads the cubin instead of compiling.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kog.engine.errors import KogError

SOURCE_DIR = Path(__file__).parent
MAX_ROWS = 8  # activation rows one launch handles (decode is 1, speculative verification up to this)
# KOG_TIMELINE=<slots>: build every kernel to record when its wait on the previous one returns
# (common.cuh; read by bench/timeline.py through `timeline_modules`).
TIMELINE_SLOTS = int(os.environ.get("KOG_TIMELINE") or 0)
_timeline_modules: list[Any] = []
_recorders: list[set[tuple[str, int]]] = []  # open `recording()` blocks
_built: set[tuple[str, int]] = set()  # modules compiled and loaded in this process
_lock = threading.Lock()
_INCLUDE = re.compile(r'^#include "([\w.]+)"[^\n]*$', re.MULTILINE)


class KernelBuildError(KogError, RuntimeError):
    """The CUDA toolchain (CuPy / NVRTC) is missing or rejected a source, or the build was misconfigured."""


def expand_includes(name: str, seen: set[str] | None = None) -> str:
    """The source text of `name` with its local headers inlined once each (as `#pragma once` would)."""
    seen = set() if seen is None else seen
    seen.add(name)
    text = (SOURCE_DIR / name).read_text()

    def inline(match: re.Match[str]) -> str:
        header = match.group(1)
        return "" if header in seen else expand_includes(header, seen)

    return _INCLUDE.sub(inline, text)


def import_cupy() -> Any:
    try:
        import cupy
    except ImportError as err:
        raise KernelBuildError(
            "the CUDA kernels need CuPy (pip install cupy-cuda13x or cupy-cuda12x)"
        ) from err
    return cupy


@functools.cache
def cuda_kernels_available() -> bool:
    """True when a CUDA GPU and CuPy are both present, so the kernels can be built and run."""
    import torch

    if not torch.cuda.is_available():
        return False
    try:
        import_cupy()
    except KernelBuildError:
        return False
    return True


@functools.cache
def takes_rows(source: str) -> bool:
    """Whether `source` is compiled per activation-row count (reads KOG_ROWS); the others build once."""
    return "KOG_ROWS" in expand_includes(source)


def module_key(source: str, rows: int = 1) -> tuple[str, int]:
    """The (source, rows) a module is built and cached under: rows 1 for sources that ignore them."""
    if not 1 <= rows <= MAX_ROWS:
        raise ValueError(f"rows must be in 1..{MAX_ROWS}, got {rows}")
    return (source, rows if takes_rows(source) else 1)


def load_module(source: str, rows: int = 1) -> Any:
    return _load_module(*_note(source, rows))


def _note(source: str, rows: int) -> tuple[str, int]:
    key = module_key(source, rows)
    if _recorders:
        with _lock:
            for used in _recorders:
                used.add(key)
    return key


@functools.cache
def _load_module(source: str, rows: int) -> Any:
    cupy = import_cupy()
    code = expand_includes(source)
    options = ("-std=c++17", f"-DKOG_ROWS={rows}")
    if os.environ.get("KOG_KERNEL_LINEINFO"):  # source lines in profiles (ncu --import-source)
        options += ("-lineinfo",)
    if TIMELINE_SLOTS:
        options += (f"-DKOG_TIMELINE={TIMELINE_SLOTS}",)
    module = cupy.RawModule(code=code, options=options)
    if TIMELINE_SLOTS:
        _timeline_modules.append(module)
    return module


@contextmanager
def recording() -> Iterator[set[tuple[str, int]]]:
    """Collects the (source, rows) keys of every module loaded inside the block, built or cached."""
    used: set[tuple[str, int]] = set()
    with _lock:
        _recorders.append(used)
    try:
        yield used
    finally:
        with _lock:
            _recorders.remove(used)


def prebuild(
    modules: Iterable[tuple[str, int]],
    device: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> int:
    """Compiles the modules not built yet in this process, several at once, and loads them onto
    `device` (the current one if None); returns how many it built. NVRTC compiles outside the GIL, so
    threads suffice; with CuPy's disk cache warm this only loads cubins. `workers`: threads, by
    default KOG_BUILD_THREADS or one a CPU core. `progress(done, total)` follows the builds."""
    keys = list(dict.fromkeys(module_key(source, rows) for source, rows in modules))
    todo = [key for key in keys if key not in _built]
    if not todo:
        return 0
    cupy = import_cupy()
    index = cupy.cuda.runtime.getDevice() if device is None else device

    def build(key: tuple[str, int]) -> None:
        with cupy.cuda.Device(index):
            try:
                _load_module(*key).compile()
                _built.add(key)
            except Exception as err:  # CuPy raises its own CompileException / CUDADriverError types
                raise KernelBuildError(f"building {key[0]} for {key[1]} rows failed: {err}") from err

    if progress:
        progress(0, len(todo))
    count = min(len(todo), workers or build_threads())
    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="kog-nvrtc") as pool:
        for done, future in enumerate(as_completed([pool.submit(build, key) for key in todo]), 1):
            future.result()
            if progress:
                progress(done, len(todo))
    return len(todo)


def build_threads() -> int:
    """Threads that compile side by side: KOG_BUILD_THREADS, else one a CPU core."""
    value = os.environ.get("KOG_BUILD_THREADS", "").strip()
    if not value:
        return os.cpu_count() or 1
    if not value.isdigit() or int(value) < 1:
        raise KernelBuildError(
            f"KOG_BUILD_THREADS must be a whole number of threads, 1 or more; got {value!r}"
        )
    return int(value)


def timeline_modules() -> list[Any]:
    """The modules built so far with KOG_TIMELINE set (each holds its own `kog_timeline` records)."""
    return list(_timeline_modules)


def load_kernel(source: str, name: str, rows: int = 1) -> Any:
    """The CuPy RawKernel `name` of `source` compiled for `rows` activation rows (compiles on first use)."""
    return _load_kernel(*_note(source, rows), name)


@functools.cache
def _load_kernel(source: str, rows: int, name: str) -> Any:
    try:
        kernel = _load_module(source, rows).get_function(name)
        kernel.compile()
        _built.add((source, rows))
        import torch

        from kog.kernels.launch import shared_mem_optin

        # Opt every kernel in to the most dynamic shared memory a block can have; launches ask for less.
        kernel.max_dynamic_shared_size_bytes = shared_mem_optin() - kernel.shared_size_bytes
        if torch.version.hip is None:
            # Every kernel with the same (largest) shared-memory share of the SM's L1: consecutive kernels
            # that ask the driver for different splits cannot share an SM while PDL overlaps them.
            kernel.preferred_shared_memory_carveout = 100
    except Exception as err:  # CuPy raises its own CompileException / CUDADriverError types
        if isinstance(err, KernelBuildError):
            raise
        raise KernelBuildError(f"building {name} from {source} failed: {err}") from err
    return kernel
