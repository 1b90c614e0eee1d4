"""How Engine.load picks dtype, runner and drafter when the caller leaves them to it."""

from __future__ import annotations

import pytest
import torch
from tiny_model import write_tiny_gguf

from kog.engine import Engine
from kog.engine.engine import cpu_has_bf16, pick_dtype, uses_stored_blocks
from kog.engine.errors import DeviceError
from kog.engine.registry import resolve_model
from kog.engine.runner_torch import TorchRunner
from kog.engine.spec.prompt_lookup import PromptLookupDrafter


def test_cpu_default_dtype_follows_the_cpu():
    want = torch.bfloat16 if cpu_has_bf16() else torch.float32
    assert pick_dtype(torch.device("cpu"), None) == want


def test_int8_is_refused_off_the_cpu():
    with pytest.raises(DeviceError, match="CPU"):
        pick_dtype(torch.device("cuda"), "int8")


def test_stored_blocks_on_the_cpu_only_when_asked(tmp_path, monkeypatch):
    from kog.engine.engine import cpu_matvec

    resolved = resolve_model(write_tiny_gguf(tmp_path / "tiny.gguf").path)
    cpu = torch.device("cpu")
    assert not uses_stored_blocks(cpu, None, resolved)
    assert not uses_stored_blocks(cpu, "bfloat16", resolved)
    monkeypatch.setenv("KOG_CPU_KERNELS", "0")  # no compiled kernel: one clear error
    cpu_matvec.cache_clear()
    try:
        with pytest.raises(DeviceError, match="CPU kernel"):
            uses_stored_blocks(cpu, "gguf", resolved)
    finally:
        monkeypatch.delenv("KOG_CPU_KERNELS")
        cpu_matvec.cache_clear()


def test_stored_blocks_are_the_gpu_default_for_gguf_files(tmp_path, monkeypatch):
    import kog.kernels

    monkeypatch.setattr(kog.kernels, "cuda_kernels_available", lambda: True)
    resolved = resolve_model(write_tiny_gguf(tmp_path / "tiny.gguf").path)
    gpu = torch.device("cuda")
    assert uses_stored_blocks(gpu, None, resolved) and uses_stored_blocks(gpu, "gguf", resolved)
    assert not uses_stored_blocks(gpu, "bfloat16", resolved)
    assert not uses_stored_blocks(gpu, torch.bfloat16, resolved)


def test_auto_drafting_on_the_cpu_is_prompt_lookup(tmp_path, monkeypatch):
    monkeypatch.setenv("KOG_HOME", str(tmp_path / "home"))
    engine = Engine.load(write_tiny_gguf(tmp_path / "tiny.gguf").path, device="cpu", dtype="float32")
    assert isinstance(engine.runner, TorchRunner)
    assert isinstance(engine.drafter, PromptLookupDrafter)
    assert Engine.load(engine.model.source, device="cpu", dtype="float32", draft="none").drafter is None
