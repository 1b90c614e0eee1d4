"""Speculative decoding: drafters propose tokens, one forward pass over k+1 positions verifies them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import torch


class Drafter(Protocol):
    def next_k(self) -> int:
        """How many tokens to draft for the next pass (0: plain decoding this pass)."""
        ...

    def propose(self, tokens: Sequence[int], k: int) -> list[int]:
        """Up to k tokens likely to follow `tokens` (the whole context: prompt and output so far)."""
        ...

    def observe(self, accepted: int, proposed: int) -> None:
        """How many of the last proposal's tokens were accepted."""
        ...

    def draft_probs(self) -> torch.Tensor | None:
        """[k, vocab] probabilities the last proposal was drawn from; None for a deterministic proposal."""
        ...

    def reset(self) -> None: ...
