"""Int8 weights for the CPU: one scale per output row, read as int8 by torch's weight-only kernel.

Decode streams a quarter of float32's bytes; rows are quantized from the model file's own values."""

from __future__ import annotations

from dataclasses import dataclass

import torch

# Up to this many input rows go through the int8 kernel; longer prefill chunks dequantize the matrix
# once per chunk and use the bf16 GEMM, which is far faster there.
INT8_MAX_ROWS = 16


@dataclass
class Int8Weight:
    q: torch.Tensor  # int8 [out, in]
    scale: torch.Tensor  # bfloat16 [out]

    @classmethod
    def quantize(cls, weight: torch.Tensor) -> Int8Weight:
        w = weight.float()
        scale = w.abs().amax(dim=1).clamp(min=1e-12) / 127.0
        q = torch.round(w / scale[:, None]).clamp(-127, 127).to(torch.int8)
        return cls(q.contiguous(), scale.to(torch.bfloat16))

    @classmethod
    def cat(cls, parts: list[Int8Weight]) -> Int8Weight:
        return cls(torch.cat([p.q for p in parts]), torch.cat([p.scale for p in parts]))

    @property
    def shape(self) -> torch.Size:
        return self.q.shape

    @property
    def device(self) -> torch.device:
        return self.q.device

    def to(self, device: torch.device | str) -> Int8Weight:
        return Int8Weight(self.q.to(device), self.scale.to(device))

    def dequantize(self, dtype: torch.dtype = torch.bfloat16) -> torch.Tensor:
        return self.q.to(dtype) * self.scale.to(dtype)[:, None]

    def rows(self, ids: torch.Tensor, dtype: torch.dtype = torch.bfloat16) -> torch.Tensor:
        """Embedding lookup: the dequantized rows `ids`."""
        return self.q[ids].to(dtype) * self.scale[ids].to(dtype)[:, None]

    def matmul(self, x: torch.Tensor) -> torch.Tensor:
        """x [n, in] -> [n, out] in bfloat16."""
        x = x.to(torch.bfloat16).contiguous()  # NOTE: the int8 kernel reads x as dense rows
        if x.shape[0] <= INT8_MAX_ROWS:
            return torch._weight_int8pack_mm(x, self.q, self.scale)
        return torch.nn.functional.linear(x, self.dequantize(torch.bfloat16))


def quantize_weights(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor | Int8Weight]:
    """Every matrix (embedding and LM head included) to int8; norms stay float32, biases bfloat16."""
    out: dict[str, torch.Tensor | Int8Weight] = {}
    for name, w in weights.items():
        out[name] = (
            Int8Weight.quantize(w) if w.dim() == 2 else w.float() if name.endswith("norm") else w.bfloat16()
        )
    return out


def to_tensors(weights: dict[str, torch.Tensor | Int8Weight]) -> dict[str, torch.Tensor]:
    """Flat tensors for a safetensors file: an int8 matrix becomes `name` and `name.scale`."""
    flat: dict[str, torch.Tensor] = {}
    for name, w in weights.items():
        if isinstance(w, Int8Weight):
            flat[name], flat[name + ".scale"] = w.q, w.scale
        else:
            flat[name] = w
    return flat


def from_tensors(flat: dict[str, torch.Tensor]) -> dict[str, torch.Tensor | Int8Weight]:
    out: dict[str, torch.Tensor | Int8Weight] = {}
    for name, t in flat.items():
        if name.endswith(".scale"):
            continue
        # NOTE: the int8 kernel crashes on matrices at unaligned addresses, which tensors mapped
        # from a safetensors file can be; a clone gives each one a fresh, aligned allocation.
        out[name] = Int8Weight(t.clone(), flat[name + ".scale"].clone()) if t.dtype == torch.int8 else t
    return out
