"""Qwen2 and Llama decoders in plain PyTorch: the reference every fast path is tested against."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from kog.engine.config import ModelConfig
from kog.engine.models.blocks import BlockWeight, DualWeight
from kog.engine.models.int8 import Int8Weight
from kog.engine.models.kv_cache import KVCache
from kog.kernels.cpu import MAX_ROWS, CpuMatvec


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    xf = x.float()
    xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
    return (xf * weight.float()).to(x.dtype)


def rope_tables(
    cfg: ModelConfig, max_seq_len: int, device: torch.device | str
) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin: [max_seq, head_dim] in float32, rotate-half layout."""
    inv_freq = 1.0 / (
        cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2, dtype=torch.int64).float() / cfg.head_dim)
    )
    freqs = torch.outer(torch.arange(max_seq_len, dtype=torch.float32), inv_freq)
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos().to(device), emb.sin().to(device)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: [heads, n, head_dim]; cos/sin: [n, head_dim]."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return (x.float() * cos + rotated.float() * sin).to(x.dtype)


def linear(
    x: torch.Tensor,
    weight: torch.Tensor | Int8Weight | BlockWeight | DualWeight,
    bias: torch.Tensor | None = None,
    matvec: CpuMatvec | None = None,
) -> torch.Tensor:
    if isinstance(weight, DualWeight):
        weight = weight.pick(x.shape[0])
    if isinstance(weight, BlockWeight):
        y = weight.matmul(x).to(x.dtype)  # bf16 from the kernel; a float32 model stays float32
        return y + bias if bias is not None else y
    if matvec is not None:
        w, scale = (weight.q, weight.scale) if isinstance(weight, Int8Weight) else (weight, None)
        if matvec.handles(x, w):
            return matvec(x, w, bias, scale=scale)
    if isinstance(weight, Int8Weight):
        y = weight.matmul(x)
        return y + bias if bias is not None else y
    # NOTE: for one row of 16-bit weights on the CPU, torch.mv streams the matrix about twice as fast
    # as F.linear's GEMM path; everything else goes through F.linear.
    if x.shape[0] == 1 and x.device.type == "cpu" and weight.dtype in (torch.bfloat16, torch.float16):
        y = torch.mv(weight, x[0]).unsqueeze(0)
        return y + bias if bias is not None else y
    return F.linear(x, weight, bias)


