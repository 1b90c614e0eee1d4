"""Every device buffer a decode step touches, allocated once so captured graphs can replay over them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from kog.engine.config import ModelConfig
from kog.kernels import (
    MAX_ROWS,
    ArgmaxWorkspace,
    AttentionWorkspace,
    DecodeBookkeeping,
    rope_inv_freq,
    sampling_params_tensors,
)
from kog.kernels.lm_head import Zeros

HISTORY_LEN = 1 << 16  # ring of decoded ids; a benchmark decodes fewer between host reads


@dataclass(frozen=True)
class DecodeBuffers:
    state: torch.Tensor  # int32 [2]: position of the next input row 0, tokens decoded so far
    ids: torch.Tensor  # int32 [MAX_ROWS]: input tokens; a decode step writes its output to ids[0]
    out_ids: torch.Tensor  # int32 [MAX_ROWS]: greedy / sampled token of each row
    history: torch.Tensor  # int32 [HISTORY_LEN]
    x: torch.Tensor  # fp32 [MAX_ROWS, hidden]: the residual stream
    q: torch.Tensor  # fp32 [MAX_ROWS, q_size]
    attn: torch.Tensor  # fp32 [MAX_ROWS, q_size]
    mlp: torch.Tensor  # fp32 [MAX_ROWS, intermediate]
    qkv_out: torch.Tensor  # fp32 [MAX_ROWS * (q_size + 2 kv_size)]: the stored-block q/k/v stacks' outputs
    gate_up: torch.Tensor  # fp32 [MAX_ROWS, 2 intermediate]: the stored-block gate/up outputs, per row
    logits: torch.Tensor  # fp32 [MAX_ROWS, vocab]
    k_cache: torch.Tensor  # bf16 [layers, kv_heads, max_seq, head_dim]
    v_cache: torch.Tensor
    inv_freq: torch.Tensor  # fp32 [head_dim / 2]
    attention_ws: AttentionWorkspace
    argmax_ws: ArgmaxWorkspace
    fparams: torch.Tensor  # fp32 [temperature, top_p]
    iparams: torch.Tensor  # int32 [top_k, seed_lo, seed_hi]
    token_host: torch.Tensor  # pinned int32 [1]: the one value the host reads per step

    @classmethod
    def allocate(cls, cfg: ModelConfig, max_seq: int, device: torch.device) -> DecodeBuffers:
        """The small buffers that every kernel of a step reads or writes are carved from one allocation,
        so they share one or two memory pages instead of lying among the weights'; the KV cache, the
        logits and attention's partials have their own. Measured neutral (bench/NOTES.md, "The step's
        small buffers in one allocation")."""

        def small(zeros: Zeros) -> dict[str, object]:
            f32, i32 = torch.float32, torch.int32
            rows = MAX_ROWS
            return dict(
                state=zeros(2, i32),
                ids=zeros(rows, i32),
                out_ids=zeros(rows, i32),
                x=zeros(rows * cfg.hidden_size, f32).view(rows, cfg.hidden_size),
                q=zeros(rows * cfg.q_size, f32).view(rows, cfg.q_size),
                attn=zeros(rows * cfg.q_size, f32).view(rows, cfg.q_size),
                qkv_out=zeros(rows * (cfg.q_size + 2 * cfg.kv_size), f32),
                mlp=zeros(rows * cfg.intermediate_size, f32).view(rows, cfg.intermediate_size),
                gate_up=zeros(rows * 2 * cfg.intermediate_size, f32).view(rows, 2 * cfg.intermediate_size),
                inv_freq=zeros(cfg.head_dim // 2, f32),
                fparams=zeros(2, f32),
                iparams=zeros(3, i32),
                argmax_ws=ArgmaxWorkspace.allocate(device, zeros),
                history=zeros(HISTORY_LEN, i32),
            )

        bufs = _one_allocation(small, device)
        bufs["inv_freq"].copy_(rope_inv_freq(cfg.head_dim, cfg.rope_theta, device))  # type: ignore[union-attr]
        fparams, iparams = sampling_params_tensors(0.0, 1.0, 0, 0, device)
        bufs["fparams"].copy_(fparams)  # type: ignore[union-attr]
        bufs["iparams"].copy_(iparams)  # type: ignore[union-attr]
        cache_shape = (cfg.n_layers, cfg.n_kv_heads, max_seq, cfg.head_dim)
        return cls(
            **bufs,  # type: ignore[arg-type]
            logits=torch.zeros(MAX_ROWS, cfg.vocab_size, dtype=torch.float32, device=device),
            k_cache=torch.zeros(cache_shape, dtype=torch.bfloat16, device=device),
            v_cache=torch.zeros(cache_shape, dtype=torch.bfloat16, device=device),
            attention_ws=AttentionWorkspace.allocate(
                cfg.n_heads, cfg.n_kv_heads, cfg.head_dim, max_seq, device
            ),
            token_host=torch.zeros(1, dtype=torch.int32).pin_memory(),
        )

    @property
    def bookkeeping(self) -> DecodeBookkeeping:
        return DecodeBookkeeping(self.state, self.ids, self.history)


ALIGN = 256  # bytes between the buffers of one allocation
PAGE = 2 << 20


def _one_allocation(make: Callable[[Zeros], dict[str, object]], device: torch.device) -> dict[str, object]:
    """Runs `make` twice: once to learn the sizes it asks for, once handing out zeroed views of one
    allocation (each at a multiple of ALIGN bytes, the whole rounded up to PAGE)."""
    sizes: list[int] = []

    def measure(n: int, dtype: torch.dtype) -> torch.Tensor:
        sizes.append(-(-n * dtype.itemsize // ALIGN) * ALIGN)
        return torch.empty(n, dtype=dtype, device="meta")

    make(measure)
    arena = torch.zeros(-(-sum(sizes) // PAGE) * PAGE, dtype=torch.uint8, device=device)
    offset = 0

    def carve(n: int, dtype: torch.dtype) -> torch.Tensor:
        nonlocal offset
        view = arena[offset : offset + n * dtype.itemsize].view(dtype)
        offset += -(-n * dtype.itemsize // ALIGN) * ALIGN
        return view

    return make(carve)
