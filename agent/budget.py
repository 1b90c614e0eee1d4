"""Limits on a run: edit attempts, wall time and generated tokens."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from kog.agent.errors import BudgetExhausted


@dataclass
class Budget:
    max_steps: int = 12  # edit attempts, greedy and sampled together
    max_time_s: float = 900.0
    max_tokens: int = 20_000
    steps: int = 0
    tokens: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def check(self) -> None:
        if self.elapsed_s >= self.max_time_s:
            raise BudgetExhausted("time (s)", self.max_time_s)
        if self.tokens >= self.max_tokens:
            raise BudgetExhausted("token", self.max_tokens)

    def take_step(self) -> None:
        """Count one edit attempt, refusing it when none are left."""
        self.check()
        if self.steps >= self.max_steps:
            raise BudgetExhausted("step", self.max_steps)
        self.steps += 1

    def add_tokens(self, n: int) -> None:
        self.tokens += n
        self.check()

    @property
    def tokens_left(self) -> int:
        return max(self.max_tokens - self.tokens, 0)

    @property
    def time_left_s(self) -> float:
        return max(self.max_time_s - self.elapsed_s, 0.0)
