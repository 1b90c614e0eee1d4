"""What the agent needs from a language model: the engine's API, as a protocol.

The real `kog.engine.Engine` satisfies it; tests pass a scripted model with the same face.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from kog.engine.api import Chunk, Message, ModelInfo, SamplingParams

Prompt = str | list[Message]


class LanguageModel(Protocol):
    info: ModelInfo

    def stream(self, prompt: Prompt, params: SamplingParams) -> Iterator[Chunk]: ...

    def count_tokens(self, prompt: Prompt) -> int: ...
