"""LM head with the final RMSNorm and the greedy argmax fused: logits and token ids stay on the device."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from kog.kernels.build import MAX_ROWS, load_kernel
from kog.kernels.checks import check, check_activations, check_out, check_vector, check_weight
from kog.kernels.gemv_launch import THREADS, grid_blocks, shared_mem_plan
from kog.kernels.launch import f32, i32, launch, ptr, sm_count
from kog.kernels.rmsnorm import rms_norm_reference

Zeros = Callable[[int, torch.dtype], torch.Tensor]
BLOCKS_PER_SM = 8  # upper bound on the grid (the kernel loops over the vocabulary), one partial each


@dataclass(frozen=True)
class DecodeBookkeeping:
    """Where a decode step leaves its token: next step's input, the history, and the advanced counters.

    state: int32 [>= 2] (state[0] position of the next input, state[1] tokens decoded); next_ids: int32
    buffer the next step embeds; history: int32 [history_len] ring of decoded tokens.
    """

    state: torch.Tensor
    next_ids: torch.Tensor
    history: torch.Tensor

    def args(self) -> list:
        return [ptr(self.state), ptr(self.next_ids), ptr(self.history), i32(self.history.numel())]

    @staticmethod
    def none_args() -> list:
        return [ptr(None), ptr(None), ptr(None), i32(1)]


@dataclass(frozen=True)
class ArgmaxWorkspace:
    part_val: torch.Tensor  # [MAX_ROWS * blocks] fp32
    part_idx: torch.Tensor  # [MAX_ROWS * blocks] int32
    counter: torch.Tensor  # [1] int32, zero between launches (the kernel resets it)
    blocks: int

    @classmethod
    def allocate(cls, device: torch.device, zeros: Zeros | None = None) -> ArgmaxWorkspace:
        """`zeros(n, dtype)`: where the buffers come from (default: their own allocations)."""
        zeros = zeros or (lambda n, dtype: torch.zeros(n, dtype=dtype, device=device))
        blocks = (
            sm_count(device.index if device.index is not None else torch.cuda.current_device())
            * BLOCKS_PER_SM
        )
        return cls(
            part_val=zeros(MAX_ROWS * blocks, torch.float32),
            part_idx=zeros(MAX_ROWS * blocks, torch.int32),
            counter=zeros(1, torch.int32),
            blocks=blocks,
        )


def check_pick_outputs(
    logits: torch.Tensor, ids_out: torch.Tensor, n: int, vocab: int, bookkeeping: DecodeBookkeeping | None
) -> None:
    """The outputs of an LM head with the greedy pick fused, for n rows."""
    check_out(logits, (n, vocab), torch.float32, "logits")
    check(ids_out.dtype == torch.int32 and ids_out.numel() >= n, "ids_out must hold n int32")
    check(bookkeeping is None or n == 1, "decode bookkeeping is for one row")


def lm_head_argmax(
    w: torch.Tensor,
    x: torch.Tensor,
    norm: torch.Tensor,
    eps: float,
    logits: torch.Tensor,
    ids_out: torch.Tensor,
    workspace: ArgmaxWorkspace,
    *,
    bookkeeping: DecodeBookkeeping | None = None,
    pdl: bool = False,
) -> None:
    """logits[r] = w @ n(x[r]); ids_out[r] = argmax(logits[r]); with `bookkeeping`, the decode step advances."""
    n, k = check_activations(x, "x")
    check_weight(w, "w", k)
    check_vector(norm, "norm", k)
    vocab = w.shape[0]
    check_pick_outputs(logits, ids_out, n, vocab, bookkeeping)
    smem, _ = shared_mem_plan(n, k, norm=True)
    kernel = load_kernel("lm_head.cu", "lm_head_argmax", n)
    blocks = min(workspace.blocks, grid_blocks(-(-vocab // 2), smem, kernel=kernel))
    args = [
        ptr(w), ptr(x), ptr(norm), f32(eps), ptr(logits), i32(vocab), i32(k),
        ptr(workspace.part_val), ptr(workspace.part_idx), ptr(workspace.counter), ptr(ids_out),
    ]  # fmt: skip
    args += bookkeeping.args() if bookkeeping is not None else DecodeBookkeeping.none_args()
    launch(kernel, (blocks, 1, 1), (THREADS, 1, 1), args, shared_mem=smem, pdl=pdl)


def lm_head_argmax_reference(
    w: torch.Tensor, x: torch.Tensor, norm: torch.Tensor, eps: float
) -> tuple[torch.Tensor, torch.Tensor]:
    logits = rms_norm_reference(x, norm, eps) @ w.float().T
    return logits, logits.argmax(-1)
