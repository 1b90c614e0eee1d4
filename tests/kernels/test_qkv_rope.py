"""RMSNorm + q/k/v with bias + RoPE + KV-cache write against the torch reference."""

from __future__ import annotations

import pytest
import torch
from kernel_testing import activations, bf16_weights, gpu, poisoned, rel_err

from kog.kernels import apply_rope_reference, qkv_rope, qkv_rope_reference, rope_cache_write, rope_inv_freq

pytestmark = gpu

# (hidden, n_heads, n_kv, head_dim): 0.5B, 1.5B, then odd groupings
CONFIGS = [(896, 14, 2, 64), (1536, 12, 2, 128), (64, 2, 1, 32), (264, 5, 5, 16), (512, 8, 1, 256)]


@pytest.mark.parametrize("hidden,n_heads,n_kv,head_dim", CONFIGS)
@pytest.mark.parametrize("n,start", [(1, 0), (1, 4321), (4, 17), (8, 30000)])
@pytest.mark.parametrize("bias", [True, False])
def test_qkv_rope(hidden, n_heads, n_kv, head_dim, n, start, bias):
    max_seq = 32768
    wq, wk, wv = (bf16_weights(h * head_dim, hidden, seed=s) for s, h in ((1, n_heads), (2, n_kv), (3, n_kv)))
    biases = [
        torch.randn(w.shape[0], device="cuda").to(torch.bfloat16) if bias else None for w in (wq, wk, wv)
    ]
    x = activations(n, hidden, seed=4) * 2
    norm = (torch.rand(hidden, device="cuda") + 0.5).to(torch.bfloat16)
    inv_freq = rope_inv_freq(head_dim, 1e6, "cuda")
    state = torch.tensor([start, 0], dtype=torch.int32, device="cuda")
    q_out = poisoned(n, n_heads * head_dim)
    k_cache = poisoned(n_kv, max_seq, head_dim, dtype=torch.bfloat16)
    v_cache = poisoned(n_kv, max_seq, head_dim, dtype=torch.bfloat16)
    qkv_rope(wq, wk, wv, *biases, x, norm, 1e-6, inv_freq, state, q_out, k_cache, v_cache)
    q, k, v = qkv_rope_reference(wq, wk, wv, *biases, x, norm, 1e-6, inv_freq, start, head_dim)
    assert rel_err(q_out, q) < 1e-4
    written = slice(start, start + n)
    assert rel_err(k_cache[:, written].transpose(0, 1), k) < 8e-3  # cache entries are rounded to bf16
    assert rel_err(v_cache[:, written].transpose(0, 1), v) < 8e-3
    assert (
        torch.isnan(k_cache[:, :start].float()).all() and torch.isnan(v_cache[:, start + n :].float()).all()
    )


@pytest.mark.parametrize("hidden,n_heads,n_kv,head_dim", CONFIGS)
@pytest.mark.parametrize("n,start", [(1, 0), (1, 4321), (5, 30000), (8, 17)])
def test_rope_cache_write_of_separate_projections(hidden, n_heads, n_kv, head_dim, n, start):
    """RoPE and the cache write alone, for q/k/v made elsewhere: q and k one stacked buffer, v its own."""
    max_seq = 32768
    q_size, kv_size = n_heads * head_dim, n_kv * head_dim
    qk = torch.randn(8, q_size + kv_size, device="cuda")  # more rows than used: strided views
    v = torch.randn(8, kv_size + 3, device="cuda")
    inv_freq = rope_inv_freq(head_dim, 1e6, "cuda")
    state = torch.tensor([start, 0], dtype=torch.int32, device="cuda")
    q_out = poisoned(8, q_size)
    k_cache = poisoned(n_kv, max_seq, head_dim, dtype=torch.bfloat16)
    v_cache = poisoned(n_kv, max_seq, head_dim, dtype=torch.bfloat16)
    rope_cache_write(qk, qk[:, q_size:], v, inv_freq, state, q_out, k_cache, v_cache, n)
    positions = torch.arange(start, start + n, device="cuda")
    q = apply_rope_reference(qk[:n, :q_size].view(n, n_heads, head_dim), positions, inv_freq).reshape(n, -1)
    k = apply_rope_reference(qk[:n, q_size:].view(n, n_kv, head_dim), positions, inv_freq)
    assert rel_err(q_out[:n], q) < 1e-5
    assert torch.isnan(q_out[n:]).all()
    written = slice(start, start + n)
    assert rel_err(k_cache[:, written].transpose(0, 1), k) < 8e-3
    assert rel_err(v_cache[:, written].transpose(0, 1), v[:n, :kv_size].view(n, n_kv, head_dim)) < 8e-3
    assert (
        torch.isnan(k_cache[:, :start].float()).all() and torch.isnan(v_cache[:, start + n :].float()).all()
    )
