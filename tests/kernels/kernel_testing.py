"""Helpers for the kernel tests: the GPU skip, NaN-poisoned outputs and the relative error."""

from __future__ import annotations

import pytest
import torch

from kog.kernels import cuda_kernels_available

gpu = [pytest.mark.gpu, pytest.mark.skipif(not cuda_kernels_available(), reason="needs a CUDA GPU and CuPy")]


def poisoned(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """An output buffer full of NaN, so any element the kernel fails to write fails the comparison."""
    return torch.full(shape, float("nan"), dtype=dtype, device="cuda")


def rel_err(got: torch.Tensor, want: torch.Tensor) -> float:
    got, want = got.double(), want.double()
    if not torch.isfinite(got).all():
        return float("inf")
    return ((got - want).norm() / want.norm().clamp_min(1e-30)).item()


def bf16_weights(rows: int, cols: int, scale: float = 0.05, seed: int = 0) -> torch.Tensor:
    g = torch.Generator(device="cuda").manual_seed(seed)
    return (torch.randn(rows, cols, generator=g, device="cuda") * scale).to(torch.bfloat16)


def activations(n: int, k: int, seed: int = 1) -> torch.Tensor:
    g = torch.Generator(device="cuda").manual_seed(seed)
    return torch.randn(n, k, generator=g, device="cuda")
