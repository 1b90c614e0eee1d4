"""bf16 GEMV (+RMSNorm, bias, residual) against its torch reference over real and odd shapes."""

from __future__ import annotations

import pytest
import torch
from kernel_testing import activations, bf16_weights, gpu, poisoned, rel_err

from kog.kernels import gemv, gemv_reference

pytestmark = gpu

SHAPES = [
    (896, 896), (128, 896), (4864, 896), (896, 4864),  # Qwen2.5-Coder-0.5B
    (1536, 1536), (256, 1536), (8960, 1536), (1536, 8960),  # Qwen2.5-Coder-1.5B
    (1, 8), (7, 24), (33, 72), (4097, 136), (1000, 8968), (5003, 264), (3001, 4104),  # odd
]  # fmt: skip


@pytest.mark.parametrize("rows,k", SHAPES)
@pytest.mark.parametrize("n", [1, 3, 6, 8])
def test_plain(rows, k, n):
    w, x = bf16_weights(rows, k), activations(n, k)
    out = gemv(w, x, out=poisoned(n, rows))
    assert rel_err(out, gemv_reference(w, x)) < 1e-4


@pytest.mark.parametrize(
    "rows,k", [(896, 896), (1536, 1536), (8960, 1536), (1536, 8960), (33, 72), (4097, 136)]
)
@pytest.mark.parametrize("n", [1, 2, 8])
def test_norm_bias_and_in_place_residual(rows, k, n):
    w, x = bf16_weights(rows, k, seed=3), activations(n, k, seed=4) * 3
    norm = (torch.rand(k, device="cuda") + 0.5).to(torch.bfloat16)
    bias = torch.randn(rows, device="cuda").to(torch.bfloat16)
    residual = activations(n, rows, seed=5)
    want = gemv_reference(w, x, norm=norm, eps=1e-6, bias=bias, residual=residual)
    out = residual.clone()
    gemv(w, x, norm=norm, eps=1e-6, bias=bias, residual=out, out=out)
    assert rel_err(out, want) < 1e-4


def test_grid_stride_with_few_blocks():
    w, x = bf16_weights(10007, 264), activations(2, 264)
    out = gemv(w, x, out=poisoned(2, 10007), max_blocks=3)
    assert rel_err(out, gemv_reference(w, x)) < 1e-4


def test_rejects_misaligned_width():
    with pytest.raises(ValueError, match="multiple of 8"):
        gemv(bf16_weights(4, 12), activations(1, 12))
