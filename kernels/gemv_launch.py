"""What every GEMV-family launch shares: block shape and the dynamic shared memory it needs."""

from __future__ import annotations

from kog.kernels.checks import check
from kog.kernels.launch import shared_mem_optin

THREADS = 128  # KOG_GEMV_THREADS
WARPS = THREADS // 32
SLOT_BYTES = THREADS * 16 * 16  # KOG_SLOTS uint4 weight slots per thread


def staged_bytes(n: int, k: int) -> int:
    """Dynamic shared memory for n activation rows of width k staged next to the weight slots."""
    return SLOT_BYTES + n * k * 4 + 64 + k * 2


def shared_mem_plan(n: int, k: int, *, norm: bool) -> tuple[int, bool]:
    """(bytes, x_shared): stage the activations in shared memory when they fit, else read them from L2.

    A fused RMSNorm needs them staged."""
    if staged_bytes(n, k) <= shared_mem_optin():
        return staged_bytes(n, k), True
    check(not norm, f"{n} rows of width {k} do not fit in shared memory for a fused RMSNorm")
    return SLOT_BYTES, False
