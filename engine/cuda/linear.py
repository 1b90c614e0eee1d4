"""A linear layer's weight behind one small protocol, so quantized formats can slot into the CUDA runner.

The runner fuses RMSNorm, RoPE, SiLU and the residual add around `Bf16Linear` weights with its own
kernels. Any other `LinearWeight` (a quantized GGUF matrix with its own GEMV, say) is called through
`matvec` inside the same captured decode graph, with the surrounding steps done by torch ops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import torch
import torch.nn.functional as F

from kog.engine.errors import UnsupportedModelError
from kog.kernels import MAX_ROWS, gemv


@runtime_checkable
class LinearWeight(Protocol):
    in_features: int
    out_features: int

    def matvec(self, x: torch.Tensor) -> torch.Tensor:
        """x: bf16 [n, in_features] on the GPU -> [n, out_features] (fp32 or bf16).

        Must launch on torch's current stream without host syncs, so it can be graph-captured.
        """
        ...


class Bf16Linear:
    """A dense bf16 matrix [out, in]: the runner's fused kernels read `weight` directly."""

    def __init__(self, weight: torch.Tensor) -> None:
        self.weight = weight.to(torch.bfloat16).contiguous()
        self.out_features, self.in_features = self.weight.shape

    def matvec(self, x: torch.Tensor) -> torch.Tensor:
        if self.weight.is_cuda and x.shape[0] <= MAX_ROWS and self.in_features % 8 == 0:
            return gemv(self.weight, x.float().contiguous())
        return F.linear(x.to(torch.bfloat16), self.weight)


# (weight name, stored value, target device) -> LinearWeight; the value is whatever the loader produced.
LinearFactory = Callable[[str, object, torch.device], LinearWeight]


def bf16_linear(name: str, value: object, device: torch.device) -> LinearWeight:
    """The default factory: dense tensors become `Bf16Linear` on the device."""
    if not isinstance(value, torch.Tensor):
        raise UnsupportedModelError(
            f"{name} is a {type(value).__name__}; the CUDA runner takes dense tensors unless given a linear_factory"
        )
    return Bf16Linear(value.to(device))
