"""One forward pass of 1..MAX_ROWS tokens as a fixed sequence of launches over `DecodeBuffers`.

Nothing here reads a value back to the host, and every launch's arguments are fixed addresses, so the
whole sequence can be captured once as a CUDA graph and replayed: the position and input ids are read
from device buffers at run time.
"""

from __future__ import annotations

from enum import Enum

import torch

from kog.engine.config import ModelConfig
from kog.engine.cuda import unfused
from kog.engine.cuda.buffers import DecodeBuffers
from kog.engine.cuda.linear import Bf16Linear
from kog.engine.cuda.weights import ModelWeights
from kog.kernels import (
    attention_decode,
    embed_rows,
    gate_up_silu,
    gemv,
    lm_head_argmax,
    qkv_rope,
    sample_tokens,
    sampling_params_tensors,
)


class StepMode(Enum):
    ROWS = "rows"  # n rows in, logits and greedy ids out; the host owns position and inputs
    GREEDY = "greedy"  # one row; its argmax becomes the next input and the position advances
    SAMPLE = "sample"  # one row; sampled with the fparams/iparams buffers, then the same advance


class DecodeStep:
    def __init__(self, cfg: ModelConfig, weights: ModelWeights, bufs: DecodeBuffers, *, pdl: bool) -> None:
        self.cfg, self.w, self.bufs, self.pdl = cfg, weights, bufs, pdl
        self._greedy_f, self._greedy_i = sampling_params_tensors(0.0, 1.0, 0, 0, bufs.x.device)

    def record(self, n: int, mode: StepMode) -> None:
        """Issues the launches of one pass over n rows on torch's current stream."""
        cfg, w, b, pdl = self.cfg, self.w, self.bufs, self.pdl
        x = b.x[:n]
        embed_rows(w.embed, b.ids, n, b.x, pdl=pdl)
        for i, layer in enumerate(w.layers):
            k_cache, v_cache = b.k_cache[i], b.v_cache[i]
            if layer.fused_attention_input:
                qkv_rope(
                    layer.q.weight, layer.k.weight, layer.v.weight, layer.q_bias, layer.k_bias, layer.v_bias,
                    x, layer.attn_norm, cfg.rms_eps, b.inv_freq, b.state, b.q[:n], k_cache, v_cache, pdl=pdl,
                )  # fmt: skip
            else:
                unfused.attention_input(cfg, layer, i, b, n)
            attention_decode(b.q[:n], k_cache, v_cache, b.state, b.attn[:n], b.attention_ws, pdl=pdl)
            self._add_linear(layer.o, b.attn[:n], x)
            if layer.fused_mlp_input:
                gate_up_silu(
                    layer.gate.weight, layer.up.weight, x, layer.mlp_norm, cfg.rms_eps, out=b.mlp[:n], pdl=pdl
                )
            else:
                unfused.mlp_input(cfg, layer, b, n)
            self._add_linear(layer.down, b.mlp[:n], x)
        self._head(n, mode)

    def _add_linear(self, weight: object, src: torch.Tensor, x: torch.Tensor) -> None:
        if isinstance(weight, Bf16Linear):
            gemv(weight.weight, src, residual=x, out=x, pdl=self.pdl)
        else:
            unfused.add_linear(weight, src, x)  # type: ignore[arg-type]

    def _head(self, n: int, mode: StepMode) -> None:
        cfg, w, b, pdl = self.cfg, self.w, self.bufs, self.pdl
        book = b.bookkeeping if mode is StepMode.GREEDY else None
        if isinstance(w.lm_head, Bf16Linear):
            lm_head_argmax(
                w.lm_head.weight, b.x[:n], w.norm, cfg.rms_eps, b.logits[:n], b.out_ids, b.argmax_ws,
                bookkeeping=book, pdl=pdl,
            )  # fmt: skip
        else:
            unfused.lm_head_logits(cfg, w.lm_head, w.norm, b, n)
            sample_tokens(b.logits[:n], self._greedy_f, self._greedy_i, b.out_ids, bookkeeping=book, pdl=pdl)
        if mode is StepMode.SAMPLE:
            sample_tokens(b.logits[:1], b.fparams, b.iparams, b.out_ids, bookkeeping=b.bookkeeping, pdl=pdl)
