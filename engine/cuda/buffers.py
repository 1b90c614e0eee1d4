"""Every device buffer a decode step touches, allocated once so captured graphs can replay over them."""

from __future__ import annotations

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
        def f32(*shape: int) -> torch.Tensor:
            return torch.zeros(*shape, dtype=torch.float32, device=device)

        cache_shape = (cfg.n_layers, cfg.n_kv_heads, max_seq, cfg.head_dim)
        fparams, iparams = sampling_params_tensors(0.0, 1.0, 0, 0, device)
        return cls(
            state=torch.zeros(2, dtype=torch.int32, device=device),
            ids=torch.zeros(MAX_ROWS, dtype=torch.int32, device=device),
            out_ids=torch.zeros(MAX_ROWS, dtype=torch.int32, device=device),
            history=torch.zeros(HISTORY_LEN, dtype=torch.int32, device=device),
            x=f32(MAX_ROWS, cfg.hidden_size),
            q=f32(MAX_ROWS, cfg.q_size),
            attn=f32(MAX_ROWS, cfg.q_size),
            mlp=f32(MAX_ROWS, cfg.intermediate_size),
            logits=f32(MAX_ROWS, cfg.vocab_size),
            k_cache=torch.zeros(cache_shape, dtype=torch.bfloat16, device=device),
            v_cache=torch.zeros(cache_shape, dtype=torch.bfloat16, device=device),
            inv_freq=rope_inv_freq(cfg.head_dim, cfg.rope_theta, device),
            attention_ws=AttentionWorkspace.allocate(
                cfg.n_heads, cfg.n_kv_heads, cfg.head_dim, max_seq, device
            ),
            argmax_ws=ArgmaxWorkspace.allocate(device),
            fparams=fparams,
            iparams=iparams,
            token_host=torch.zeros(1, dtype=torch.int32).pin_memory(),
        )

    @property
    def bookkeeping(self) -> DecodeBookkeeping:
        return DecodeBookkeeping(self.state, self.ids, self.history)
