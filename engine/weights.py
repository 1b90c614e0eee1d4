"""Turning a model file's tensors into the engine's flat weights dict (names in shared/DESIGN.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch

from kog.engine.config import ModelConfig
from kog.engine.gguf_file import GGUFContents, QuantTensor

_GLOBAL = {"token_embd.weight": "embed", "output_norm.weight": "norm", "output.weight": "lm_head"}
_LAYER = {
    "attn_norm.weight": "attn_norm",
    "attn_q.weight": "q_proj",
    "attn_k.weight": "k_proj",
    "attn_v.weight": "v_proj",
    "attn_q.bias": "q_bias",
    "attn_k.bias": "k_bias",
    "attn_v.bias": "v_bias",
    "attn_output.weight": "o_proj",
    "ffn_norm.weight": "mlp_norm",
    "ffn_gate.weight": "gate_proj",
    "ffn_up.weight": "up_proj",
    "ffn_down.weight": "down_proj",
}


def engine_name(gguf_name: str) -> str | None:
    if gguf_name in _GLOBAL:
        return _GLOBAL[gguf_name]
    parts = gguf_name.split(".", 2)
    if len(parts) == 3 and parts[0] == "blk" and parts[2] in _LAYER:
        return f"layers.{parts[1]}.{_LAYER[parts[2]]}"
    return None


def rope_unpermute_order(n_rows: int, n_heads: int) -> np.ndarray:
    """Row order that undoes llama.cpp's interleaving of Llama q/k rows, giving rotate-half RoPE."""
    head_dim = n_rows // n_heads
    return np.arange(n_rows).reshape(n_heads, head_dim // 2, 2).swapaxes(1, 2).reshape(-1)


def quant_tensors(contents: GGUFContents, cfg: ModelConfig) -> Iterator[tuple[str, QuantTensor]]:
    """The file's tensors under engine names, still as stored (Llama q/k rows reordered)."""
    for gguf_name, tensor in contents.tensors.items():
        name = engine_name(gguf_name)
        if name is None:
            continue
        if cfg.arch == "llama" and name.endswith(("q_proj", "k_proj")):
            heads = cfg.n_heads if name.endswith("q_proj") else cfg.n_kv_heads
            tensor = tensor.take_rows(rope_unpermute_order(tensor.shape[0], heads))
        yield name, tensor


def dequantized_weights(
    contents: GGUFContents,
    cfg: ModelConfig,
    dtype: torch.dtype,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, torch.Tensor]:
    tensors = list(quant_tensors(contents, cfg))
    weights: dict[str, torch.Tensor] = {}
    for done, (name, tensor) in enumerate(tensors, 1):
        values = torch.from_numpy(np.array(tensor.dequantize(), dtype=np.float32, order="C"))
        weights[name] = values.float() if name.endswith("norm") else values.to(dtype)
        if progress:
            progress("convert", done, len(tensors))
    return weights
