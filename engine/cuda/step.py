"""One forward pass of 1..MAX_ROWS tokens as a fixed sequence of launches over `DecodeBuffers`.

Nothing here reads a value back to the host, and every launch's arguments are fixed addresses, so the
whole sequence can be captured once as a CUDA graph and replayed: the position and input ids are read
from device buffers at run time.

Per layer, bf16 weights run the fused kernels (norm+q/k/v+RoPE+cache, attention, o+residual,
norm+gate/up+SiLU, down+residual). Quantized weights run the fused quantized GEMVs: norm + each q/k/v
stack (+ RoPE and the cache write in passes of one or two rows; a separate kernel for more),
attention, o+residual, norm + the gate/up stack, down over silu(gate) * up + residual. Any other mix
goes through `unfused`.
"""

from __future__ import annotations

from enum import Enum

import torch

from kog.engine.config import ModelConfig
from kog.engine.cuda import unfused
from kog.engine.cuda.buffers import DecodeBuffers
from kog.engine.cuda.linear import Bf16Linear
from kog.engine.cuda.weights import LayerWeights, ModelWeights
from kog.kernels import (
    MAX_ROWS,
    argmax_tokens,
    attention_decode,
    embed_rows,
    gate_up_silu,
    gemv,
    lm_head_argmax,
    qkv_rope,
    rope_cache_write,
    sample_tokens,
)
from kog.kernels.attention import MAX_CLUSTER, cluster_context
from kog.kernels.launch import clusters_supported
from kog.kernels.quant import QuantLinear, gemv_rope_stacks


class StepMode(Enum):
    ROWS = "rows"  # n rows in, logits and greedy ids out; the host owns position and inputs
    GREEDY = "greedy"  # one row; its argmax becomes the next input and the position advances
    SAMPLE = "sample"  # one row; sampled with the fparams/iparams buffers, then the same advance


