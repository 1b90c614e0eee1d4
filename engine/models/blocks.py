"""GGUF blocks as stored, on the CPU: a quarter to a half of bf16's bytes a weight, and the file's values.

A `BlockWeight` is one logical matrix made of row-stacked parts (q/k/v stack into one even when their
formats differ). Up to 8 activation rows go through the C kernel (`CpuMatvec.gguf`), which decodes
each block in registers and meets the bf16 activations there; longer prefill chunks dequantize the
matrix to bf16 once per call and use torch's matrix product; embedding rows are dequantized by id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from kog.kernels.cpu import GGUF_CODES, MAX_ROWS, CpuMatvec

# A DualWeight's passes of up to this many rows read the blocks, longer ones the bf16 copy (one CPU's
# costs, 1.5B at 1,024 positions, ms a pass of 1 / 2 / 3 rows: blocks 87 / 128 / 235, bf16 168 / 187 /
# 204; bench/cpu_pass_costs.py). Beside a float32 copy (a CPU without bf16 arithmetic, whose kernel
# has the AVX2 integer path for any number of rows) every pass the kernel takes reads the blocks: a
# quarter of the float32 bytes.
DUAL_BLOCK_ROWS = 2
# Up to this many rows go through the kernel, 8 at a time; more dequantize the matrix once for a bf16
# matrix product (a fixed cost of a pass over every weight, worth it past ~3 kernel passes).
KERNEL_MAX_ROWS = 3 * MAX_ROWS
BLOCK_PREFILL_CHUNK = 2048  # prompt tokens a prefill step takes (each step dequantizes every matrix)


@dataclass(frozen=True)
class BlockPart:
    qtype: str
    blocks: np.ndarray  # uint8 [rows, bytes_per_row], C-contiguous (a view of the file's mapping)

    @property
    def rows(self) -> int:
        return self.blocks.shape[0]


class BlockWeight:
    """[out_features, in_features] of GGUF blocks (Q8_0, Q5_0, Q4_1, Q4_K, Q6_K) on the CPU."""

    def __init__(self, parts: list[BlockPart], in_features: int, kernel: CpuMatvec):
        if not parts:
            raise ValueError("a block weight needs at least one part")
        for part in parts:
            if part.qtype not in GGUF_CODES:
                raise ValueError(f"the CPU kernel reads {', '.join(GGUF_CODES)} blocks, not {part.qtype}")
        self.parts, self.in_features, self.kernel = parts, in_features, kernel
        self.out_features = sum(p.rows for p in parts)
        self._stack = None  # the kernel's binding of the parts, made on first use

    @classmethod
    def of(cls, qtype: str, blocks: np.ndarray, in_features: int, kernel: CpuMatvec) -> BlockWeight:
        return cls([BlockPart(qtype, np.ascontiguousarray(blocks))], in_features, kernel)

    @classmethod
    def cat(cls, weights: list[BlockWeight]) -> BlockWeight:
        """The weights' rows stacked in order (one matrix to the decoder; one kernel call a part)."""
        if len({w.in_features for w in weights}) != 1:
            raise ValueError("stacked block weights need one width")
        return cls([p for w in weights for p in w.parts], weights[0].in_features, weights[0].kernel)

    @property
    def shape(self) -> torch.Size:
        return torch.Size((self.out_features, self.in_features))

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    @property
    def nbytes(self) -> int:
        return sum(p.blocks.nbytes for p in self.parts)

    def to(self, device: torch.device | str) -> BlockWeight:
        if torch.device(device).type != "cpu":
            raise ValueError("block weights are the CPU path (the GPU has its own quantized kernels)")
        return self

    def matmul(self, x: torch.Tensor) -> torch.Tensor:
        """x [n, in_features] -> bf16 [n, out_features]."""
        x = x.to(torch.bfloat16).contiguous()
        n = x.shape[0]
        if n > KERNEL_MAX_ROWS:  # prefill: one dequantization, then the matrix product
            return F.linear(x, self.dequantize())
        if self._stack is None:
            self._stack = self.kernel.stack([(p.qtype, p.blocks) for p in self.parts], self.in_features)
        if n <= MAX_ROWS:
            return self._stack(x)
        out = torch.empty(n, self.out_features, dtype=torch.bfloat16)
        for first in range(0, n, MAX_ROWS):
            self._stack(x[first : first + MAX_ROWS], out[first : first + MAX_ROWS])
        return out

    def dequantize(self) -> torch.Tensor:
        """The whole matrix as bf16."""
        out = torch.empty(self.out_features, self.in_features, dtype=torch.bfloat16)
        row = 0
        for part in self.parts:
            self.kernel.dequantize(part.blocks, part.qtype, self.in_features, out[row : row + part.rows])
            row += part.rows
        return out

    def rows(self, ids: torch.Tensor, dtype: torch.dtype = torch.bfloat16) -> torch.Tensor:
        """Embedding lookup: rows `ids` dequantized (a single-part matrix, as embedding tables are)."""
        if len(self.parts) != 1:
            raise ValueError("row lookup takes a single-part block weight")
        part = self.parts[0]
        flat = ids.reshape(-1)
        out = torch.empty(flat.numel(), self.in_features, dtype=torch.bfloat16)
        self.kernel.dequantize(part.blocks, part.qtype, self.in_features, out, ids=flat)
        return out.reshape(*ids.shape, self.in_features).to(dtype)


class DualWeight:
    """One matrix held twice on the CPU: the file's blocks, which decode steps and passes of up to
    `block_rows` rows read through the kernel (a half or less of bf16's bytes), and a dense copy for
    longer passes and prefill: bf16 where the CPU computes it (torch's product over bf16 weights,
    oneDNN on AMX where the CPU has it, beats decoding the blocks for every row there), else float32."""

    def __init__(self, dense: torch.Tensor, blocks: BlockWeight, block_rows: int = DUAL_BLOCK_ROWS):
        if tuple(dense.shape) != tuple(blocks.shape):
            raise ValueError(f"the two copies differ in shape: {tuple(dense.shape)}, {tuple(blocks.shape)}")
        self.dense, self.blocks, self.block_rows = dense, blocks, block_rows

    def pick(self, rows: int) -> torch.Tensor | BlockWeight:
        return self.blocks if rows <= self.block_rows else self.dense

    @classmethod
    def cat(cls, weights: list[DualWeight]) -> DualWeight:
        dense, blocks = torch.cat([w.dense for w in weights]), BlockWeight.cat([w.blocks for w in weights])
        return cls(dense, blocks, min(w.block_rows for w in weights))

    def rows(self, ids: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
        """Embedding lookup (and an LM head's rows): from the dense copy, in its dtype unless told."""
        return self.dense[ids].to(dtype or self.dense.dtype)

    @property
    def shape(self) -> torch.Size:
        return self.dense.shape

    @property
    def device(self) -> torch.device:
        return self.dense.device

    def to(self, device: torch.device | str) -> DualWeight:
        if torch.device(device).type != "cpu":
            raise ValueError("dual weights are the CPU path")
        return self
