"""Draft-model drafting: a smaller model with the same tokenizer proposes tokens from its own KV cache."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import torch

from kog.engine.api import SamplingParams
from kog.engine.errors import UnsupportedModelError
from kog.engine.sampling import filtered_probs
from kog.engine.spec.prompt_lookup import AdaptiveK
from kog.engine.tokenizer import TextTokenizer


class LogitsRunner(Protocol):
    def forward(self, input_ids: torch.Tensor, start_pos: int, last_only: bool = False) -> torch.Tensor: ...


class DraftPicker:
    """Chooses each draft token: the argmax when greedy, else a draw from the drafter's own filtered
    distribution q, which is kept for the rejection rule (verify needs q over the target's vocabulary)."""

    def __init__(self, vocab_size: int):
        self.vocab_size = vocab_size
        self.params: SamplingParams | None = None  # None: greedy
        self.generator: torch.Generator | None = None
        self._probs: list[torch.Tensor] = []

    def set_sampling(self, params: SamplingParams, generator: torch.Generator | None) -> None:
        self.params = None if params.greedy else params
        self.generator = generator

    def start(self) -> None:
        self._probs = []

    def pick(self, logits: torch.Tensor) -> int:
        """One token from draft logits [vocab'] (padding rows past the target's vocabulary are cut off)."""
        logits = logits[: self.vocab_size]
        if self.params is None:
            return int(torch.argmax(logits))
        q = filtered_probs(logits.float().cpu(), self.params)
        token = int(torch.multinomial(q, 1, generator=self.generator))
        full = torch.zeros(self.vocab_size, dtype=torch.float32)
        full[: q.shape[-1]] = q
        self._probs.append(full)
        return token

    def probs(self, n: int) -> torch.Tensor | None:
        """[n, vocab] q of the first n tokens picked since start(); None when greedy."""
        if self.params is None:
            return None
        return torch.stack(self._probs[:n])


def shared_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix (slice comparisons run in C; the usual case is one of them)."""
    n = min(len(a), len(b))
    if list(a[:n]) == list(b[:n]):
        return n
    lo, hi = 0, n  # a[:lo] == b[:lo] and a[:hi] != b[:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if list(a[:mid]) == list(b[:mid]):
            lo = mid
        else:
            hi = mid
    return lo


def check_same_tokenizer(draft: TextTokenizer, target: TextTokenizer, draft_name: str) -> None:
    if draft.tokenizer.get_vocab(with_added_tokens=True) != target.tokenizer.get_vocab(
        with_added_tokens=True
    ):
        raise UnsupportedModelError(
            f"the draft model {draft_name!r} has a different tokenizer than the target model; "
            "a draft model must share its tokenizer (e.g. qwen2.5-coder-0.5b for qwen2.5-coder-1.5b)"
        )


class DraftModelDrafter:
    """Runs the draft model one token at a time from the end of the accepted text.

    Its KV cache holds `_cached`: the accepted text plus its own last drafts. Each proposal reuses the
    longest prefix shared with the new context and overwrites the rest (that is the rollback)."""

    def __init__(self, runner: LogitsRunner, target_vocab_size: int, k_max: int = 8):
        self.runner = runner
        self.picker = DraftPicker(target_vocab_size)
        self.k_max = k_max
        self.adaptive = AdaptiveK(k_max=k_max)
        self._cached: list[int] = []  # tokens whose KV sits in the draft runner's cache, in order
        self._last = 0

    def set_sampling(self, params: SamplingParams, generator: torch.Generator | None) -> None:
        self.picker.set_sampling(params, generator)

    def next_k(self) -> int:
        return self.adaptive.step()

    def propose(self, tokens: Sequence[int], k: int) -> list[int]:
        if k <= 0 or not tokens:
            return []
        # At least the last token is run again: its logits give the first draft.
        reuse = shared_prefix(self._cached, tokens[:-1])
        pos = len(tokens)
        self.picker.start()
        logits = self.runner.forward(torch.tensor(list(tokens[reuse:])), reuse, last_only=True)[-1]
        drafts: list[int] = []
        for i in range(k):
            drafts.append(self.picker.pick(logits))
            if i + 1 < k:
                logits = self.runner.forward(torch.tensor(drafts[-1:]), pos + i)[-1]
        self._cached = [*tokens, *drafts[:-1]]
        self._last = len(drafts)
        return drafts

    def observe(self, accepted: int, proposed: int) -> None:
        self.adaptive.update(accepted, proposed)

    def draft_probs(self) -> torch.Tensor | None:
        return self.picker.probs(self._last)

    def reset(self) -> None:
        # The draft cache stays: the next prompt usually shares a prefix with this one.
        self.adaptive = AdaptiveK(k_max=self.k_max)
        self.picker.params = None
