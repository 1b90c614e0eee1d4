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
    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(f"no such model file: {path}")
    try:
        metadata, infos, data = _parse(path)
    except (ValueError, OSError, KeyError, IndexError, struct.error) as exc:
        raise UnsupportedModelError(f"{path} is not a readable GGUF file ({exc})") from exc
    arch = metadata.get("general.architecture")
    if arch not in SUPPORTED_ARCHS:
        raise UnsupportedModelError(
            f"architecture {arch!r} of {path.name} is not supported (supported: {', '.join(SUPPORTED_ARCHS)})"
        )
    tensors = {}
    for name, qtype, dims, array in _tensor_views(infos, data, path):
        if qtype not in SUPPORTED_QTYPES:
            raise UnsupportedModelError(
                f"tensor {name} of {path.name} has type {qtype}, which this engine does not read "
                f"(supported: {', '.join(SUPPORTED_QTYPES)})"
            )
        tensors[name] = QuantTensor(
            name, qtype, tuple(reversed(dims)), array
        )  # GGUF lists dims innermost first
    return GGUFContents(path, metadata, tensors)


# GGUF metadata value types (gguf's GGUFValueType): scalars by struct format, then string and array.
_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9
_NUMPY = {
    0: "<u1",
    1: "<i1",
    2: "<u2",
    3: "<i2",
    4: "<u4",
    5: "<i4",
    6: "<f4",
    7: "?",
    10: "<u8",
    11: "<i8",
    12: "<f8",
}


class _Cursor:
    """Little-endian reads over the file's bytes (the header, metadata and tensor infos)."""

    def __init__(self, buf: memoryview):
        self.buf, self.at = buf, 0

    def scalar(self, fmt: str) -> Any:
        (value,) = struct.unpack_from(fmt, self.buf, self.at)
        self.at += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        n = self.scalar("<Q")
        raw = bytes(self.buf[self.at : self.at + n])
        if len(raw) != n:
            raise ValueError("truncated string")
        self.at += n
        return raw.decode("utf-8", errors="replace")

    def value(self, kind: int) -> Any:
        if kind in _SCALARS:
            return self.scalar(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind != _ARRAY:
            raise ValueError(f"unknown metadata value type {kind}")
        item, count = self.scalar("<I"), self.scalar("<Q")
        if item in _NUMPY:  # numbers in one read
            values = np.frombuffer(self.buf, dtype=_NUMPY[item], count=count, offset=self.at)
            self.at += values.nbytes
            return values.tolist()
        return [self.value(item) for _ in range(count)]


def _parse(path: Path) -> tuple[dict[str, Any], list[tuple[str, int, list[int], int]], np.memmap]:
    """The metadata, the tensor infos (name, type, dims, offset from the data start) and the file's bytes
    from the data start on. Reads the header with struct: gguf's own reader builds numpy views of every
    metadata item (the 150,000-entry vocabularies took seconds)."""
    data = np.memmap(path, dtype=np.uint8, mode="r")
    cur = _Cursor(memoryview(data))
    if bytes(cur.buf[:4]) != b"GGUF":
        raise ValueError("no GGUF magic number")
    cur.at = 4
    version = cur.scalar("<I")
    if version not in (2, 3):
        raise ValueError(f"GGUF version {version}")
    n_tensors, n_kv = cur.scalar("<Q"), cur.scalar("<Q")
    metadata: dict[str, Any] = {
        "GGUF.version": version,
        "GGUF.tensor_count": n_tensors,
        "GGUF.kv_count": n_kv,
    }
    for _ in range(n_kv):
        key = cur.string()
        metadata[key] = cur.value(cur.scalar("<I"))
    infos = []
    for _ in range(n_tensors):
        name = cur.string()
        dims = [cur.scalar("<Q") for _ in range(cur.scalar("<I"))]
        infos.append((name, cur.scalar("<I"), dims, cur.scalar("<Q")))
    alignment = int(metadata.get("general.alignment", 32))
    start = -(-cur.at // alignment) * alignment
    return metadata, infos, data[start:]


def _tensor_views(infos, data: np.memmap, path: Path):
    """(name, type name, dims, array) per tensor: uint8 [rows, bytes a row] for block types, the values
    for float types, all views of the mapping."""
    import gguf

    for name, kind, dims, offset in infos:
        try:
            qtype = gguf.GGMLQuantizationType(kind)
        except ValueError:
            yield name, f"type {kind}", dims, None
            continue
        block, size = gguf.GGML_QUANT_SIZES[qtype]
        elements = int(np.prod(dims)) if dims else 1
        inner = dims[0] if dims else 1
        if inner % block:
            raise UnsupportedModelError(f"tensor {name} of {path.name}: rows of {inner} are not whole blocks")
        nbytes = elements // block * size
        if offset + nbytes > data.size:
            raise UnsupportedModelError(f"tensor {name} of {path.name} runs past the end of the file")
        raw = data[offset : offset + nbytes]
        if qtype.name in ("F32", "F16"):
            array = raw.view(np.float32 if qtype.name == "F32" else np.float16).reshape(list(reversed(dims)))
        else:
            array = raw.reshape(elements // inner, inner // block * size)
        yield name, qtype.name, dims, array


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
