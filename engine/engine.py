"""The engine: one loaded model, a runner with its KV cache, and streaming generation with prefix reuse."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import torch

from kog.engine.api import Chunk, Completion, Message, ModelInfo, ProgressFn, SamplingParams, Stats
from kog.engine.errors import DeviceError, PromptTooLongError
from kog.engine.loader import LoadedModel, load_model
from kog.engine.registry import resolve_model
from kog.engine.runner_torch import TorchRunner
from kog.engine.sampling import make_generator, sample
from kog.engine.stops import StopMatcher
from kog.engine.tokenizer import StreamDecoder

PREFILL_CHUNK = 512
DEFAULT_MAX_SEQ_LEN = 16384


def pick_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError(f"device {device!r} was asked for, but no CUDA GPU is available here (use --device cpu)")
    if dev.type not in ("cpu", "cuda"):
        raise DeviceError(f"unknown device {device!r} (use auto, cpu or cuda)")
    return dev


def pick_dtype(device: torch.device, dtype: torch.dtype | str | None) -> torch.dtype:
    if dtype is None:
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if isinstance(dtype, str):
        try:
            return {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
                    "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}[dtype]
        except KeyError:
            raise DeviceError(f"unknown dtype {dtype!r} (use float32, bfloat16 or float16)") from None
    return dtype


class Engine:
    def __init__(self, model: LoadedModel, device: torch.device, dtype: torch.dtype, max_seq_len: int):
        self.model, self.tokenizer, self.cfg = model, model.tokenizer, model.cfg
        self.max_seq_len = min(max_seq_len, model.cfg.context_length)
        weights = {k: v.to(device) for k, v in model.weights.items()}
        self.runner = TorchRunner(model.cfg, weights, self.max_seq_len, dtype)
        self.info = ModelInfo(
            name=model.name, arch=model.cfg.arch, device=str(device), dtype=str(dtype).removeprefix("torch."),
            context_length=self.max_seq_len, vocab_size=model.cfg.vocab_size, n_params=model.cfg.n_params(),
        )
        self._cached: list[int] = []  # tokens whose KV sits in the runner's cache, in order
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        model: str | Path,
        device: str = "auto",
        dtype: torch.dtype | str | None = None,
        progress: ProgressFn | None = None,
        max_seq_len: int | None = None,
    ) -> Engine:
        dev = pick_device(device)
        dt = pick_dtype(dev, dtype)
        loaded = load_model(resolve_model(model, progress), dt, progress)
        return cls(loaded, dev, dt, max_seq_len or DEFAULT_MAX_SEQ_LEN)

    # -- prompts ---------------------------------------------------------------------------------
    def render(self, prompt: str | Sequence[Message]) -> str:
        if isinstance(prompt, str):
            return prompt
        return self.model.chat_template.render(list(prompt), add_generation_prompt=True)

    def encode(self, prompt: str | Sequence[Message]) -> list[int]:
        return self.tokenizer.encode(self.render(prompt))

    def count_tokens(self, prompt: str | Sequence[Message]) -> int:
        return len(self.encode(prompt))

    # -- generation ------------------------------------------------------------------------------
    def generate(self, prompt: str | Sequence[Message], params: SamplingParams | None = None) -> Completion:
        texts, ids, last = [], [], None
        for chunk in self.stream(prompt, params or SamplingParams()):
            texts.append(chunk.text)
            ids.extend(chunk.token_ids)
            last = chunk
        assert last is not None and last.stats is not None
        return Completion("".join(texts), tuple(ids), last.finish_reason or "stop", last.stats)

    def stream(self, prompt: str | Sequence[Message], params: SamplingParams | None = None) -> Iterator[Chunk]:
        params = params or SamplingParams()
        with self._lock:
            yield from self._stream(self.encode(prompt), params)

    def _stream(self, ids: list[int], params: SamplingParams) -> Iterator[Chunk]:
        t0 = time.perf_counter()
        if not ids:
            ids = [self.tokenizer.bos_id if self.tokenizer.bos_id is not None else 0]
        if len(ids) >= self.max_seq_len:
            raise PromptTooLongError(
                f"the prompt is {len(ids)} tokens; the context holds {self.max_seq_len} (prompt plus output)"
            )
        max_new = min(params.max_tokens, self.max_seq_len - len(ids))
        stats = Stats(prompt_tokens=len(ids))
        logits = self._prefill(ids, stats)
        stats.prefill_s = time.perf_counter() - t0
        gen = make_generator(params.seed, "cpu")
        decoder, stops = StreamDecoder(self.tokenizer), StopMatcher(tuple(params.stop))
        finish = "length"
        t_decode = time.perf_counter()
        for step in range(max_new):
            token = sample(logits[-1].cpu() if logits.device.type != "cpu" else logits[-1], params, gen)
            if step == 0:
                stats.ttft_s = time.perf_counter() - t0
                t_decode = time.perf_counter()
            stats.generated_tokens += 1
            if token in self.tokenizer.eos_ids:
                finish = "stop"
                break
            text, hit = stops.feed(decoder.push(token))
            if hit:
                finish = "stop"
                if text:
                    yield Chunk(text, (token,))
                break
            if text or step == 0:
                yield Chunk(text, (token,))
            else:
                yield Chunk("", (token,))
            if step + 1 < max_new:
                logits = self._decode(token, stats)
        stats.decode_s = time.perf_counter() - t_decode
        yield Chunk(stops.flush() if finish == "length" else "", (), finish, stats)

    def _prefill(self, ids: list[int], stats: Stats) -> torch.Tensor:
        # Reuse the KV of the longest shared prefix; at least one token is recomputed for its logits.
        reuse = 0
        for a, b in zip(self._cached, ids[:-1], strict=False):
            if a != b:
                break
            reuse += 1
        stats.reused_tokens = reuse
        self._cached = ids[:reuse]
        logits = None
        for start in range(reuse, len(ids), PREFILL_CHUNK):
            chunk = ids[start : start + PREFILL_CHUNK]
            logits = self.runner.forward(torch.tensor(chunk), start, last_only=True)
            self._cached.extend(chunk)
        assert logits is not None
        return logits

    def _decode(self, token: int, stats: Stats) -> torch.Tensor:
        pos = len(self._cached)
        logits = self.runner.forward(torch.tensor([token]), pos)
        self._cached.append(token)
        stats.forward_passes += 1
        return logits
