"""Embedding rows gathered into the fp32 residual stream."""

from __future__ import annotations

import torch

from kog.kernels.build import load_kernel
from kog.kernels.checks import check, check_out
from kog.kernels.launch import i32, launch, ptr


def embed_rows(
    embed: torch.Tensor, ids: torch.Tensor, n: int, out: torch.Tensor, *, pdl: bool = False
) -> torch.Tensor:
    """out[r] = embed[ids[r]] as fp32 for r < n; ids is a device int32 buffer read at launch time."""
    check(embed.dtype == torch.bfloat16 and embed.is_contiguous(), "embed must be contiguous bf16")
    check(
        ids.dtype == torch.int32 and ids.is_cuda and ids.numel() >= n, "ids must hold n int32 on the device"
    )
    hidden = embed.shape[1]
    check(hidden % 8 == 0, f"hidden size must be a multiple of 8, got {hidden}")
    check_out(out[:n], (n, hidden), torch.float32, "out")
    launch(
        load_kernel("embed.cu", "embed_rows"),
        (1, n, 1),
        (256, 1, 1),
        [ptr(embed), ptr(ids), ptr(out), i32(hidden)],
        pdl=pdl,
    )
    return out


def embed_rows_reference(embed: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    return embed[ids.long()].float()
