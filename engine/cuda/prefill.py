"""Prompt prefill on the GPU with plain torch ops (cuBLAS GEMMs, SDPA), writing the runner's KV cache.

Matches the decode kernels' numerics where it is free to: fp32 residual stream, fp32 RoPE, bf16 cache.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from kog.engine.config import ModelConfig
from kog.engine.cuda.buffers import DecodeBuffers
from kog.engine.cuda.weights import LayerWeights, ModelWeights
from kog.kernels import apply_rope_reference, rms_norm_reference


def _project(layer_w, h: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    y = layer_w.matvec(h).float()
    return y + bias.float() if bias is not None else y


def _attention(
    cfg: ModelConfig, layer: LayerWeights, index: int, bufs: DecodeBuffers, x: torch.Tensor, start: int
) -> torch.Tensor:
    n = x.shape[0]
    h = rms_norm_reference(x, layer.attn_norm, cfg.rms_eps).to(torch.bfloat16)
    positions = torch.arange(start, start + n, device=x.device)
    q = apply_rope_reference(
        _project(layer.q, h, layer.q_bias).view(n, cfg.n_heads, cfg.head_dim), positions, bufs.inv_freq
    )
    k = apply_rope_reference(
        _project(layer.k, h, layer.k_bias).view(n, cfg.n_kv_heads, cfg.head_dim), positions, bufs.inv_freq
    )
    v = _project(layer.v, h, layer.v_bias).view(n, cfg.n_kv_heads, cfg.head_dim)
    bufs.k_cache[index, :, start : start + n] = k.transpose(0, 1).to(torch.bfloat16)
    bufs.v_cache[index, :, start : start + n] = v.transpose(0, 1).to(torch.bfloat16)
    keys = bufs.k_cache[index, :, : start + n].unsqueeze(0)  # [1, kv_heads, len, head_dim]
    values = bufs.v_cache[index, :, : start + n].unsqueeze(0)
    q = q.transpose(0, 1).unsqueeze(0).to(torch.bfloat16)  # [1, heads, n, head_dim]
    if start == 0:
        out = F.scaled_dot_product_attention(q, keys, values, is_causal=True, enable_gqa=True)
    else:
        mask = torch.ones(n, start + n, dtype=torch.bool, device=x.device).tril(diagonal=start)
        out = F.scaled_dot_product_attention(q, keys, values, attn_mask=mask, enable_gqa=True)
    return out[0].transpose(0, 1).reshape(n, cfg.q_size)


@torch.inference_mode()
def prefill(
    cfg: ModelConfig, w: ModelWeights, bufs: DecodeBuffers, ids: torch.Tensor, start: int, last_only: bool
) -> torch.Tensor:
    """Logits fp32 [n or 1, vocab] of tokens ids (LongTensor [n] on the GPU) at positions start.."""
    x = w.embed_rows(ids)
    for i, layer in enumerate(w.layers):
        x = x + layer.o.matvec(_attention(cfg, layer, i, bufs, x, start)).float()
        h = rms_norm_reference(x, layer.mlp_norm, cfg.rms_eps).to(torch.bfloat16)
        act = F.silu(layer.gate.matvec(h).float()) * layer.up.matvec(h).float()
        x = x + layer.down.matvec(act.to(torch.bfloat16)).float()
    if last_only:
        x = x[-1:]
    return w.lm_head.matvec(rms_norm_reference(x, w.norm, cfg.rms_eps).to(torch.bfloat16)).float()
