"""The CUDA runner in `quant` weight mode (linears as stored GGUF blocks) against the torch runner on the
same weights dequantized, on a GPU: every quantized format in one small model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from kog.engine.config import ModelConfig
from kog.engine.gguf_file import QuantTensor
from kog.kernels import cuda_kernels_available
from kog.kernels.quant_reference import dequantize_reference, random_blocks

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not cuda_kernels_available(), reason="needs a CUDA GPU and CuPy"),
]

CFG = ModelConfig(
    arch="qwen2", vocab_size=3000, hidden_size=256, intermediate_size=704, n_layers=3, n_heads=6, n_kv_heads=2,
    head_dim=64, rope_theta=1e6, rms_eps=1e-6, context_length=4096, tie_embeddings=False, qkv_bias=True,
)  # fmt: skip
# Every format once; K formats where the input width is a multiple of 256.
QTYPES = {"q_proj": "Q4_K", "k_proj": "Q5_0", "v_proj": "Q6_K", "o_proj": "Q8_0", "gate_proj": "Q4_K",
          "up_proj": "Q4_1", "down_proj": "Q5_0", "lm_head": "Q6_K"}  # fmt: skip


def blocks(qtype: str, rows: int, cols: int, seed: int, std: float) -> torch.Tensor:
    """Random blocks whose dequantized weights have about this standard deviation."""
    unit = dequantize_reference(qtype, random_blocks(qtype, rows, cols, seed=seed, scale=1.0)).std().item()
    return random_blocks(qtype, rows, cols, seed=seed, scale=std / unit)


@pytest.fixture(scope="module")
def model():
    from kog.engine.cuda.bench_models import random_weights

    dense = {k: v.cpu() for k, v in random_weights(CFG, "cpu", seed=5).items()}
    quant: dict[str, object] = {}
    for i, (name, value) in enumerate(sorted(dense.items())):
        kind = name.rsplit(".", 1)[-1]
        if kind in QTYPES:
            data = blocks(
                QTYPES[kind], value.shape[0], value.shape[1], seed=i, std=0.04 if kind != "lm_head" else 0.1
            )
            quant[name] = QuantTensor(name, QTYPES[kind], tuple(value.shape), data.numpy())
            dense[name] = dequantize_reference(QTYPES[kind], data)
        else:
            quant[name] = value
    return quant, {k: v.float().cuda() for k, v in dense.items()}


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b.double()).norm() / b.double().norm())


def test_quant_runner_matches_the_dequantized_torch_runner(model):
    from kog.engine.cuda import CudaRunner
    from kog.engine.cuda.quant_weights import quant_linear
    from kog.engine.runner_torch import TorchRunner
    from kog.kernels.quant import QuantLinear

    quant, dense = model
    runner = CudaRunner(CFG, quant, 1024, linear_factory=quant_linear)
    assert isinstance(runner.weights.layers[0].v, QuantLinear) and isinstance(
        runner.weights.lm_head, QuantLinear
    )
    ref = TorchRunner(CFG, dense, 1024, torch.float32)
    ids = torch.randint(0, CFG.vocab_size, (40,), generator=torch.Generator().manual_seed(0))
    assert rel_err(runner.forward(ids[:30], 0), ref.forward(ids[:30], 0)) < 2e-2  # prefill: bf16 slices
    # decode rows: the quantized GEMVs are exact to ~1e-5, but the runner's path for non-bf16 linears
    # rounds the normed activations to bf16 before each product (engine/cuda/unfused.py), as prefill does
    for start, n in ((30, 1), (31, 3), (34, 6)):
        got, want = runner.forward(ids[start : start + n], start), ref.forward(ids[start : start + n], start)
        assert rel_err(got, want) < 2e-2
    # teacher-forced greedy picks over a sequence the torch runner generates
    first = torch.tensor([7])
    token, agree, steps = int(ref.forward(first, 40)[-1].argmax()), 0, 60
    runner.forward(first, 40)
    for pos in range(41, 41 + steps):
        want_logits = ref.forward(torch.tensor([token]), pos)[-1]
        got_logits = runner.forward(torch.tensor([token]), pos)[-1]
        agree += int(got_logits.argmax()) == int(want_logits.argmax())
        token = int(want_logits.argmax())
    assert agree >= steps - 3


def test_quant_weights_keep_the_linears_as_blocks(model, tmp_path):
    from kog.engine.cuda.quant_weights import is_linear, quant_linear
    from kog.kernels.quant import QuantLinear

    quant, _ = model
    assert all(isinstance(v, QuantTensor) for k, v in quant.items() if is_linear(k))
    lin = quant_linear("lm_head", quant["lm_head"], torch.device("cuda"))
    assert isinstance(lin, QuantLinear) and lin.nbytes == quant["lm_head"].data.nbytes
    f32 = QuantTensor("x", "F32", (4, 8), np.ones((4, 8), dtype=np.float32))
    assert torch.equal(quant_linear("x", f32, torch.device("cuda")).weight.float().cpu(), torch.ones(4, 8))


def test_tied_embedding_blocks_become_the_lm_head():
    """The embedding stays as blocks, serves as the tied LM head, and gathers rows; q/k/v and gate/up
    of one format are stacks."""
    from kog.engine.cuda.quant_weights import quant_linear, quant_weights
    from kog.engine.cuda.weights import ModelWeights
    from kog.engine.gguf_file import GGUFContents
    from kog.kernels.quant import QuantLinear

    cfg = dataclasses.replace(CFG, n_layers=1, tie_embeddings=True)
    embed = blocks("Q8_0", cfg.vocab_size, cfg.hidden_size, seed=1, std=0.1)
    tensors = {
        "token_embd.weight": QuantTensor("token_embd.weight", "Q8_0", (cfg.vocab_size, cfg.hidden_size), embed.numpy()),
        "output_norm.weight": QuantTensor("output_norm.weight", "F32", (cfg.hidden_size,), np.ones(cfg.hidden_size, np.float32)),
    }  # fmt: skip
    weights = quant_weights(GGUFContents(None, {}, tensors), cfg)  # type: ignore[arg-type]
    assert weights["embed"] is tensors["token_embd.weight"] and "lm_head" not in weights
    assert weights["norm"].dtype == torch.float32
    h, i, q, kv = cfg.hidden_size, cfg.intermediate_size, cfg.q_size, cfg.kv_size
    full = dict(weights)
    for seed, (name, rows, cols) in enumerate((
        ("q_proj", q, h), ("k_proj", kv, h), ("v_proj", kv, h), ("o_proj", h, q),
        ("gate_proj", i, h), ("up_proj", i, h), ("down_proj", h, i),
    )):  # fmt: skip
        data = blocks("Q8_0", rows, cols, seed=seed, std=0.04).numpy()
        full[f"layers.0.{name}"] = QuantTensor(name, "Q8_0", (rows, cols), data)
    for k in ("attn_norm", "mlp_norm"):
        full[f"layers.0.{k}"] = torch.ones(cfg.hidden_size)
    built = ModelWeights.from_dict(cfg, full, torch.device("cuda"), quant_linear)
    assert isinstance(built.embed, QuantLinear) and built.lm_head is built.embed
    ids = torch.tensor([5, 0, 2999], device="cuda")
    want = dequantize_reference("Q8_0", embed)[[5, 0, 2999]].cuda()
    assert torch.equal(built.embed_rows(ids), want)
    # q/k/v (one format) are one stack, gate/up another; the parts are views of them
    ((stack, bias),) = built.layers[0].qkv_stacks
    assert stack.out_features == cfg.q_size + 2 * cfg.kv_size and bias is None
    assert built.layers[0].gate_up.out_features == 2 * cfg.intermediate_size


@pytest.mark.parametrize("name", ["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"])
def test_real_shapes_decode_alike_with_and_without_pdl(name):
    """The models' real shapes in their Q4_K_M layouts, four layers (two of them with v in another
    format: a two-format q/k/v stack), small vocabulary: decoding replayed graphs with PDL, eager
    launches with PDL and launches without PDL give the same tokens. A kernel reading its input before
    the previous one has written it (as a second q/k/v stack released early once did) makes them part."""
    from kog.engine.cuda import CudaRunner
    from kog.engine.cuda.bench_models import BENCH_MODELS, random_gguf_weights
    from kog.engine.cuda.quant_weights import quant_linear

    cfg = dataclasses.replace(BENCH_MODELS[name], n_layers=4, vocab_size=3000)
    weights = random_gguf_weights(name, cfg, "cuda", seed=7)
    ids = torch.randint(0, cfg.vocab_size, (40,), generator=torch.Generator().manual_seed(3))
    outs = []
    for options in ({}, {"use_graphs": False}, {"pdl": False}):
        runner = CudaRunner(cfg, weights, 1024, linear_factory=quant_linear, **options)
        first = int(runner.forward(ids, 0, last_only=True)[-1].argmax())
        outs.append(runner.decode(48, token=first, pos=len(ids)).tolist())
    assert len(set(outs[2])) > 5, outs[2]  # not one token over and over
    assert outs[0] == outs[2] and outs[1] == outs[2]


def test_prepare_builds_the_modules_of_every_pass_size_before_running_the_passes(model, monkeypatch):
    """The stored formats' modules for all pass sizes first, then, after the smallest and largest
    passes, every size of what the largest built for its row count: the other passes load only
    modules built before them, and nothing is built that no pass loads."""
    import kog.kernels.build as build
    from kog.engine.cuda import CudaRunner
    from kog.engine.cuda.quant_weights import quant_linear

    runner = CudaRunner(CFG, model[0], 1024, linear_factory=quant_linear)
    asked, loads = [], []

    def prebuild(modules, *args, **kwargs):
        modules = list(modules)
        asked.append(({build.module_key(*m) for m in modules}, len(loads), set(build._built)))
        return build.prebuild(modules, *args, **kwargs)

    monkeypatch.setattr("kog.engine.cuda.runner.prebuild", prebuild)
    real_load = build._load_kernel
    monkeypatch.setattr(build, "_load_kernel", lambda *key: loads.append(key[:2]) or real_load(*key))
    runner.prepare()
    sources = runner.weights.stored_sources()
    (first, _, _), (second, at, had) = asked
    assert sources and first == {(source, n) for source in sources for n in range(1, 9)} <= second
    assert set(loads[at:]) <= second | had  # the passes after the second build
    assert second <= set(loads)
    assert all(key in build._built for key in second)
