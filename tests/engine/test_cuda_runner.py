"""The CUDA runner against the engine's torch runner on the same (random) weights, on a GPU."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from kog.engine.config import ModelConfig
from kog.kernels import cuda_kernels_available

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not cuda_kernels_available(), reason="needs a CUDA GPU and CuPy"),
]

SMALL = ModelConfig(
    arch="qwen2", vocab_size=3000, hidden_size=256, intermediate_size=704, n_layers=3, n_heads=6, n_kv_heads=2,
    head_dim=64, rope_theta=1e6, rms_eps=1e-6, context_length=4096, tie_embeddings=True, qkv_bias=True,
)  # fmt: skip


@pytest.fixture(scope="module")
def weights():
    from kog.engine.cuda.bench_models import random_weights

    return random_weights(SMALL, "cuda", seed=3)


def runner(weights, max_seq: int = 1024, **kw):
    from kog.engine.cuda import CudaRunner

    return CudaRunner(SMALL, weights, max_seq, **kw)


def prompt(n: int, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, SMALL.vocab_size, (n,), generator=torch.Generator().manual_seed(seed))


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b.double()).norm() / b.double().norm())


def test_forward_matches_the_torch_runner(weights):
    from kog.engine.runner_torch import TorchRunner

    ref = TorchRunner(SMALL, {k: v.float() for k, v in weights.items()}, 1024, torch.float32)
    r = runner(weights)
    ids = prompt(40)
    assert rel_err(r.forward(ids[:30], 0), ref.forward(ids[:30], 0)) < 2e-2  # torch prefill, bf16 GEMMs
    for start, n in ((30, 1), (31, 3), (34, 6)):  # the kernels' 1..8-row path
        got, want = r.forward(ids[start : start + n], start), ref.forward(ids[start : start + n], start)
        assert rel_err(got, want) < 5e-3
        assert torch.equal(got.argmax(-1).cpu(), want.argmax(-1).cpu())


def test_greedy_decode_is_identical_to_the_torch_path():
    from kog.engine.cuda.bench_models import random_weights
    from kog.engine.cuda.identity import greedy_identity

    untied = dataclasses.replace(SMALL, tie_embeddings=False)  # tied random weights just echo the input
    report = greedy_identity(untied, random_weights(untied, "cuda", seed=4), prompt_len=50, n_tokens=128)
    assert report.distinct_tokens > 5, report
    # bf16 KV cache vs fp32: the sequences may part only where the torch logits nearly tie
    assert report.identical or report.torch_margin_at_divergence < 1e-2, report
    assert report.teacher_forced_agree >= report.teacher_forced_steps - 2, report
    assert report.max_logits_rel_err < 5e-3, report


def test_step_modes_agree(weights):
    r = runner(weights)
    ids = prompt(20, seed=1)
    first = int(r.forward(ids, 0, last_only=True)[-1].argmax())
    batch = r.decode(40, token=first, pos=20).tolist()
    one_by_one = [r.decode_step(token=first, pos=20)] + [r.decode_step() for _ in range(39)]
    streamed = list(r.stream(40, token=first, pos=20))
    assert batch == one_by_one == streamed
    assert r.position == 60
    stopped = []
    for t in r.stream(40, token=first, pos=20):  # stop early: the runner points back at the last token
        stopped.append(t)
        if len(stopped) == 5:
            break
    assert r.position == 25 and r.decode_step() == batch[5]


def test_pdl_and_graphs_do_not_change_tokens(weights):
    ids = prompt(33, seed=2)
    outs = []
    for kw in ({}, {"pdl": False}, {"use_graphs": False}):
        r = runner(weights, **kw)
        first = int(r.forward(ids, 0, last_only=True)[-1].argmax())
        outs.append(r.decode(24, token=first, pos=33).tolist())
    assert outs[0] == outs[1] == outs[2]


def test_the_step_buffers_share_one_allocation():
    from kog.engine.cuda.buffers import ALIGN, DecodeBuffers
    from kog.kernels import rope_inv_freq

    b = DecodeBuffers.allocate(SMALL, 256, torch.device("cuda"))
    small = [b.state, b.ids, b.out_ids, b.x, b.q, b.attn, b.qkv_out, b.mlp, b.gate_up, b.inv_freq, b.fparams,
             b.iparams, b.history, b.argmax_ws.part_val, b.argmax_ws.part_idx, b.argmax_ws.counter]  # fmt: skip
    base = b.x.untyped_storage().data_ptr()
    assert all(t.untyped_storage().data_ptr() == base for t in small)
    spans = sorted((t.data_ptr(), t.data_ptr() + t.numel() * t.element_size()) for t in small)
    assert all(start % ALIGN == 0 for start, _ in spans)
    assert all(end <= nxt for (_, end), (nxt, _) in zip(spans, spans[1:], strict=False))  # disjoint
    assert b.k_cache.untyped_storage().data_ptr() != base and b.logits.untyped_storage().data_ptr() != base
    assert not b.state.any() and not b.x.any() and not b.argmax_ws.counter.any()
    torch.testing.assert_close(b.inv_freq, rope_inv_freq(SMALL.head_dim, SMALL.rope_theta, "cuda"))
    assert b.fparams.tolist() == [0.0, 1.0] and b.iparams.tolist() == [0, 0, 0]


def test_sampling_is_seeded_and_in_range(weights):
    r = runner(weights)
    ids = prompt(16, seed=4)
    first = int(r.forward(ids, 0, last_only=True)[-1].argmax())
    draws = []
    for seed in (7, 7, 8):
        r.set_sampling(temperature=0.9, top_p=0.9, top_k=50, seed=seed)
        draws.append(r.decode(32, token=first, pos=16).tolist())
    assert draws[0] == draws[1] != draws[2]
    assert all(0 <= t < SMALL.vocab_size for t in draws[2])


class DenseThroughTorch:
    """A LinearWeight that is not Bf16Linear: the runner must take its unfused path for it."""

    def __init__(self, weight: torch.Tensor) -> None:
        self.weight = weight.to(torch.bfloat16)
        self.out_features, self.in_features = weight.shape

    def matvec(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x.to(torch.bfloat16).float(), self.weight.float())


def test_pluggable_linears_run_in_the_graph(weights):
    fused = runner(weights)
    plugged = runner(weights, linear_factory=lambda name, value, device: DenseThroughTorch(value.to(device)))
    plugged_head = runner(
        {**weights, "lm_head": weights["embed"]}, linear_factory=lambda n, v, d: DenseThroughTorch(v.to(d))
    )
    ids = prompt(24, seed=5)
    for r in (fused, plugged, plugged_head):
        r.forward(ids, 0)
    for pos in range(24, 30):
        want = fused.forward(ids[pos - 24 : pos - 23], pos)
        for r in (plugged, plugged_head):
            assert rel_err(r.forward(ids[pos - 24 : pos - 23], pos), want) < 1e-2
    first = int(fused.forward(ids, 0, last_only=True)[-1].argmax())
    plugged.forward(ids, 0)
    assert plugged.decode(16, token=first, pos=24).tolist() == fused.decode(16, token=first, pos=24).tolist()


def test_prepare_measures_the_cost_of_every_pass_size(weights):
    r = runner(weights)
    r.prepare()
    assert r.pass_cost is not None and len(r.pass_cost) == r.max_rows
    assert all(0 < c < 1 for c in r.pass_cost)
    ids = prompt(5)
    torch.testing.assert_close(r.forward(ids, 0), runner(weights).forward(ids, 0))  # the cache still works


def test_passes_switch_graphs_where_the_context_outgrows_one_attention_cluster(weights):
    """Up to `short_context` positions the passes replay graphs whose attention grid holds one cluster
    of slices a head; past it, graphs sized for the whole cache. Both give the torch runner's result."""
    from kog.engine.cuda.step import StepMode
    from kog.engine.runner_torch import TorchRunner

    max_seq = 4200
    r = runner(weights, max_seq)
    short = r.graphs.step.short_context
    assert 0 < short < max_seq - 16
    ref = TorchRunner(SMALL, {k: v.float() for k, v in weights.items()}, max_seq, torch.float32)
    ids = prompt(short + 8, seed=6)
    start = short - 4
    r.forward(ids[:start], 0)
    ref.forward(ids[:start], 0)
    for at, n in ((start, 2), (start + 2, 2), (start + 4, 3), (start + 7, 1)):  # the last two end past it
        got, want = r.forward(ids[at : at + n], at), ref.forward(ids[at : at + n], at)
        assert rel_err(got, want) < 5e-3, (at, n)
    assert {(2, StepMode.ROWS, True), (3, StepMode.ROWS, False), (1, StepMode.ROWS, False)} <= set(
        r.graphs._graphs
    )
    first = int(r.forward(ids[:start], 0, last_only=True)[-1].argmax())
    never_short = runner(weights, max_seq)
    never_short.graphs.step.short_context = 0
    never_short.forward(ids[:start], 0)
    assert (
        r.decode(12, token=first, pos=start).tolist()
        == never_short.decode(12, token=first, pos=start).tolist()
    )
    assert (1, StepMode.GREEDY, True) in r.graphs._graphs and (1, StepMode.GREEDY, False) in r.graphs._graphs
