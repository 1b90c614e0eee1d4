"""GGUF-quantized matrices on the GPU exactly as stored, with fused dequantize-and-multiply GEMVs.

`QuantLinear` holds one matrix's blocks (Q8_0, Q5_0, Q4_1, Q4_K, Q6_K) and offers the bf16 path's
faces: `matvec` (bf16 rows in, fp32 out; any row count), `gemv` (fp32 activations with RMSNorm, bias
and residual fused, like `kog.kernels.gemv`), `lookup` (embedding rows by device ids) and `dequantize`.
Launches go on torch's current stream with fixed addresses and no host sync: graph-capturable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from kog.kernels.build import MAX_ROWS, load_kernel
from kog.kernels.checks import check, check_out, check_vector
from kog.kernels.launch import f32, i32, launch, ptr
from kog.kernels.lm_head import ArgmaxWorkspace, DecodeBookkeeping, check_pick_outputs
from kog.kernels.qkv_rope import check_rope_targets
from kog.kernels.quant_plan import (
    MMA_MIN_ROWS,
    MMA_WARPS,
    mma_available,
    mma_shared_bytes,
    plan_gemv,
    plan_mma,
    staged_activation_bytes,
)
from kog.kernels.quant_reference import dequantize_reference, quant_format

SLACK = 16  # bytes after the blocks: the kernels' aligned copies and word reads may touch them
DEQUANT_CHUNK_BYTES = 64 << 20  # bf16 scratch for `matvec` of many rows (prefill)


_WORKSPACES: dict[tuple[int, int], torch.Tensor] = {}


def _workspace(index: int, nbytes: int) -> torch.Tensor:
    """A device buffer of nbytes kept for the process (CUDA graphs capture its address)."""
    buf = _WORKSPACES.get((index, nbytes))
    if buf is None:
        buf = _WORKSPACES[(index, nbytes)] = torch.empty(nbytes, dtype=torch.uint8, device=f"cuda:{index}")
    return buf


class QuantLinear:
    """A [out_features, in_features] matrix of GGUF blocks: data is uint8 [out, bytes_per_row] as stored."""

    def __init__(
        self, qtype: str, data: np.ndarray | torch.Tensor, in_features: int, device: torch.device | str
    ) -> None:
        self.fmt = quant_format(qtype)
        self.qtype = qtype
        self.in_features = in_features
        self.bytes_per_row = self.fmt.bytes_per_row(in_features)
        blocks = torch.as_tensor(np.ascontiguousarray(data) if isinstance(data, np.ndarray) else data)
        check(
            blocks.dtype == torch.uint8 and blocks.dim() == 2 and blocks.shape[1] == self.bytes_per_row,
            f"{qtype} blocks for {in_features} columns must be uint8 [rows, {self.bytes_per_row}]",
        )
        self.out_features = blocks.shape[0]
        self.nbytes = blocks.numel()  # what one pass over the matrix streams
        self.device = torch.device(device)
        self._buffer = torch.zeros(self.nbytes + SLACK, dtype=torch.uint8, device=self.device)
        self._buffer[: self.nbytes].copy_(blocks.reshape(-1))

    @staticmethod
    def can_stack(parts: list[object]) -> bool:
        """Whether `stacked` takes these: QuantLinears of one format and width whose row offsets in the
        stack fall on 16-byte boundaries (the kernels' copies start from aligned addresses)."""
        if not parts or not all(isinstance(p, QuantLinear) for p in parts):
            return False
        first, row = parts[0], 0
        for p in parts:
            if p.qtype != first.qtype or p.in_features != first.in_features or row * p.bytes_per_row % 16:
                return False
            row += p.out_features
        return True

    @classmethod
    def stacked(cls, parts: list[QuantLinear]) -> tuple[QuantLinear, list[QuantLinear]]:
        """One matrix of the parts' rows in order (one GEMV launch instead of several), and each part again
        as a view of its rows there; the parts' own device copies are released when they are dropped."""
        check(QuantLinear.can_stack(parts), "stacked parts need one format and width, at aligned offsets")
        first = parts[0]
        merged = cls(first.qtype, torch.cat([p.blocks for p in parts]), first.in_features, first.device)
        views, row = [], 0
        for p in parts:
            views.append(merged.rows(row, row + p.out_features))
            row += p.out_features
        return merged, views

    def rows(self, start: int, stop: int) -> QuantLinear:
        """Rows start..stop as a QuantLinear sharing this one's device memory."""
        check(0 <= start < stop <= self.out_features, "rows out of range")
        check(start * self.bytes_per_row % 16 == 0, "a view must start on a 16-byte boundary")
        view = object.__new__(QuantLinear)
        view.fmt, view.qtype, view.in_features = self.fmt, self.qtype, self.in_features
        view.bytes_per_row, view.out_features, view.device = self.bytes_per_row, stop - start, self.device
        view.nbytes = view.out_features * self.bytes_per_row
        # The bytes after the view (the next rows, or this buffer's slack) serve as its slack.
        view._buffer = self._buffer[start * self.bytes_per_row :]
        return view

    @property
    def blocks(self) -> torch.Tensor:
        """The stored bytes, uint8 [out_features, bytes_per_row] (a view of the device buffer)."""
        return self._buffer[: self.nbytes].view(self.out_features, self.bytes_per_row)

    def gemv(
        self,
        x: torch.Tensor,
        *,
        norm: torch.Tensor | None = None,
        eps: float = 1e-6,
        bias: torch.Tensor | None = None,
        residual: torch.Tensor | None = None,
        out: torch.Tensor | None = None,
        pdl: bool = False,
        silu_pair: bool = False,
        overlap: bool = False,
        rows_per_warp: int | None = None,
        warps: int | None = None,
        mma: bool | None = None,
        split: int | None = None,
        subgroups: int | None = None,
    ) -> torch.Tensor:
        """out[r] = residual[r] + bias + W @ (rms_norm(x[r]) * norm if norm given else x[r]), fp32.

        x: [n, in_features], fp32 (bf16 without norm), contiguous on the GPU; `residual`
        may be `out` itself (in-place add). With `silu_pair`, x is fp32 [n, 2 * in_features], each row
        a gate half and an up half, and the product takes silu(gate) * up (the MLP's activation).
        `overlap` (with `norm`, inside a PDL chain): the previous launch is another normed GEMV over
        the same x, so this one stages x without waiting for it and waits at its end instead; the two
        run side by side (one-row dp4a launches; the tensor-core kernels wait as usual).
        Passes of MMA_MIN_ROWS rows or more run on tensor cores where the GPU has int8 mma (`mma`
        forces either kernel family); rows_per_warp / warps / subgroups (dp4a) and split (mma: warps a
        16-row tile) override the launch plan.
        """
        n, k = self._check_input(x, norm, silu_pair)
        rows = self.out_features
        check_vector(norm, "norm", k)
        check_vector(bias, "bias", rows)
        if residual is not None:
            check_out(residual, (n, rows), torch.float32, "residual")
        if out is None:
            out = torch.empty(n, rows, dtype=torch.float32, device=x.device)
        check_out(out, (n, rows), torch.float32, "out")
        check(out.data_ptr() != x.data_ptr(), "out must not alias x")
        x_kind = (
            "image" if silu_pair  # silu(gate) * up staged once by a small kernel, then copied in
            else "bf16" if x.dtype == torch.bfloat16
            else "f32_norm_late" if norm is not None and overlap
            else "f32_norm" if norm is not None
            else "f32"
        )  # fmt: skip
        index = x.device.index if x.device.index is not None else torch.cuda.current_device()
        tensor_cores = mma_available(index) if mma is None else mma
        check(not tensor_cores or mma_available(index), "this GPU has no int8 mma (compute capability 8.0+)")
        start = 0
        while start < n:  # rows past what one launch stages in shared memory take further launches
            xin = x[start:]
            if tensor_cores and (mma or n - start >= MMA_MIN_ROWS):
                mplan = plan_mma(self.fmt, rows, k, n - start, x_kind.removesuffix("_late"), index, split)
                name, act_rows, blocks, threads = (
                    mplan.kernel_name,
                    mplan.act_rows,
                    mplan.blocks,
                    32 * MMA_WARPS,
                )
                shared, last = mplan.shared_mem, i32(mplan.split)
                if silu_pair:
                    xin = self._silu_image(x[start : start + act_rows], index, pdl, mma=True)
            else:
                plan = plan_gemv(self.fmt, rows, k, n - start, x_kind, index, rows_per_warp, warps, subgroups)
                name, act_rows, blocks, threads = (
                    plan.kernel_name,
                    plan.act_rows,
                    plan.blocks,
                    32 * plan.warps,
                )
                shared, last = plan.shared_mem, i32(plan.stage_bytes)
                if silu_pair:
                    xin = self._silu_image(x[start : start + act_rows], index, pdl, mma=False)
            stop = start + act_rows
            res = residual[start:stop] if residual is not None else None
            args = [
                ptr(self._buffer), i32(self.bytes_per_row), i32(rows), i32(k), ptr(xin), ptr(norm),
                f32(eps), ptr(bias), ptr(res), ptr(out[start:stop]), last,
            ]  # fmt: skip
            kernel = load_kernel(self.fmt.source, name, act_rows)
            launch(kernel, (blocks, 1, 1), (threads, 1, 1), args, shared_mem=shared, pdl=pdl)
            start = stop
        return out

    ROPE_MAX_ROWS = 2  # activation rows of the kernels with RoPE fused (quant_gemv.cuh builds no more)

    def fuses_rope(self, n: int, head_dim: int) -> bool:
        """Whether `gemv_rope` takes a pass of n rows: the one- and two-row kernels (passes of
        MMA_MIN_ROWS or more run on tensor cores where the GPU has them) over whole heads, on NVIDIA
        GPUs (the two-warp barrier is a PTX named barrier)."""
        return (
            torch.version.hip is None
            and n <= self.ROPE_MAX_ROWS
            and n < MMA_MIN_ROWS
            and self.out_features % head_dim == 0
        )

    def takes_tail(self, other: object) -> bool:
        """Whether `gemv_rope` can carry `other`'s rows after this matrix's in the same launch: another
        format of the same unit size and width (quant_gemv.cuh builds a stack kernel for each such
        pair), such as a v stored in Q6_K after q and k in Q4_K."""
        return (
            isinstance(other, QuantLinear)
            and other.qtype != self.qtype
            and other.fmt.unit == self.fmt.unit
            and other.in_features == self.in_features
        )

    def gemv_rope(
        self,
        x: torch.Tensor,
        *,
        norm: torch.Tensor,
        eps: float,
        bias: torch.Tensor | None,
        pair_base: int,
        inv_freq: torch.Tensor,
        state: torch.Tensor,
        q_out: torch.Tensor,
        k_cache: torch.Tensor,
        v_cache: torch.Tensor,
        pdl: bool = False,
        overlap: bool = False,
        overlapped_next: bool = False,
        tail: tuple[QuantLinear, torch.Tensor | None] | None = None,
    ) -> None:
        """A q/k/v stack's GEMV (RMSNorm and bias fused, as `gemv`) with rotate-half RoPE and the cache
        write fused: its rows are whole heads of [q; k; v] from rotation pair `pair_base` on
        (head_dim / 2 pairs a head, q's heads first). Row r of x is the token at position state[0] + r:
        q rows go to q_out[r] rotated, k rows rotated and v rows as they are into the bf16 caches
        ([n_kv, max_seq, head_dim]) at that position. `overlap` as in `gemv`; `overlapped_next`: the
        next launch is a stack with `overlap` (this one, unless overlapped itself, then releases it
        only once x is final; otherwise the next launch is released as this one starts).
        `tail` (matrix, bias): the stack's rows continue in that matrix (`takes_tail`), one launch."""
        n, k = self._check_input(x, norm, False)
        n_heads, n_kv, head_dim, max_seq = check_rope_targets(q_out, k_cache, v_cache, inv_freq, state, n)
        check(
            self.fuses_rope(n, head_dim),
            f"RoPE is fused for passes of 1..{self.ROPE_MAX_ROWS} rows, whole heads",
        )
        check(x.dtype == torch.float32, "x must be fp32")
        check_vector(norm, "norm", k)
        check_vector(bias, "bias", self.out_features)
        rows, tail_args, tail_fmt = self.out_features, [], None
        if tail is not None:
            second, second_bias = tail
            check(
                self.takes_tail(second),
                f"a {second.qtype} matrix cannot follow {self.qtype} rows in one stack",
            )
            check(second.fuses_rope(n, head_dim), "a stack's tail must hold whole heads")
            check(not overlap and not overlapped_next, "a stack with a tail is its layer's only one")
            check_vector(second_bias, "tail bias", second.out_features)
            rows += second.out_features
            tail_args = [
                ptr(second._buffer),
                i32(second.bytes_per_row),
                i32(self.out_features),
                ptr(second_bias),
            ]
            tail_fmt = second.fmt
        pairs = (n_heads + 2 * n_kv) * head_dim // 2
        check(
            0 <= pair_base and pair_base + rows // 2 <= pairs,
            "the stack's pairs are out of range",
        )
        index = x.device.index if x.device.index is not None else torch.cuda.current_device()
        x_kind = (
            "f32_norm_late_rope" if overlap else "f32_norm_rope" if overlapped_next else "f32_norm_early_rope"
        )
        if tail_fmt is not None:
            x_kind += f"_{tail_fmt.prefix}"
        plan = plan_gemv(self.fmt, rows, k, n, x_kind, index, 1, tail=tail_fmt)
        if plan.warps % 2:  # the two rows of a pair are two warps of one block
            check(plan.warps > 1, "a RoPE pair needs two warps a block")
            plan = plan_gemv(self.fmt, rows, k, n, x_kind, index, 1, plan.warps - 1, tail=tail_fmt)
        check(plan.act_rows >= n, "the activation rows do not fit in one launch")
        args = [
            ptr(self._buffer), i32(self.bytes_per_row), i32(rows), i32(k), ptr(x), ptr(norm),
            f32(eps), ptr(bias), ptr(None), ptr(None), i32(plan.stage_bytes),
            ptr(inv_freq), ptr(state), ptr(q_out), ptr(k_cache), ptr(v_cache),
            i32(n_heads), i32(n_kv), i32(head_dim), i32(max_seq), i32(pair_base), *tail_args,
        ]  # fmt: skip
        kernel = load_kernel(self.fmt.source, plan.kernel_name, plan.act_rows)
        launch(
            kernel, (plan.blocks, 1, 1), (32 * plan.warps, 1, 1), args, shared_mem=plan.shared_mem, pdl=pdl
        )

    def fuses_argmax(self, n: int) -> bool:
        """Whether `gemv_argmax` takes a pass of n rows (the one- and two-row kernels, as `fuses_rope`)."""
        return torch.version.hip is None and n <= self.ROPE_MAX_ROWS and n < MMA_MIN_ROWS

    def gemv_argmax(
        self,
        x: torch.Tensor,
        *,
        norm: torch.Tensor,
        eps: float,
        logits: torch.Tensor,
        ids_out: torch.Tensor,
        workspace: ArgmaxWorkspace,
        bookkeeping: DecodeBookkeeping | None = None,
        pdl: bool = False,
        subgroups: int | None = None,
    ) -> None:
        """An LM head: logits[r] = W @ (rms_norm(x[r]) * norm) as `gemv`, and ids_out[r] = their argmax
        (ties to the lower index, as torch) picked in the same launch; with `bookkeeping`, the decode
        step advances as `lm_head_argmax` does it. `subgroups` overrides the launch plan's."""
        n, k = self._check_input(x, norm, False)
        check(x.dtype == torch.float32, "x must be fp32")
        check_vector(norm, "norm", k)
        check_pick_outputs(logits, ids_out, n, self.out_features, bookkeeping)
        check(self.fuses_argmax(n), "the greedy pick is fused for one- and two-row passes")
        index = x.device.index if x.device.index is not None else torch.cuda.current_device()
        plan = plan_gemv(self.fmt, self.out_features, k, n, "f32_norm_argmax", index, None, None, subgroups)
        if plan.rows_per_warp > 2:  # the argmax kernels are built for one and two rows a warp
            plan = plan_gemv(self.fmt, self.out_features, k, n, "f32_norm_argmax", index, 2, None, subgroups)
        check(plan.act_rows >= n, "the activation rows do not fit in one launch")
        check(plan.blocks <= workspace.blocks, "the argmax workspace holds fewer partials than the grid")
        args = [
            ptr(self._buffer), i32(self.bytes_per_row), i32(self.out_features), i32(k), ptr(x), ptr(norm),
            f32(eps), ptr(None), ptr(None), ptr(logits), i32(plan.stage_bytes),
            ptr(workspace.part_val), ptr(workspace.part_idx), ptr(workspace.counter), ptr(ids_out),
        ]  # fmt: skip
        args += bookkeeping.args() if bookkeeping is not None else DecodeBookkeeping.none_args()
        kernel = load_kernel(self.fmt.source, plan.kernel_name, plan.act_rows)
        launch(
            kernel, (plan.blocks, 1, 1), (32 * plan.warps, 1, 1), args, shared_mem=plan.shared_mem, pdl=pdl
        )

    def _silu_image(self, x: torch.Tensor, index: int, pdl: bool, mma: bool) -> torch.Tensor:
        """silu(gate) * up of x's rows, staged once for every block of the GEMV that follows, in the
        layout of the tensor-core kernels (mma) or of the dp4a ones (a buffer per device and size,
        shared by every matrix: the launches that write and read it are in order)."""
        n, k = x.shape[0], self.in_features
        size = mma_shared_bytes(k, n) if mma else staged_activation_bytes(self.fmt, k, n)
        image = _workspace(index, size)
        threads = n * k // 8
        name = f"{self.fmt.prefix}_{'mma' if mma else 'gemv'}_silu_image"
        kernel = load_kernel(self.fmt.source, name, n)
        launch(kernel, (-(-threads // 256), 1, 1), (256, 1, 1), [ptr(x), i32(k), ptr(image)], pdl=pdl)
        return image

    def matvec(self, x: torch.Tensor, out: torch.Tensor | None = None) -> torch.Tensor:
        """x [n, in_features] (any float dtype) -> fp32 [n, out_features]; n <= MAX_ROWS runs the fused
        GEMV, more rows (prefill) dequantize slices of the matrix to bf16 for cuBLAS."""
        n = x.shape[0]
        if out is None:
            out = torch.empty(n, self.out_features, dtype=torch.float32, device=x.device)
        if self.device.type != "cuda":
            return torch.matmul(x.float(), dequantize_reference(self.qtype, self.blocks).T, out=out)
        if n <= MAX_ROWS:
            xin = x if x.dtype in (torch.bfloat16, torch.float32) else x.float()
            return self.gemv(xin.contiguous(), out=out)
        xb = x.to(torch.bfloat16)
        chunk = max(1, DEQUANT_CHUNK_BYTES // (2 * self.in_features))
        scratch = torch.empty(
            min(chunk, self.out_features), self.in_features, dtype=torch.bfloat16, device=x.device
        )
        for start in range(0, self.out_features, chunk):
            stop = min(self.out_features, start + chunk)
            self.dequantize(out=scratch[: stop - start], start=start)
            out[:, start:stop] = F.linear(xb, scratch[: stop - start]).float()
        return out

    def dequantize(self, out: torch.Tensor | None = None, start: int = 0) -> torch.Tensor:
        """bf16 or fp32 [m, in_features] of rows start..start+m (all rows when out is None: bf16)."""
        if out is None:
            out = torch.empty(
                self.out_features - start, self.in_features, dtype=torch.bfloat16, device=self.device
            )
        m = out.shape[0]
        check(0 <= start and start + m <= self.out_features, "rows out of range")
        return self._rows(None, m, out, start=start)

    def lookup(self, ids: torch.Tensor, n: int, out: torch.Tensor, *, pdl: bool = False) -> torch.Tensor:
        """out[r] = row ids[r] dequantized, fp32, for r < n; ids: device int32 read at run time."""
        check(
            ids.dtype == torch.int32 and ids.is_cuda and ids.numel() >= n,
            "ids must hold n int32 on the device",
        )
        return self._rows(ids, n, out, pdl=pdl)

    def _rows(
        self, ids: torch.Tensor | None, n: int, out: torch.Tensor, *, start: int = 0, pdl: bool = False
    ):
        check(out.dtype in (torch.float32, torch.bfloat16), "out must be fp32 or bf16")
        check(out.shape[1] == self.in_features and out.stride(1) == 1, "out rows must be contiguous")
        kind = "bf16" if out.dtype == torch.bfloat16 else "f32"
        total = n * (self.in_features // self.fmt.unit)
        blocks = max(1, min(-(-total // 256), 4096))
        args = [
            np.uint64(self._buffer.data_ptr() + start * self.bytes_per_row), i32(self.bytes_per_row),
            i32(self.in_features), ptr(ids), i32(n), ptr(out), i32(out.stride(0)),
        ]  # fmt: skip
        launch(
            load_kernel(self.fmt.source, f"{self.fmt.prefix}_rows_{kind}"),
            (blocks, 1, 1),
            (256, 1, 1),
            args,
            pdl=pdl,
        )
        return out

    def _check_input(self, x: torch.Tensor, norm: torch.Tensor | None, silu_pair: bool) -> tuple[int, int]:
        check(x.is_cuda and x.dim() == 2 and x.is_contiguous(), "x must be a contiguous 2-d CUDA tensor")
        check(x.dtype in (torch.float32, torch.bfloat16), "x must be fp32 or bf16")
        check(norm is None or x.dtype == torch.float32, "a fused RMSNorm takes fp32 activations")
        check(not silu_pair or (x.dtype == torch.float32 and norm is None), "silu_pair takes fp32 x, no norm")
        width = self.in_features * (2 if silu_pair else 1)
        check(x.shape[1] == width, f"x: expected {width} columns, got {x.shape[1]}")
        check(x.shape[0] >= 1, "x has no rows")
        return x.shape[0], self.in_features


def gemv_rope_stacks(
    stacks: tuple[tuple[QuantLinear, torch.Tensor | None], ...],
    x: torch.Tensor,
    *,
    tails: bool = True,
    **rope: Any,
) -> None:
    """A layer's q/k/v stacks (`stack_runs`: (matrix, bias) of each run of one format, q's rows first)
    through `gemv_rope`, whose keywords but the bias, pair and overlap ones `rope` carries (norm, eps,
    inv_freq, state, q_out, k_cache, v_cache, pdl). Two stacks whose formats pair (`takes_tail`, as a
    Q4_K_M file's Q6_K v after Q4_K q and k) are one launch; otherwise (or without `tails`) the first
    launch releases the next only once x is final and the later ones run beside it."""
    if tails and len(stacks) == 2 and stacks[0][0].takes_tail(stacks[1][0]):
        first, bias = stacks[0]
        first.gemv_rope(x, bias=bias, pair_base=0, tail=stacks[1], **rope)
        return
    row = 0
    for i, (stack, bias) in enumerate(stacks):
        stack.gemv_rope(
            x, bias=bias, pair_base=row // 2, overlap=i > 0, overlapped_next=i + 1 < len(stacks), **rope
        )
        row += stack.out_features
