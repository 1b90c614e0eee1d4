"""Drafters for the speculative-decoding tests, built on the tiny models: each one real, none a stand-in
for engine code (the engine's own drafters are used as they are; these add known failure patterns)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from kog.engine import Engine
from kog.engine.loader import load_model
from kog.engine.registry import resolve_model
from kog.engine.runner_torch import TorchRunner
from kog.engine.spec.draft_model import DraftModelDrafter
from kog.engine.spec.mtp import MtpHeads
from kog.engine.spec.prompt_lookup import AdaptiveK


class FlawedOracleDrafter:
    """Knows the true greedy continuation and proposes it with every `every`-th proposal corrupted at a
    varying depth, so rejections land at every draft position (every=1: always wrong at the first)."""

    def __init__(self, truth: Sequence[int], vocab_size: int, every: int = 2, k_max: int = 6):
        self.truth, self.vocab_size, self.every, self.k_max = list(truth), vocab_size, every, k_max
        self.adaptive = AdaptiveK(k_max=k_max)
        self.calls = 0

    def next_k(self) -> int:
        return self.adaptive.step()

    def propose(self, tokens: Sequence[int], k: int) -> list[int]:
        start = len(tokens) - len(self.truth)  # truth is prompt + output; tokens a prefix of it
        drafts = self.truth[len(tokens) : len(tokens) + k] if start <= 0 else []
        self.calls += 1
        if drafts and self.calls % self.every == 0:
            depth = self.calls % len(drafts) if self.every > 1 else 0
            drafts = [*drafts[:depth], (drafts[depth] + 1) % self.vocab_size, *drafts[depth + 1 :]]
        return drafts

    def observe(self, accepted: int, proposed: int) -> None:
        self.adaptive.update(accepted, proposed)

    def draft_probs(self) -> torch.Tensor | None:
        return None

    def reset(self) -> None:
        self.adaptive = AdaptiveK(k_max=self.k_max)
        self.calls = 0


def noisy_draft_runner(model_path: Path, noise: float, seed: int = 0, max_seq_len: int = 512) -> TorchRunner:
    """The model itself with Gaussian noise on every matrix: a draft that agrees often, not always."""
    loaded = load_model(resolve_model(model_path), torch.float32)
    gen = torch.Generator().manual_seed(seed)
    weights = {}
    for name, w in loaded.weights.items():
        if w.dim() == 2:
            w = w + noise * w.std() * torch.randn(w.shape, generator=gen)
        weights[name] = w
    return TorchRunner(loaded.cfg, weights, max_seq_len, torch.float32)


def noisy_draft_drafter(engine: Engine, model_path: Path, noise: float = 0.3) -> DraftModelDrafter:
    return DraftModelDrafter(noisy_draft_runner(model_path, noise), engine.cfg.vocab_size)


def random_heads(engine: Engine, n_heads: int = 4, scale: float = 0.05, seed: int = 0) -> MtpHeads:
    """MTP heads with random residual branches over the whole vocabulary (untrained, but well-formed)."""
    hidden = engine.cfg.hidden_size
    gen = torch.Generator().manual_seed(seed)
    heads = MtpHeads.initial(n_heads, hidden, torch.arange(engine.cfg.vocab_size), engine.info.name)
    heads.weight = scale * torch.randn(n_heads, hidden, hidden, generator=gen)
    heads.bias = scale * torch.randn(n_heads, hidden, generator=gen)
    return heads
