"""The shape of a decoder model, read once from its file and never changed."""

from __future__ import annotations

from dataclasses import dataclass

SUPPORTED_ARCHS = ("qwen2", "llama")


@dataclass(frozen=True)
class ModelConfig:
    arch: str  # "qwen2" | "llama"
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    rope_theta: float
    rms_eps: float
    context_length: int
    tie_embeddings: bool
    qkv_bias: bool  # Qwen2 has biases on q, k and v

    @property
    def q_size(self) -> int:
        return self.n_heads * self.head_dim

    @property
    def kv_size(self) -> int:
        return self.n_kv_heads * self.head_dim

    def n_params(self) -> int:
        h, i = self.hidden_size, self.intermediate_size
        attn = h * self.q_size * 2 + h * self.kv_size * 2
        if self.qkv_bias:
            attn += self.q_size + 2 * self.kv_size
        per_layer = attn + 3 * h * i + 2 * h
        head = 0 if self.tie_embeddings else self.vocab_size * h
        return self.vocab_size * h + self.n_layers * per_layer + h + head
