"""The agent's errors: user-facing ones subclass KogError; the rest steer the loop internally."""

from __future__ import annotations

from kog.engine.errors import KogError


class AgentError(KogError):
    """Base of errors a user of the agent can cause."""


class TaskNotFoundError(AgentError):
    """The task names tests that the test run does not have."""


class ReplyRejected(Exception):
    """A model reply that cannot become an edit (no code, wrong function, does not parse)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NoChange(ReplyRejected):
    """A reply whose edit leaves the file as it was."""

    def __init__(self) -> None:
        super().__init__("the reply changes nothing")


class BudgetExhausted(Exception):
    """A step, time or token budget ran out; the run ends not fixed, with the tree restored."""

    def __init__(self, budget: str, limit: float) -> None:
        super().__init__(f"{budget} budget of {limit:g} exhausted")
        self.budget = budget
        self.limit = limit
