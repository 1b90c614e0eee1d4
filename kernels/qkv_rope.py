"""Attention's input side in one kernel: RMSNorm, q/k/v projections with bias, RoPE, KV-cache write
(and `rope_cache_write`, the RoPE and cache write alone for projections made by other kernels)."""

from __future__ import annotations

import torch

from kog.kernels.build import load_kernel
from kog.kernels.checks import check, check_activations, check_out, check_vector, check_weight
from kog.kernels.gemv_launch import THREADS, grid_blocks, shared_mem_plan
from kog.kernels.launch import f32, i32, launch, ptr
from kog.kernels.rmsnorm import rms_norm_reference


def rope_inv_freq(head_dim: int, theta: float, device: torch.device | str = "cpu") -> torch.Tensor:
    """theta^(-2i/head_dim) for i < head_dim/2, fp32, computed the way Hugging Face's Qwen2/Llama do."""
    exponents = torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim
    return (1.0 / (theta**exponents)).to(device)


def apply_rope_reference(x: torch.Tensor, positions: torch.Tensor, inv_freq: torch.Tensor) -> torch.Tensor:
    """Rotate-half (NeoX) RoPE. x: [n, heads, head_dim]; positions: [n]."""
    angles = positions.float()[:, None] * inv_freq.float()[None, :]  # [n, head_dim/2]
    cos, sin = angles.cos()[:, None, :], angles.sin()[:, None, :]
    x1, x2 = x.float().chunk(2, dim=-1)
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


