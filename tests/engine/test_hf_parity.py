"""Greedy tokens and first-step logits against Hugging Face transformers on the same GGUF file."""

from __future__ import annotations

import pytest
import torch

from kog.engine import Engine, SamplingParams
from kog.engine.errors import KogError
from kog.engine.registry import resolve_model

pytestmark = pytest.mark.slow

PROMPTS = [
    "def quicksort(arr):",
    "The three laws of thermodynamics are",
    'import json\n\n\ndef load_config(path):\n    """Read a JSON config file and',
]
NEW_TOKENS = 64


@pytest.fixture(scope="module", params=["qwen2.5-coder-0.5b", "smollm2-135m"])
def pair(request):
    transformers = pytest.importorskip("transformers")
    try:
        path = resolve_model(request.param).path
    except KogError as exc:
        pytest.skip(f"{request.param} is not available here: {exc}")
    hf = transformers.AutoModelForCausalLM.from_pretrained(
        path.parent, gguf_file=path.name, dtype=torch.float32
    )
    hf.eval()
    ours = Engine.load(path, device="cpu", dtype="float32", draft="none")
    return ours, hf


@pytest.mark.parametrize("prompt", PROMPTS)
def test_greedy_tokens_match_transformers(pair, prompt):
    ours, hf = pair
    ids = ours.tokenizer.encode(prompt)
    completion = ours.generate(prompt, SamplingParams(max_tokens=NEW_TOKENS))
    with torch.inference_mode():
        out = hf.generate(
            torch.tensor([ids]),
            max_new_tokens=NEW_TOKENS,
            do_sample=False,
            eos_token_id=sorted(ours.tokenizer.eos_ids),
        )[0, len(ids) :].tolist()
    ours_ids = list(completion.token_ids)
    if completion.finish_reason == "stop" and len(ours_ids) < len(out):
        ours_ids.append(out[len(ours_ids)])  # the end-of-turn token ends our stream without being yielded
    assert ours_ids == out[: len(ours_ids)]
    assert len(ours_ids) == len(out)


@pytest.mark.parametrize("prompt", PROMPTS)
def test_first_step_logits_match_transformers(pair, prompt):
    ours, hf = pair
    ids = ours.tokenizer.encode(prompt)
    ours._cached = []
    mine = ours.runner.forward(torch.tensor(ids), 0, last_only=True)[0]
    with torch.inference_mode():
        theirs = hf(torch.tensor([ids])).logits[0, -1].float()
    rel = float((mine - theirs).norm() / theirs.norm())
    assert rel < 1e-2, rel
