"""Prompt-lookup drafting: find the latest earlier occurrence of the text's tail and propose what followed."""

from __future__ import annotations

from collections.abc import Sequence

import torch


class AdaptiveK:
    """Draft length that grows while drafts are accepted and shrinks when they are not; after a run of
    wholly rejected drafts it rests (k = 0) for a while, so text that drafting cannot help costs nothing."""

    def __init__(self, k_min: int = 1, k_max: int = 8, k_start: int = 4, patience: int = 3, rest: int = 16):
        self.k_min, self.k_max, self.k_start, self.patience, self.rest = k_min, k_max, k_start, patience, rest
        self.k = k_start
        self._misses = 0
        self._resting = 0

    def step(self) -> int:
        """The draft length for the next pass."""
        if self._resting:
            self._resting -= 1
            if not self._resting:
                self.k = self.k_min
            return 0
        return self.k

    def update(self, accepted: int, proposed: int) -> None:
        if proposed == 0:
            return
        self._misses = self._misses + 1 if accepted == 0 else 0
        if self._misses >= self.patience:
            self._misses, self._resting = 0, self.rest
        elif accepted == proposed:
            self.k = min(self.k + 2, self.k_max)
        else:
            self.k = max(self.k_min, min(self.k - 1, accepted + 1))


class PromptLookupDrafter:
    """Proposes what followed the latest earlier occurrence of the context's last n tokens (longest n
    first). The n-grams are indexed as the context grows, so a proposal costs a few dictionary lookups
    however long the prompt is (on a GPU a step is a millisecond; a scan of the context is not free)."""

    def __init__(self, max_ngram: int = 4, min_ngram: int = 1, k_max: int = 8):
        self.max_ngram, self.min_ngram = max_ngram, min_ngram
        self.adaptive = AdaptiveK(k_max=k_max)
        self._clear()

    def _clear(self) -> None:
        self._indexed: list[int] = []  # the context the index covers
        # n -> {n-gram: where the token after its latest occurrence is}
        self._after: dict[int, dict[tuple[int, ...], int]] = {
            n: {} for n in range(self.min_ngram, self.max_ngram + 1)
        }

    def next_k(self) -> int:
        return self.adaptive.step()

    def _sync(self, tokens: Sequence[int]) -> None:
        """Indexes every n-gram of `tokens` that has a token after it (the context only grows within a
        call; anything else starts the index afresh)."""
        seen = self._indexed
        if len(tokens) < len(seen) or (seen and tokens[len(seen) - 1] != seen[-1]):
            self._clear()
            seen = self._indexed
        for end in range(max(len(seen), 1), len(tokens)):
            for n, table in self._after.items():
                if end >= n:
                    table[tuple(tokens[end - n : end])] = end
        seen.extend(tokens[len(seen) :])

    def propose(self, tokens: Sequence[int], k: int) -> list[int]:
        self._sync(tokens)
        if k <= 0:
            return []
        for n in range(min(self.max_ngram, len(tokens) - 1), self.min_ngram - 1, -1):
            after = self._after[n].get(tuple(tokens[len(tokens) - n :]))
            if after is not None:
                return list(tokens[after : after + k])
        return []

    def observe(self, accepted: int, proposed: int) -> None:
        self.adaptive.update(accepted, proposed)

    def draft_probs(self) -> torch.Tensor | None:
        return None

    def reset(self) -> None:
        self.adaptive = AdaptiveK(k_max=self.adaptive.k_max)
        self._clear()
