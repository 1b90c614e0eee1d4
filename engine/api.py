"""The engine's public value types: what callers pass in and what they get back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kog.engine.errors import InvalidSamplingError


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True)
class SamplingParams:
    max_tokens: int = 256
    temperature: float = 0.0  # 0 means greedy
    top_p: float = 1.0
    top_k: int = 0  # 0 means no top-k cut
    seed: int | None = None
    stop: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.max_tokens < 1:
            raise InvalidSamplingError(f"max_tokens must be at least 1, got {self.max_tokens}")
        if not 0.0 <= self.temperature <= 100.0:
            raise InvalidSamplingError(f"temperature must be in [0, 100], got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise InvalidSamplingError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.top_k < 0:
            raise InvalidSamplingError(f"top_k must be 0 (off) or positive, got {self.top_k}")
        if isinstance(self.stop, str):
            object.__setattr__(self, "stop", (self.stop,))
        if any(not s for s in self.stop):
            raise InvalidSamplingError("stop strings must not be empty")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


@dataclass
class Stats:
    prompt_tokens: int = 0
    reused_tokens: int = 0  # prompt tokens whose KV came from the previous call
    generated_tokens: int = 0
    prefill_s: float = 0.0
    decode_s: float = 0.0
    ttft_s: float = 0.0  # time to first token, from the call
    forward_passes: int = 0  # decode forward passes (fewer than tokens with speculation)
    drafted: int = 0
    accepted: int = 0
    accepted_by_position: list[int] = field(default_factory=list)

    @property
    def prefill_tok_s(self) -> float:
        computed = self.prompt_tokens - self.reused_tokens
        return computed / self.prefill_s if self.prefill_s > 0 else 0.0

    @property
    def decode_tok_s(self) -> float:
        # The first token comes out of prefill; decode speed counts the ones after it.
        n = max(self.generated_tokens - 1, 0)
        return n / self.decode_s if self.decode_s > 0 else 0.0

    @property
    def tokens_per_pass(self) -> float:
        return (self.generated_tokens - 1) / self.forward_passes if self.forward_passes else 1.0

    def summary(self) -> str:
        line = (
            f"prompt {self.prompt_tokens} tok (reused {self.reused_tokens}), "
            f"prefill {self.prefill_tok_s:.1f} tok/s, ttft {self.ttft_s * 1000:.0f} ms, "
            f"decode {self.generated_tokens} tok at {self.decode_tok_s:.1f} tok/s"
        )
        if self.drafted:
            line += f", {self.tokens_per_pass:.2f} tok/pass ({self.accepted}/{self.drafted} drafts accepted)"
        return line


@dataclass(frozen=True)
class Chunk:
    """A piece of streamed output. The last chunk of a stream has finish_reason and stats set."""

    text: str
    token_ids: tuple[int, ...] = ()
    finish_reason: str | None = None  # "stop" | "length" | None while streaming
    stats: Stats | None = None


@dataclass(frozen=True)
class Completion:
    text: str
    token_ids: tuple[int, ...]
    finish_reason: str
    stats: Stats


@dataclass(frozen=True)
class Alternative:
    token: int
    text: str
    logprob: float


@dataclass(frozen=True)
class TokenScore:
    """One token of a scored reply: its text (the reply's texts join into the reply), its
    log-probability after everything before it, and the model's most likely tokens at that place."""

    token: int
    text: str
    logprob: float
    top: tuple[Alternative, ...]


@dataclass(frozen=True)
class ModelInfo:
    name: str
    arch: str  # "qwen2" | "llama"
    device: str  # "cpu" | "cuda:0" ...
    dtype: str  # "float32" | "bfloat16" | "q4_k_m" ...
    context_length: int
    vocab_size: int
    n_params: int


# (stage, done, total): total is 0 when unknown. Stages: "assemble", "convert", "load".
ProgressFn = Callable[[str, int, int], None]
