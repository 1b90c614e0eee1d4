"""The compiled CPU matrix-vector kernel against its float32 torch reference, its selection rule, its
build cache and its errors; and the CPU decoder with the kernel against the decoder without it."""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path

import pytest
import torch
from kernel_testing import rel_err

from kog.kernels.cpu import (
    FLAGS,
    L1_FLOATS,
    LIBS,
    MAX_ROWS,
    SOURCES,
    CpuKernelError,
    CpuMatvec,
    build_cpu_matvec,
    load_cpu_matvec,
    matvec_reference,
)

pytestmark = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")

SHAPES = [(1152, 896), (896, 4864), (1, 32), (7, 33), (33, 100), (65, 2000)]


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory):
    return load_cpu_matvec(tmp_path_factory.mktemp("kernels"))


@pytest.mark.parametrize("rows,cols", SHAPES)
@pytest.mark.parametrize("n", range(1, MAX_ROWS + 1))
@pytest.mark.parametrize("with_bias", [False, True])
def test_matches_reference(kernel, rows, cols, n, with_bias):
    g = torch.Generator().manual_seed(rows * 31 + cols * 7 + n)
    weight = (torch.randn(rows, cols, generator=g) * 0.05).bfloat16()
    x = torch.randn(n, cols, generator=g).bfloat16()
    bias = torch.randn(rows, generator=g).bfloat16() if with_bias else None
    got = kernel(x, weight, bias)
    want = matvec_reference(x, weight, bias)
    assert got.shape == (n, rows) and got.dtype == torch.bfloat16
    # Same fp32 sums in another order: equal up to the last bf16 rounding of a few outputs.
    assert rel_err(got, want) < 2e-3
    assert (got == want).float().mean() > 0.9


@pytest.mark.parametrize("rows,cols", SHAPES)
@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_int8_matches_reference_and_dequantized_weights(kernel, rows, cols, n):
    from kog.engine.models.int8 import Int8Weight

    g = torch.Generator().manual_seed(rows * 13 + cols + n)
    w = Int8Weight.quantize(torch.randn(rows, cols, generator=g) * 0.05)
    x = torch.randn(n, cols, generator=g).bfloat16()
    bias = torch.randn(rows, generator=g).bfloat16()
    got = kernel(x, w.q, bias, scale=w.scale)
    assert rel_err(got, matvec_reference(x, w.q, bias, w.scale)) < 2e-3
    assert rel_err(got, x.float() @ w.dequantize(torch.float32).T + bias.float()) < 1e-2


def test_scale_goes_with_int8_only(kernel):
    with pytest.raises(ValueError, match="row scales"):
        kernel(torch.randn(1, 32).bfloat16(), torch.zeros(4, 32, dtype=torch.int8))
    with pytest.raises(ValueError, match="row scales"):
        kernel(torch.randn(1, 32).bfloat16(), torch.randn(4, 32).bfloat16(), scale=torch.ones(4))


@pytest.mark.skipif(platform.machine() != "x86_64", reason="x86 vector paths")
@pytest.mark.parametrize("arch,width", [(["-mavx2", "-mfma"], 8), ([], 0)])
def test_avx2_and_plain_c_paths_match_the_reference(tmp_path: Path, arch, width):
    """The paths -march=native does not pick on this machine, built on purpose."""
    from kog.engine.models.int8 import Int8Weight

    library = tmp_path / "matvec.so"
    subprocess.run(["cc", *FLAGS, *arch, *map(str, SOURCES), *LIBS, "-o", str(library)], check=True)
    kernel = CpuMatvec(library)
    assert kernel.vector_width == width
    g = torch.Generator().manual_seed(width)
    for rows, cols, n in [(65, 2000, 1), (33, 100, 3), (7, 33, 8)]:
        weight = (torch.randn(rows, cols, generator=g) * 0.05).bfloat16()
        x = torch.randn(n, cols, generator=g).bfloat16()
        bias = torch.randn(rows, generator=g).bfloat16()
        assert rel_err(kernel(x, weight, bias), matvec_reference(x, weight, bias)) < 2e-3
        q = Int8Weight.quantize(weight.float())
        got = kernel(x, q.q, bias, scale=q.scale)
        assert rel_err(got, matvec_reference(x, q.q, bias, q.scale)) < 2e-3


def test_reads_strided_activations_and_leaves_inputs_alone(kernel):
    weight = torch.randn(64, 96).bfloat16()
    x = torch.randn(96, 3).bfloat16().T  # not contiguous
    before = (weight.clone(), x.clone())
    got = kernel(x, weight)
    assert rel_err(got, matvec_reference(x, weight)) < 2e-3
    assert torch.equal(weight, before[0]) and torch.equal(x, before[1])


