"""What the agent needs from a language model: the engine's API, as a protocol.

The real `kog.engine.Engine` satisfies it; tests pass a scripted model with the same face.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from kog.engine.api import Chunk, Message, ModelInfo, SamplingParams, TokenScore

Prompt = str | list[Message]


class LanguageModel(Protocol):
    info: ModelInfo

    def stream(self, prompt: Prompt, params: SamplingParams) -> Iterator[Chunk]: ...

    def count_tokens(self, prompt: Prompt) -> int: ...


@runtime_checkable
class ScoringModel(Protocol):
    """A model that also scores a reply token by token and continues a begun one (the engine does);
    the agent branches replies that changed nothing with it (branches.py)."""

    def score(self, prompt: Prompt, reply: Sequence[int], top: int = 5) -> list[TokenScore]: ...

    def stream(
        self, prompt: Prompt, params: SamplingParams, begun: Sequence[int] = ()
    ) -> Iterator[Chunk]: ...
