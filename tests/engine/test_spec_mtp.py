"""MTP heads: training targets, prompts out of local sources, `kog-agent train-mtp` on a tiny model, and the
engine drafting with the heads it wrote."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kog.agent.cli import main
from kog.engine import Engine, SamplingParams
from kog.engine.spec.mtp import MtpHeads, default_heads_path
from kog.engine.spec.mtp_train import NoTrainingSourcesError, head_targets, python_functions, training_prompts

pytestmark = pytest.mark.usefixtures("isolated_kog_home")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_head_i_learns_the_token_2_plus_i_ahead_of_each_generated_position():
    tokens = [10, 11, 12, 20, 21, 22, 23]  # prompt of 3, then 4 generated
    rows, targets = head_targets(tokens, first=3, n_heads=3)
    # Position 2 (the prompt's last) predicts 20 with the model's own head, 21.. with the MTP heads.
    assert list(rows) == [2, 3, 4, 5]
    assert targets.tolist() == [[21, 22, 23], [22, 23, -1], [23, -1, -1], [-1, -1, -1]]


def test_prompts_are_built_from_the_functions_of_local_sources(tmp_path):
    (tmp_path / "a.py").write_text(
        "def short(x):\n    return x\n\n\ndef longer(a, b):\n    c = a + b\n    return c * 2\n\n\n"
        "class K:\n    def method(self):\n        y = 1\n        return y\n"
    )
    (tmp_path / "broken.py").write_text("def (:\n")
    functions = python_functions([tmp_path])
    assert functions == [
        "def longer(a, b):\n    c = a + b\n    return c * 2",
        "def method(self):\n    y = 1\n    return y",
    ]
    prompts = training_prompts([tmp_path], count=5)
    assert len(prompts) == 2 and all("```python\ndef " in p[0].content for p in prompts)
    with pytest.raises(NoTrainingSourcesError, match="no Python function"):
        training_prompts([tmp_path / "broken.py"], count=5)


def test_train_mtp_writes_heads_that_fit_their_data_and_the_engine_drafts_with_them(
    tiny_qwen2, tmp_path, capsys
):
    model = tmp_path / "model.gguf"  # a copy: the heads land beside it, out of the other tests' way
    shutil.copyfile(tiny_qwen2.path, model)
    code = main(
        ["train-mtp", "--model", str(model), "--sources", str(EXAMPLES / "pagination"),
         str(EXAMPLES / "invoice"), "--steps", "60", "--prompts", "5", "--max-tokens", "32", "--heads", "3"]
    )  # fmt: skip
    assert code == 0
    path = default_heads_path(model)
    assert path == tmp_path / "model.mtp.safetensors"
    summary = capsys.readouterr().out
    assert path.is_file() and str(path) in summary
    first, last = (float(x) for x in summary.split("loss ")[1].split(",")[0].split(" -> "))
    assert last < 0.5 * first  # the heads fit what they were trained on
    heads = MtpHeads.load(path, hidden=256)
    assert heads.n_heads == 3 and heads.weight.abs().sum() > 0
    plain = Engine.load(model, device="cpu", dtype="float32", draft="none")
    mtp = Engine.load(model, device="cpu", dtype="float32", draft="mtp")
    for prompt in ("def page(items, size):", "total = price * 2", "hello world"):
        expected = plain.generate(prompt, SamplingParams(max_tokens=30))
        out = mtp.generate(prompt, SamplingParams(max_tokens=30))
        assert out.token_ids == expected.token_ids
        assert out.stats.drafted > 0 and max(out.stats.accepted_by_position or [0]) <= out.stats.drafted


def test_train_mtp_refuses_a_missing_source_in_one_line(tiny_qwen2, tmp_path, capsys):
    code = main(
        ["train-mtp", "--model", str(tiny_qwen2.path), "--sources", str(tmp_path / "nope"), "--steps", "1"]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such source" in err
