"""The MLP's first half in one kernel: RMSNorm, gate and up projections, SiLU(gate) * up."""

from __future__ import annotations

import torch

from kog.kernels.build import load_kernel
from kog.kernels.checks import check, check_activations, check_out, check_vector, check_weight
from kog.kernels.gemv_launch import THREADS, grid_blocks, shared_mem_plan
from kog.kernels.launch import f32, i32, launch, ptr
from kog.kernels.rmsnorm import rms_norm_reference


def gate_up_silu(
    w_gate: torch.Tensor,
    w_up: torch.Tensor,
    x: torch.Tensor,
    norm: torch.Tensor,
    eps: float,
    *,
    out: torch.Tensor | None = None,
    pdl: bool = False,
) -> torch.Tensor:
    """out[r] = silu(w_gate @ n(x[r])) * (w_up @ n(x[r])), n = RMSNorm with `norm`; fp32 [n, inter]."""
    n, k = check_activations(x, "x")
    check_weight(w_gate, "w_gate", k)
    check_weight(w_up, "w_up", k)
    check(w_gate.shape == w_up.shape, "gate and up projections must have the same shape")
    check_vector(norm, "norm", k)
    inter = w_gate.shape[0]
    if out is None:
        out = torch.empty(n, inter, dtype=torch.float32, device=x.device)
    check_out(out, (n, inter), torch.float32, "out")
    smem, _ = shared_mem_plan(n, k, norm=True)
    kernel = load_kernel("gate_up.cu", "gate_up_silu_norm", n)
    blocks = grid_blocks(inter, smem, kernel=kernel)
    args = [ptr(w_gate), ptr(w_up), ptr(x), ptr(norm), f32(eps), ptr(out), i32(inter), i32(k)]
    launch(kernel, (blocks, 1, 1), (THREADS, 1, 1), args, shared_mem=smem, pdl=pdl)
    return out


def gate_up_silu_reference(
    w_gate: torch.Tensor, w_up: torch.Tensor, x: torch.Tensor, norm: torch.Tensor, eps: float
) -> torch.Tensor:
    xn = rms_norm_reference(x, norm, eps)
    return torch.nn.functional.silu(xn @ w_gate.float().T) * (xn @ w_up.float().T)