def fuse_projections(cfg: ModelConfig, weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """q/k/v and gate/up stacked into one matrix each (one pass over the input instead of three or two).
    The separate matrices are dropped from the returned dict."""
    fused = dict(weights)
    for i in range(cfg.n_layers):
        p = f"layers.{i}."
        fused[p + "qkv_proj"] = _cat([fused.pop(p + n) for n in ("q_proj", "k_proj", "v_proj")])
        if cfg.qkv_bias:
            fused[p + "qkv_bias"] = torch.cat([fused.pop(p + n) for n in ("q_bias", "k_bias", "v_bias")])
        fused[p + "gate_up_proj"] = _cat([fused.pop(p + "gate_proj"), fused.pop(p + "up_proj")])
    return fused


def _cat(parts: list) -> torch.Tensor | Int8Weight | BlockWeight | DualWeight:
    if all(isinstance(p, DualWeight) for p in parts):
        return DualWeight.cat(parts)
    parts = [p.dense if isinstance(p, DualWeight) else p for p in parts]  # a stack with a dense part
    blocks = [isinstance(p, BlockWeight) for p in parts]
    if all(blocks):
        return BlockWeight.cat(parts)
    if any(blocks):  # a stack with a dense part (a type the CPU kernel does not read): all dense
        return torch.cat([p.dequantize() if isinstance(p, BlockWeight) else p.bfloat16() for p in parts])
    return Int8Weight.cat(parts) if isinstance(parts[0], Int8Weight) else torch.cat(parts)


class Decoder:
    """Functional decoder over a flat weights dict; `forward` runs n new tokens against the cache."""

    def __init__(
        self,
        cfg: ModelConfig,
        weights: dict[str, torch.Tensor],
        cache: KVCache,
        matvec: CpuMatvec | None = None,
    ):
        self.cfg, self.cache, self.matvec = cfg, cache, matvec
        self.w = fuse_projections(cfg, weights)
        device = weights["embed"].device
        self.cos, self.sin = rope_tables(cfg, cache.max_seq_len, device)
        self.lm_head = weights.get("lm_head", weights["embed"])
        # The compiled CPU steps around the products (norm, RoPE + cache + attention, SiLU * up) for
        # decode steps and verification passes in bf16 or float32; prefill chunks and other dtypes run
        # torch's.
        self.ops = matvec.ops if matvec is not None else None
        self._fp32: dict[str, torch.Tensor] = {}

    def _compiled(self, x: torch.Tensor) -> bool:
        return self.ops is not None and x.dtype in self.ops.DTYPES and x.shape[0] <= MAX_ROWS

    def norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
        if not self._compiled(x):
            return rms_norm(x, self.w[name], self.cfg.rms_eps)
        if name not in self._fp32:
            self._fp32[name] = self.w[name].float().contiguous()
        return self.ops.rmsnorm(x.contiguous(), self._fp32[name], self.cfg.rms_eps)

    def attention(self, i: int, h: torch.Tensor, start: int) -> torch.Tensor:
        cfg, n = self.cfg, h.shape[0]
        qkv = linear(h, self.w[f"layers.{i}.qkv_proj"], self.w.get(f"layers.{i}.qkv_bias"), self.matvec)
        if self._compiled(h):
            k_cache, v_cache = self.cache.k[i], self.cache.v[i]
            out = self.ops.attention_rows(qkv, self.cos, self.sin, k_cache, v_cache, start, cfg.n_heads)
            return linear(out, self.w[f"layers.{i}.o_proj"], matvec=self.matvec)
        q, k, v = qkv.split([cfg.q_size, cfg.kv_size, cfg.kv_size], dim=-1)
        q = q.reshape(n, cfg.n_heads, cfg.head_dim).transpose(0, 1)  # [heads, n, head_dim]
        k = k.reshape(n, cfg.n_kv_heads, cfg.head_dim).transpose(0, 1)
        v = v.reshape(n, cfg.n_kv_heads, cfg.head_dim).transpose(0, 1)
        cos, sin = self.cos[start : start + n], self.sin[start : start + n]
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        self.cache.write(i, start, k, v)
        keys, values = self.cache.view(i, start + n)
        # The query heads that share a KV head become rows of one attention over that head, so K and V
        # are read as stored (enable_gqa copies them per query head). Inputs are 4-D: on the CPU only
        # 4-D inputs reach the fused (flash) kernel; 3-D ones take the math path, 5-10x slower.
        group = cfg.n_heads // cfg.n_kv_heads
        q = q.reshape(1, cfg.n_kv_heads, group * n, cfg.head_dim)
        mask = None
        if n > 1:
            # Query j (at position start+j) sees keys 0..start+j; rows run head-major within a group.
            mask = torch.ones(n, start + n, dtype=torch.bool, device=h.device).tril(diagonal=start)
            mask = mask.repeat(group, 1)
        out = F.scaled_dot_product_attention(q, keys[None], values[None], attn_mask=mask)
        out = out.reshape(cfg.n_heads, n, cfg.head_dim).transpose(0, 1).reshape(n, cfg.q_size)
        return linear(out, self.w[f"layers.{i}.o_proj"], matvec=self.matvec)

    def mlp(self, i: int, h: torch.Tensor) -> torch.Tensor:
        gate_up = linear(h, self.w[f"layers.{i}.gate_up_proj"], matvec=self.matvec)
        if self._compiled(h):
            act = self.ops.silu_mul(gate_up)
        else:
            gate, up = gate_up.chunk(2, dim=-1)
            act = F.silu(gate) * up
        return linear(act, self.w[f"layers.{i}.down_proj"], matvec=self.matvec)

    def hidden(self, input_ids: torch.Tensor, start: int) -> torch.Tensor:
        """Final-norm hidden states [n, hidden] of n new tokens at positions start.."""
        embed = self.w["embed"]
        x = (
            embed.rows(input_ids)
            if isinstance(embed, (Int8Weight, BlockWeight, DualWeight))
            else embed[input_ids]
        )
        for i in range(self.cfg.n_layers):
            x = x + self.attention(i, self.norm(x, f"layers.{i}.attn_norm"), start)
            x = x + self.mlp(i, self.norm(x, f"layers.{i}.mlp_norm"))
        return self.norm(x, "norm")

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return linear(hidden, self.lm_head, matvec=self.matvec).float()  # [n, vocab]
