"""The CUDA runner: torch prefill, then decode passes that are single CUDA-graph replays of custom kernels.

The position and input ids live in device buffers the graphs read, and the sampled token is written
back into the input buffer on the device, so decode steps chain without the host. The host reads one
token id per step through a pinned buffer (`decode_step`, `stream`), or none at all (`decode`).
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Iterator, Mapping

import torch

from kog.engine.api import ProgressFn
from kog.engine.config import ModelConfig
from kog.engine.cuda.buffers import HISTORY_LEN, DecodeBuffers
from kog.engine.cuda.graphs import StepGraphs
from kog.engine.cuda.linear import LinearFactory
from kog.engine.cuda.prefill import prefill
from kog.engine.cuda.step import DecodeStep, StepMode
from kog.engine.cuda.weights import ModelWeights
from kog.engine.errors import DeviceError, PromptTooLongError, UnsupportedModelError
from kog.kernels import MAX_ROWS, cuda_kernels_available, sampling_params_tensors
from kog.kernels.build import prebuild, recording

PREFILL_CHUNK = 4096


def check_supported(cfg: ModelConfig) -> None:
    group = cfg.n_heads // max(cfg.n_kv_heads, 1)
    if cfg.n_heads % cfg.n_kv_heads or group > 8:
        raise UnsupportedModelError(
            f"the CUDA kernels take up to 8 query heads per KV head, not {cfg.n_heads}/{cfg.n_kv_heads}"
        )
    if cfg.head_dim not in (32, 64, 128, 256):
        raise UnsupportedModelError(f"the CUDA kernels take head_dim 32, 64, 128 or 256, not {cfg.head_dim}")
    if cfg.hidden_size % 8 or cfg.intermediate_size % 8:
        raise UnsupportedModelError(
            "the CUDA kernels need hidden and intermediate sizes that are multiples of 8"
        )


class CudaRunner:
    max_rows = MAX_ROWS  # rows a graph-captured pass takes; more go through the prefill path
    pass_cost: list[float] | None = None  # seconds per pass of 1..max_rows rows, measured by prepare()

    def __init__(
        self,
        cfg: ModelConfig,
        weights: Mapping[str, object],
        max_seq_len: int,
        *,
        device: torch.device | str = "cuda",
        linear_factory: LinearFactory | None = None,
        pdl: bool | None = None,
        use_graphs: bool = True,
    ) -> None:
        if not cuda_kernels_available():
            raise DeviceError("the CUDA runner needs a CUDA GPU and CuPy")
        check_supported(cfg)
        self.device = torch.device(device)
        if self.device.index is None:
            self.device = torch.device("cuda", torch.cuda.current_device())
        self.cfg, self.max_seq_len = cfg, max_seq_len
        # Programmatic dependent launch needs Hopper or newer.
        self.pdl = torch.cuda.get_device_capability(self.device) >= (9, 0) if pdl is None else pdl
        with torch.cuda.device(self.device):
            self.weights = ModelWeights.from_dict(cfg, weights, self.device, linear_factory)
            self.bufs = DecodeBuffers.allocate(cfg, max_seq_len, self.device)
            self.graphs = StepGraphs(
                DecodeStep(cfg, self.weights, self.bufs, pdl=self.pdl), enabled=use_graphs
            )
            self._events = [torch.cuda.Event(), torch.cuda.Event()]
            self._host_slots = [torch.zeros(1, dtype=torch.int32).pin_memory() for _ in range(2)]
        self.position = 0  # host mirror of state[0]: where the next decode input goes
        self._decoded = 0  # host mirror of state[1]
        self._mode = StepMode.GREEDY

    @torch.inference_mode()
    def prepare(self, rows: range = range(1, MAX_ROWS + 1), progress: ProgressFn | None = None) -> None:
        """Builds the kernels and captures the graphs of passes of `rows` rows now (speculative
        verification runs 2..MAX_ROWS rows), so the first tokens do not wait for compilation; with a
        cache long enough for both, the graphs of short and long contexts. The modules compile several
        at once: the stored-block formats' for every pass size first, then, after the smallest and the
        largest pass (between them every kind of launch a pass makes), the sources the largest built
        for its row count, for every size. Runs passes at position 0, so call it before a prompt fills
        the cache."""
        kinds = [False, True] if self.graphs.step.short_context else [False]
        sizes = list(rows)
        before = 0  # modules the first build counted: the second continues its count

        def built(done: int, total: int) -> None:
            if progress:
                progress("build kernels", before + done, before + total)

        def capture(n: int) -> None:
            self.bufs.ids[:n].zero_()
            for short in kinds:
                self.graphs.run(n, StepMode.ROWS, short)

        with torch.cuda.device(self.device):
            self.bufs.state[0].fill_(0)
            index = self.device.index
            before = prebuild(
                [(source, n) for source in self.weights.stored_sources() for n in sizes], index, built
            )
            capture(sizes[0])
            with recording() as used:
                capture(sizes[-1])
            # What the largest pass built for its own row count, every size takes a build of.
            scaled = {source for source, n in used if n == sizes[-1]}
            prebuild([(source, n) for source in scaled for n in sizes], index, built)
            for i, n in enumerate(sizes):
                if progress:
                    progress("capture graphs", i, len(sizes))
                capture(n)
            for short in kinds:
                self.graphs.run(1, self._mode, short)
            if progress:
                progress("capture graphs", len(sizes), len(sizes))
            self.pass_cost = self._time_passes(max(sizes)) if self.graphs.enabled else None
            self.bufs.state.zero_()
        self.position, self._decoded = 0, 0

    def _time_passes(self, most: int, repeats: int = 5) -> list[float]:
        """Seconds per pass as the engine runs them, the host's part included (median of `repeats`, at
        position 0): one row is a plain decode step (its token picked on the device), n rows a
        verification pass whose logits are argmaxed and read back. The engine weighs drafts against these."""
        ids = torch.zeros(most, dtype=torch.long)
        costs = []
        for n in range(1, most + 1):
            times = []
            for _ in range(repeats):
                torch.cuda.synchronize(self.device)
                start = time.perf_counter()
                if n == 1:
                    self.decode_step(0, 0)
                else:
                    self.forward(ids[:n], 0).argmax(-1).tolist()
                times.append(time.perf_counter() - start)
            costs.append(sorted(times)[len(times) // 2])
        return costs

    def _short(self, end: int) -> bool:
        """Whether a pass ending before position `end` runs the graphs for short contexts."""
        return end <= self.graphs.step.short_context

    def _check_fits(self, start: int, n: int) -> None:
        if start < 0 or start + n > self.max_seq_len:
            raise PromptTooLongError(
                f"positions {start}..{start + n - 1} do not fit the {self.max_seq_len}-token cache"
            )

    @torch.inference_mode()
    def forward(self, input_ids: torch.Tensor, start_pos: int, last_only: bool = False) -> torch.Tensor:
        """Logits fp32 [n, vocab] (or [1, vocab]) of n new tokens at start_pos.., written into the cache."""
        ids = input_ids.reshape(-1).to(self.device)
        n = ids.numel()
        self._check_fits(start_pos, n)
        with torch.cuda.device(self.device):
            if n <= MAX_ROWS:
                self.bufs.ids[:n].copy_(ids)
                self.bufs.state[0].fill_(start_pos)
                self.graphs.run(n, StepMode.ROWS, self._short(start_pos + n))
                logits = self.bufs.logits[n - 1 : n] if last_only else self.bufs.logits[:n]
                return logits.clone()
            chunks = []
            for begin in range(0, n, PREFILL_CHUNK):
                part = ids[begin : begin + PREFILL_CHUNK]
                is_last = begin + PREFILL_CHUNK >= n
                if last_only and not is_last:
                    prefill(self.cfg, self.weights, self.bufs, part, start_pos + begin, last_only=True)
                    continue
                chunks.append(prefill(self.cfg, self.weights, self.bufs, part, start_pos + begin, last_only))
            return torch.cat(chunks) if len(chunks) > 1 else chunks[0]

    def set_sampling(
        self, temperature: float = 0.0, top_p: float = 1.0, top_k: int = 0, seed: int | None = None
    ) -> None:
        """How decode steps pick tokens: greedy at temperature 0, else sampled on the device."""
        self._mode = StepMode.GREEDY if temperature <= 0 else StepMode.SAMPLE
        # The draw counter (state[1]) restarts, so a seed gives the same tokens from the same start.
        self.bufs.state[1].fill_(0)
        self._decoded = 0
        seed = random.getrandbits(63) if seed is None else seed
        fparams, iparams = sampling_params_tensors(temperature, top_p, top_k, seed, self.device)
        self.bufs.fparams.copy_(fparams)
        self.bufs.iparams.copy_(iparams)

    def start(self, token: int, pos: int) -> None:
        """Sets the next decode input: `token` at position `pos` (its KV is written by that step)."""
        self._check_fits(pos, 1)
        self.bufs.ids[0].fill_(token)
        self.bufs.state[0].fill_(pos)
        self.position = pos

    @torch.inference_mode()
    def decode_step(self, token: int | None = None, pos: int | None = None) -> int:
        """One decode step (one graph replay); returns the new token, which is also the next input."""
        if token is not None:
            self.start(token, self.position if pos is None else pos)
        self._run_steps(1)
        host = self._host_slots[0]
        host.copy_(self.bufs.ids[:1], non_blocking=True)
        self._events[0].record()
        self._events[0].synchronize()
        return int(host[0])

    @torch.inference_mode()
    def decode(self, n_tokens: int, token: int | None = None, pos: int | None = None) -> torch.Tensor:
        """n_tokens decode steps back to back with no host sync; their tokens as a device int32 tensor."""
        if not 1 <= n_tokens <= HISTORY_LEN:
            raise ValueError(f"n_tokens must be in 1..{HISTORY_LEN}")
        if token is not None:
            self.start(token, self.position if pos is None else pos)
        first = self._decoded
        self._run_steps(n_tokens)
        slots = torch.arange(first, first + n_tokens, device=self.device) % HISTORY_LEN
        return self.bufs.history[slots]

    @torch.inference_mode()
    def stream(self, max_new: int, token: int | None = None, pos: int | None = None) -> Iterator[int]:
        """Yields up to max_new tokens; the device runs one step ahead of the host, which reads each
        token through a pinned buffer. If the consumer stops early, that extra step's KV entry is left
        beyond `position` (it is overwritten later) and the next call must pass token and pos again."""
        if token is not None:
            self.start(token, self.position if pos is None else pos)
        base = self.position
        pending: deque[int] = deque()
        yielded, last = 0, -1
        try:
            for i in range(max_new):
                self._run_steps(1)
                slot = i % 2
                self._host_slots[slot].copy_(self.bufs.ids[:1], non_blocking=True)
                self._events[slot].record()
                pending.append(slot)
                if len(pending) == 2:
                    last = self._take(pending.popleft())
                    yielded += 1
                    yield last
            while pending:
                last = self._take(pending.popleft())
                yielded += 1
                yield last
        finally:
            if pending and yielded:  # stopped early: the device ran ahead, point it back at the last token
                self.start(last, base + yielded)
            self.position = base + yielded

    def _take(self, slot: int) -> int:
        self._events[slot].synchronize()
        return int(self._host_slots[slot][0])

    def _run_steps(self, n_steps: int) -> None:
        self._check_fits(self.position, n_steps)
        with torch.cuda.device(self.device):
            for i in range(n_steps):
                self.graphs.run(1, self._mode, self._short(self.position + i + 1))
        self.position += n_steps
        self._decoded += n_steps
