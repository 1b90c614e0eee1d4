"""Reading a GGUF file: its model config, tokenizer metadata and tensors as stored."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kog.engine.config import SUPPORTED_ARCHS, ModelConfig
from kog.engine.errors import ModelNotFoundError, UnsupportedModelError

# Tensor types this engine reads; others are refused with a clear error.
SUPPORTED_QTYPES = ("F32", "F16", "BF16", "Q8_0", "Q5_0", "Q4_1", "Q4_K", "Q6_K")


@dataclass(frozen=True)
class QuantTensor:
    """A tensor exactly as the file stores it: `data` is uint8 [rows, bytes_per_row] of GGUF blocks
    (or a plain float array for F32/F16/BF16), rows in the same order as the dequantized matrix."""

    name: str
    qtype: str
    shape: tuple[int, ...]  # logical shape, torch order: [rows, cols] for matrices
    data: np.ndarray

    def dequantize(self) -> np.ndarray:
        """Float32 values of shape `shape`, computed by the gguf package's own dequantization."""
        import gguf

        if self.qtype in ("F32", "F16"):
            return np.asarray(self.data, dtype=np.float32).reshape(self.shape)
        values = gguf.quants.dequantize(self.data, gguf.GGMLQuantizationType[self.qtype])
        return np.asarray(values, dtype=np.float32).reshape(self.shape)

    def take_rows(self, order: np.ndarray) -> QuantTensor:
        """The same tensor with its rows reordered (GGUF blocks never cross rows)."""
        data = self.data.reshape(self.shape[0], -1)[order]
        return QuantTensor(self.name, self.qtype, self.shape, data)


@dataclass
class GGUFContents:
    path: Path
    metadata: dict[str, Any]
    tensors: dict[str, QuantTensor]  # keyed by the file's own names ("blk.0.attn_q.weight")

    @property
    def arch(self) -> str:
        return str(self.metadata["general.architecture"])

    def config(self) -> ModelConfig:
        return config_from_metadata(self.metadata, self.tensors)


def read_gguf(path: str | Path) -> GGUFContents:
    """Open a GGUF file (memory-mapped); tensors are views into the file, nothing is converted."""
    import gguf

    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(f"no such model file: {path}")
    try:
        reader = gguf.GGUFReader(path)
    except (ValueError, OSError, KeyError, IndexError, struct.error) as exc:
        raise UnsupportedModelError(f"{path} is not a readable GGUF file ({exc})") from exc
    metadata = {key: _field_value(field) for key, field in reader.fields.items()}
    arch = metadata.get("general.architecture")
    if arch not in SUPPORTED_ARCHS:
        raise UnsupportedModelError(
            f"architecture {arch!r} of {path.name} is not supported (supported: {', '.join(SUPPORTED_ARCHS)})"
        )
    tensors = {}
    for t in reader.tensors:
        qtype = t.tensor_type.name
        if qtype not in SUPPORTED_QTYPES:
            raise UnsupportedModelError(
                f"tensor {t.name} of {path.name} has type {qtype}, which this engine does not read "
                f"(supported: {', '.join(SUPPORTED_QTYPES)})"
            )
        shape = tuple(int(d) for d in reversed(t.shape.tolist()))  # GGUF lists dims innermost first
        tensors[t.name] = QuantTensor(t.name, qtype, shape, t.data)
    return GGUFContents(path, metadata, tensors)


def _field_value(field: Any) -> Any:
    # Token and merge lists are large; contents() decodes them once here.
    try:
        return field.contents()
    except (ValueError, IndexError, UnicodeDecodeError):
        return None


def config_from_metadata(meta: dict[str, Any], tensors: dict[str, QuantTensor]) -> ModelConfig:
    arch = str(meta["general.architecture"])

    def key(name: str, default: Any = None) -> Any:
        value = meta.get(f"{arch}.{name}", default)
        if value is None:
            raise UnsupportedModelError(f"GGUF metadata lacks {arch}.{name}")
        return value

    hidden = int(key("embedding_length"))
    n_heads = int(key("attention.head_count"))
    head_dim = int(meta.get(f"{arch}.attention.key_length") or hidden // n_heads)
    vocab = len(meta.get("tokenizer.ggml.tokens") or []) or int(tensors["token_embd.weight"].shape[0])
    return ModelConfig(
        arch=arch,
        vocab_size=vocab,
        hidden_size=hidden,
        intermediate_size=int(key("feed_forward_length")),
        n_layers=int(key("block_count")),
        n_heads=n_heads,
        n_kv_heads=int(key("attention.head_count_kv", n_heads)),
        head_dim=head_dim,
        rope_theta=float(key("rope.freq_base", 10000.0)),
        rms_eps=float(key("attention.layer_norm_rms_epsilon")),
        context_length=int(key("context_length")),
        tie_embeddings="output.weight" not in tensors,
        qkv_bias="blk.0.attn_q.bias" in tensors,
    )
