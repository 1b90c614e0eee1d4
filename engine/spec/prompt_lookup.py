"""Prompt-lookup drafting: find the latest earlier occurrence of the text's tail and propose what followed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


class AdaptiveK:
    """Draft length that grows while drafts are accepted and shrinks when they are not."""

    def __init__(self, k_min: int = 1, k_max: int = 8, k_start: int = 4):
        self.k_min, self.k_max, self.k = k_min, k_max, k_start

    def update(self, accepted: int, proposed: int) -> None:
        if proposed == 0:
            return
        if accepted == proposed:
            self.k = min(self.k + 2, self.k_max)
        else:
            self.k = max(self.k_min, min(self.k - 1, accepted + 1))


class PromptLookupDrafter:
    def __init__(self, max_ngram: int = 4, min_ngram: int = 1, k_max: int = 8, window: int = 8192):
        self.max_ngram, self.min_ngram, self.window = max_ngram, min_ngram, window
        self.adaptive = AdaptiveK(k_max=k_max)
        self.misses = 0  # proposals in a row that found no match

    @property
    def k(self) -> int:
        return self.adaptive.k

    def propose(self, tokens: Sequence[int], k: int) -> list[int]:
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
