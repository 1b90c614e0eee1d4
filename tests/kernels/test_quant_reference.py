"""The quantized path's references on the CPU: torch dequantization is gguf's, bit for bit, and the
CPU `QuantLinear` computes with it."""

from __future__ import annotations

import gguf
import numpy as np
import pytest
import torch

from kog.kernels.quant import QuantLinear
from kog.kernels.quant_reference import (
    FORMATS,
    dequantize_reference,
    quant_format,
    quant_gemv_reference,
    random_blocks,
)


def gguf_values(qtype: str, data: torch.Tensor) -> np.ndarray:
    values = gguf.quants.dequantize(data.numpy(), gguf.GGMLQuantizationType[qtype])
    return np.asarray(values, dtype=np.float32).reshape(data.shape[0], -1)


@pytest.mark.parametrize("qtype", FORMATS)
@pytest.mark.parametrize("rows,cols", [(1, 256), (7, 512), (33, 1536), (3, 8960)])
def test_dequantization_is_ggufs_bit_for_bit(qtype, rows, cols):
    data = random_blocks(qtype, rows, cols, seed=rows * cols)
    got = dequantize_reference(qtype, data).numpy()
    assert got.shape == (rows, cols)
    assert np.array_equal(got.view(np.uint32), gguf_values(qtype, data).view(np.uint32))


@pytest.mark.parametrize("qtype", FORMATS)
def test_random_blocks_have_finite_scales_and_vary(qtype):
    data = random_blocks(qtype, 64, 512, seed=1)
    values = dequantize_reference(qtype, data)
    assert torch.isfinite(values).all()
    assert values.std() > 0 and not torch.equal(data, random_blocks(qtype, 64, 512, seed=2))


def test_a_subnormal_scale_is_read_exactly():
    data = random_blocks("Q8_0", 1, 32, seed=0)
    data[0, 0], data[0, 1] = 0x01, 0x00  # the smallest f16 subnormal, 2^-24
    data[0, 2] = 3
    assert dequantize_reference("Q8_0", data)[0, 0].item() == 3 * 2.0**-24


def test_gemv_reference_is_x_times_the_dequantized_rows():
    data = random_blocks("Q4_K", 5, 256, seed=3)
    x = torch.randn(2, 256)
    want = x.double() @ torch.from_numpy(gguf_values("Q4_K", data)).double().T
    assert torch.allclose(quant_gemv_reference("Q4_K", data, x), want, rtol=0, atol=0)


@pytest.mark.parametrize("qtype", ["Q5_0", "Q6_K"])
def test_cpu_quant_linear_multiplies_by_the_stored_blocks(qtype):
    data = random_blocks(qtype, 9, 512, seed=4)
    lin = QuantLinear(qtype, data.numpy(), 512, "cpu")
    assert (lin.out_features, lin.in_features, lin.nbytes) == (9, 512, data.numel())
    assert torch.equal(lin.blocks, data)
    x = torch.randn(3, 512)
    got = lin.matvec(x)
    want = quant_gemv_reference(qtype, data, x)
    assert ((got.double() - want).norm() / want.norm()).item() < 1e-6


def test_formats_refuse_partial_blocks_and_unknown_types():
    with pytest.raises(ValueError, match="whole 256-weight blocks"):
        quant_format("Q4_K").bytes_per_row(896)
    with pytest.raises(ValueError, match="no quantized kernel for Q2_K"):
        quant_format("Q2_K")
    with pytest.raises(ValueError, match=r"uint8 \[rows, 144\]"):
        QuantLinear("Q4_K", np.zeros((4, 100), dtype=np.uint8), 256, "cpu")


def test_a_stack_takes_a_tail_of_another_format_of_its_unit_size():
    """`takes_tail` pairs formats of one unit size (a Q4_K_M file's Q4_K q/k and Q6_K v, or Q5_0 and
    Q8_0 where rows are not whole K super-blocks), never one format with itself or another width, and
    every pair it accepts has its kernel in the format's source (quant_gemv.cuh's KOG_QUANT_GEMV_TAIL)."""
    from kog.kernels.build import SOURCE_DIR

    def lin(qtype: str, cols: int = 512) -> QuantLinear:
        return QuantLinear(qtype, random_blocks(qtype, 4, cols), cols, "cpu")

    assert lin("Q4_K").takes_tail(lin("Q6_K")) and lin("Q5_0").takes_tail(lin("Q8_0"))
    assert not lin("Q4_K").takes_tail(lin("Q8_0"))  # units of 64 and 32 weights
    assert not lin("Q4_K").takes_tail(lin("Q4_K"))
    assert not lin("Q4_K").takes_tail(lin("Q6_K", 256))
    for a in FORMATS.values():
        source = (SOURCE_DIR / a.source).read_text()
        for b in FORMATS.values():
            if lin(a.qtype).takes_tail(lin(b.qtype)):
                assert (
                    f"KOG_QUANT_GEMV_TAIL({a.prefix}, Quant{a.qtype}, {b.prefix}, Quant{b.qtype})" in source
                )


def test_a_layers_stacks_go_out_as_one_launch_when_their_formats_pair(monkeypatch):
    """`gemv_rope_stacks`' launches (recorded, not run): a Q4_K stack with a Q6_K tail in one, three
    stacks (or pairs it may not join) one after another with the later ones overlapped."""
    from kog.kernels.quant import gemv_rope_stacks

    calls = []
    monkeypatch.setattr(QuantLinear, "gemv_rope", lambda self, x, **kw: calls.append((self.qtype, kw)))

    def stack(qtype: str) -> tuple[QuantLinear, None]:
        return QuantLinear(qtype, random_blocks(qtype, 4, 256), 256, "cpu"), None

    rope = {
        "norm": "n",
        "eps": 1e-6,
        "inv_freq": "f",
        "state": "s",
        "q_out": "q",
        "k_cache": "k",
        "v_cache": "v",
    }
    gemv_rope_stacks((stack("Q4_K"), stack("Q6_K")), "x", pdl=True, **rope)
    ((qtype, kw),) = calls
    assert qtype == "Q4_K" and kw["tail"][0].qtype == "Q6_K" and kw["pair_base"] == 0 and kw["pdl"]
    assert {k: kw[k] for k in rope} == rope
    for stacks, tails in (((stack("Q4_K"), stack("Q6_K")), False), ((stack("Q4_K"), stack("Q8_0")), True)):
        calls.clear()
        gemv_rope_stacks(stacks, "x", tails=tails, **rope)
        assert [(kw["pair_base"], kw["overlap"], kw["overlapped_next"]) for _, kw in calls] == [
            (0, False, True),
            (2, True, False),
        ]
        assert all("tail" not in kw for _, kw in calls)