def qkv_rope(
    wq: torch.Tensor,
    wk: torch.Tensor,
    wv: torch.Tensor,
    bq: torch.Tensor | None,
    bk: torch.Tensor | None,
    bv: torch.Tensor | None,
    x: torch.Tensor,
    norm: torch.Tensor,
    eps: float,
    inv_freq: torch.Tensor,
    state: torch.Tensor,
    q_out: torch.Tensor,
    k_cache: torch.Tensor,
    v_cache: torch.Tensor,
    *,
    pdl: bool = False,
) -> None:
    """q_out[r] = RoPE(wq @ n(x[r]) + bq); k/v of row r go to the caches at position state[0] + r.

    k_cache, v_cache: bf16 [n_kv, max_seq, head_dim] (one layer); state: device int32, state[0] = position
    of row 0 (read when the kernel runs, so a captured graph follows it).
    """
    n, k = check_activations(x, "x")
    n_kv, max_seq, head_dim = k_cache.shape
    check(head_dim % 16 == 0, f"head_dim must be a multiple of 16, got {head_dim}")
    check(tuple(v_cache.shape) == tuple(k_cache.shape), "k and v caches must have the same shape")
    for cache, name in ((k_cache, "k_cache"), (v_cache, "v_cache")):
        check(cache.dtype == torch.bfloat16 and cache.is_contiguous(), f"{name} must be contiguous bf16")
    for w, name in ((wq, "wq"), (wk, "wk"), (wv, "wv")):
        check_weight(w, name, k)
    check(
        wq.shape[0] % head_dim == 0 and wk.shape[0] == n_kv * head_dim == wv.shape[0], "q/k/v shapes disagree"
    )
    n_heads = wq.shape[0] // head_dim
    for b, size, name in (
        (bq, n_heads * head_dim, "bq"),
        (bk, n_kv * head_dim, "bk"),
        (bv, n_kv * head_dim, "bv"),
    ):
        check_vector(b, name, size)
    check_vector(norm, "norm", k)
    check(inv_freq.dtype == torch.float32 and inv_freq.numel() == head_dim // 2, "inv_freq: head_dim/2 fp32")
    check(state.dtype == torch.int32 and state.is_cuda, "state must be a device int32 tensor")
    check_out(q_out, (n, n_heads * head_dim), torch.float32, "q_out")
    pairs = (n_heads + 2 * n_kv) * head_dim // 2
    smem, _ = shared_mem_plan(n, k, norm=True)
    kernel = load_kernel("qkv_rope.cu", "qkv_rope_norm", n)
    blocks = grid_blocks(pairs, smem, kernel=kernel)
    args = [
        ptr(wq), ptr(wk), ptr(wv), ptr(bq), ptr(bk), ptr(bv), ptr(x), ptr(norm), f32(eps), ptr(inv_freq),
        ptr(state), ptr(q_out), ptr(k_cache), ptr(v_cache),
        i32(n_heads), i32(n_kv), i32(head_dim), i32(max_seq), i32(k),
    ]  # fmt: skip
    launch(kernel, (blocks, 1, 1), (THREADS, 1, 1), args, shared_mem=smem, pdl=pdl)


def _rows_view(t: torch.Tensor, n: int, width: int, name: str) -> int:
    """Row stride of t, an fp32 [>= n, >= width] CUDA view whose rows are contiguous."""
    check(t.is_cuda and t.dtype == torch.float32 and t.dim() == 2, f"{name} must be a 2-d fp32 CUDA tensor")
    check(t.shape[0] >= n and t.shape[1] >= width and t.stride(1) == 1, f"{name}: need [{n}, {width}] rows")
    return t.stride(0)


def check_rope_targets(
    q_out: torch.Tensor,
    k_cache: torch.Tensor,
    v_cache: torch.Tensor,
    inv_freq: torch.Tensor,
    state: torch.Tensor,
    n: int,
) -> tuple[int, int, int, int]:
    """Checks where RoPE'd q and the cache rows of n tokens go; (n_heads, n_kv, head_dim, max_seq)."""
    n_kv, max_seq, head_dim = k_cache.shape
    check(head_dim % 2 == 0 and tuple(v_cache.shape) == tuple(k_cache.shape), "k/v caches disagree")
    for cache, name in ((k_cache, "k_cache"), (v_cache, "v_cache")):
        check(cache.dtype == torch.bfloat16 and cache.is_contiguous(), f"{name} must be contiguous bf16")
    check(q_out.dim() == 2 and q_out.shape[1] % head_dim == 0, "q_out: [rows, n_heads * head_dim]")
    n_heads = q_out.shape[1] // head_dim
    check_out(q_out[:n], (n, n_heads * head_dim), torch.float32, "q_out")
    check(inv_freq.dtype == torch.float32 and inv_freq.numel() == head_dim // 2, "inv_freq: head_dim/2 fp32")
    check(state.dtype == torch.int32 and state.is_cuda, "state must be a device int32 tensor")
    return n_heads, n_kv, head_dim, max_seq


def rope_cache_write(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    inv_freq: torch.Tensor,
    state: torch.Tensor,
    q_out: torch.Tensor,
    k_cache: torch.Tensor,
    v_cache: torch.Tensor,
    n: int,
    *,
    pdl: bool = False,
) -> None:
    """`qkv_rope`'s second half for projections made elsewhere: q_out[r] = RoPE(q[r]); RoPE(k[r]) and v[r]
    go to the caches at position state[0] + r. q, k, v: fp32 [n, width] views (any row stride)."""
    n_heads, n_kv, head_dim, max_seq = check_rope_targets(q_out, k_cache, v_cache, inv_freq, state, n)
    strides = [
        _rows_view(t, n, width, name)
        for t, width, name in (
            (q, n_heads * head_dim, "q"),
            (k, n_kv * head_dim, "k"),
            (v, n_kv * head_dim, "v"),
        )
    ]
    total = n * (n_heads + 2 * n_kv) * head_dim // 2
    args = [
        ptr(q), i32(strides[0]), ptr(k), i32(strides[1]), ptr(v), i32(strides[2]), ptr(inv_freq), ptr(state),
        ptr(q_out), ptr(k_cache), ptr(v_cache), i32(n_heads), i32(n_kv), i32(head_dim), i32(max_seq), i32(n),
    ]  # fmt: skip
    launch(
        load_kernel("qkv_rope.cu", "rope_cache_write"), (-(-total // 256), 1, 1), (256, 1, 1), args, pdl=pdl
    )


def qkv_rope_reference(
    wq: torch.Tensor,
    wk: torch.Tensor,
    wv: torch.Tensor,
    bq: torch.Tensor | None,
    bk: torch.Tensor | None,
    bv: torch.Tensor | None,
    x: torch.Tensor,
    norm: torch.Tensor,
    eps: float,
    inv_freq: torch.Tensor,
    start_pos: int,
    head_dim: int,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(q [n, n_heads*head_dim], k [n, n_kv, head_dim], v [n, n_kv, head_dim]) in fp32, RoPE on q and k."""
    xn = rms_norm_reference(x, norm, eps)
    n = x.shape[0]
    positions = torch.arange(start_pos, start_pos + n, device=x.device)

    def project(w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
        y = xn @ w.float().T
        return (y + b.float() if b is not None else y).view(n, -1, head_dim)

    q = apply_rope_reference(project(wq, bq), positions, inv_freq)
    k = apply_rope_reference(project(wk, bk), positions, inv_freq)
    return q.reshape(n, -1), k, project(wv, bv)
