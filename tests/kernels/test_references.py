"""The plain-torch references that the kernels are checked against, checked on the CPU."""

from __future__ import annotations

import math

import torch

from kog.kernels import (
    apply_rope_reference,
    attention_reference,
    gate_up_silu_reference,
    gemv_reference,
    kept_mask_reference,
    qkv_rope_reference,
    rms_norm_reference,
    rope_inv_freq,
    sample_tokens_reference,
)


def test_rms_norm_has_unit_rms_before_the_weight():
    x = torch.randn(3, 64) * 7
    y = rms_norm_reference(x, torch.ones(64), 1e-6)
    assert torch.allclose(y.pow(2).mean(-1), torch.ones(3), atol=1e-4)
    w = torch.rand(64)
    assert torch.allclose(rms_norm_reference(x, w, 1e-6), y * w, atol=1e-6)


def test_gemv_reference_is_the_row_dot_products():
    w, x, b, res = torch.randn(5, 16), torch.randn(2, 16), torch.randn(5), torch.randn(2, 5)
    y = gemv_reference(w, x, bias=b, residual=res)
    for r in range(2):
        for o in range(5):
            assert math.isclose(
                y[r, o].item(), (w[o] @ x[r] + b[o] + res[r, o]).item(), rel_tol=1e-5, abs_tol=1e-5
            )


def test_gate_up_reference_is_silu_gate_times_up():
    wg, wu, x, g = torch.randn(7, 16), torch.randn(7, 16), torch.randn(3, 16), torch.rand(16)
    xn = rms_norm_reference(x, g, 1e-6)
    gate = xn @ wg.T
    want = gate / (1 + torch.exp(-gate)) * (xn @ wu.T)
    assert torch.allclose(gate_up_silu_reference(wg, wu, x, g, 1e-6), want, atol=1e-5)


def test_rope_reference_is_a_complex_rotation_of_the_two_halves():
    head_dim, theta = 16, 10000.0
    inv_freq = rope_inv_freq(head_dim, theta)
    x = torch.randn(4, 3, head_dim)
    positions = torch.tensor([0, 1, 7, 1000])
    got = apply_rope_reference(x, positions, inv_freq)
    z = torch.complex(x[..., : head_dim // 2].double(), x[..., head_dim // 2 :].double())
    angle = positions.double()[:, None, None] * (theta ** (-torch.arange(0, head_dim, 2).double() / head_dim))
    rotated = z * torch.exp(1j * angle)
    want = torch.cat([rotated.real, rotated.imag], dim=-1)
    assert torch.allclose(got.double(), want, atol=1e-3)
    assert torch.allclose(apply_rope_reference(x, torch.zeros(4, dtype=torch.long), inv_freq), x)


def test_qkv_reference_shapes_and_unrotated_v():
    hidden, head_dim, n_heads, n_kv = 32, 8, 4, 2
    wq, wk, wv = (
        torch.randn(n_heads * head_dim, hidden),
        torch.randn(n_kv * head_dim, hidden),
        torch.randn(16, hidden),
    )
    bq, bk, bv = torch.randn(32), torch.randn(16), torch.randn(16)
    x, norm = torch.randn(3, hidden), torch.rand(hidden)
    q, k, v = qkv_rope_reference(
        wq, wk, wv, bq, bk, bv, x, norm, 1e-6, rope_inv_freq(head_dim, 1e6), 5, head_dim
    )
    assert q.shape == (3, 32) and k.shape == (3, 2, 8) and v.shape == (3, 2, 8)
    xn = rms_norm_reference(x, norm, 1e-6)
    assert torch.allclose(v, (xn @ wv.T + bv).view(3, 2, 8), atol=1e-5)


def test_attention_reference_matches_a_per_query_loop():
    n_kv, head_dim, n_heads, start, n = 2, 8, 6, 9, 3
    k_cache = torch.randn(n_kv, 20, head_dim).to(torch.bfloat16)
    v_cache = torch.randn(n_kv, 20, head_dim).to(torch.bfloat16)
    q = torch.randn(n, n_heads * head_dim)
    got = attention_reference(q, k_cache, v_cache, start).view(n, n_heads, head_dim)
    for r in range(n):
        for h in range(n_heads):
            kv = h // (n_heads // n_kv)
            keys = k_cache[kv, : start + r + 1].float()
            p = torch.softmax(keys @ q.view(n, n_heads, head_dim)[r, h] / math.sqrt(head_dim), dim=0)
            want = p @ v_cache[kv, : start + r + 1].float()
            assert torch.allclose(got[r, h], want, atol=1e-5)


def test_top_p_keeps_the_smallest_set_reaching_p():
    logits = torch.tensor([[4.0, 3.0, 2.0, 1.0, 0.0]])
    probs = torch.softmax(logits, -1)[0]
    keep = kept_mask_reference(logits, 1.0, 0.8, 0)[0]
    n_kept = int(keep.sum())
    assert keep[:n_kept].all() and not keep[n_kept:].any()
    assert probs[:n_kept].sum() >= 0.8 > probs[: n_kept - 1].sum()
    assert kept_mask_reference(logits, 1.0, 1.0, 2)[0].tolist() == [True, True, False, False, False]


def test_sample_reference_inverse_cdf_in_vocabulary_order():
    logits = torch.log(torch.tensor([[0.1, 0.2, 0.3, 0.4]]))
    for u, want in ((0.05, 0), (0.15, 1), (0.35, 2), (0.95, 3)):
        assert sample_tokens_reference(logits, 1.0, 1.0, 0, torch.tensor([u])).item() == want
    # top-k 2 keeps tokens 2 and 3 (mass .3 and .4): u = 0.5 lands in token 2's 3/7
    assert sample_tokens_reference(logits, 1.0, 1.0, 2, torch.tensor([0.4])).item() == 2
    assert sample_tokens_reference(logits, 0.0, 1.0, 0, torch.tensor([0.4])).item() == 3
