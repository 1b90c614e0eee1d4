"""Prompt-lookup drafting: find the latest earlier occurrence of the text's tail and propose what followed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
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
    def __init__(self, max_ngram: int = 4, min_ngram: int = 1, k_max: int = 8, window: int = 8192):
        self.max_ngram, self.min_ngram, self.window = max_ngram, min_ngram, window
        self.adaptive = AdaptiveK(k_max=k_max)

    def next_k(self) -> int:
        return self.adaptive.step()

    def propose(self, tokens: Sequence[int], k: int) -> list[int]:
        if k <= 0:
            return []
        ctx = np.asarray(tokens[-self.window :], dtype=np.int64)
        n_ctx = len(ctx)
        for n in range(min(self.max_ngram, n_ctx - 1), self.min_ngram - 1, -1):
            tail = ctx[n_ctx - n :]
            # Candidate starts i with ctx[i:i+n] == tail and a continuation after it (i + n < n_ctx).
            hits = np.ones(n_ctx - n, dtype=bool)
            for j in range(n):
                hits &= ctx[j : n_ctx - n + j] == tail[j]
            starts = np.flatnonzero(hits)
            if len(starts):
                begin = int(starts[-1]) + n  # the latest match is the most relevant in agent output
                return ctx[begin : begin + k].tolist()
        return []

    def observe(self, accepted: int, proposed: int) -> None:
        self.adaptive.update(accepted, proposed)

    def draft_probs(self) -> torch.Tensor | None:
        return None

    def reset(self) -> None:
        self.adaptive = AdaptiveK(k_max=self.adaptive.k_max)
