"""A language model that replays fixed replies through the engine's API, for agent-loop tests."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from kog.engine.api import (
    Alternative,
    Chunk,
    Completion,
    Message,
    ModelInfo,
    SamplingParams,
    Stats,
    TokenScore,
)


class ScriptedEngine:
    """Streams its replies in order, a few characters a chunk, one token id per chunk.

    Every prompt and sampling setting it was given is kept in `calls`, so tests can check
    what the agent asked. Past the end of the script it replies with an empty string.
    """

    def __init__(self, replies: Sequence[str], chunk_chars: int = 7, interrupt_at: int | None = None) -> None:
        self.replies = list(replies)
        self.chunk_chars = chunk_chars
        self.interrupt_at = interrupt_at  # the call (0-based) that raises KeyboardInterrupt, like Ctrl-C
        self.calls: list[tuple[str | list[Message], SamplingParams]] = []
        self.info = ModelInfo(
            name="scripted",
            arch="qwen2",
            device="cpu",
            dtype="float32",
            context_length=32_768,
            vocab_size=1000,
            n_params=0,
        )

    @property
    def remaining(self) -> int:
        return max(len(self.replies) - len(self.calls), 0)

    def count_tokens(self, prompt: str | list[Message]) -> int:
        text = prompt if isinstance(prompt, str) else "".join(m.content for m in prompt)
        return max(1, len(text) // 4)

    def stream(self, prompt: str | list[Message], params: SamplingParams) -> Iterator[Chunk]:
        index = len(self.calls)
        self.calls.append((prompt, params))
        if index == self.interrupt_at:
            raise KeyboardInterrupt
        reply = self.replies[index] if index < len(self.replies) else ""
        finish = "stop"
        for stop in params.stop:
            if stop in reply:
                reply = reply[: reply.index(stop)]
        pieces = [reply[i : i + self.chunk_chars] for i in range(0, len(reply), self.chunk_chars)]
        if len(pieces) > params.max_tokens:
            pieces, finish = pieces[: params.max_tokens], "length"
        started = time.perf_counter()
        for n, piece in enumerate(pieces[:-1]):
            yield Chunk(text=piece, token_ids=(n,))
        stats = Stats(
            prompt_tokens=self.count_tokens(prompt),
            generated_tokens=len(pieces),
            decode_s=max(time.perf_counter() - started, 1e-6),
            forward_passes=len(pieces),
        )
        last = pieces[-1] if pieces else ""
        yield Chunk(
            text=last, token_ids=(len(pieces) - 1,) if pieces else (), finish_reason=finish, stats=stats
        )

    def generate(self, prompt: str | list[Message], params: SamplingParams) -> Completion:
        chunks = list(self.stream(prompt, params))
        last = chunks[-1]
        assert last.stats is not None and last.finish_reason is not None
        ids = tuple(i for c in chunks for i in c.token_ids)
        return Completion("".join(c.text for c in chunks), ids, last.finish_reason, last.stats)


class ScoringScriptedEngine(ScriptedEngine):
    """A scripted engine that also scores replies and continues begun ones, one character a token.

    `doubts` maps a piece of a reply to (alternative, margin): scoring a reply puts that alternative
    `margin` nats below the character that follows the piece (its first occurrence); every other
    place is certain. A begun reply (`stream(..., begun=ids)`) is continued with the next scripted
    reply, and the ids it was begun with are kept in `begun`.
    """

    FIRST_ALTERNATIVE = 100_000  # ids of alternatives; characters are their code points

    def __init__(self, replies: Sequence[str], doubts: dict[str, tuple[str, float]]) -> None:
        super().__init__(replies, chunk_chars=1)
        self.doubts = doubts
        self.alternatives: dict[int, str] = {}
        self.begun: list[tuple[int, ...]] = []
        self.scored = 0

    def count_tokens(self, prompt: str | list[Message]) -> int:
        return len(prompt if isinstance(prompt, str) else "".join(m.content for m in prompt))

    def stream(
        self, prompt: str | list[Message], params: SamplingParams, begun: Sequence[int] = ()
    ) -> Iterator[Chunk]:
        if begun:
            self.begun.append(tuple(begun))
        for chunk in super().stream(prompt, params):
            ids = tuple(ord(c) for c in chunk.text)
            yield Chunk(chunk.text, ids, chunk.finish_reason, chunk.stats)

    def score(self, prompt: str | list[Message], reply: Sequence[int], top: int = 5) -> list[TokenScore]:
        self.scored += 1
        text = "".join(chr(t) for t in reply)
        places = {}
        for piece, (alternative, margin) in self.doubts.items():
            at = text.find(piece)
            if at >= 0:
                token = self.FIRST_ALTERNATIVE + len(self.alternatives)
                self.alternatives[token] = alternative
                places[at + len(piece)] = Alternative(token, alternative, -margin)
        out = []
        for i, t in enumerate(reply):
            chosen = Alternative(t, chr(t), 0.0)
            out.append(TokenScore(t, chr(t), 0.0, (chosen, places[i]) if i in places else (chosen,)))
        return out
