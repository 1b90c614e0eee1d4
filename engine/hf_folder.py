"""A local Hugging Face model folder: config.json, *.safetensors and tokenizer.json."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file

from kog.engine.api import ProgressFn
from kog.engine.config import SUPPORTED_ARCHS, ModelConfig
from kog.engine.errors import UnsupportedModelError
from kog.engine.tokenizer import TextTokenizer

_LAYER = {
    "input_layernorm.weight": "attn_norm",
    "self_attn.q_proj.weight": "q_proj",
    "self_attn.k_proj.weight": "k_proj",
    "self_attn.v_proj.weight": "v_proj",
    "self_attn.q_proj.bias": "q_bias",
    "self_attn.k_proj.bias": "k_bias",
    "self_attn.v_proj.bias": "v_bias",
    "self_attn.o_proj.weight": "o_proj",
    "post_attention_layernorm.weight": "mlp_norm",
    "mlp.gate_proj.weight": "gate_proj",
    "mlp.up_proj.weight": "up_proj",
    "mlp.down_proj.weight": "down_proj",
}
_GLOBAL = {"model.embed_tokens.weight": "embed", "model.norm.weight": "norm", "lm_head.weight": "lm_head"}


def _engine_name(hf_name: str) -> str | None:
    if hf_name in _GLOBAL:
        return _GLOBAL[hf_name]
    parts = hf_name.split(".", 3)
    if len(parts) == 4 and parts[:2] == ["model", "layers"] and parts[3] in _LAYER:
        return f"layers.{parts[2]}.{_LAYER[parts[3]]}"
    return None


def hf_config(raw: dict) -> ModelConfig:
    arch = raw.get("model_type")
    if arch not in SUPPORTED_ARCHS:
        raise UnsupportedModelError(
            f"model_type {arch!r} is not supported (supported: {', '.join(SUPPORTED_ARCHS)})"
        )
    n_heads = raw["num_attention_heads"]
    return ModelConfig(
        arch=arch,
        vocab_size=raw["vocab_size"],
        hidden_size=raw["hidden_size"],
        intermediate_size=raw["intermediate_size"],
        n_layers=raw["num_hidden_layers"],
        n_heads=n_heads,
        n_kv_heads=raw.get("num_key_value_heads", n_heads),
        head_dim=raw.get("head_dim") or raw["hidden_size"] // n_heads,
        rope_theta=float(raw.get("rope_theta", 10000.0)),
        rms_eps=float(raw.get("rms_norm_eps", 1e-6)),
        context_length=raw.get("max_position_embeddings", 4096),
        tie_embeddings=bool(raw.get("tie_word_embeddings", False)),
        qkv_bias=arch == "qwen2" or bool(raw.get("attention_bias", False)),
    )


def read_hf_folder(folder: Path, dtype: torch.dtype, progress: ProgressFn | None = None):
    raw = json.loads((folder / "config.json").read_text())
    cfg = hf_config(raw)
    weights: dict[str, torch.Tensor] = {}
    files = sorted(folder.glob("*.safetensors"))
    for done, file in enumerate(files, 1):
        for hf_name, tensor in load_file(file).items():
            name = _engine_name(hf_name)
            if name is not None:
                keep_fp32 = name.endswith("norm")
                weights[name] = tensor.float() if keep_fp32 else tensor.to(dtype)
        if progress:
            progress("convert", done, len(files))
    if cfg.tie_embeddings:
        weights.pop("lm_head", None)
    tok_cfg_file = folder / "tokenizer_config.json"
    tok_cfg = json.loads(tok_cfg_file.read_text()) if tok_cfg_file.is_file() else {}
    tokenizer = TextTokenizer.from_files(folder / "tokenizer.json", None, [], False)
    eos = raw.get("eos_token_id")
    eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    eos_ids |= {
        i for t in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>") if (i := tokenizer.token_id(t)) is not None
    }
    bos = raw.get("bos_token_id")
    tokenizer = TextTokenizer(
        tokenizer.tokenizer, bos, sorted(eos_ids), bool(tok_cfg.get("add_bos_token", False))
    )
    return cfg, weights, tokenizer, tok_cfg.get("chat_template")
