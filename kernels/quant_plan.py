"""How a quantized GEMV is launched for a shape: weight rows per group, warps per block, grid, shared memory.

Each warp streams groups of `rows_per_warp` weight rows through KOG_QSTAGES shared-memory buffers; the
block stages its activation rows once (as 16-bit integers, quant_common.cuh's kog_qx). Several rows a
group reuse each activation read; fewer give small matrices more warps. The grid is what stays resident.
Defaults follow the sweeps of bench/quant_bench.py on the H100 (bench/NOTES.md, "Quantized GEMV").
"""

from __future__ import annotations

import ctypes
import functools
from dataclasses import dataclass
from typing import Any

from kog.kernels.build import load_kernel
from kog.kernels.launch import shared_mem_optin, sm_count
from kog.kernels.quant_reference import QuantFormat

STAGES = 2  # KOG_QSTAGES
MAX_WARPS = 8  # KOG_QUANT_MAX_THREADS / 32
MIN_WARPS = 4  # per block, when activation rows would crowd them out
ROWS_PER_WARP = (1, 2, 4)


@dataclass(frozen=True)
class GemvPlan:
    kernel_name: str
    act_rows: int  # activation rows one launch takes (KOG_ROWS); more are split across launches
    rows_per_warp: int  # weight rows of each sub-group
    subgroups: int  # sub-groups a warp (quant_gemv.cuh's S): a warp's group is subgroups x rows_per_warp rows
    warps: int
    blocks: int
    stage_bytes: int
    shared_mem: int


def kernel_name(fmt: QuantFormat, x_kind: str, rows_per_warp: int, subgroups: int = 1) -> str:
    """x_kind: "bf16", "f32", "f32_norm", "f32_norm_late" (waits on the previous kernel at its end:
    `QuantLinear.gemv`'s overlap), "f32_norm_rope" / "f32_norm_early_rope" / "f32_norm_late_rope"
    (RoPE and the cache write fused: `QuantLinear.gemv_rope`), "f32_norm_argmax" (an LM head with the
    greedy pick: `QuantLinear.gemv_argmax`) or "image" (the SiLU image kog_silu_image writes).
    Sub-groups (SUBGROUPS) exist for "f32_norm" and "f32_norm_argmax" of one- and two-row passes."""
    sub = f"s{subgroups}" if subgroups > 1 else ""
    return f"{fmt.prefix}_gemv_{x_kind}_r{rows_per_warp}{sub}"


