"""Asking the model: streams a reply, publishes the tokens as they come and charges the budget."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from kog.agent.budget import Budget
from kog.agent.errors import BudgetExhausted
from kog.agent.events import EventBus, TokensStreamed
from kog.agent.model import LanguageModel, Prompt
from kog.engine.api import SamplingParams, Stats


@dataclass(frozen=True)
class Reply:
    text: str
    tokens: int  # generated (a begun reply's given tokens not counted)
    finish_reason: str
    token_ids: tuple[int, ...] = ()  # the whole reply's


class ModelCaller:
    """One model shared by every step of a run, with the run's token and speed totals."""

    def __init__(self, model: LanguageModel, bus: EventBus, budget: Budget) -> None:
        self.model = model
        self.bus = bus
        self.budget = budget
        self.tokens = 0
        self.decode_s = 0.0

    @property
    def tok_s(self) -> float:
        return self.tokens / self.decode_s if self.decode_s > 0 else 0.0

    def ask(
        self,
        prompt: Prompt,
        params: SamplingParams,
        step: int,
        until: Callable[[str], bool] | None = None,
        begun: Sequence[int] = (),
        begun_text: str = "",
    ) -> Reply:
        """The model's reply; generation also ends once `until(text so far)` holds. `begun`: token ids
        (of text `begun_text`) the reply starts with; the model continues them."""
        self.budget.check()
        params = replace(params, max_tokens=max(1, min(params.max_tokens, self.budget.tokens_left)))
        parts: list[str] = [begun_text] if begun else []
        ids: list[int] = list(begun)
        generated = 0
        stats: Stats | None = None
        finish_reason = "stop"
        started = time.monotonic()
        if begun_text:
            self.bus.publish(TokensStreamed(step=step, text=begun_text, tokens=0, tok_s=0.0))
        stream = (
            self.model.stream(prompt, params, begun=begun) if begun else self.model.stream(prompt, params)
        )
        try:
            for chunk in stream:
                generated += len(chunk.token_ids)
                ids.extend(chunk.token_ids)
                parts.append(chunk.text)
                elapsed = time.monotonic() - started
                if chunk.text:
                    self.bus.publish(
                        TokensStreamed(
                            step=step,
                            text=chunk.text,
                            tokens=generated,
                            tok_s=generated / elapsed if elapsed > 0 else 0.0,
                        )
                    )
                if chunk.finish_reason is not None:
                    finish_reason = chunk.finish_reason
                    stats = chunk.stats
                elif until is not None and until("".join(parts)):
                    finish_reason = "stop"
                    break
                if self.budget.elapsed_s >= self.budget.max_time_s:
                    raise BudgetExhausted("time (s)", self.budget.max_time_s)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
            wall = time.monotonic() - started
            if stats is not None and stats.generated_tokens:
                generated = stats.generated_tokens
            self.tokens += generated
            self.decode_s += stats.decode_s if stats is not None and stats.decode_s > 0 else wall
            # NOTE: charged without a check, so the reply that crossed the limit is still used;
            # the next step's check ends the run.
            self.budget.tokens += generated
        return Reply("".join(parts), generated, finish_reason, tuple(ids))
