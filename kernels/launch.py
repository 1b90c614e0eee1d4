"""Launching compiled kernels on PyTorch's current stream with raw pointers.

Kernels go to whatever stream torch is using, so they are captured inside `torch.cuda.graph` like
torch's own. With `pdl=True` the launch carries the programmatic-stream-serialization attribute
(Hopper's programmatic dependent launch): the kernel may start while the previous one drains and must
call `griddepcontrol.wait` before reading its results, which every kernel here does. CuPy's launcher
cannot set launch attributes, so those launches go through the driver's cuLaunchKernelEx via ctypes.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

KernelArg = np.uint64 | np.int32 | np.float32
_PROGRAMMATIC_STREAM_SERIALIZATION = 6  # CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION
_CLUSTER_DIMENSION = 4  # CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION


_launch_log: list[str] | None = None


@contextlib.contextmanager
def log_launches() -> Iterator[list[str]]:
    """Collects the names of the kernels `launch` issues inside the block, in order (bench/timeline.py)."""
    global _launch_log
    _launch_log = names = []
    try:
        yield names
    finally:
        _launch_log = None


def ptr(t: torch.Tensor | None) -> np.uint64:
    """A tensor's device address as a kernel argument (NULL for None)."""
    return np.uint64(0 if t is None else t.data_ptr())


def i32(v: int) -> np.int32:
    return np.int32(v)


def f32(v: float) -> np.float32:
    return np.float32(v)


class _Stream:
    """The one attribute CuPy's launcher reads from a stream object."""

    __slots__ = ("ptr",)

    def __init__(self, handle: int) -> None:
        self.ptr = handle


class _LaunchAttribute(ctypes.Structure):
    _fields_ = [("id", ctypes.c_int), ("pad", ctypes.c_char * 4), ("value", ctypes.c_ubyte * 64)]


class _LaunchConfig(ctypes.Structure):
    _fields_ = [
        ("grid_x", ctypes.c_uint),
        ("grid_y", ctypes.c_uint),
        ("grid_z", ctypes.c_uint),
        ("block_x", ctypes.c_uint),
        ("block_y", ctypes.c_uint),
        ("block_z", ctypes.c_uint),
        ("shared_mem", ctypes.c_uint),
        ("stream", ctypes.c_void_p),
        ("attrs", ctypes.POINTER(_LaunchAttribute)),
        ("num_attrs", ctypes.c_uint),
    ]


@functools.cache
def _driver() -> Any:
    lib = ctypes.CDLL("libcuda.so.1")
    lib.cuLaunchKernelEx.argtypes = [
        ctypes.POINTER(_LaunchConfig),
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.POINTER(ctypes.c_void_p),
    ]
    lib.cuLaunchKernelEx.restype = ctypes.c_int
    lib.cuGetErrorString.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    return lib


@functools.cache
def _attributes(pdl: bool, cluster: int) -> tuple[_LaunchAttribute, ...]:
    attrs = []
    if pdl:
        attr = _LaunchAttribute()
        attr.id = _PROGRAMMATIC_STREAM_SERIALIZATION
        attr.value[0] = 1  # programmaticStreamSerializationAllowed (an int, little-endian)
        attrs.append(attr)
    if cluster > 1:
        attr = _LaunchAttribute()
        attr.id = _CLUSTER_DIMENSION
        attr.value[0:12] = bytes(np.array([cluster, 1, 1], dtype="<u4").tobytes())  # x, y, z
        attrs.append(attr)
    return tuple(attrs)


def _as_ctype(a: KernelArg) -> ctypes._SimpleCData:
    if isinstance(a, np.uint64):
        return ctypes.c_uint64(int(a))
    if isinstance(a, np.int32):
        return ctypes.c_int32(int(a))
    if isinstance(a, np.float32):
        return ctypes.c_float(float(a))
    raise TypeError(f"kernel arguments are np.uint64 / np.int32 / np.float32, got {type(a).__name__}")


def _launch_ex(
    function: int,
    grid: tuple[int, int, int],
    block: tuple[int, int, int],
    args: Sequence[KernelArg],
    shared_mem: int,
    stream: int,
    attrs: tuple[_LaunchAttribute, ...],
) -> None:
    lib = _driver()
    values = [_as_ctype(a) for a in args]
    params = (ctypes.c_void_p * len(values))(
        *[ctypes.cast(ctypes.pointer(v), ctypes.c_void_p) for v in values]
    )
    array = (_LaunchAttribute * len(attrs))(*attrs)
    config = _LaunchConfig(*grid, *block, shared_mem, stream, array, len(attrs))
    status = lib.cuLaunchKernelEx(ctypes.byref(config), function, params, None)
    if status != 0:
        message = ctypes.c_char_p()
        lib.cuGetErrorString(status, ctypes.byref(message))
        raise RuntimeError(f"cuLaunchKernelEx failed ({status}): {(message.value or b'?').decode()}")


def launch(
    kernel: Any,
    grid: tuple[int, int, int],
    block: tuple[int, int, int],
    args: Sequence[KernelArg],
    *,
    shared_mem: int = 0,
    pdl: bool = False,
    cluster: int = 1,
) -> None:
    """Launches a CuPy RawKernel on torch's current stream (`shared_mem`: dynamic shared memory bytes;
    `cluster`: blocks per thread-block cluster along x, sm_90 and later)."""
    if any(g <= 0 for g in grid):
        raise ValueError(f"empty grid {grid}")
    if grid[0] % cluster:
        raise ValueError(f"grid {grid} is not a whole number of clusters of {cluster}")
    if _launch_log is not None:
        _launch_log.append(kernel.name)
    stream = torch.cuda.current_stream().cuda_stream
    if pdl or cluster > 1:
        _launch_ex(kernel.kernel.ptr, grid, block, args, shared_mem, stream, _attributes(pdl, cluster))
    else:
        kernel(grid, block, tuple(args), shared_mem=shared_mem, stream=_Stream(stream))


@functools.cache
def clusters_supported() -> bool:
    """Thread-block clusters (and their distributed shared memory) need compute capability 9.0."""
    return torch.cuda.get_device_capability(torch.cuda.current_device()) >= (9, 0)


@functools.cache
def sm_count(device_index: int) -> int:
    return torch.cuda.get_device_properties(device_index).multi_processor_count


@functools.cache
def shared_mem_optin() -> int:
    """Bytes of shared memory one block may have after opting in (227 KB on Hopper)."""
    props = torch.cuda.get_device_properties(torch.cuda.current_device())
    return int(getattr(props, "shared_memory_per_block_optin", 48 * 1024))