def staged_activation_bytes(fmt: QuantFormat, k: int, n: int) -> int:
    """kog_qx: 2 bytes a column (+16 per unit), a scale per 32 columns and a sum per 16."""
    row = k // fmt.unit * (2 * fmt.unit + 16) + 4 * (k // 32 + k // 16)
    return -(-(n * row) // 16) * 16


def stage_bytes(fmt: QuantFormat, k: int, rows_per_warp: int) -> int:
    # Alignment down to 16 bytes at the start, up at the end, and the word reads' slack past the end.
    return -(-(rows_per_warp * fmt.bytes_per_row(k) + 30) // 16) * 16 + 16


def most_rows_per_warp(n: int) -> int:
    """Rows per warp times activation rows stays within 4 (registers; quant_gemv.cuh builds no more)."""
    return 4 if n == 1 else 2 if n == 2 else 1


SMALL_MATRIX_BYTES = 4 << 20  # one row a warp up to this size (bench/NOTES.md, "One row a warp")
# Sub-groups a warp that quant_gemv.cuh builds. Eight (4 lanes) would fill the 0.5B's rows of 28 units
# (7 each, not 28 lanes of one): its decode measured 6% slower (bench/NOTES.md), the chains too long.
SUBGROUPS = (1, 4)
SUBGROUP_KINDS = ("f32_norm", "f32_norm_argmax")


def lane_use(units: int, lanes: int) -> float:
    """Share of a sub-group's lane steps that take a unit, when `lanes` lanes deal out `units` units."""
    return units / (lanes * -(-units // lanes))


def preferred_subgroups(units: int, rows: int, bytes_per_row: int, n: int, x_kind: str) -> int:
    """Sub-groups a warp for the large normed GEMVs (gate/up, LM heads): the split whose lanes idle
    least as they deal out a row's units, the fewest sub-groups of equals. A warp of 32 lanes leaves 8
    idle on the 1.5B's rows of 24 units; 4 sub-groups of 8 lanes take 3 units each (1.5B decode over
    stored blocks +6%). Small matrices keep whole warps a row: their time is each lane's chain, which
    sub-groups lengthen."""
    if x_kind not in SUBGROUP_KINDS or n > 2 or rows * bytes_per_row <= SMALL_MATRIX_BYTES:
        return 1
    return max(SUBGROUPS, key=lambda s: (lane_use(units, 32 // s), -s))


def preferred_rows_per_warp(rows: int, bytes_per_row: int, n: int) -> int:
    # Activation reads from shared memory are shared by the group's rows; few rows need more warps, and
    # small matrices (q/k/v, o) are latency-bound: a warp's chain of dependent steps per row group, not
    # bytes, sets their time, so one row a warp. Larger ones take two: four (which short rows such as
    # the gate/up projections had) measured 0.4% (1.5B) and 1.5% (0.5B) slower over a whole decode
    # step (bench/NOTES.md, "Rows a warp, again").
    want = 1 if rows <= 256 or rows * bytes_per_row <= SMALL_MATRIX_BYTES else 2
    return min(want, most_rows_per_warp(n))


def max_act_rows(fmt: QuantFormat, k: int, limit: int) -> int:
    """Most activation rows whose staging leaves room for MIN_WARPS warps' buffers of single rows (at
    least one row, with one warp). Fewer warps leave an SM too few copies in flight and too few threads
    to stage the rows: a second launch, which streams the weights again, costs less."""
    per_warp = STAGES * stage_bytes(fmt, k, 1)
    n = 8
    while n > 1 and staged_activation_bytes(fmt, k, n) + MIN_WARPS * per_warp > limit:
        n -= 1
    return n


def act_rows_per_launch(fmt: QuantFormat, k: int, n: int, limit: int) -> int:
    """Of n activation rows, how many one launch takes: all that fit, or an even share of the fewest
    launches (8 rows that fit 7 at a time run as 4 and 4)."""
    fit = max_act_rows(fmt, k, limit)
    launches = -(-n // fit)
    return -(-n // launches)


@functools.cache
def _occupancy_fn() -> Any:
    lib = ctypes.CDLL("libcuda.so.1")
    fn = lib.cuOccupancyMaxActiveBlocksPerMultiprocessor
    fn.argtypes = [ctypes.POINTER(ctypes.c_int), ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


def blocks_per_sm(kernel: Any, threads: int, shared_mem: int) -> int:
    count = ctypes.c_int(0)
    status = _occupancy_fn()(ctypes.byref(count), kernel.kernel.ptr, threads, shared_mem)
    if status != 0:
        raise RuntimeError(f"cuOccupancyMaxActiveBlocksPerMultiprocessor failed ({status})")
    return max(1, count.value)


@functools.cache
def plan_gemv(
    fmt: QuantFormat,
    rows: int,
    k: int,
    n: int,
    x_kind: str,
    device_index: int,
    rows_per_warp: int | None = None,
    warps: int | None = None,
    subgroups: int | None = None,
    tail: QuantFormat | None = None,
) -> GemvPlan:
    """The launch for n (<= the plan's act_rows) activation rows against a rows x k matrix; `tail`: the
    format of a two-format RoPE'd stack's later rows (its stages hold a group of either format)."""
    limit = shared_mem_optin() - 512  # the kernel's static red[][] array

    def stage_of(group_rows: int) -> int:
        size = stage_bytes(fmt, k, group_rows)
        return max(size, stage_bytes(tail, k, group_rows)) if tail is not None else size

    n = act_rows_per_launch(fmt, k, n, limit)
    bytes_per_row = fmt.bytes_per_row(k)
    r = min(rows_per_warp or preferred_rows_per_warp(rows, bytes_per_row, n), most_rows_per_warp(n))
    s = subgroups or preferred_subgroups(k // fmt.unit, rows, bytes_per_row, n, x_kind)
    if s not in SUBGROUPS or (s > 1 and (x_kind not in SUBGROUP_KINDS or n > 2)):
        raise ValueError(f"no {x_kind} GEMV of {s} sub-groups a warp for {n} activation rows")
    if s > 1 and rows_per_warp is None:
        r = 1  # a warp's group is s rows already; more would cost resident blocks (shared memory)
    w = warps or MAX_WARPS  # fewer, larger blocks stage the activations less often
    x_bytes = staged_activation_bytes(fmt, k, n)
    while x_bytes + w * STAGES * stage_of(r * s) > limit:
        if r > 1 and rows_per_warp is None:
            r //= 2
        elif s > 1 and subgroups is None:
            s = 1
        elif w > 1:
            w -= 1
        else:
            raise ValueError(f"a {fmt.qtype} row of {k} weights does not fit in shared memory")
    stage = stage_of(r * s)
    shared = x_bytes + w * STAGES * stage
    name = kernel_name(fmt, x_kind, r, s)
    kernel = load_kernel(fmt.source, name, n)
    groups = -(-rows // (r * s))
    resident = blocks_per_sm(kernel, 32 * w, shared) * sm_count(device_index)
    return GemvPlan(name, n, r, s, w, min(-(-groups // w), resident), stage, shared)


# Tensor-core GEMVs (quant_mma.cuh) for passes of several activation rows.
MMA_WARPS = 8  # KOG_MMA_WARPS
MMA_MIN_ROWS = 3  # fewer rows keep the dp4a kernels (as fast at 2 rows, tuned for 1)
MMA_WARPS_PER_SM = 16  # warps wanted in flight per SM before a tile's steps are split further
TILE_ROWS = 16


@dataclass(frozen=True)
class MmaPlan:
    kernel_name: str
    act_rows: int  # activation rows one launch takes
    split: int  # warps sharing a 16-row tile
    blocks: int
    shared_mem: int


@functools.cache
def mma_available(device_index: int) -> bool:
    """int8 mma.sync needs an NVIDIA GPU of compute capability 8.0 or newer."""
    import torch

    return torch.version.hip is None and torch.cuda.get_device_capability(device_index) >= (8, 0)


def mma_shared_bytes(k: int, n: int) -> int:
    """Activations in fragment order (2 bytes a column), scales and 16-column sums, and the partial sums
    of a tile's warps."""
    staged = -(-(n * (2 * k + 4 * (k // 32 + k // 16))) // 16) * 16
    return staged + MMA_WARPS * 32 * 4 * 4


def mma_act_rows(k: int, n: int, limit: int) -> int:
    """Of n activation rows, how many one launch stages: all that fit, or an even share."""
    fit = n
    while fit > 1 and mma_shared_bytes(k, fit) > limit:
        fit -= 1
    if mma_shared_bytes(k, fit) > limit:
        raise ValueError(f"an activation row of {k} columns does not fit in shared memory")
    launches = -(-n // fit)
    return -(-n // launches)


def mma_split(tiles: int, steps: int, sms: int) -> int:
    """Warps per tile: more while the tiles alone leave SMs short of warps and each warp keeps a step or
    more to itself."""
    split = 1
    while split < MMA_WARPS and tiles * split < MMA_WARPS_PER_SM * sms and 2 * split <= steps + steps // 2:
        split *= 2
    return split


@functools.cache
def plan_mma(
    fmt: QuantFormat, rows: int, k: int, n: int, x_kind: str, device_index: int, split: int | None = None
) -> MmaPlan:
    """The tensor-core launch for n (<= the plan's act_rows) activation rows against a rows x k matrix."""
    limit = shared_mem_optin() - 512  # the kernel's static arrays
    n = mma_act_rows(k, n, limit)
    tiles = -(-rows // TILE_ROWS)
    sms = sm_count(device_index)
    split = split or mma_split(tiles, k // fmt.block_weights, sms)
    if MMA_WARPS % split:
        raise ValueError(f"warps per tile must divide {MMA_WARPS}, got {split}")
    shared = mma_shared_bytes(k, n)
    name = f"{fmt.prefix}_mma_{x_kind}"
    kernel = load_kernel(fmt.source, name, n)
    resident = blocks_per_sm(kernel, 32 * MMA_WARPS, shared) * sms
    per_block = MMA_WARPS // split
    return MmaPlan(name, n, split, min(-(-tiles // per_block), resident), shared)
