"""Every CUDA source compiles with nvcc for sm_90a, for one activation row and for the most (CI check)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from kog.kernels.build import MAX_ROWS, SOURCE_DIR, expand_includes

SOURCES = sorted(p.name for p in SOURCE_DIR.glob("*.cu"))
NVCC = shutil.which("nvcc")


def test_every_kernel_source_is_listed():
    assert {
        "gemv.cu",
        "gate_up.cu",
        "qkv_rope.cu",
        "attention.cu",
        "lm_head.cu",
        "sampling.cu",
        "embed.cu",
    } <= set(SOURCES)


@pytest.mark.parametrize("source", SOURCES)
def test_includes_are_inlined_once(source):
    text = expand_includes(source)
    assert '#include "' not in text
    assert text.count("__device__ __forceinline__ float warp_sum(") == 1


@pytest.mark.skipif(NVCC is None, reason="nvcc not installed")
@pytest.mark.parametrize("rows", [1, MAX_ROWS])
@pytest.mark.parametrize("source", SOURCES)
def test_compiles_for_sm90a(source, rows, tmp_path):
    cmd = [
        NVCC, "-std=c++17", "-gencode=arch=compute_90a,code=sm_90a", "-cubin", f"-DKOG_ROWS={rows}",
        "-Xptxas", "-v", "-o", str(tmp_path / "k.cubin"), str(SOURCE_DIR / source),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr.lower(), done.stderr
    if rows == 1:  # the decode variants keep their arrays in registers (sincosf's slow path takes 32 B)
        frames = [int(b) for b in re.findall(r"(\d+) bytes stack frame", done.stderr)]
        assert frames and max(frames) <= 32, done.stderr


@pytest.mark.skipif(NVCC is None, reason="nvcc not installed")
@pytest.mark.parametrize("source", SOURCES)
def test_timeline_builds_compile(source, tmp_path):
    """The KOG_TIMELINE build bench/timeline.py makes: every kernel records its wait's clock."""
    cmd = [
        NVCC, "-std=c++17", "-gencode=arch=compute_90a,code=sm_90a", "-cubin", "-DKOG_ROWS=1",
        "-DKOG_TIMELINE=16", "-o", str(tmp_path / "k.cubin"), str(SOURCE_DIR / source),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr.lower(), done.stderr


def test_attention_has_a_kernel_for_every_head_dims_passes():
    """attention.py picks attention_decode_p<PASSES> by head_dim and mirrors the block size."""
    from kog.kernels.attention import THREADS, passes

    source = (SOURCE_DIR / "attention.cu").read_text()
    assert f"#define ATT_THREADS {THREADS}" in source
    for head_dim in (32, 64, 128, 256):
        assert f"KOG_ATTENTION({passes(head_dim)})" in source
        assert THREADS // (head_dim // 8) * passes(head_dim) >= 32  # a batch: at least 32 positions


@pytest.mark.skipif(NVCC is None, reason="nvcc not installed")
@pytest.mark.parametrize(
    ("source", "hinted"), [("quant_q4_k.cu", True), ("quant_q8_0.cu", True), ("gemv.cu", False)]
)
def test_stored_block_weights_are_read_evict_first(source, hinted, tmp_path):
    """The stored-block GEMVs copy weights under an L2 evict-first policy (common.cuh's weight_policy:
    a step's other reads stay in L2); the bf16 GEMVs keep plain copies (bench/NOTES.md)."""
    cmd = [
        NVCC, "-std=c++17", "-arch=sm_90a", "-ptx", "-DKOG_ROWS=1", "-o", str(tmp_path / "k.ptx"),
        str(SOURCE_DIR / source),
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ptx = (tmp_path / "k.ptx").read_text()
    assert "cp.async.cg.shared.global" in ptx
    assert ("cp.async.cg.shared.global.L2::cache_hint" in ptx) == hinted
    assert ("createpolicy.fractional.L2::evict_first" in ptx) == hinted
