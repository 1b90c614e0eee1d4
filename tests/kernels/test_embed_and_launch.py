"""Embedding gather, and the launch paths: programmatic dependent launch and CUDA-graph capture."""

from __future__ import annotations

import pytest
import torch
from kernel_testing import activations, bf16_weights, gpu, poisoned, rel_err

from kog.kernels import embed_rows, embed_rows_reference, gemv, gemv_reference

pytestmark = gpu


def test_embed_rows():
    embed = bf16_weights(151936, 896)
    ids = torch.tensor([0, 151935, 17, 17], dtype=torch.int32, device="cuda")
    out = embed_rows(embed, ids, 4, poisoned(8, 896))
    assert torch.equal(out[:4], embed_rows_reference(embed, ids))


@pytest.mark.parametrize("pdl", [False, True])
def test_chain_of_kernels_in_a_graph(pdl):
    """Ten dependent GEMVs captured in one graph and replayed give the eager torch answer."""
    ws = [bf16_weights(512, 512, scale=0.04, seed=s) for s in range(10)]
    x = activations(1, 512)
    bufs = [torch.empty(1, 512, device="cuda") for _ in range(11)]
    graph = torch.cuda.CUDAGraph()
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for i, w in enumerate(ws):  # warm-up compiles outside the capture
            gemv(w, bufs[i], out=bufs[i + 1], pdl=pdl)
    torch.cuda.current_stream().wait_stream(stream)
    with torch.cuda.graph(graph):
        for i, w in enumerate(ws):
            gemv(w, bufs[i], out=bufs[i + 1], pdl=pdl)
    for trial in range(3):
        bufs[0].copy_(x * (trial + 1))
        bufs[-1].fill_(float("nan"))
        graph.replay()
        want = x * (trial + 1)
        for w in ws:
            want = gemv_reference(w, want)
        assert rel_err(bufs[-1], want) < 1e-4


def test_every_kernel_is_built_for_the_most_shared_memory():
    """load_kernel opts each kernel in to the most dynamic shared memory a block may have and asks
    for the largest shared-memory carveout (bench/NOTES.md: +2% for the first model of a process)."""
    from kog.kernels.build import load_kernel
    from kog.kernels.launch import shared_mem_optin

    kernel = load_kernel("quant_q4_k.cu", "q4_k_gemv_f32_norm_r1")
    assert kernel.max_dynamic_shared_size_bytes == shared_mem_optin() - kernel.shared_size_bytes
    assert kernel.preferred_shared_memory_carveout == 100
