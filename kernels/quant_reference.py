"""GGUF block formats the quantized kernels read, and their plain-torch dequantization (the reference).

`dequantize_reference` does gguf's own float32 arithmetic in the same order (gguf.quants, ggml-common.h),
so on any device it gives gguf's values exactly; the kernels are checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class QuantFormat:
    qtype: str  # GGUF's name, "Q4_K"
    block_weights: int  # weights per block (32, or 256 for the K formats)
    block_bytes: int
    unit: int  # weights one lane takes at a time in the kernels

    @property
    def prefix(self) -> str:
        return self.qtype.lower()

    @property
    def source(self) -> str:
        return f"quant_{self.prefix}.cu"

    def bytes_per_row(self, cols: int) -> int:
        if cols % self.block_weights:
            raise ValueError(
                f"{self.qtype} rows hold whole {self.block_weights}-weight blocks, not {cols} weights"
            )
        return cols // self.block_weights * self.block_bytes


FORMATS: dict[str, QuantFormat] = {
    f.qtype: f
    for f in (
        QuantFormat("Q8_0", 32, 34, 32),
        QuantFormat("Q5_0", 32, 22, 32),
        QuantFormat("Q4_1", 32, 20, 32),
        QuantFormat("Q4_K", 256, 144, 64),
        QuantFormat("Q6_K", 256, 210, 64),
    )
}

# Byte offsets of the f16 scale fields inside one block, per format.
HALF_FIELDS = {"Q8_0": (0,), "Q5_0": (0,), "Q4_1": (0, 2), "Q4_K": (0, 2), "Q6_K": (208,)}


def quant_format(qtype: str) -> QuantFormat:
    try:
        return FORMATS[qtype]
    except KeyError:
        raise ValueError(f"no quantized kernel for {qtype} (have {', '.join(FORMATS)})") from None


def _half(b: torch.Tensor) -> torch.Tensor:
    """[..., 2] uint8 little-endian halves -> float32 [...]."""
    return b.contiguous().view(torch.float16).squeeze(-1).float()


def _nibbles(q: torch.Tensor) -> torch.Tensor:
    """[..., m] bytes -> [..., 2, m]: low nibbles, then high nibbles."""
    return torch.stack([q & 15, q >> 4], dim=-2)


def _q8_0(b: torch.Tensor) -> torch.Tensor:
    return b[..., 2:].contiguous().view(torch.int8).float() * _half(b[..., :2])[..., None]


def _q5_0(b: torch.Tensor) -> torch.Tensor:
    qh = sum(b[..., 2 + i].long() << (8 * i) for i in range(4))
    high = (qh[..., None] >> torch.arange(32, device=b.device)) & 1
    low = _nibbles(b[..., 6:]).flatten(-2).long()
    return _half(b[..., :2])[..., None] * ((low | (high << 4)) - 16).float()


def _q4_1(b: torch.Tensor) -> torch.Tensor:
    q = _nibbles(b[..., 4:]).flatten(-2).float()
    return _half(b[..., :2])[..., None] * q + _half(b[..., 2:4])[..., None]


def _q4_k(b: torch.Tensor) -> torch.Tensor:
    d, dmin = _half(b[..., 0:2]), _half(b[..., 2:4])
    s = b[..., 4:16].long()
    lo, mid, top = s[..., 0:4], s[..., 4:8], s[..., 8:12]
    sc = torch.cat([lo & 63, (top & 15) | ((lo >> 6) << 4)], dim=-1).float()  # [..., 8]
    mn = torch.cat([mid & 63, (top >> 4) | ((mid >> 6) << 4)], dim=-1).float()
    q = _nibbles(b[..., 16:].unflatten(-1, (4, 32))).flatten(-3, -2).float()  # [..., 8, 32]
    return ((d[..., None] * sc)[..., None] * q - (dmin[..., None] * mn)[..., None]).flatten(-2)


def _q6_k(b: torch.Tensor) -> torch.Tensor:
    ql = _nibbles(b[..., :128].unflatten(-1, (2, 64))).unflatten(-1, (2, 32)).flatten(-4, -2)  # [..., 8, 32]
    shifts = torch.tensor([0, 2, 4, 6], device=b.device)[:, None]
    qh = (b[..., 128:192].unflatten(-1, (2, 1, 32)) >> shifts).flatten(-3, -2) & 3  # [..., 8, 32]
    q = ((ql.long() | (qh.long() << 4)) - 32).float().flatten(-2).unflatten(-1, (16, 16))
    scale = _half(b[..., 208:210])[..., None] * b[..., 192:208].contiguous().view(torch.int8).float()
    return (scale[..., None] * q).flatten(-2)


_DEQUANT = {"Q8_0": _q8_0, "Q5_0": _q5_0, "Q4_1": _q4_1, "Q4_K": _q4_k, "Q6_K": _q6_k}


def dequantize_reference(qtype: str, data: torch.Tensor) -> torch.Tensor:
    """float32 [rows, cols] of blocks stored as uint8 [rows, bytes_per_row], as gguf computes them."""
    fmt = quant_format(qtype)
    rows, row_bytes = data.shape
    blocks = data.reshape(rows, row_bytes // fmt.block_bytes, fmt.block_bytes)
    return _DEQUANT[qtype](blocks).reshape(rows, -1)


def quant_gemv_reference(qtype: str, data: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """x [n, cols] times the dequantized matrix, in float64: the fused GEMV's exact answer."""
    return x.double() @ dequantize_reference(qtype, data).double().T


def random_blocks(
    qtype: str,
    rows: int,
    cols: int,
    *,
    device: str | torch.device = "cpu",
    seed: int = 0,
    scale: float | None = None,
) -> torch.Tensor:
    """Random bytes in the format's layout with every f16 scale field finite (subnormals included);
    with `scale`, those fields are instead +-scale * U(0.5, 1.5), for weights of a usable size."""
    fmt = quant_format(qtype)
    g = torch.Generator(device=device).manual_seed(seed)
    nb = cols // fmt.block_weights
    data = torch.randint(0, 256, (rows, nb, fmt.block_bytes), generator=g, device=device, dtype=torch.uint8)
    for at in HALF_FIELDS[qtype]:
        if scale is not None:
            sign = torch.randint(0, 2, (rows, nb), generator=g, device=device) * 2 - 1
            size = torch.rand(rows, nb, generator=g, device=device) + 0.5
            data[..., at : at + 2] = (sign * size * scale).half()[..., None].view(torch.uint8)
            continue
        high = data[..., at + 1]
        infinite = (high & 0x7C) == 0x7C  # exponent all ones: inf or NaN
        data[..., at + 1] = torch.where(infinite, high & 0xBB, high)
    return data.reshape(rows, nb * fmt.block_bytes)
