"""The model's weights as the CUDA runner uses them: bf16 on the GPU, linears behind `LinearWeight`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from kog.engine.config import ModelConfig
from kog.engine.cuda.linear import Bf16Linear, LinearFactory, LinearWeight, bf16_linear
from kog.engine.errors import UnsupportedModelError

LINEARS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class LayerWeights:
    attn_norm: torch.Tensor  # bf16 [hidden]
    mlp_norm: torch.Tensor
    q: LinearWeight
    k: LinearWeight
    v: LinearWeight
    o: LinearWeight
    gate: LinearWeight
    up: LinearWeight
    down: LinearWeight
    q_bias: torch.Tensor | None  # bf16
    k_bias: torch.Tensor | None
    v_bias: torch.Tensor | None

    @property
    def fused_attention_input(self) -> bool:
        return all(isinstance(w, Bf16Linear) for w in (self.q, self.k, self.v))

    @property
    def fused_mlp_input(self) -> bool:
        return isinstance(self.gate, Bf16Linear) and isinstance(self.up, Bf16Linear)


@dataclass(frozen=True)
class ModelWeights:
    embed: torch.Tensor  # bf16 [vocab, hidden]
    norm: torch.Tensor  # bf16 [hidden]
    lm_head: LinearWeight  # the embedding itself when tied
    layers: tuple[LayerWeights, ...]

    @classmethod
    def from_dict(
        cls,
        cfg: ModelConfig,
        weights: Mapping[str, object],
        device: torch.device,
        linear_factory: LinearFactory | None = None,
    ) -> ModelWeights:
        make = linear_factory or bf16_linear

        def dense(name: str) -> torch.Tensor:
            value = weights.get(name)
            if not isinstance(value, torch.Tensor):
                raise UnsupportedModelError(f"the CUDA runner needs {name} as a dense tensor")
            return value.to(device=device, dtype=torch.bfloat16).contiguous()

        def optional(name: str) -> torch.Tensor | None:
            return dense(name) if cfg.qkv_bias and name in weights else None

        embed = dense("embed")
        lm_head = make("lm_head", weights["lm_head"], device) if "lm_head" in weights else Bf16Linear(embed)
        layers = []
        for i in range(cfg.n_layers):
            p = f"layers.{i}."
            lin = {name: make(p + name, weights[p + name], device) for name in LINEARS}
            layers.append(
                LayerWeights(
                    attn_norm=dense(p + "attn_norm"),
                    mlp_norm=dense(p + "mlp_norm"),
                    q=lin["q_proj"],
                    k=lin["k_proj"],
                    v=lin["v_proj"],
                    o=lin["o_proj"],
                    gate=lin["gate_proj"],
                    up=lin["up_proj"],
                    down=lin["down_proj"],
                    q_bias=optional(p + "q_bias"),
                    k_bias=optional(p + "k_bias"),
                    v_bias=optional(p + "v_bias"),
                )  # fmt: skip
            )
        return cls(embed=embed, norm=dense("norm"), lm_head=lm_head, layers=tuple(layers))

    def weight_bytes(self) -> int:
        """Bytes a decode step streams: every linear and norm (the embedding only as the LM head)."""
        total = self.norm.numel() * 2 + linear_bytes(self.lm_head)
        for layer in self.layers:
            total += (layer.attn_norm.numel() + layer.mlp_norm.numel()) * 2
            total += sum(
                linear_bytes(w)
                for w in (layer.q, layer.k, layer.v, layer.o, layer.gate, layer.up, layer.down)
            )
            total += sum(b.numel() * 2 for b in (layer.q_bias, layer.k_bias, layer.v_bias) if b is not None)
        return total


def linear_bytes(w: LinearWeight) -> int:
    if isinstance(w, Bf16Linear):
        return w.weight.numel() * 2
    nbytes = getattr(w, "nbytes", None)  # quantized formats report their own size
    return int(nbytes) if nbytes is not None else w.in_features * w.out_features * 2
