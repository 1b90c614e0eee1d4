"""The CPU int8 weight mode against the float32 reference on a tiny model."""

from __future__ import annotations

import torch
from tiny_model import write_tiny_gguf

from kog.engine import Engine
from kog.engine.models.int8 import Int8Weight, from_tensors, to_tensors


def test_quantize_round_trip_is_close():
    w = torch.randn(96, 256)
    q = Int8Weight.quantize(w)
    assert q.q.dtype == torch.int8 and q.scale.shape == (96,)
    rel = (q.dequantize(torch.float32) - w).norm() / w.norm()
    assert rel < 1e-2


def test_matmul_matches_dequantized_for_decode_and_prefill_rows():
    w = Int8Weight.quantize(torch.randn(160, 256))
    for n in (1, 3, 8, 40):
        x = torch.randn(n, 256)
        ref = x @ w.dequantize(torch.float32).T
        got = w.matmul(x).float()
        assert got.shape == (n, 160)
        assert (got - ref).norm() / ref.norm() < 2e-2


def test_serialised_form_round_trips():
    weights = {"a": Int8Weight.quantize(torch.randn(8, 32)), "norm": torch.ones(8)}
    back = from_tensors(to_tensors(weights))
    assert torch.equal(back["a"].q, weights["a"].q) and torch.equal(back["a"].scale, weights["a"].scale)
    assert torch.equal(back["norm"], weights["norm"])


def test_int8_engine_logits_follow_float32(tmp_path, monkeypatch):
    monkeypatch.setenv("KOG_HOME", str(tmp_path / "home"))
    path = write_tiny_gguf(tmp_path / "tiny.gguf", "qwen2").path
    ref = Engine.load(path, device="cpu", dtype="float32", draft="none")
    q8 = Engine.load(path, device="cpu", dtype="int8", draft="none")
    again = Engine.load(path, device="cpu", dtype="int8", draft="none")  # from the int8 cache
    ids = torch.tensor(ref.tokenizer.encode("hello world, hello"))
    a = ref.runner.forward(ids, 0)
    b = q8.runner.forward(ids, 0)
    c = again.runner.forward(ids, 0)
    assert torch.equal(b, c)
    assert (a - b).norm() / a.norm() < 5e-2
