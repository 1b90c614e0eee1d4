"""The CUDA runner's `quant` weight mode: a GGUF file's matrices stay as their stored blocks on the GPU.

    weights = quant_weights(read_gguf(path), cfg)
    runner = CudaRunner(cfg, weights, max_seq_len, linear_factory=quant_linear)

Linears and the embedding table in a format the quantized kernels read (Q8_0, Q5_0, Q4_1, Q4_K, Q6_K)
become `QuantLinear`; norms and biases are dequantized. The runner gathers embedding rows from the
blocks, and a tied LM head is the embedding's own blocks, so the table is on the GPU once, as stored.
"""

from __future__ import annotations

import numpy as np
import torch

from kog.engine.config import ModelConfig
from kog.engine.cuda.linear import Bf16Linear, LinearWeight, bf16_linear
from kog.engine.gguf_file import GGUFContents, QuantTensor
from kog.engine.weights import quant_tensors
from kog.kernels.quant import QuantLinear
from kog.kernels.quant_reference import FORMATS

LINEAR_NAMES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head")


def is_linear(name: str) -> bool:
    return name.rsplit(".", 1)[-1] in LINEAR_NAMES


def quant_linear(name: str, value: object, device: torch.device) -> LinearWeight:
    """The runner's linear factory for this mode: stored blocks when the kernels read the format."""
    if isinstance(value, QuantTensor):
        if value.qtype in FORMATS:
            return QuantLinear(value.qtype, value.data, value.shape[1], device)
        return Bf16Linear(torch.from_numpy(np.asarray(value.dequantize(), dtype=np.float32)).to(device))
    return bf16_linear(name, value, device)


def _dense(tensor: QuantTensor, name: str, dtype: torch.dtype) -> torch.Tensor:
    values = torch.from_numpy(np.array(tensor.dequantize(), dtype=np.float32, order="C"))
    return values if name.endswith("norm") else values.to(dtype)


def quant_weights(
    contents: GGUFContents, cfg: ModelConfig, dtype: torch.dtype = torch.bfloat16
) -> dict[str, object]:
    """The engine's weights dict with every quantized linear and the embedding left as `QuantTensor`s
    (no "lm_head" entry when the head is tied to the embedding)."""
    weights: dict[str, object] = {}
    for name, tensor in quant_tensors(contents, cfg):
        keep = (is_linear(name) or name == "embed") and tensor.qtype in FORMATS
        weights[name] = tensor if keep else _dense(tensor, name, dtype)
    return weights
