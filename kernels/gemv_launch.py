"""What every GEMV-family launch shares: block shape, dynamic shared memory, and a grid that fits."""

from __future__ import annotations

import functools
from typing import Any

import torch

from kog.kernels.checks import check
from kog.kernels.launch import shared_mem_optin, sm_count

THREADS = 128  # KOG_GEMV_THREADS
WARPS = THREADS // 32
MAX_THREADS = 384  # KOG_GEMV_MAX_THREADS: the plain GEMV's widest block
SLOT_BYTES_PER_THREAD = 16 * 16  # KOG_SLOTS uint4 weight slots
MAX_BLOCKS_PER_SM = 8


def staged_bytes(n: int, k: int, norm: bool, threads: int = THREADS) -> int:
    """Dynamic shared memory: weight slots, n activation rows of width k, scratch, the norm weight."""
    return threads * SLOT_BYTES_PER_THREAD + n * k * 4 + 64 + (k * 2 if norm else 0)


def rows_per_launch(n: int, k: int, *, norm: bool) -> int:
    """How many of n activation rows one launch stages: all when they fit in shared memory, else an
    even share of the fewest launches whose rows fit (each launch streams the weights again, which
    costs less than reading every activation from L2 once per weight row). 0 when not even one fits."""
    fit = n
    while fit and staged_bytes(fit, k, norm) > shared_mem_optin():
        fit -= 1
    if fit == 0:
        return 0
    launches = -(-n // fit)
    return -(-n // launches)


def shared_mem_plan(n: int, k: int, *, norm: bool, threads: int = THREADS) -> tuple[int, bool]:
    """(bytes, x_shared): stage the activations in shared memory when they fit, else read them from L2.

    A fused RMSNorm needs them staged."""
    if staged_bytes(n, k, norm, threads) <= shared_mem_optin():
        return staged_bytes(n, k, norm, threads), True
    check(not norm, f"{n} rows of width {k} do not fit in shared memory for a fused RMSNorm")
    return threads * SLOT_BYTES_PER_THREAD, False


@functools.cache
def _shared_mem_per_sm() -> int:
    props = torch.cuda.get_device_properties(torch.cuda.current_device())
    return int(getattr(props, "shared_memory_per_multiprocessor", 228 * 1024))


@functools.cache
def _static_shared_bytes(kernel: Any) -> int:
    return int(kernel.shared_size_bytes)  # a driver query: once per kernel


def grid_blocks(groups: int, smem: int, warps: int = WARPS, kernel: Any = None) -> int:
    """Blocks for `groups` warp-sized row groups: one per group of `warps`, but no more than can be
    resident at once; the kernels loop over the rest, so each block stages its activations once and
    keeps its weight stream double-buffered instead of paying a prologue per few rows. The kernel's
    own static shared arrays count against residency too (48 bytes left uncounted once cost a second
    wave of blocks: bench/NOTES.md)."""
    static = _static_shared_bytes(kernel) if kernel is not None else 0
    resident = max(1, min(MAX_BLOCKS_PER_SM, _shared_mem_per_sm() // (smem + static + 1024)))
    device = torch.cuda.current_device()
    return max(1, min(-(-groups // warps), sm_count(device) * resident))


LONG_ROW = 4096  # columns from which a block's staged activations weigh like several weight rows


def warps_per_block(groups: int, n: int, k: int, *, norm: bool) -> int:
    """WARPS, or for long rows enough warps (up to MAX_THREADS / 32) that one block per SM covers the
    groups: every block copies all n activation rows into shared memory first, and with four warps a
    block the 1.5B's down projection (8,960 columns) copied 35 KB per block, 384 times, half the bytes
    of its weights again, through L2."""
    if k < LONG_ROW:
        return WARPS
    want = -(-groups // sm_count(torch.cuda.current_device()))
    warps = max(WARPS, min(MAX_THREADS // 32, want))
    while warps > WARPS and staged_bytes(n, k, norm, 32 * warps) > shared_mem_optin():
        warps -= 1
    return warps
