"""Layer pieces for weights without a fused kernel (any `LinearWeight` that is not `Bf16Linear`).

Torch ops around the weight's own `matvec`; all on the device and free of host syncs, so they are
captured in the decode graph like the fused kernels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from kog.engine.config import ModelConfig
from kog.engine.cuda.buffers import DecodeBuffers
from kog.engine.cuda.linear import LinearWeight
from kog.engine.cuda.weights import LayerWeights
from kog.kernels import apply_rope_reference, rms_norm_reference


def _project(w: LinearWeight, h: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    y = w.matvec(h).float()
    return y + bias.float() if bias is not None else y


def attention_input(cfg: ModelConfig, layer: LayerWeights, index: int, bufs: DecodeBuffers, n: int) -> None:
    """q into bufs.q, RoPE'd k and v into the layer's cache at positions state[0] .. state[0]+n-1."""
    h = rms_norm_reference(bufs.x[:n], layer.attn_norm, cfg.rms_eps).to(torch.bfloat16)
    positions = bufs.state[:1].long() + torch.arange(n, device=h.device)
    q = _project(layer.q, h, layer.q_bias).view(n, cfg.n_heads, cfg.head_dim)
    k = _project(layer.k, h, layer.k_bias).view(n, cfg.n_kv_heads, cfg.head_dim)
    v = _project(layer.v, h, layer.v_bias).view(n, cfg.n_kv_heads, cfg.head_dim)
    bufs.q[:n].copy_(apply_rope_reference(q, positions, bufs.inv_freq).view(n, -1))
    k = apply_rope_reference(k, positions, bufs.inv_freq)
    bufs.k_cache[index].index_copy_(1, positions, k.transpose(0, 1).to(torch.bfloat16))
    bufs.v_cache[index].index_copy_(1, positions, v.transpose(0, 1).to(torch.bfloat16))


def mlp_input(cfg: ModelConfig, layer: LayerWeights, bufs: DecodeBuffers, n: int) -> None:
    """silu(gate) * up of the normed residual into bufs.mlp."""
    h = rms_norm_reference(bufs.x[:n], layer.mlp_norm, cfg.rms_eps).to(torch.bfloat16)
    bufs.mlp[:n].copy_(F.silu(layer.gate.matvec(h).float()) * layer.up.matvec(h).float())


def add_linear(w: LinearWeight, src: torch.Tensor, x: torch.Tensor) -> None:
    """x += w @ src (the residual add after o_proj / down_proj)."""
    x.add_(w.matvec(src.to(torch.bfloat16)).float())


def lm_head_logits(
    cfg: ModelConfig, lm_head: LinearWeight, norm: torch.Tensor, bufs: DecodeBuffers, n: int
) -> None:
    h = rms_norm_reference(bufs.x[:n], norm, cfg.rms_eps).to(torch.bfloat16)
    bufs.logits[:n].copy_(lm_head.matvec(h).float())
