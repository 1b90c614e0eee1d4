"""How many tokens to draft when a verification pass of more rows costs more time.

On the GPU a pass of n rows is not free in n (the matrix-vector kernels stage every row's
activations; at 8 rows a 1.5B pass can cost several single-token steps), so the longest draft is not
always the fastest. Model: each draft token is accepted with probability `a` once the ones before it
were, so k drafts yield 1 + a + ... + a^k tokens in expectation; pick the k with the most tokens per
unit of pass time.
"""

from __future__ import annotations

from collections.abc import Sequence

from kog.engine.spec import Drafter


def expected_tokens(k: int, acceptance: float) -> float:
    """Tokens a pass with k drafts yields in expectation (the target's own token included)."""
    total, term = 1.0, 1.0
    for _ in range(k):
        term *= acceptance
        total += term
    return total


def best_draft_count(limit: int, acceptance: float, pass_cost: Sequence[float] | None) -> int:
    """The draft count in 0..limit with the most expected tokens per unit of time; `pass_cost[n - 1]`
    is the time of a pass of n rows. Zero (a plain step) wins when drafts are accepted too rarely to
    pay for the extra rows. Without costs, `limit`."""
    if limit <= 0 or not pass_cost:
        return max(limit, 0)
    a = min(max(acceptance, 0.0), 0.999)
    best, best_rate = 0, 1.0 / pass_cost[0]
    for k in range(1, min(limit, len(pass_cost) - 1) + 1):
        rate = expected_tokens(k, a) / pass_cost[k]
        if rate > best_rate:
            best, best_rate = k, rate
    return best


class AcceptanceEstimate:
    """A running estimate of the per-token acceptance probability from (accepted, drafted) per pass:
    a pass that accepted j of k drafts saw j successes in j + (1 if j < k) trials."""

    def __init__(self, prior: float = 0.7, weight: float = 4.0, decay: float = 0.8) -> None:
        self.prior, self.weight, self.decay = prior, weight, decay
        self.reset()

    def reset(self) -> None:
        self.successes, self.trials = self.prior * self.weight, self.weight

    def idle(self, pull: float = 0.02) -> None:
        """A pass that drafted nothing because drafts did not pay: no evidence, but the old evidence
        fades toward the prior, so after a few dozen such passes drafting is tried again."""
        self.successes = self.successes * (1 - pull) + self.prior * self.weight * pull
        self.trials = self.trials * (1 - pull) + self.weight * pull

    def observe(self, accepted: int, drafted: int) -> None:
        if drafted <= 0:
            return
        self.successes = self.successes * self.decay + accepted
        self.trials = self.trials * self.decay + accepted + (1 if accepted < drafted else 0)

    @property
    def value(self) -> float:
        return self.successes / self.trials


class DraftPlanner:
    """A drafter with the acceptance estimate and the measured pass costs: decides each pass's drafts
    and learns from its outcome (the engine's loop, and `bench/draft_replay.py` replaying it)."""

    def __init__(
        self,
        drafter: Drafter,
        pass_cost: Sequence[float] | None,
        max_drafts: int,
        acceptance: AcceptanceEstimate | None = None,
    ) -> None:
        self.drafter, self.pass_cost, self.max_drafts = drafter, pass_cost, max_drafts
        self.acceptance = AcceptanceEstimate() if acceptance is None else acceptance

    def drafts(self, context: Sequence[int], room: int) -> list[int]:
        """The tokens to verify after the context's last one, with `room` tokens left to generate."""
        if room <= 1:
            return []
        limit = min(self.drafter.next_k(), room - 1, self.max_drafts)
        k = best_draft_count(limit, self.acceptance.value, self.pass_cost)
        if limit > 0 and k == 0:
            self.acceptance.idle()
        return self.drafter.propose(context, k)

    def observe(self, accepted: int, drafted: int) -> None:
        self.drafter.observe(accepted, drafted)
        self.acceptance.observe(accepted, drafted)
