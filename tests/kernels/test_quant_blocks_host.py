"""The GPU's block decoders (quant_blocks.cuh, quant_kblocks.cuh) compiled for the CPU and checked
against gguf: the per-lane dot products the fused GEMVs add up, and the dequantized values."""

from __future__ import annotations

import ctypes
import shutil
import subprocess

import gguf
import numpy as np
import pytest
import torch

from kog.kernels.build import SOURCE_DIR
from kog.kernels.quant_plan import (
    MIN_WARPS,
    MMA_WARPS,
    STAGES,
    act_rows_per_launch,
    lane_use,
    max_act_rows,
    mma_act_rows,
    mma_shared_bytes,
    mma_split,
    preferred_rows_per_warp,
    preferred_subgroups,
    stage_bytes,
    staged_activation_bytes,
)
from kog.kernels.quant_reference import FORMATS, random_blocks

CXX = shutil.which("g++")
pytestmark = pytest.mark.skipif(CXX is None, reason="needs g++")

# The kernel's arithmetic on one thread: activations staged as kog_qx (16-bit integers per 32 columns,
# high and low bytes), every unit of every row group through F::dot, then F::values for whole rows.
HARNESS = r"""
#include <cmath>
#include <cstdlib>
#include <cstring>
#include "quant_blocks.cuh"
#include "quant_kblocks.cuh"

template <class F, int R, int N>
static void gemv(const unsigned char* w, int bpr, int rows, int k, const float* x, float* y) {
  kog_qx qx;
  qx.row_bytes = kog_qx_row_bytes<F::UNIT>(k);
  qx.blocks32 = k / 32;
  qx.groups16 = k / 16;
  unsigned char* bytes = static_cast<unsigned char*>(aligned_alloc(16, N * qx.row_bytes));
  float* scale = static_cast<float*>(malloc(sizeof(float) * N * qx.blocks32));
  float* sum16 = static_cast<float*>(malloc(sizeof(float) * N * qx.groups16));
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < k; c += 32) {
      float amax = 0.f;
      for (int e = 0; e < 32; ++e) amax = fmaxf(amax, fabsf(x[n * k + c + e]));
      int sums[4];
      for (int p = 0; p < 4; ++p) {
        float v[8];
        for (int e = 0; e < 8; ++e) v[e] = x[n * k + c + 8 * p + e];
        kog_u32 h0, h1, l0, l1;
        scale[n * qx.blocks32 + c / 32] = kog_qx_pack8(v, amax, h0, h1, l0, l1, sums[p]);
        const int col = c + 8 * p;
        unsigned char* at = bytes + n * qx.row_bytes + kog_qx_group<F::UNIT>(col & ~15) + (col & 15);
        memcpy(at, &h0, 4), memcpy(at + 4, &h1, 4), memcpy(at + 16, &l0, 4), memcpy(at + 20, &l1, 4);
      }
      for (int half = 0; half < 2; ++half)
        sum16[n * qx.groups16 + c / 16 + half] = scale[n * qx.blocks32 + c / 32] * (float)(sums[2 * half] + sums[2 * half + 1]);
    }
  qx.bytes = bytes;
  qx.scale = scale;
  qx.sum16 = sum16;
  for (int g = 0; g * R < rows; ++g) {
    const int live = rows - g * R < R ? rows - g * R : R;
    const unsigned char* rowp[R];
    for (int j = 0; j < R; ++j) rowp[j] = w + (size_t)(g * R + (j < live ? j : live - 1)) * bpr;
    float part[R][N] = {};
    for (int u = 0; u < k / F::UNIT; ++u) F::template dot<R, N>(rowp, u, qx, part);
    for (int j = 0; j < live; ++j)
      for (int n = 0; n < N; ++n) y[n * rows + g * R + j] = part[j][n];
  }
  free(bytes);
  free(scale);
  free(sum16);
}

template <class F>
static void run(int r, int n, const unsigned char* w, int bpr, int rows, int k, const float* x, float* y) {
  if (r == 1 && n == 1) gemv<F, 1, 1>(w, bpr, rows, k, x, y);
  if (r == 2 && n == 3) gemv<F, 2, 3>(w, bpr, rows, k, x, y);
  if (r == 4 && n == 2) gemv<F, 4, 2>(w, bpr, rows, k, x, y);
}

template <class F>
static void values(const unsigned char* w, int bpr, int rows, int k, float* out) {
  for (int r = 0; r < rows; ++r)
    for (int u = 0; u < k / F::UNIT; ++u) F::values(w + (size_t)r * bpr, u, [&](int c, float v) { out[(size_t)r * k + c] = v; });
}

#define DISPATCH(CALL)                                   \
  switch (fmt) {                                         \
    case 0: CALL(QuantQ8_0); break;                      \
    case 1: CALL(QuantQ5_0); break;                      \
    case 2: CALL(QuantQ4_1); break;                      \
    case 3: CALL(QuantQ4_K); break;                      \
    case 4: CALL(QuantQ6_K); break;                      \
  }

extern "C" void harness_gemv(int fmt, int r, int n, const unsigned char* w, int bpr, int rows, int k, const float* x, float* y) {
#define GEMV(F) run<F>(r, n, w, bpr, rows, k, x, y)
  DISPATCH(GEMV)
}

extern "C" void harness_values(int fmt, const unsigned char* w, int bpr, int rows, int k, float* out) {
#define VALUES(F) values<F>(w, bpr, rows, k, out)
  DISPATCH(VALUES)
}
"""
FORMAT_INDEX = {"Q8_0": 0, "Q5_0": 1, "Q4_1": 2, "Q4_K": 3, "Q6_K": 4}
CASES = [(1, 1), (2, 3), (4, 2)]  # (weight rows per group, activation rows) instantiated above


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    build = tmp_path_factory.mktemp("quant_harness")
    (build / "harness.cpp").write_text(HARNESS)
    lib = build / "harness.so"
    cmd = [CXX, "-std=c++17", "-O1", "-ffp-contract=off", "-shared", "-fPIC", f"-I{SOURCE_DIR}"]
    done = subprocess.run([*cmd, "-o", str(lib), str(build / "harness.cpp")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return ctypes.CDLL(str(lib))


def _ptr(a: np.ndarray) -> ctypes.c_void_p:
    return ctypes.c_void_p(a.ctypes.data)


def _aligned(data: torch.Tensor) -> np.ndarray:
    """The blocks in a 64-byte aligned buffer, as the GPU holds them (plus slack past the end)."""
    raw = np.zeros(data.numel() + 128, dtype=np.uint8)
    start = (-raw.ctypes.data) % 64
    out = raw[start : start + data.numel()].reshape(data.shape)
    out[:] = data.numpy()
    return out


def _gguf(qtype: str, data: np.ndarray, rows: int, cols: int) -> np.ndarray:
    return gguf.quants.dequantize(data, gguf.GGMLQuantizationType[qtype]).reshape(rows, cols)


@pytest.mark.parametrize("qtype", FORMATS)
@pytest.mark.parametrize("rows,cols", [(5, 512), (33, 768), (8, 1536)])
def test_values_are_gguf_dequantization(harness, qtype, rows, cols):
    data = _aligned(random_blocks(qtype, rows, cols, seed=rows + cols))
    got = np.full((rows, cols), np.nan, dtype=np.float32)
    harness.harness_values(FORMAT_INDEX[qtype], _ptr(data), data.shape[1], rows, cols, _ptr(got))
    assert np.array_equal(got, _gguf(qtype, data, rows, cols))


@pytest.mark.parametrize("qtype", FORMATS)
@pytest.mark.parametrize("group_rows,act_rows", CASES)
@pytest.mark.parametrize("rows,cols", [(7, 256), (33, 1536), (10, 2304)])
def test_dot_products_match_gguf(harness, qtype, group_rows, act_rows, rows, cols):
    data = _aligned(random_blocks(qtype, rows, cols, seed=3 * rows + act_rows))
    x = np.random.default_rng(rows).standard_normal((act_rows, cols)).astype(np.float32)
    got = np.full((act_rows, rows), np.nan, dtype=np.float32)
    harness.harness_gemv(
        FORMAT_INDEX[qtype], group_rows, act_rows, _ptr(data), data.shape[1], rows, cols, _ptr(x), _ptr(got)
    )
    want = x.astype(np.float64) @ _gguf(qtype, data, rows, cols).astype(np.float64).T
    err = np.linalg.norm(got - want) / np.linalg.norm(want)
    assert err < 1e-4, err  # 16-bit activations: errors near 1e-5


@pytest.mark.parametrize("qtype", sorted(FORMATS))
@pytest.mark.parametrize("k", [896, 1536, 4864, 8960])
def test_activation_rows_split_evenly_and_fit(qtype, k):
    """Rows beyond what one launch stages go to further launches of nearly equal size, each leaving
    room for MIN_WARPS warps of weight buffers."""
    fmt, limit = FORMATS[qtype], 227 * 1024 - 512
    if k % fmt.block_weights:
        pytest.skip("width not a whole number of blocks")
    for n in range(1, 9):
        sizes, left = [], n
        while left:
            sizes.append(act_rows_per_launch(fmt, k, left, limit))
            left -= sizes[-1]
        assert max(sizes) - min(sizes) <= 1
        assert len(sizes) == -(-n // max_act_rows(fmt, k, limit))
        worst = staged_activation_bytes(fmt, k, max(sizes)) + MIN_WARPS * STAGES * stage_bytes(fmt, k, 1)
        assert max(sizes) == 1 or worst <= limit


@pytest.mark.parametrize("k", [576, 896, 1536, 4864, 8960, 18944])
def test_tensor_core_launches_fit_and_split_evenly(k):
    """The tensor-core GEMVs stage all of a launch's rows: 8 rows of the models' widths fit in one,
    wider rows go in near-equal launches that each fit."""
    limit = 227 * 1024 - 512
    for n in range(1, 9):
        first = mma_act_rows(k, n, limit)
        assert mma_shared_bytes(k, first) <= limit
        assert first * (-(-n // first)) - n < -(-n // first)  # launches differ by at most one row
    if k <= 8960:
        assert mma_act_rows(k, 8, limit) == 8


@pytest.mark.parametrize(
    "tiles,steps,want",
    [(96, 35, 8), (1120, 6, 2), (9496, 6, 1), (16, 6, 8), (56, 19, 8), (4, 1, 1), (4, 2, 2)],
)
def test_tensor_core_split_fills_the_gpu(tiles, steps, want):
    """Warps share a tile while the tiles alone leave the 132 SMs short of warps and there are about
    as many steps as warps (1.5B down, gate/up, LM head, k/v; 0.5B down; tiny matrices)."""
    split = mma_split(tiles, steps, 132)
    assert split == want and MMA_WARPS % split == 0


@pytest.mark.parametrize(
    "rows,bytes_per_row,n,want",
    [
        (2048, 864, 1, 1),  # 1.5B q/k/v (1.8 MB): one row a warp
        (1536, 864, 1, 1),  # 1.5B o
        (17920, 864, 1, 2),  # 1.5B gate/up: two (four measured slower over a whole step)
        (9728, 616, 1, 2),  # 0.5B gate/up
        (151936, 952, 1, 2),  # 0.5B LM head (Q8_0)
        (1536, 7350, 1, 2),  # 1.5B Q6_K down projection
        (17920, 864, 2, 2),
        (17920, 864, 3, 1),  # more activation rows: fewer weight rows a warp (registers)
        (200, 10**5, 1, 1),  # few rows, however long
    ],
)
def test_rows_a_warp(rows, bytes_per_row, n, want):
    assert preferred_rows_per_warp(rows, bytes_per_row, n) == want


@pytest.mark.parametrize(
    "units,rows,bytes_per_row,n,x_kind,want",
    [
        (24, 17920, 864, 1, "f32_norm", 4),  # 1.5B gate/up: 8 lanes of 3 units, not 24 lanes and 8 idle
        (24, 151936, 1260, 1, "f32_norm_argmax", 4),  # 1.5B LM head (Q6_K)
        (24, 151936, 1260, 2, "f32_norm_argmax", 4),  # two-row passes too
        (28, 9728, 616, 1, "f32_norm", 1),  # 0.5B gate/up (Q5_0): 8 lanes would leave as many idle
        (28, 151936, 952, 1, "f32_norm_argmax", 1),  # 0.5B LM head (Q8_0)
        (32, 151936, 952, 1, "f32_norm", 1),  # units that fill a warp keep whole warps
        (24, 2048, 864, 1, "f32_norm", 1),  # small matrices (q/k/v): whole warps, short chains
        (24, 17920, 864, 3, "f32_norm", 1),  # more activation rows: not built
        (140, 1536, 7350, 1, "image", 1),  # down projections: only the normed kernels have sub-groups
    ],
)
def test_subgroups_a_warp(units, rows, bytes_per_row, n, x_kind, want):
    assert preferred_subgroups(units, rows, bytes_per_row, n, x_kind) == want


def test_lane_use():
    assert lane_use(24, 32) == 0.75 and lane_use(24, 8) == 1.0 and lane_use(28, 8) == 0.875
    assert lane_use(9, 8) == 9 / 16
