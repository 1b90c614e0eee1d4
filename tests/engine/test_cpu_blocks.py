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
from kog.engine.models.blocks import (
    BLOCK_PREFILL_CHUNK,
    DUAL_BLOCK_ROWS,
    KERNEL_MAX_ROWS,
    BlockWeight,
    DualWeight,
)
from kog.engine.models.decoder import linear
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


def test_the_cpu_default_pairs_dense_weights_with_the_blocks_and_follows_float32(tmp_path, monkeypatch):
    """A GGUF model on a CPU whose kernel has an integer path: bf16 weights (a CPU with bf16 arithmetic
    and AVX512-VNNI) or float32 ones (AVX2) plus the blocks, read by decode steps and short passes; an
    explicit dtype keeps one copy."""
    from kog.engine.engine import cpu_has_bf16, cpu_matvec

    monkeypatch.setenv("KOG_HOME", str(tmp_path / "home"))
    path = write_tiny_gguf(tmp_path / "tiny.gguf", "qwen2").path
    kernel = cpu_matvec()
    bf16 = cpu_has_bf16() and kernel is not None and bool(kernel.block_paths & 1)
    if not (bf16 or (kernel is not None and kernel.block_paths & 8)):
        pytest.skip("needs a CPU with bf16 and VNNI, or AVX2")
    dual = Engine.load(path, device="cpu", draft="none")
    assert dual.info.dtype == ("bfloat16" if bf16 else "float32") + " + gguf blocks"
    duals = [w for w in dual.runner.model.w.values() if isinstance(w, DualWeight)]
    assert duals and {w.block_rows for w in duals} == {DUAL_BLOCK_ROWS if bf16 else KERNEL_MAX_ROWS}
    plain = Engine.load(path, device="cpu", dtype="bfloat16", draft="none")
    assert not any(isinstance(w, DualWeight) for w in plain.runner.model.w.values())
    ref = Engine.load(path, device="cpu", dtype="float32", draft="none")
    ids = torch.tensor(ref.tokenizer.encode("hello world, hello there, and more"))
    start = ids.numel() - 6
    for a, b in ((0, start), (start, start + 1), (start + 1, start + 3), (start + 3, ids.numel())):
        want = ref.runner.forward(ids[a:b], a).float()  # prefill, then 1, 2 and 3 rows
        got = dual.runner.forward(ids[a:b], a).float()
        assert (want - got).norm() / want.norm() < 3e-2


def test_a_dual_weight_reads_the_blocks_for_short_passes_only(tmp_path):
    from kog.engine.engine import cpu_matvec
    from kog.kernels.quant_reference import random_blocks

    kernel = cpu_matvec()
    if kernel is None:
        pytest.skip("no CPU kernel")
    blocks = BlockWeight.of("Q8_0", random_blocks("Q8_0", 48, 64, device="cpu", seed=0).numpy(), 64, kernel)
    dual = DualWeight(blocks.dequantize(), blocks)
    gen = torch.Generator().manual_seed(0)
    for n in range(1, 5):
        x = torch.randn(n, 64, generator=gen).bfloat16()
        want = blocks.matmul(x) if n <= DUAL_BLOCK_ROWS else torch.nn.functional.linear(x, dual.dense)
        assert torch.equal(linear(x, dual), want)
    beside_float32 = DualWeight(blocks.dequantize().float(), blocks, KERNEL_MAX_ROWS)  # AVX2's default
    for n in (9, KERNEL_MAX_ROWS, KERNEL_MAX_ROWS + 1):  # the kernel's passes of 8 rows at a time, then dense
        x = torch.randn(n, 64, generator=gen)
        want = (
            blocks.matmul(x) if n <= KERNEL_MAX_ROWS else torch.nn.functional.linear(x, beside_float32.dense)
        )
        assert torch.equal(linear(x, beside_float32), want)
    with pytest.raises(ValueError, match="differ in shape"):
        DualWeight(blocks.dequantize()[:-1], blocks)
