"""The CPU kernel over GGUF blocks as stored (every format, 1..8 rows, each build path) against gguf's own
dequantization of the same random blocks; `BlockWeight` for decode and prefill rows, stacked parts and
embedding rows."""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path

import gguf
import numpy as np
import pytest
import torch
from kernel_testing import rel_err

from kog.engine.models.blocks import KERNEL_MAX_ROWS, BlockWeight
from kog.kernels.cpu import FLAGS, GGUF_CODES, LIBS, MAX_ROWS, SOURCES, CpuMatvec, load_cpu_matvec
from kog.kernels.quant_reference import FORMATS, random_blocks

pytestmark = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")

SHAPES = [(1, 256), (7, 512), (33, 768), (65, 2304), (300, 896), (9, 1120)]  # 1120: an odd block count


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> CpuMatvec:
    return load_cpu_matvec(tmp_path_factory.mktemp("kernels"))


def cases(shapes):
    return [(q, r, c) for q in GGUF_CODES for r, c in shapes if c % FORMATS[q].block_weights == 0]


def blocks_and_values(qtype: str, rows: int, cols: int, seed: int = 0) -> tuple[np.ndarray, torch.Tensor]:
    """Random blocks (realistic scales) and gguf's float32 values of them."""
    data = random_blocks(qtype, rows, cols, device="cpu", seed=seed).numpy()
    values = gguf.quants.dequantize(data, gguf.GGMLQuantizationType[qtype])
    return np.ascontiguousarray(data), torch.from_numpy(
        np.asarray(values, dtype=np.float32).reshape(rows, cols)
    )


