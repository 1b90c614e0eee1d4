"""The model's weights as the CUDA runner uses them: bf16 on the GPU, linears behind `LinearWeight`.

Quantized linears (`QuantLinear`, GGUF blocks as stored) that one GEMV can run together are stacked
when the weights are built: neighbours of one format among q/k/v, and gate with up. The layer keeps
each part as a view of its stack, so the stacks cost no extra memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from kog.engine.config import ModelConfig
from kog.engine.cuda.linear import Bf16Linear, LinearFactory, LinearWeight, bf16_linear
from kog.engine.errors import UnsupportedModelError
from kog.kernels.quant import QuantLinear

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
    # Quantized q/k/v as runs of one format, in order, each with its biases (when all three are quantized)
    qkv_stacks: tuple[tuple[QuantLinear, torch.Tensor | None], ...] = ()
    gate_up: QuantLinear | None = None  # gate's rows then up's, when both are quantized alike

    @property
    def fused_attention_input(self) -> bool:
        return all(isinstance(w, Bf16Linear) for w in (self.q, self.k, self.v))

    @property
    def fused_mlp_input(self) -> bool:
        return isinstance(self.gate, Bf16Linear) and isinstance(self.up, Bf16Linear)


@dataclass(frozen=True)
class ModelWeights:
    embed: torch.Tensor | QuantLinear  # bf16 [vocab, hidden], or its GGUF blocks
    norm: torch.Tensor  # bf16 [hidden]
    lm_head: LinearWeight  # the embedding itself when tied
    layers: tuple[LayerWeights, ...]

    def stored_sources(self) -> set[str]:
        """The CUDA sources of the stored-block formats among the weights (compiled per pass size)."""
        parts: list[object] = [self.embed, self.lm_head]
        for layer in self.layers:
            parts += [layer.q, layer.k, layer.v, layer.o, layer.gate, layer.up, layer.down]
        return {part.fmt.source for part in parts if isinstance(part, QuantLinear)}

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

        embed: torch.Tensor | QuantLinear
        if isinstance(weights.get("embed"), torch.Tensor):
            embed = dense("embed")
        else:  # stored blocks: rows are dequantized as they are gathered
            table = make("embed", weights["embed"], device)
            embed = table if isinstance(table, QuantLinear) else dense_weight(table)
        if "lm_head" in weights:
            lm_head = make("lm_head", weights["lm_head"], device)
        else:
            lm_head = embed if isinstance(embed, QuantLinear) else Bf16Linear(embed)
        layers = []
        for i in range(cfg.n_layers):
            p = f"layers.{i}."
            lin = {name: make(p + name, weights[p + name], device) for name in LINEARS}
            biases = [optional(p + name) for name in ("q_bias", "k_bias", "v_bias")]
            qkv = [lin["q_proj"], lin["k_proj"], lin["v_proj"]]
            qkv_stacks: tuple[tuple[QuantLinear, torch.Tensor | None], ...] = ()
            if all(isinstance(w, QuantLinear) for w in qkv):
                qkv_stacks, qkv = stack_runs(qkv, biases)  # type: ignore[arg-type]
            gate_up = None
            if QuantLinear.can_stack([lin["gate_proj"], lin["up_proj"]]):
                gate_up, (lin["gate_proj"], lin["up_proj"]) = QuantLinear.stacked(
                    [lin["gate_proj"], lin["up_proj"]]
                )
            layers.append(
                LayerWeights(
                    attn_norm=dense(p + "attn_norm"),
                    mlp_norm=dense(p + "mlp_norm"),
                    q=qkv[0],
                    k=qkv[1],
                    v=qkv[2],
                    o=lin["o_proj"],
                    gate=lin["gate_proj"],
                    up=lin["up_proj"],
                    down=lin["down_proj"],
                    q_bias=biases[0],
                    k_bias=biases[1],
                    v_bias=biases[2],
                    qkv_stacks=qkv_stacks,
                    gate_up=gate_up,
                )  # fmt: skip
            )
        return cls(embed=embed, norm=dense("norm"), lm_head=lm_head, layers=tuple(layers))

    def embed_rows(self, ids: torch.Tensor) -> torch.Tensor:
        """fp32 [n, hidden] embedding rows of device ids (any integer dtype)."""
        if isinstance(self.embed, QuantLinear):
            out = torch.empty(ids.numel(), self.embed.in_features, dtype=torch.float32, device=ids.device)
            return self.embed.lookup(ids.reshape(-1).to(torch.int32), ids.numel(), out)
        return self.embed[ids.long()].float()

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


def dense_weight(w: LinearWeight) -> torch.Tensor:
    if not isinstance(w, Bf16Linear):
        raise UnsupportedModelError(
            f"the embedding table must be dense or GGUF blocks, not {type(w).__name__}"
        )
    return w.weight


def stack_runs(
    parts: list[QuantLinear], biases: list[torch.Tensor | None]
) -> tuple[tuple[tuple[QuantLinear, torch.Tensor | None], ...], list[QuantLinear]]:
    """Neighbouring parts of one format stacked into one matrix each (with their biases concatenated,
    zeros standing in for a missing one); the parts come back as views of their stacks."""
    stacks, views, run = [], [], [0]
    for i in range(1, len(parts) + 1):
        if i < len(parts) and QuantLinear.can_stack([parts[j] for j in (*run, i)]):
            run.append(i)
            continue
        members = [parts[j] for j in run]
        stack, member_views = QuantLinear.stacked(members) if len(members) > 1 else (members[0], members)
        bias = None
        if any(biases[j] is not None for j in run):
            bias = torch.cat([
                biases[j] if biases[j] is not None
                else torch.zeros(parts[j].out_features, dtype=torch.bfloat16, device=stack.device)
                for j in run
            ])  # fmt: skip
        stacks.append((stack, bias))
        views += member_views
        run = [i]
    return tuple(stacks), views


def linear_bytes(w: LinearWeight) -> int:
    if isinstance(w, Bf16Linear):
        return w.weight.numel() * 2
    nbytes = getattr(w, "nbytes", None)  # quantized formats report their own size
    return int(nbytes) if nbytes is not None else w.in_features * w.out_features * 2
