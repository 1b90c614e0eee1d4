"""Speculative decoding with real weights (SmolLM2-135M, Qwen2.5-Coder-0.5B): greedy output identical to
plain decoding with every drafter, a model drafting for itself accepting everything, and a tokenizer
mismatch refused. Loads real models: marked slow."""

from __future__ import annotations

import pytest
from spec_drafters import random_heads

from kog.engine import Engine, Message, SamplingParams
from kog.engine.errors import UnsupportedModelError

pytestmark = pytest.mark.slow

PROMPTS = (
    [
        Message(
            "user",
            "Rewrite this function with a docstring:\n```python\ndef add(a, b):\n    return a + b\n```",
        )
    ],
    [Message("user", "Write a Python function that reverses the words of a sentence.")],
    [Message("user", "Explain what a KV cache is in two sentences.")],
    "def fibonacci(n):\n    if n < 2:\n        return n\n    return",
    "The quick brown fox jumps over the lazy dog. The quick brown fox",
    [
        Message(
            "user",
            "Fix the bug and return the whole function:\n```python\ndef page_count(total, per_page):\n"
            "    if per_page <= 0:\n        raise ValueError(per_page)\n    return (total - 1) // per_page\n```",
        )
    ],
    "import os\nimport sys\n\n\ndef main(argv):\n",
    [Message("user", "List five Python web frameworks, one per line.")],
)


def outputs(engine: Engine, max_tokens: int = 48) -> list:
    return [engine.generate(p, SamplingParams(max_tokens=max_tokens)) for p in PROMPTS]


@pytest.fixture(scope="module")
def smol_plain():
    engine = Engine.load("smollm2-135m", device="cpu", dtype="float32", draft="none")
    return [c.token_ids for c in outputs(engine)]


@pytest.mark.parametrize("draft", ["prompt-lookup", "draft:smollm2-135m", "mtp-random"])
def test_smollm2_greedy_output_is_identical_with_every_drafter(smol_plain, draft, tmp_path):
    if draft == "mtp-random":
        base = Engine.load("smollm2-135m", device="cpu", dtype="float32", draft="none")
        random_heads(base, scale=0.02).save(tmp_path / "heads.safetensors")
        draft = f"mtp:{tmp_path}/heads.safetensors"
    engine = Engine.load("smollm2-135m", device="cpu", dtype="float32", draft=draft)
    done = outputs(engine)
    assert [c.token_ids for c in done] == smol_plain
    drafted, accepted = sum(c.stats.drafted for c in done), sum(c.stats.accepted for c in done)
    assert drafted > 0
    if draft.startswith("draft:"):  # the model drafting for itself: every draft is its own argmax
        assert accepted == drafted
        assert sum(c.stats.forward_passes for c in done) < 0.3 * sum(c.stats.generated_tokens for c in done)


def test_qwen_greedy_output_is_identical_with_prompt_lookup_and_self_drafting():
    # float32: in bfloat16 a k-row verify pass and a one-row step round differently, and near-ties flip.
    plain = Engine.load("qwen2.5-coder-0.5b", device="cpu", dtype="float32", draft="none")
    expected = [c.token_ids for c in outputs(plain, 40)[:4]]
    for draft in ("prompt-lookup", "draft:qwen2.5-coder-0.5b"):
        engine = Engine.load("qwen2.5-coder-0.5b", device="cpu", dtype="float32", draft=draft)
        done = [engine.generate(p, SamplingParams(max_tokens=40)) for p in PROMPTS[:4]]
        assert [c.token_ids for c in done] == expected, draft
        assert sum(c.stats.drafted for c in done) > 0


def test_a_draft_model_with_another_tokenizer_is_refused():
    with pytest.raises(UnsupportedModelError, match="different tokenizer"):
        Engine.load("qwen2.5-coder-0.5b", device="cpu", draft="draft:smollm2-135m")
