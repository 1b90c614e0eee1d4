"""bf16 matrix-vector product for 1..8 activation rows, with optional fused RMSNorm, bias and residual."""

from __future__ import annotations

import torch

from kog.kernels.build import load_kernel
from kog.kernels.checks import check, check_activations, check_out, check_vector, check_weight
from kog.kernels.gemv_launch import grid_blocks, rows_per_launch, shared_mem_plan, warps_per_block
from kog.kernels.launch import f32, i32, launch, ptr
from kog.kernels.rmsnorm import rms_norm_reference


def rows_per_warp(out_features: int) -> int:
    # Two rows per warp halve the activation reads; one row per warp gives small matrices more warps.
    return 2 if out_features > 4096 else 1


def gemv(
    w: torch.Tensor,
    x: torch.Tensor,
    *,
    norm: torch.Tensor | None = None,
    eps: float = 1e-6,
    bias: torch.Tensor | None = None,
    residual: torch.Tensor | None = None,
    out: torch.Tensor | None = None,
    max_blocks: int | None = None,
    pdl: bool = False,
) -> torch.Tensor:
    """out[r] = residual[r] + bias + w @ (rms_norm(x[r]) * norm if norm given else x[r]), fp32 out.

    w: bf16 [out_features, k]; x: fp32 [n, k]; `residual` may be `out` itself (in-place add).
    """
    n, k = check_activations(x, "x")
    check_weight(w, "w", k)
    rows = w.shape[0]
    check_vector(norm, "norm", k)
    check_vector(bias, "bias", rows)
    if residual is not None:
        check_out(residual, (n, rows), torch.float32, "residual")
    if out is None:
        out = torch.empty(n, rows, dtype=torch.float32, device=x.device)
    check_out(out, (n, rows), torch.float32, "out")
    check(out.data_ptr() != x.data_ptr(), "out must not alias x")
    r = rows_per_warp(rows)
    name = f"gemv{'_norm' if norm is not None else ''}_r{r}"
    step = rows_per_launch(n, k, norm=norm is not None) or n  # 0: not one row fits, read them from L2
    for start in range(0, n, step):
        stop = min(n, start + step)
        m = stop - start
        groups = -(-rows // r)
        warps = warps_per_block(groups, m, k, norm=norm is not None)
        smem, x_shared = shared_mem_plan(m, k, norm=norm is not None, threads=32 * warps)
        kernel = load_kernel("gemv.cu", name, m)
        blocks = grid_blocks(groups, smem, warps, kernel)
        if max_blocks is not None:
            blocks = min(blocks, max_blocks)
        args = [
            ptr(w),
            ptr(x[start:stop]),
            ptr(norm),
            f32(eps),
            ptr(bias),
            ptr(residual[start:stop] if residual is not None else None),
            ptr(out[start:stop]),
            i32(rows),
            i32(k),
            i32(x_shared),
        ]
        launch(kernel, (blocks, 1, 1), (32 * warps, 1, 1), args, shared_mem=smem, pdl=pdl)
    return out


def gemv_reference(
    w: torch.Tensor,
    x: torch.Tensor,
    *,
    norm: torch.Tensor | None = None,
    eps: float = 1e-6,
    bias: torch.Tensor | None = None,
    residual: torch.Tensor | None = None,
) -> torch.Tensor:
    xin = rms_norm_reference(x, norm, eps) if norm is not None else x.float()
    y = xin @ w.float().T
    if bias is not None:
        y = y + bias.float()
    if residual is not None:
        y = y + residual.float()
    return y
