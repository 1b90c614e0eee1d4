"""A static KV cache: allocated once, written in place, never resized."""

from __future__ import annotations

import torch

from kog.engine.config import ModelConfig


class KVCache:
    def __init__(self, cfg: ModelConfig, max_seq_len: int, dtype: torch.dtype, device: torch.device | str):
        shape = (cfg.n_layers, cfg.n_kv_heads, max_seq_len, cfg.head_dim)
        self.k = torch.zeros(shape, dtype=dtype, device=device)  # [layers, kv_heads, seq, head_dim]
        self.v = torch.zeros(shape, dtype=dtype, device=device)
        self.max_seq_len = max_seq_len

    def write(self, layer: int, start: int, k: torch.Tensor, v: torch.Tensor) -> None:
        """k, v: [kv_heads, n, head_dim] for positions start..start+n-1."""
        n = k.shape[1]
        self.k[layer, :, start : start + n] = k
        self.v[layer, :, start : start + n] = v

    def view(self, layer: int, length: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.k[layer, :, :length], self.v[layer, :, :length]
