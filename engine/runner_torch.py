"""The plain-PyTorch runner: CPU default and the reference for every fast path."""

from __future__ import annotations

import time

import torch

from kog.engine.config import ModelConfig
from kog.engine.models.blocks import BLOCK_PREFILL_CHUNK, BlockWeight
from kog.engine.models.decoder import Decoder
from kog.engine.models.kv_cache import KVCache
from kog.kernels.cpu import MAX_ROWS, CpuMatvec

# How an untimed pass of n rows is guessed from the timed ones: the one-row step plus this share of it
# a further row (the 0.5B over the compiled kernel on an AVX2 CPU: 39 / 49 / 74 / 125 ms for 1 / 2 / 4 /
# 8 rows). A guess only until such a pass has run; it is then the measured time.
EXTRA_ROW_SHARE = 0.3
PASS_COST_WEIGHT = 0.3  # weight of the newest time in each row count's running average


class TorchRunner:
    _timing = False  # times its passes (a runner with the compiled kernel, until a table is set)
    _pass_cost: list[float] | None = None

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
        if matvec is not None:
            # Passes of more rows than the compiled kernel takes run the prefill path, several times the
            # cost of its longest pass (0.5B, AVX2: 8 rows 125 ms, 9 rows 513): verification passes stop
            # there, and the engine weighs drafts against the passes' times as measured here.
            self.max_rows = MAX_ROWS
            self._pass_times: list[float | None] = [None] * MAX_ROWS
            self._timing = True

    @property
    def pass_cost(self) -> list[float] | None:
        """Seconds a pass of 1..max_rows rows takes, as timed so far (None before the first step); set,
        a table that stays as set (None: the engine drafts as its drafter asks)."""
        return self._pass_cost

    @pass_cost.setter
    def pass_cost(self, costs: list[float] | None) -> None:
        self._pass_cost, self._timing = costs, False

    @torch.inference_mode()
    def forward(self, input_ids: torch.Tensor, start_pos: int, last_only: bool = False) -> torch.Tensor:
        """Logits [n, vocab] (or [1, vocab] with last_only) for n new tokens at start_pos.."""
        n = input_ids.numel()  # verification passes and steps are timed (a prompt's last rows are not)
        timed = self._timing and n <= self.max_rows and (n == 1 or not last_only)
        start = time.perf_counter() if timed else 0.0
        hidden = self.model.hidden(input_ids.to(self.device), start_pos)
        if last_only:
            hidden = hidden[-1:]
        logits = self.model.logits(hidden)
        if timed:
            self._time_pass(n, time.perf_counter() - start)
        return logits

    def _time_pass(self, rows: int, seconds: float) -> None:
        """A pass's time into its row count's running average, and `pass_cost` (updated in place: the
        engine's draft planner holds the list) with a guess for every row count not yet run."""
        old = self._pass_times[rows - 1]
        self._pass_times[rows - 1] = seconds if old is None else old + PASS_COST_WEIGHT * (seconds - old)
        one = self._pass_times[0]
        if one is None:
            return
        costs = [
            t if t is not None else one * (1 + EXTRA_ROW_SHARE * i) for i, t in enumerate(self._pass_times)
        ]
        if self._pass_cost is None:
            self._pass_cost = costs
        else:
            self._pass_cost[:] = costs

    @torch.inference_mode()
    def forward_hidden(self, input_ids: torch.Tensor, start_pos: int) -> torch.Tensor:
        return self.model.hidden(input_ids.to(self.device), start_pos)
