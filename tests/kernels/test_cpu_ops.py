"""The compiled CPU steps around the products (`cpu_ops.c`: RMSNorm, RoPE + KV-cache write + attention,
SiLU * up) in bf16 and float32 against the plain-torch decoder's own functions, and decoders with them
against ones without."""

from __future__ import annotations

import shutil

import pytest
import torch
import torch.nn.functional as F
from kernel_testing import rel_err

from kog.engine.config import ModelConfig
from kog.engine.cuda.bench_models import random_weights
from kog.engine.models.decoder import Decoder, apply_rope, rms_norm, rope_tables
from kog.engine.models.kv_cache import KVCache
from kog.kernels.cpu import CpuMatvec, load_cpu_matvec

pytestmark = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> CpuMatvec:
    return load_cpu_matvec(tmp_path_factory.mktemp("kernels"))


def small_config(heads: int, kv_heads: int, hd: int, layers: int = 1) -> ModelConfig:
    return ModelConfig(
        arch="qwen2", vocab_size=300, hidden_size=heads * hd, intermediate_size=3 * heads * hd,
        n_layers=layers, n_heads=heads, n_kv_heads=kv_heads, head_dim=hd, rope_theta=1e6, rms_eps=1e-6,
        context_length=1024, tie_embeddings=False, qkv_bias=True,
    )  # fmt: skip


def randn(*shape: int, seed: int, scale: float = 1.0, dtype: torch.dtype = torch.bfloat16) -> torch.Tensor:
    return (torch.randn(*shape, generator=torch.Generator().manual_seed(seed)) * scale).to(dtype)


DTYPES = [torch.bfloat16, torch.float32]
# Error against the reference: bf16 rounds where the reference does, float32 differs in the order of
# fp32 sums and in exp's last bits.
TOLERANCE = {torch.bfloat16: 1e-2, torch.float32: 1e-5}


def agree(got: torch.Tensor, want: torch.Tensor) -> None:
    assert got.dtype == want.dtype
    assert rel_err(got, want) < TOLERANCE[got.dtype]
    if got.dtype == torch.bfloat16:
        assert (got == want).float().mean() > 0.97  # sums in another order: a few last-bit roundings


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,d", [(1, 896), (3, 1536), (8, 100)])
def test_rmsnorm_matches_the_decoders(kernel, n, d, dtype):
    x, w = randn(n, d, seed=d, scale=3.0, dtype=dtype), randn(d, seed=d + 1)
    agree(kernel.ops.rmsnorm(x, w.float(), 1e-6), rms_norm(x, w, 1e-6))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n,f", [(1, 4864), (5, 8960), (2, 7)])
def test_silu_mul_matches_torch(kernel, n, f, dtype):
    gate_up = randn(n, 2 * f, seed=f, scale=4.0, dtype=dtype)
    gate, up = gate_up.chunk(2, dim=-1)
    agree(kernel.ops.silu_mul(gate_up), F.silu(gate) * up)


def reference_attention(qkv, cos, sin, k_cache, v_cache, start, heads):
    """The decoder's torch path (Decoder.attention without the projections) on copies of the caches."""
    kv_heads, _, hd = k_cache.shape
    n, group = qkv.shape[0], heads // kv_heads
    k_cache, v_cache = k_cache.clone(), v_cache.clone()
    q, k, v = qkv.split([heads * hd, kv_heads * hd, kv_heads * hd], dim=-1)
    q = q.reshape(n, heads, hd).transpose(0, 1)
    k = k.reshape(n, kv_heads, hd).transpose(0, 1)
    v = v.reshape(n, kv_heads, hd).transpose(0, 1)
    q, k = (
        apply_rope(q, cos[start : start + n], sin[start : start + n]),
        apply_rope(k, cos[start : start + n], sin[start : start + n]),
    )
    k_cache[:, start : start + n], v_cache[:, start : start + n] = k, v
    keys, values = k_cache[:, : start + n], v_cache[:, : start + n]
    mask = torch.ones(n, start + n, dtype=torch.bool).tril(diagonal=start).repeat(group, 1)
    out = F.scaled_dot_product_attention(
        q.reshape(1, kv_heads, group * n, hd), keys[None], values[None], attn_mask=mask
    )
    return out.reshape(heads, n, hd).transpose(0, 1).reshape(n, heads * hd), k_cache, v_cache


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("heads,kv_heads,hd", [(14, 2, 64), (12, 2, 128), (9, 3, 64), (4, 4, 48)])
@pytest.mark.parametrize("n,start", [(1, 0), (1, 600), (4, 37), (8, 300)])
def test_attention_rows_match_the_decoders(kernel, heads, kv_heads, hd, n, start, dtype):
    max_seq = 1024
    cos, sin = rope_tables(small_config(heads, kv_heads, hd), max_seq, "cpu")
    k_cache = randn(kv_heads, max_seq, hd, seed=1, dtype=dtype)
    v_cache = randn(kv_heads, max_seq, hd, seed=2, dtype=dtype)
    qkv = randn(n, (heads + 2 * kv_heads) * hd, seed=3, scale=2.0, dtype=dtype)
    want, want_k, want_v = reference_attention(qkv, cos, sin, k_cache, v_cache, start, heads)
    got = kernel.ops.attention_rows(qkv, cos, sin, k_cache, v_cache, start, heads)
    assert torch.equal(v_cache, want_v)
    if dtype == torch.bfloat16:
        assert torch.equal(k_cache, want_k)  # the same roundings
    else:  # fp32 RoPE: the kernel's products and sum may contract into one fused multiply-add
        assert rel_err(k_cache, want_k) < 1e-6
    assert rel_err(got, want) < TOLERANCE[dtype]


def test_attention_rows_reject_positions_past_the_cache(kernel):
    k_cache = torch.zeros(2, 16, 64, dtype=torch.bfloat16)
    cos = sin = torch.zeros(16, 64)
    qkv = torch.zeros(2, (4 + 4) * 64, dtype=torch.bfloat16)
    with pytest.raises(ValueError, match="past the cache"):
        kernel.ops.attention_rows(qkv, cos, sin, k_cache, k_cache.clone(), 15, 4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_decoder_with_them_matches_one_without(kernel, dtype):
    """Prefill through torch, then decode steps and a 4-row pass through the compiled steps."""
    cfg = small_config(heads=4, kv_heads=2, hd=32, layers=2)
    weights = {k: v.to(dtype) for k, v in random_weights(cfg, "cpu", seed=0).items()}
    ids = torch.randint(0, cfg.vocab_size, (40,), generator=torch.Generator().manual_seed(0))
    logits = []
    for matvec in (None, kernel):
        dec = Decoder(cfg, weights, KVCache(cfg, 64, dtype, "cpu"), matvec)
        dec.hidden(ids[:30], 0)
        steps = [dec.logits(dec.hidden(ids[30 + i : 31 + i], 30 + i)) for i in range(6)]
        steps.append(dec.logits(dec.hidden(ids[36:40], 36)))
        logits.append(torch.cat(steps))
    plain, compiled = logits
    assert rel_err(compiled, plain) < (2e-2 if dtype == torch.bfloat16 else 1e-4)
    assert (compiled.argmax(-1) == plain.argmax(-1)).float().mean() >= (
        0.9 if dtype == torch.bfloat16 else 1.0
    )
