"""The plain-PyTorch runner: CPU default and the reference for every fast path."""

from __future__ import annotations

import torch

from kog.engine.config import ModelConfig
from kog.engine.models.blocks import BLOCK_PREFILL_CHUNK, BlockWeight
from kog.engine.models.decoder import Decoder
from kog.engine.models.kv_cache import KVCache
from kog.kernels.cpu import CpuMatvec


class TorchRunner:
    def __init__(
        self,
        cfg: ModelConfig,
        weights: dict[str, torch.Tensor],
        max_seq_len: int,
        dtype: torch.dtype,
        matvec: CpuMatvec | None = None,
    ):
        """`matvec`: the compiled CPU kernel for bf16 / int8 matrix-vector products and the small steps
        around them in bf16 / float32 (None: torch's own)."""
        device = weights["embed"].device
        self.cfg, self.device, self.dtype, self.max_seq_len = cfg, device, dtype, max_seq_len
        # Int8 weights compute in bfloat16 (activations and the KV cache).
        self.compute_dtype = torch.bfloat16 if dtype == torch.int8 else dtype
        self.cache = KVCache(cfg, max_seq_len, self.compute_dtype, device)
        self.model = Decoder(cfg, weights, self.cache, matvec)
        if any(isinstance(w, BlockWeight) for w in weights.values()):
            # Stored blocks are dequantized once per prefill chunk: fewer, longer chunks.
            self.prefill_chunk = BLOCK_PREFILL_CHUNK

    @torch.inference_mode()
    def forward(self, input_ids: torch.Tensor, start_pos: int, last_only: bool = False) -> torch.Tensor:
        """Logits [n, vocab] (or [1, vocab] with last_only) for n new tokens at start_pos.."""
        hidden = self.model.hidden(input_ids.to(self.device), start_pos)
        if last_only:
            hidden = hidden[-1:]
        return self.model.logits(hidden)

    @torch.inference_mode()
    def forward_hidden(self, input_ids: torch.Tensor, start_pos: int) -> torch.Tensor:
        return self.model.hidden(input_ids.to(self.device), start_pos)