class DecodeStep:
    def __init__(self, cfg: ModelConfig, weights: ModelWeights, bufs: DecodeBuffers, *, pdl: bool) -> None:
        self.cfg, self.w, self.bufs, self.pdl = cfg, weights, bufs, pdl
        # Passes whose context fits one attention cluster a head can run a graph whose attention grid
        # holds only those slices (a grid sized for the whole cache launches blocks that leave at once).
        short = cluster_context(cfg.head_dim) if clusters_supported() else 0
        self.short_context = short if bufs.attention_ws.max_splits > MAX_CLUSTER else 0

    def record(self, n: int, mode: StepMode, short: bool = False) -> None:
        """Issues the launches of one pass over n rows on torch's current stream; `short`: the pass's
        context (its rows included) is at most `short_context` positions."""
        cfg, w, b, pdl = self.cfg, self.w, self.bufs, self.pdl
        splits = MAX_CLUSTER if short else None
        x = b.x[:n]
        if isinstance(w.embed, QuantLinear):
            w.embed.lookup(b.ids, n, b.x, pdl=pdl)
        else:
            embed_rows(w.embed, b.ids, n, b.x, pdl=pdl)
        for i, layer in enumerate(w.layers):
            k_cache, v_cache = b.k_cache[i], b.v_cache[i]
            if layer.fused_attention_input:
                qkv_rope(
                    layer.q.weight, layer.k.weight, layer.v.weight, layer.q_bias, layer.k_bias, layer.v_bias,
                    x, layer.attn_norm, cfg.rms_eps, b.inv_freq, b.state, b.q[:n], k_cache, v_cache, pdl=pdl,
                )  # fmt: skip
            elif layer.qkv_stacks:
                self._quant_attention_input(layer, i, n)
            else:
                unfused.attention_input(cfg, layer, i, b, n)
            attention_decode(
                b.q[:n], k_cache, v_cache, b.state, b.attn[:n], b.attention_ws, pdl=pdl, splits=splits
            )
            self._add_linear(layer.o, b.attn[:n], x)
            self._mlp(layer, n)
        self._head(n, mode)

    def _mlp(self, layer: LayerWeights, n: int) -> None:
        """x += down(silu(gate(norm(x))) * up(norm(x))) for the first n rows."""
        cfg, b, pdl = self.cfg, self.bufs, self.pdl
        x = b.x[:n]
        if layer.gate_up is not None and isinstance(layer.down, QuantLinear):
            gate_up = b.gate_up[:n]  # gate's outputs then up's, per row
            layer.gate_up.gemv(x, norm=layer.mlp_norm, eps=cfg.rms_eps, out=gate_up, pdl=pdl)
            layer.down.gemv(gate_up, silu_pair=True, residual=x, out=x, pdl=pdl)
            return
        if layer.fused_mlp_input:
            gate_up_silu(
                layer.gate.weight, layer.up.weight, x, layer.mlp_norm, cfg.rms_eps, out=b.mlp[:n], pdl=pdl
            )
        else:
            unfused.mlp_input(cfg, layer, b, n)
        self._add_linear(layer.down, b.mlp[:n], x)

    def _quant_attention_input(self, layer: LayerWeights, index: int, n: int) -> None:
        """Each q/k/v stack with the RMSNorm and biases fused, then RoPE and the cache write (fused into
        the stacks' GEMVs for passes of one or two rows)."""
        cfg, b, pdl = self.cfg, self.bufs, self.pdl
        if all(stack.fuses_rope(n, cfg.head_dim) for stack, _ in layer.qkv_stacks):
            gemv_rope_stacks(
                layer.qkv_stacks, b.x[:n], norm=layer.attn_norm, eps=cfg.rms_eps, inv_freq=b.inv_freq,
                state=b.state, q_out=b.q, k_cache=b.k_cache[index], v_cache=b.v_cache[index], pdl=pdl,
            )  # fmt: skip
            return
        outputs, offset = [], 0
        for stack, bias in layer.qkv_stacks:
            out = b.qkv_out[offset : offset + MAX_ROWS * stack.out_features].view(MAX_ROWS, -1)
            # A second stack reads the same x as the first: it runs beside it (waits at its end).
            stack.gemv(
                b.x[:n], norm=layer.attn_norm, eps=cfg.rms_eps, bias=bias, out=out[:n], pdl=pdl,
                overlap=bool(outputs),
            )  # fmt: skip
            outputs += [out[:, col:] for col in _starts(stack.out_features, layer, len(outputs))]
            offset += MAX_ROWS * stack.out_features
        q, k, v = outputs
        rope_cache_write(q, k, v, b.inv_freq, b.state, b.q, b.k_cache[index], b.v_cache[index], n, pdl=pdl)

    def _add_linear(self, weight: object, src: torch.Tensor, x: torch.Tensor) -> None:
        if isinstance(weight, Bf16Linear):
            gemv(weight.weight, src, residual=x, out=x, pdl=self.pdl)
        elif isinstance(weight, QuantLinear):
            weight.gemv(src, residual=x, out=x, pdl=self.pdl)
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
        elif isinstance(w.lm_head, QuantLinear) and mode is not StepMode.SAMPLE and w.lm_head.fuses_argmax(n):
            w.lm_head.gemv_argmax(
                b.x[:n], norm=w.norm, eps=cfg.rms_eps, logits=b.logits[:n], ids_out=b.out_ids,
                workspace=b.argmax_ws, bookkeeping=book, pdl=pdl,
            )  # fmt: skip
        else:
            if isinstance(w.lm_head, QuantLinear):
                w.lm_head.gemv(b.x[:n], norm=w.norm, eps=cfg.rms_eps, out=b.logits[:n], pdl=pdl)
            else:
                unfused.lm_head_logits(cfg, w.lm_head, w.norm, b, n)
            if mode is not StepMode.SAMPLE:  # sampling below picks the token instead
                argmax_tokens(b.logits[:n], b.out_ids, b.argmax_ws, bookkeeping=book, pdl=pdl)
        if mode is StepMode.SAMPLE:
            sample_tokens(b.logits[:1], b.fparams, b.iparams, b.out_ids, bookkeeping=b.bookkeeping, pdl=pdl)


def _starts(rows: int, layer: LayerWeights, done: int) -> list[int]:
    """Column offsets of the q/k/v parts (those after the first `done`) in a stack of `rows` rows."""
    parts = (layer.q, layer.k, layer.v)[done:]
    starts, col = [], 0
    for part in parts:
        if col >= rows:
            break
        starts.append(col)
        col += part.out_features
    return starts
