"""RMSNorm + gate/up projections + SiLU * up against the torch reference."""

from __future__ import annotations

import pytest
import torch
from kernel_testing import activations, bf16_weights, gpu, poisoned, rel_err

from kog.kernels import gate_up_silu, gate_up_silu_reference

pytestmark = gpu


@pytest.mark.parametrize("inter,k", [(4864, 896), (8960, 1536), (24, 16), (333, 72), (1001, 520)])
@pytest.mark.parametrize("n", [1, 3, 8])
def test_gate_up(inter, k, n):
    wg, wu = bf16_weights(inter, k, seed=1), bf16_weights(inter, k, seed=2)
    x = activations(n, k, seed=3) * 2
    norm = (torch.rand(k, device="cuda") + 0.5).to(torch.bfloat16)
    out = gate_up_silu(wg, wu, x, norm, 1e-6, out=poisoned(n, inter))
    assert rel_err(out, gate_up_silu_reference(wg, wu, x, norm, 1e-6)) < 1e-4
