"""The CPU's "gguf" mode (a GGUF file's blocks as stored, read by the compiled CPU kernel) against the
float32 reference on a tiny model."""

from __future__ import annotations

import shutil

import pytest
import torch
from tiny_model import write_tiny_gguf

from kog.engine import Engine
from kog.engine.engine import uses_stored_blocks
from kog.engine.errors import DeviceError
from kog.engine.models.blocks import BLOCK_PREFILL_CHUNK, BlockWeight
from kog.engine.registry import ResolvedModel

pytestmark = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")


def test_engine_gguf_mode_follows_float32(tmp_path, monkeypatch):
    monkeypatch.setenv("KOG_HOME", str(tmp_path / "home"))
    path = write_tiny_gguf(tmp_path / "tiny.gguf", "qwen2").path
    ref = Engine.load(path, device="cpu", dtype="float32", draft="none")
    blocks = Engine.load(path, device="cpu", dtype="gguf", draft="none")
    assert blocks.info.dtype == "gguf blocks"
    assert any(isinstance(w, BlockWeight) for w in blocks.runner.model.w.values())
    # Each prefill step dequantizes every matrix, so stored blocks take longer steps than the default.
    assert blocks.runner.prefill_chunk == BLOCK_PREFILL_CHUNK and not hasattr(ref.runner, "prefill_chunk")
    ids = torch.tensor(ref.tokenizer.encode("hello world, hello there"))
    for start, stop in ((0, ids.numel() - 3), (ids.numel() - 3, ids.numel())):  # prefill, then 1..3 rows
        a = ref.runner.forward(ids[start:stop], start).float()
        b = blocks.runner.forward(ids[start:stop], start).float()
        assert (a - b).norm() / a.norm() < 3e-2  # bf16 activations against float32
    hf = tmp_path / "hf"
    hf.mkdir()
    with pytest.raises(DeviceError, match="GGUF model"):
        uses_stored_blocks(torch.device("cpu"), "gguf", ResolvedModel("x", "hf", hf))
