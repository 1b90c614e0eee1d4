"""Argument checks shared by the kernel wrappers: a wrong tensor fails here, not as a bad address."""

from __future__ import annotations

import torch

from kog.kernels.build import MAX_ROWS


def check(cond: bool, message: str) -> None:
    if not cond:
        raise ValueError(message)


def check_weight(w: torch.Tensor, name: str, k: int | None = None) -> None:
    check(w.is_cuda and w.dtype == torch.bfloat16 and w.dim() == 2, f"{name} must be a 2-d bf16 CUDA tensor")
    check(w.is_contiguous(), f"{name} must be contiguous")
    check(w.shape[1] % 8 == 0, f"{name}: in_features must be a multiple of 8, got {w.shape[1]}")
    if k is not None:
        check(w.shape[1] == k, f"{name}: expected {k} in_features, got {w.shape[1]}")


def check_vector(v: torch.Tensor | None, name: str, size: int) -> None:
    if v is None:
        return
    check(v.is_cuda and v.dtype == torch.bfloat16 and v.numel() == size, f"{name} must be {size} bf16 values")
    check(v.is_contiguous(), f"{name} must be contiguous")


def check_activations(x: torch.Tensor, name: str) -> tuple[int, int]:
    check(x.is_cuda and x.dtype == torch.float32 and x.dim() == 2, f"{name} must be a 2-d fp32 CUDA tensor")
    check(x.is_contiguous(), f"{name} must be contiguous")
    n, k = x.shape
    check(1 <= n <= MAX_ROWS, f"{name}: 1..{MAX_ROWS} rows per launch, got {n}")
    check(k % 8 == 0, f"{name}: width must be a multiple of 8, got {k}")
    return n, k


def check_out(out: torch.Tensor, shape: tuple[int, ...], dtype: torch.dtype, name: str) -> None:
    check(tuple(out.shape) == shape and out.dtype == dtype, f"{name} must be {dtype} of shape {shape}")
    check(out.is_contiguous(), f"{name} must be contiguous")
