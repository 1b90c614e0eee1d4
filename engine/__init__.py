"""kog-agent's inference engine: load a model, stream tokens."""

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
from kog.engine.errors import KogError

__all__ = [
    "Alternative",
    "Chunk",
    "Completion",
    "Engine",
    "KogError",
    "Message",
    "ModelInfo",
    "SamplingParams",
    "Stats",
    "TokenScore",
]


def __getattr__(name: str):
    # Engine pulls in torch; importing kog.engine for its types stays light.
    if name == "Engine":
        from kog.engine.engine import Engine

        return Engine
    raise AttributeError(name)
