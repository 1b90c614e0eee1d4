"""Quantized GEMVs on the GPU against gguf's dequantization of the same random blocks, over the models'
real shapes and odd ones; fused RMSNorm / bias / residual; CUDA-graph capture; row lookups."""

from __future__ import annotations

import functools

import gguf
import numpy as np
import pytest
import torch
from kernel_testing import gpu, poisoned, rel_err

from kog.kernels import rms_norm_reference
from kog.kernels.quant import QuantLinear
from kog.kernels.quant_reference import FORMATS, dequantize_reference, random_blocks

pytestmark = gpu

MODEL_SHAPES = [
    (896, 896), (128, 896), (4864, 896), (896, 4864), (151936, 896),  # Qwen2.5-Coder-0.5B
    (1536, 1536), (256, 1536), (8960, 1536), (1536, 8960), (151936, 1536),  # Qwen2.5-Coder-1.5B
]  # fmt: skip
ODD_SHAPES = [(1, 256), (7, 512), (33, 768), (1001, 2304), (4097, 256), (3, 8960)]
VOCAB = 151936


def cases(shapes):
    return [(q, r, c) for q, f in FORMATS.items() for r, c in shapes if c % f.block_weights == 0]


@functools.cache
def weight(qtype: str, rows: int, cols: int) -> tuple[QuantLinear, torch.Tensor]:
    """A QuantLinear of fresh random blocks and its float32 values: gguf's own dequantization on the
    host, or for vocabulary-sized matrices the torch reference (gguf's bit for bit, tested below)."""
    data = random_blocks(qtype, rows, cols, device="cuda", seed=rows * 7 + cols)
    if rows == VOCAB:
        values = dequantize_reference(qtype, data)
    else:
        host = gguf.quants.dequantize(data.cpu().numpy(), gguf.GGMLQuantizationType[qtype])
        values = torch.from_numpy(np.asarray(host, dtype=np.float32).reshape(rows, cols)).cuda()
    return QuantLinear(qtype, data, cols, "cuda"), values


