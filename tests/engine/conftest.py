"""Shared fixtures of the engine tests: one CPU thread, an isolated cache, tiny models written once."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tiny_model import TinyModel, write_tiny_gguf, write_tiny_hf_folder


@pytest.fixture(autouse=True, scope="session")
def one_cpu_thread():
    # The CPU is shared with other engineers' test runs; more threads only oversubscribe it.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture
def isolated_kog_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """KOG_HOME in a fresh folder, so conversions land there and never in the user's cache."""
    home = tmp_path / "kog-home"
    monkeypatch.setenv("KOG_HOME", str(home))
    return home


@pytest.fixture(scope="session", params=["qwen2", "llama"])
def tiny(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    """Each tiny architecture in turn, written once per session (tests must not modify the file)."""
    return _tiny_model(tmp_path_factory, request.param)


@pytest.fixture(scope="session")
def tiny_qwen2(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    return _tiny_model(tmp_path_factory, "qwen2")


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    return _tiny_model(tmp_path_factory, "llama")


_written: dict[str, TinyModel] = {}


def _tiny_model(factory: pytest.TempPathFactory, arch: str) -> TinyModel:
    if arch not in _written:
        folder = factory.mktemp(f"tiny-{arch}")
        _written[arch] = write_tiny_gguf(folder / f"tiny-{arch}.gguf", arch)
    return _written[arch]


@pytest.fixture(scope="session")
def tiny_hf_folder(tiny: TinyModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `tiny` model again, as a Hugging Face folder."""
    return write_tiny_hf_folder(tmp_path_factory.mktemp(f"tiny-{tiny.arch}-hf") / "model", tiny)
