"""Accepting drafted tokens against the target model's logits over k+1 positions."""

from __future__ import annotations

import torch

from kog.engine.api import SamplingParams
from kog.engine.sampling import filtered_probs


def verify(
    logits: torch.Tensor,
    drafts: list[int],
    params: SamplingParams,
    generator: torch.Generator | None,
    draft_probs: torch.Tensor | None = None,
) -> tuple[int, int]:
    """(accepted, next_token). logits: [k+1, vocab] for [last, d1..dk]; logits[i] predicts the token after
    position i. Greedy: accept while the draft equals the argmax. Sampling: the standard rejection rule
    (accept d with probability min(1, p(d)/q(d)); on rejection draw from the residual max(p - q, 0)), so
    the output follows the target distribution exactly. A deterministic drafter has q = one-hot."""
    k = len(drafts)
    if params.greedy:
        targets = torch.argmax(logits, dim=-1).tolist()
        accepted = 0
        while accepted < k and drafts[accepted] == targets[accepted]:
            accepted += 1
        return accepted, int(targets[accepted])
    probs = filtered_probs(logits.cpu(), params)  # [k+1, vocab]
    for i, token in enumerate(drafts):
        p = probs[i]
        q_token = float(draft_probs[i, token]) if draft_probs is not None else 1.0
        if float(torch.rand((), generator=generator)) * q_token < float(p[token]):
            continue
        residual = p.clone()
        if draft_probs is not None:
            residual = torch.clamp(residual - draft_probs[i].to(residual.dtype), min=0.0)
        else:
            residual[token] = 0.0
        total = float(residual.sum())
        if total <= 0.0:  # p == q where it matters: any draw from p is right
            residual = p
        return i, int(torch.multinomial(residual, 1, generator=generator))
    return k, int(torch.multinomial(probs[k], 1, generator=generator))