def test_what_it_cannot_read_is_a_clear_error(kernel):
    with pytest.raises(ValueError, match="do not match"):
        kernel(torch.randn(1, 10).bfloat16(), torch.randn(4, 12).bfloat16())
    with pytest.raises(ValueError, match="1..8 activation rows"):
        kernel(torch.randn(9, 12).bfloat16(), torch.randn(4, 12).bfloat16())
    with pytest.raises(ValueError, match="contiguous bf16 or int8"):
        kernel(torch.randn(1, 12).bfloat16(), torch.randn(4, 12))
    with pytest.raises(ValueError, match="contiguous bf16 or int8"):
        kernel(torch.randn(1, 4).bfloat16(), torch.randn(12, 4).bfloat16().T.contiguous().T)


def test_handles_only_what_it_is_faster_for(kernel):
    w = torch.randn(16, 896).bfloat16()
    assert kernel.handles(torch.randn(1, 896).bfloat16(), w)
    assert kernel.handles(torch.randn(1, 8960).bfloat16(), torch.randn(16, 8960).bfloat16())
    assert kernel.handles(torch.randn(4, 896).bfloat16(), w)  # 4 x 896 <= L1_FLOATS
    assert not kernel.handles(torch.randn(L1_FLOATS // 896 + 1, 896).bfloat16(), w)
    assert not kernel.handles(torch.randn(MAX_ROWS + 1, 16).bfloat16(), torch.randn(4, 16).bfloat16())
    assert not kernel.handles(torch.randn(1, 896), w.float())  # float32: torch's own
    assert not kernel.handles(torch.randn(1, 896).bfloat16(), torch.randn(896, 16).bfloat16().T)


def test_build_is_cached(tmp_path: Path):
    first = build_cpu_matvec(tmp_path)
    stamp = first.stat().st_mtime_ns
    assert build_cpu_matvec(tmp_path) == first and first.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no temporary left behind


def test_missing_compiler_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CC", "no-such-compiler-kog")
    with pytest.raises(CpuKernelError, match="no C compiler"):
        build_cpu_matvec(tmp_path)
    assert not any(tmp_path.iterdir())


def test_rejected_source_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    fake = tmp_path / "cc"
    fake.write_text("#!/bin/sh\n[ \"$1\" = --version ] && exit 0\necho 'error: no' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CC", str(fake))
    out = tmp_path / "out"
    with pytest.raises(CpuKernelError, match="could not build"):
        build_cpu_matvec(out)
    assert not any(out.iterdir())  # the failed builds left nothing


def test_decoder_with_kernel_matches_decoder_without(kernel):
    from kog.engine.config import ModelConfig
    from kog.engine.models.decoder import Decoder
    from kog.engine.models.kv_cache import KVCache

    cfg = ModelConfig(
        arch="qwen2", vocab_size=300, hidden_size=128, intermediate_size=256, n_layers=2, n_heads=4,
        n_kv_heads=2, head_dim=32, rope_theta=10000.0, rms_eps=1e-6, context_length=64,
        tie_embeddings=True, qkv_bias=True,
    )  # fmt: skip
    g = torch.Generator().manual_seed(0)
    weights = {"embed": torch.randn(300, 128, generator=g), "norm": torch.ones(128)}
    for i in range(2):
        p = f"layers.{i}."
        for name, shape in {
            "q_proj": (128, 128), "k_proj": (64, 128), "v_proj": (64, 128), "o_proj": (128, 128),
            "gate_proj": (256, 128), "up_proj": (256, 128), "down_proj": (128, 256),
        }.items():  # fmt: skip
            weights[p + name] = torch.randn(*shape, generator=g) * shape[1] ** -0.5
        for name, size in {"q_bias": 128, "k_bias": 64, "v_bias": 64}.items():
            weights[p + name] = torch.randn(size, generator=g) * 0.1
        weights[p + "attn_norm"] = weights[p + "mlp_norm"] = torch.ones(128)
    weights = {k: v.bfloat16() for k, v in weights.items()}
    ids = torch.randint(0, 300, (12,), generator=g)
    logits = []
    for matvec in (None, kernel):
        model = Decoder(cfg, weights, KVCache(cfg, 64, torch.bfloat16, "cpu"), matvec)
        steps = [model.logits(model.hidden(ids[:6], 0))]  # a prefill chunk (torch's product)
        steps += [model.logits(model.hidden(ids[6:9], 6))]  # a 3-row verification pass (the kernel)
        steps += [model.logits(model.hidden(ids[i : i + 1], i)) for i in range(9, 12)]  # decode steps
        logits.append(torch.cat(steps))
    assert rel_err(logits[1], logits[0]) < 2e-2
    assert torch.equal(logits[1].argmax(-1), logits[0].argmax(-1))