def expected(values: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return x.double() @ values.double().T


@pytest.mark.parametrize("qtype,rows,cols", cases(MODEL_SHAPES + ODD_SHAPES))
def test_batch_one_bf16_input(qtype, rows, cols):
    lin, values = weight(qtype, rows, cols)
    # Seeded: with a single output row, an unlucky input makes the sum cancel to a small value whose
    # relative error exceeds the staging's ~2e-5 per term; fixed inputs keep the check reproducible.
    gen = torch.Generator("cuda").manual_seed(rows * 7 + cols + 1)
    x = torch.randn(1, cols, device="cuda", generator=gen).to(torch.bfloat16)
    out = lin.matvec(x, out=poisoned(1, rows))
    assert rel_err(out, expected(values, x)) < 1e-3


@pytest.mark.parametrize(
    "qtype,rows,cols", cases([(896, 896), (8960, 1536), (1536, 8960), (33, 768), (4097, 256)])
)
@pytest.mark.parametrize("n", [2, 3, 8])
def test_several_rows(qtype, rows, cols, n):
    lin, values = weight(qtype, rows, cols)
    x = torch.randn(n, cols, device="cuda")
    out = lin.gemv(x, out=poisoned(n, rows))
    assert rel_err(out, expected(values, x)) < 1e-3


@pytest.mark.parametrize("qtype,rows,cols", cases([(896, 896), (1536, 1536), (896, 4864), (7, 512)]))
@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("with_norm", [True, False], ids=["norm", "no-norm"])
def test_norm_bias_and_in_place_residual(qtype, rows, cols, n, with_norm):
    lin, values = weight(qtype, rows, cols)
    x = torch.randn(n, cols, device="cuda") * 3
    norm = (torch.rand(cols, device="cuda") + 0.5).to(torch.bfloat16) if with_norm else None
    bias = torch.randn(rows, device="cuda").to(torch.bfloat16)
    residual = torch.randn(n, rows, device="cuda")
    normed = rms_norm_reference(x, norm, 1e-6) if with_norm else x
    want = expected(values, normed) + bias.double() + residual.double()
    out = residual.clone()
    lin.gemv(x, norm=norm, eps=1e-6, bias=bias, residual=out, out=out, pdl=True)
    assert rel_err(out, want) < 1e-3


@pytest.mark.parametrize("qtype", FORMATS)
@pytest.mark.parametrize("rows_per_warp,warps", [(1, 2), (2, 8), (4, 3)])
def test_every_launch_shape(qtype, rows_per_warp, warps):
    lin, values = weight(qtype, 1001, 2304)
    x = torch.randn(1, 2304, device="cuda")
    out = lin.gemv(x, out=poisoned(1, 1001), rows_per_warp=rows_per_warp, warps=warps)
    assert rel_err(out, expected(values, x)) < 1e-3


@pytest.mark.parametrize("qtype", FORMATS)
@pytest.mark.parametrize("rows_per_warp", [1, 2])
@pytest.mark.parametrize("rows,cols", [(1001, 2304), (8960, 1536), (37, 896)])
@pytest.mark.parametrize("n", [1, 2])
def test_every_subgroup_split(qtype, rows_per_warp, rows, cols, n):
    """Warps split into sub-groups of 8 lanes, each with its own rows: row counts that leave a
    warp's last group part empty, units that do not deal out evenly over the lanes (2304 columns are 9
    units of 64 and 72 of 32), RMSNorm fused."""
    if cols % FORMATS[qtype].block_weights:
        pytest.skip("columns are not whole blocks of this format")
    lin, values = weight(qtype, rows, cols)
    norm = (torch.rand(cols, device="cuda") + 0.5).to(torch.bfloat16)
    x = torch.randn(n, cols, device="cuda")
    out = lin.gemv(x, norm=norm, eps=1e-6, out=poisoned(n, rows), rows_per_warp=rows_per_warp, subgroups=4)
    assert rel_err(out, expected(values, rms_norm_reference(x, norm, 1e-6))) < 1e-3


@pytest.mark.parametrize("qtype,rows,cols", cases([(896, 896), (33, 768), (1536, 8960), (4097, 256)]))
@pytest.mark.parametrize("n", [1, 5, 8])
def test_tensor_core_and_dp4a_kernels(qtype, rows, cols, n):
    """Both kernel families on any row count, forced either way (the default picks by rows)."""
    lin, values = weight(qtype, rows, cols)
    x = torch.randn(n, cols, device="cuda")
    for mma in (True, False):
        out = lin.gemv(x, out=poisoned(n, rows), mma=mma)
        assert rel_err(out, expected(values, x)) < 1e-3, f"mma={mma}"


@pytest.mark.parametrize("qtype", FORMATS)
@pytest.mark.parametrize("split", [1, 2, 4, 8])
@pytest.mark.parametrize("n", [3, 8])
def test_every_tensor_core_split(qtype, split, n):
    lin, values = weight(qtype, 1001, 2304)
    x = torch.randn(n, 2304, device="cuda")
    norm = (torch.rand(2304, device="cuda") + 0.5).to(torch.bfloat16)
    bias = torch.randn(1001, device="cuda").to(torch.bfloat16)
    out = torch.randn(n, 1001, device="cuda")
    want = expected(values, rms_norm_reference(x, norm, 1e-6)) + bias.double() + out.double()
    lin.gemv(x, norm=norm, eps=1e-6, bias=bias, residual=out, out=out, mma=True, split=split)
    assert rel_err(out, want) < 1e-3


@pytest.mark.parametrize("qtype", FORMATS)
@pytest.mark.parametrize("n", [1, 2, 5])
def test_wide_rows_with_norm_bias_and_residual(qtype, n):
    lin, values = weight(qtype, 1536, 8960)
    x = torch.randn(n, 8960, device="cuda")
    norm = (torch.rand(8960, device="cuda") + 0.5).to(torch.bfloat16)
    bias = torch.randn(1536, device="cuda").to(torch.bfloat16)
    out = torch.randn(n, 1536, device="cuda")
    want = expected(values, rms_norm_reference(x, norm, 1e-6)) + bias.double() + out.double()
    lin.gemv(x, norm=norm, eps=1e-6, bias=bias, residual=out, out=out)
    assert rel_err(out, want) < 1e-3


@pytest.mark.parametrize("qtype", FORMATS)
def test_subnormal_scales(qtype):
    """Scales below f16's normal range: realistic for small weights, and easy to flush to zero."""
    data = random_blocks(qtype, 300, 512, device="cuda", seed=9, scale=2e-5)
    values = dequantize_reference(qtype, data)
    lin = QuantLinear(qtype, data, 512, "cuda")
    x = torch.randn(2, 512, device="cuda")
    assert rel_err(lin.gemv(x, out=poisoned(2, 300)), expected(values, x)) < 1e-3
    assert rel_err(lin.dequantize(out=poisoned(300, 512)), values) < 1e-6


@pytest.mark.parametrize("qtype", FORMATS)
def test_graph_replay_follows_the_input_buffer(qtype):
    lin, values = weight(qtype, 1536, 1536)
    x, out = torch.randn(1, 1536, device="cuda").to(torch.bfloat16), torch.empty(1, 1536, device="cuda")
    lin.matvec(x, out=out)  # builds the kernel and the plan outside the capture
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        lin.matvec(x, out=out)
    for seed in range(3):
        x.copy_(torch.randn(1, 1536, device="cuda", generator=torch.Generator("cuda").manual_seed(seed)))
        out.fill_(float("nan"))
        graph.replay()
        eager = lin.matvec(x)
        assert torch.equal(out, eager)
        assert rel_err(out, expected(values, x)) < 1e-3


@pytest.mark.parametrize("qtype", FORMATS)
def test_rows_by_device_ids_and_dequantize(qtype):
    lin, values = weight(qtype, 4097, 256)
    ids = torch.tensor([5, 4096, 0, 5, 1234], dtype=torch.int32, device="cuda")
    rows = lin.lookup(ids, 4, poisoned(8, 256))
    assert rel_err(rows[:4], values[ids[:4].long()]) < 1e-6
    assert torch.isnan(rows[4:]).all()
    assert rel_err(lin.dequantize(), values) < 4e-3  # bf16
    part = lin.dequantize(out=poisoned(100, 256), start=3000)
    assert rel_err(part, values[3000:3100]) < 1e-6


@pytest.mark.parametrize("qtype", ["Q4_K", "Q8_0"])
def test_many_rows_go_through_dequantized_slices(qtype):
    lin, values = weight(qtype, 8960, 1536)
    x = torch.randn(40, 1536, device="cuda").to(torch.bfloat16)
    assert rel_err(lin.matvec(x), expected(values, x)) < 1e-2  # bf16 weights in cuBLAS


@pytest.mark.parametrize("qtype", FORMATS)
def test_torch_reference_is_ggufs_on_the_device(qtype):
    data = random_blocks(qtype, 512, 1536, device="cuda", seed=11)
    host = gguf.quants.dequantize(data.cpu().numpy(), gguf.GGMLQuantizationType[qtype]).reshape(512, 1536)
    assert np.array_equal(dequantize_reference(qtype, data).cpu().numpy(), host)


@pytest.mark.parametrize("qtype,rows,cols", cases([(896, 4864), (1536, 8960), (7, 512)]))
@pytest.mark.parametrize("n", [1, 3, 8])
def test_silu_pair_input_with_residual(qtype, rows, cols, n):
    """The down projection over [gate | up] rows: W @ (silu(gate) * up) + residual."""
    lin, values = weight(qtype, rows, cols)
    gate_up = torch.randn(n, 2 * cols, device="cuda") * 2
    act = torch.nn.functional.silu(gate_up[:, :cols].double()) * gate_up[:, cols:].double()
    out = torch.randn(n, rows, device="cuda")
    want = expected(values, act) + out.double()
    lin.gemv(gate_up, silu_pair=True, residual=out, out=out, pdl=True)
    assert rel_err(out, want) < 1e-3


@pytest.mark.parametrize(
    "qtypes", [("Q5_0", "Q5_0", "Q8_0"), ("Q4_K", "Q4_K", "Q4_K"), ("Q6_K", "Q4_1", "Q6_K")]
)
def test_stacked_rows_and_their_views(qtypes):
    from kog.engine.cuda.weights import stack_runs

    shapes = [(1536, 1536), (256, 1536), (256, 1536)]
    parts = [weight(q, r, c) for q, (r, c) in zip(qtypes, shapes, strict=True)]
    biases = [torch.randn(r, device="cuda").to(torch.bfloat16) for r, _ in shapes]
    biases[1] = None
    stacks, views = stack_runs([p[0] for p in parts], biases)
    assert len(stacks) == len({(q, i) for i, q in enumerate(qtypes) if i == 0 or q != qtypes[i - 1]})
    x = torch.randn(2, 1536, device="cuda")
    for view, (_, values) in zip(views, parts, strict=True):
        assert rel_err(view.gemv(x, out=poisoned(2, view.out_features)), expected(values, x)) < 1e-3
    got = torch.cat([s.gemv(x, bias=b, out=poisoned(2, s.out_features)) for s, b in stacks], dim=1)
    bias = torch.cat([b.double() if b is not None else torch.zeros(r, dtype=torch.float64, device="cuda")
                      for b, (r, _) in zip(biases, shapes, strict=True)])  # fmt: skip
    want = torch.cat([expected(values, x) for _, values in parts], dim=1) + bias
    assert rel_err(got, want) < 1e-3
    assert not QuantLinear.can_stack(
        [weight("Q5_0", 3, 96)[0], weight("Q5_0", 3, 96)[0]]
    )  # 3 x 66 B: unaligned


@pytest.mark.parametrize("qtype", FORMATS)
@pytest.mark.parametrize("n", [1, 2, 3])
def test_overlapped_stack_in_a_pdl_graph(qtype, n):
    """A producer writes x, two normed GEMVs read it (the second with `overlap`: it waits on the first
    only at its end), and a consumer reads both outputs, all in one PDL graph replayed over fresh inputs.
    The consumer's result checks that the second launch's output is right and that a kernel waiting on
    it sees the first's as well; whether that last part would fail without the late wait depends on
    timing, so it is a check of the chain's results, not a proof of the ordering."""
    source, src_values = weight("Q8_0", 1536, 256)
    first, first_values = weight("Q4_K", 1792, 1536)
    second, second_values = weight(qtype, 256, 1536)
    consumer, consumer_values = weight("Q4_K", 256, 1792)
    norm = (torch.rand(1536, device="cuda") + 0.5).to(torch.bfloat16)
    x0, x = torch.empty(n, 256, device="cuda"), torch.empty(n, 1536, device="cuda")
    o1, o2 = torch.empty(n, 1792, device="cuda"), torch.empty(n, 256, device="cuda")

    def chain() -> None:
        source.gemv(x0, out=x, pdl=True)
        first.gemv(x, norm=norm, eps=1e-6, out=o1, pdl=True)
        second.gemv(x, norm=norm, eps=1e-6, out=o2, overlap=True, pdl=True)
        consumer.gemv(o1, residual=o2, out=o2, pdl=True)

    x0.normal_()
    chain()  # builds the kernels and plans outside the capture
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        chain()
    for seed in range(4):
        x0.copy_(torch.randn(n, 256, device="cuda", generator=torch.Generator("cuda").manual_seed(seed)))
        o1.fill_(float("nan"))
        o2.fill_(float("nan"))
        graph.replay()
        normed = rms_norm_reference(expected(src_values, x0).float(), norm, 1e-6)
        want = expected(consumer_values, expected(first_values, normed)) + expected(second_values, normed)
        assert rel_err(o2, want) < 2e-3, f"replay {seed}"


# (hidden, n_heads, n_kv, head_dim, formats of q, k, v): the 0.5B and 1.5B shapes and their Q4_K_M
# mixes (v in another format makes two stacks), then odd ones.
ROPE_CASES = [
    (896, 14, 2, 64, ("Q5_0", "Q5_0", "Q8_0")),
    (1536, 12, 2, 128, ("Q4_K", "Q4_K", "Q6_K")),
    (1536, 12, 2, 128, ("Q4_K", "Q4_K", "Q4_K")),
    (512, 8, 1, 256, ("Q6_K", "Q4_1", "Q6_K")),
    (256, 6, 3, 32, ("Q8_0", "Q8_0", "Q8_0")),
    (256, 4, 2, 64, ("Q4_1", "Q8_0", "Q8_0")),  # a two-format stack whose tail starts at k
]


@pytest.mark.parametrize("hidden,n_heads,n_kv,head_dim,qtypes", ROPE_CASES)
@pytest.mark.parametrize("n,start", [(1, 0), (1, 4321), (2, 30000)])
@pytest.mark.parametrize("tails", [True, False])
def test_stacks_with_rope_and_cache_write(hidden, n_heads, n_kv, head_dim, qtypes, n, start, tails):
    """`gemv_rope_stacks` over a layer's q/k/v stacks (two formats of one unit size in one launch with
    `tails`, else the second and later stacks overlapped) after a GEMV that writes their input, all in
    one PDL graph, against the projections of gguf's dequantized blocks, RoPE'd by the torch
    reference. x is poisoned before the replay: a stack that read it before the GEMV before it had
    finished would give NaNs (as a second stack released early by the first once did)."""
    from kog.engine.cuda.weights import stack_runs
    from kog.kernels import apply_rope_reference, rope_inv_freq
    from kog.kernels.quant import gemv_rope_stacks

    sizes = (n_heads * head_dim, n_kv * head_dim, n_kv * head_dim)
    parts = [weight(q, r, hidden) for q, r in zip(qtypes, sizes, strict=True)]
    biases = [torch.randn(r, device="cuda").to(torch.bfloat16) for r in sizes]
    stacks, _ = stack_runs([p[0] for p in parts], list(biases))
    max_seq = 32768
    source, src_values = weight("Q6_K", hidden, 4096)  # the previous layer's down projection, say
    x0 = torch.randn(n, 4096, device="cuda")
    x = torch.empty(n, hidden, device="cuda")
    norm = (torch.rand(hidden, device="cuda") + 0.5).to(torch.bfloat16)
    inv_freq = rope_inv_freq(head_dim, 1e6, "cuda")
    state = torch.tensor([start, 0], dtype=torch.int32, device="cuda")
    q_out = poisoned(8, sizes[0])
    k_cache = poisoned(n_kv, max_seq, head_dim, dtype=torch.bfloat16)
    v_cache = poisoned(n_kv, max_seq, head_dim, dtype=torch.bfloat16)

    assert all(stack.fuses_rope(n, head_dim) for stack, _ in stacks)

    def run() -> None:
        source.gemv(x0, out=x, pdl=True)
        gemv_rope_stacks(
            stacks, x, norm=norm, eps=1e-6, inv_freq=inv_freq, state=state, q_out=q_out, k_cache=k_cache,
            v_cache=v_cache, pdl=True, tails=tails,
        )  # fmt: skip

    run()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        run()
    for t in (q_out, k_cache, v_cache, x):
        t.fill_(float("nan"))
    graph.replay()
    normed = rms_norm_reference(expected(src_values, x0).float(), norm, 1e-6)
    q, k, v = (
        (expected(values, normed) + b.double()).float().view(n, -1, head_dim)
        for (_, values), b in zip(parts, biases, strict=True)
    )
    positions = torch.arange(start, start + n, device="cuda")
    assert rel_err(q_out[:n], apply_rope_reference(q, positions, inv_freq).reshape(n, -1)) < 1e-3
    assert torch.isnan(q_out[n:]).all()
    written = slice(start, start + n)
    assert rel_err(k_cache[:, written].transpose(0, 1), apply_rope_reference(k, positions, inv_freq)) < 8e-3
    assert rel_err(v_cache[:, written].transpose(0, 1), v) < 8e-3
    assert (
        torch.isnan(k_cache[:, :start].float()).all() and torch.isnan(v_cache[:, start + n :].float()).all()
    )


@pytest.mark.parametrize(
    "qtype,rows,cols", [("Q6_K", VOCAB, 1536), ("Q8_0", VOCAB, 896), ("Q4_K", 1001, 256)]
)
@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("subgroups", [None, 1, 4])
def test_lm_head_with_the_greedy_pick(qtype, rows, cols, n, subgroups):
    """The LM head's GEMV with the argmax fused: the same logits as the plain GEMV and their argmax,
    a tie going to the lower index (the first row's winner copied to another row); whole warps or
    sub-groups, each sub-group's first lane holding its best."""
    from kog.kernels.lm_head import ArgmaxWorkspace

    lin, _ = weight(qtype, rows, cols)
    norm = (torch.rand(cols, device="cuda") + 0.5).to(torch.bfloat16)
    x = torch.randn(n, cols, device="cuda")
    best = int(lin.gemv(x, norm=norm, eps=1e-6)[0].argmax())
    twin = rows - 1 if best != rows - 1 else 0
    blocks = lin.blocks.clone()
    blocks[twin] = blocks[best]
    head = QuantLinear(qtype, blocks, cols, "cuda")
    want = head.gemv(x, norm=norm, eps=1e-6, subgroups=subgroups)
    ws = ArgmaxWorkspace.allocate(torch.device("cuda", torch.cuda.current_device()))
    logits, ids = poisoned(n, rows), torch.full((n,), -1, dtype=torch.int32, device="cuda")
    for _ in range(2):  # the merge leaves the counter at zero for the next launch
        head.gemv_argmax(
            x, norm=norm, eps=1e-6, logits=logits, ids_out=ids, workspace=ws, pdl=True, subgroups=subgroups
        )
        assert torch.equal(logits, want)
        assert ids.tolist() == want.argmax(-1).tolist()
        assert ids[0] == min(best, twin)