def expected(values: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return x.double() @ values.double().T


@pytest.mark.parametrize("qtype,rows,cols", cases(SHAPES))
@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("paths", ["cpu", "plain"])
def test_matches_gguf_dequantization(kernel, qtype, rows, cols, n, paths):
    """paths: the CPU-specific ones where the build has them (integer dot products, AMX tiles), or
    the bf16 / plain one alone."""
    blocks, values = blocks_and_values(qtype, rows, cols, seed=rows + cols + n)
    x = torch.randn(n, cols, generator=torch.Generator().manual_seed(n)).bfloat16()
    out = torch.full((n, rows), float("nan"), dtype=torch.bfloat16)
    kernel.allow(vnni=paths == "cpu", amx=paths == "cpu")
    try:
        kernel.gguf(x, blocks, qtype, cols, out)
    finally:
        kernel.allow()
    # fp32 sums of exact products, in another order; one rounding to bf16 at the end.
    assert rel_err(out, expected(values, x)) < 4e-3


@pytest.mark.parametrize("qtype", GGUF_CODES)
def test_writes_a_slice_of_a_wider_output(kernel, qtype):
    blocks, values = blocks_and_values(qtype, 33, 512)
    x = torch.randn(3, 512).bfloat16()
    out = torch.full((3, 50), -7.0, dtype=torch.bfloat16)
    kernel.gguf(x, blocks, qtype, 512, out[:, 10:])
    assert rel_err(out[:, 10:43], expected(values, x)) < 4e-3
    assert (out[:, :10] == -7).all() and (out[:, 43:] == -7).all()


@pytest.mark.parametrize("qtype", GGUF_CODES)
def test_dequantizes_to_ggufs_values_rounded(kernel, qtype):
    blocks, values = blocks_and_values(qtype, 65, 2304, seed=3)
    out = torch.empty(65, 2304, dtype=torch.bfloat16)
    kernel.dequantize(blocks, qtype, 2304, out)
    assert torch.equal(out, values.bfloat16())
    ids = torch.tensor([64, 0, 7, 7])
    picked = torch.empty(4, 2304, dtype=torch.bfloat16)
    kernel.dequantize(blocks, qtype, 2304, picked, ids=ids)
    assert torch.equal(picked, values[ids].bfloat16())


@pytest.mark.skipif(platform.machine() != "x86_64", reason="x86 vector paths")
@pytest.mark.parametrize("arch", [["-mavx2", "-mfma", "-mf16c"], []])
def test_paths_without_avx512_bf16_match(tmp_path: Path, arch):
    """The block-decoding paths -march=native does not pick here, built on purpose."""
    library = tmp_path / "matvec.so"
    subprocess.run(["cc", *FLAGS, *arch, *map(str, SOURCES), *LIBS, "-o", str(library)], check=True)
    kernel = CpuMatvec(library)
    for qtype in GGUF_CODES:
        blocks, values = blocks_and_values(qtype, 33, 768 if FORMATS[qtype].block_weights == 256 else 800)
        cols = values.shape[1]
        for n in (1, 4):
            x = torch.randn(n, cols).bfloat16()
            out = torch.empty(n, 33, dtype=torch.bfloat16)
            kernel.gguf(x, blocks, qtype, cols, out)
            assert rel_err(out, expected(values, x)) < 4e-3, qtype


@pytest.mark.skipif(platform.machine() != "x86_64", reason="x86 vector paths")
@pytest.mark.parametrize("arch", ["haswell", "skylake-avx512", "cascadelake", "sapphirerapids"])
def test_builds_for_each_x86_generation(tmp_path: Path, arch):
    """AVX2 alone; AVX-512 without VNNI (the AVX2 integer path beside 512-bit code); VNNI without bf16;
    VNNI, bf16 and AMX. A build that fails where -march=native meets it falls back to plain C."""
    library = tmp_path / "matvec.so"
    subprocess.run(
        ["cc", *FLAGS, f"-march={arch}", *map(str, SOURCES), *LIBS, "-o", str(library)], check=True
    )


def test_what_it_cannot_read_is_a_clear_error(kernel):
    blocks, _ = blocks_and_values("Q4_K", 8, 256)
    x, out = torch.randn(1, 256).bfloat16(), torch.empty(1, 8, dtype=torch.bfloat16)
    with pytest.raises(ValueError, match="not Q2_K"):
        kernel.gguf(x, blocks, "Q2_K", 256, out)
    with pytest.raises(ValueError, match="uint8"):
        kernel.gguf(x, blocks[:, :100].copy(), "Q4_K", 256, out)
    with pytest.raises(ValueError, match="activation rows"):
        kernel.gguf(
            torch.randn(MAX_ROWS + 1, 256).bfloat16(), blocks, "Q4_K", 256, torch.empty(9, 8).bfloat16()
        )
    with pytest.raises(ValueError, match="bf16"):
        kernel.gguf(torch.randn(1, 256), blocks, "Q4_K", 256, out)
    with pytest.raises(ValueError, match="out of range"):
        kernel.dequantize(
            blocks, "Q4_K", 256, torch.empty(1, 256, dtype=torch.bfloat16), ids=torch.tensor([8])
        )


@pytest.mark.parametrize("n", [1, 8, KERNEL_MAX_ROWS, KERNEL_MAX_ROWS + 1])
def test_block_weight_stacks_formats_for_decode_and_prefill_rows(kernel, n):
    """q/k/v of three formats as one matrix: the kernel in 8-row pieces up to KERNEL_MAX_ROWS rows, a
    dequantized bf16 product past that; embedding rows by id."""
    parts = [blocks_and_values(q, r, 512, seed=r) for q, r in (("Q5_0", 40), ("Q4_K", 24), ("Q8_0", 24))]
    stacked = BlockWeight.cat(
        [BlockWeight.of(q, b, 512, kernel) for (b, _), q in zip(parts, ("Q5_0", "Q4_K", "Q8_0"), strict=True)]
    )
    values = torch.cat([v for _, v in parts])
    assert stacked.shape == (88, 512) and stacked.nbytes == sum(b.nbytes for b, _ in parts)
    x = torch.randn(n, 512).bfloat16()
    got = stacked.matmul(x)
    assert got.shape == (n, 88) and got.dtype == torch.bfloat16
    assert rel_err(got, expected(values, x)) < 1e-2
    assert torch.equal(stacked.dequantize(), values.bfloat16())
    embed = BlockWeight.of("Q5_0", parts[0][0], 512, kernel)
    ids = torch.tensor([[3, 39], [0, 3]])
    assert torch.equal(embed.rows(ids), parts[0][1][ids].bfloat16())
