"""Flash-decoding attention against the torch reference, short to 32k contexts, 1..8 query rows."""

from __future__ import annotations

import pytest
import torch
from kernel_testing import gpu, poisoned, rel_err

from kog.kernels import (
    AttentionWorkspace,
    attention_decode,
    attention_reference,
    rope_cache_write,
    rope_inv_freq,
)
from kog.kernels.attention import MAX_CLUSTER, cluster_context

pytestmark = gpu


@pytest.mark.parametrize(
    "n_heads,n_kv,head_dim", [(14, 2, 64), (12, 2, 128), (8, 8, 32), (16, 2, 256), (32, 2, 64)]
)
@pytest.mark.parametrize("start,n", [(0, 1), (5, 1), (63, 2), (700, 1), (4095, 3), (32759, 8)])
@pytest.mark.parametrize("cluster", [None, 1], ids=["default", "global-merge"])
def test_attention(n_heads, n_kv, head_dim, start, n, cluster):
    max_seq = 32768
    g = torch.Generator(device="cuda").manual_seed(start + n)
    k_cache = torch.randn(n_kv, max_seq, head_dim, generator=g, device="cuda").to(torch.bfloat16)
    v_cache = torch.randn(n_kv, max_seq, head_dim, generator=g, device="cuda").to(torch.bfloat16)
    q = torch.randn(n, n_heads * head_dim, generator=g, device="cuda") * 2
    state = torch.tensor([start, 0], dtype=torch.int32, device="cuda")
    ws = AttentionWorkspace.allocate(n_heads, n_kv, head_dim, max_seq, "cuda")
    want = attention_reference(q, k_cache, v_cache, start)
    for _ in range(2):  # the second launch checks the kernel left its counters at zero
        out = attention_decode(
            q, k_cache, v_cache, state, poisoned(n, n_heads * head_dim), ws, cluster=cluster
        )
        assert rel_err(out, want) < 1e-4
    assert not ws.counters.any()


@pytest.mark.parametrize("n_heads,n_kv,head_dim", [(14, 2, 64), (12, 2, 128)])
def test_a_grid_for_short_contexts_is_right_at_any_context(n_heads, n_kv, head_dim):
    """A grid of one cluster of slices a row (the decode graphs for short contexts): at full speed up to
    `cluster_context`, and still right past it, where its few slices take more positions each."""
    max_seq = 16384
    short = cluster_context(head_dim)
    g = torch.Generator(device="cuda").manual_seed(head_dim)
    k_cache = torch.randn(n_kv, max_seq, head_dim, generator=g, device="cuda").to(torch.bfloat16)
    v_cache = torch.randn(n_kv, max_seq, head_dim, generator=g, device="cuda").to(torch.bfloat16)
    ws = AttentionWorkspace.allocate(n_heads, n_kv, head_dim, max_seq, "cuda")
    assert ws.max_splits > MAX_CLUSTER
    for start, n in [(0, 1), (300, 2), (short - 1, 1), (short - 8, 8), (short - 1, 2), (short + 500, 3)]:
        q = torch.randn(n, n_heads * head_dim, generator=g, device="cuda")
        state = torch.tensor([start, 0], dtype=torch.int32, device="cuda")
        out = attention_decode(
            q, k_cache, v_cache, state, poisoned(n, n_heads * head_dim), ws, splits=MAX_CLUSTER
        )
        assert rel_err(out, attention_reference(q, k_cache, v_cache, start)) < 1e-4, (start, n)
    assert not ws.counters.any()


@pytest.mark.parametrize("cluster", [None, 1], ids=["default", "global-merge"])
def test_attention_replayed_in_a_graph(cluster):
    """One captured launch (PDL on) serves every context length: the position is read from `state`."""
    n_heads, n_kv, head_dim, max_seq = 14, 2, 64, 4096
    g = torch.Generator(device="cuda").manual_seed(7)
    k_cache = torch.randn(n_kv, max_seq, head_dim, generator=g, device="cuda").to(torch.bfloat16)
    v_cache = torch.randn(n_kv, max_seq, head_dim, generator=g, device="cuda").to(torch.bfloat16)
    q = torch.randn(2, n_heads * head_dim, generator=g, device="cuda")
    state = torch.zeros(2, dtype=torch.int32, device="cuda")
    ws = AttentionWorkspace.allocate(n_heads, n_kv, head_dim, max_seq, "cuda")
    out = poisoned(2, n_heads * head_dim)
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        attention_decode(q, k_cache, v_cache, state, out, ws, pdl=True, cluster=cluster)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, stream=stream):
            attention_decode(q, k_cache, v_cache, state, out, ws, pdl=True, cluster=cluster)
    torch.cuda.current_stream().wait_stream(stream)
    for start in (0, 1, 64, 511, 512, 2047, 4094):
        state[0] = start
        out.fill_(float("nan"))
        graph.replay()
        assert rel_err(out, attention_reference(q, k_cache, v_cache, start)) < 1e-4, start


@pytest.mark.parametrize("n", [1, 3])
def test_attention_reads_the_rows_written_just_before(n):
    """Behind the cache write in one PDL graph (as in the decode step), attention sees the rows' own
    K/V, poisoned before every replay, as that kernel wrote them: it reads earlier positions before its
    wait on that kernel and the rows' own only after. (Whether an early read would land before the
    write is up to the scheduler, so this checks the chain's results, not the race itself.)"""
    n_heads, n_kv, head_dim, max_seq = 12, 2, 128, 4096
    g = torch.Generator(device="cuda").manual_seed(11 + n)
    k_cache = torch.randn(n_kv, max_seq, head_dim, generator=g, device="cuda").to(torch.bfloat16)
    v_cache = torch.randn(n_kv, max_seq, head_dim, generator=g, device="cuda").to(torch.bfloat16)
    q = torch.randn(n, n_heads * head_dim, generator=g, device="cuda")
    k = torch.randn(n, n_kv * head_dim, generator=g, device="cuda")
    v = torch.randn(n, n_kv * head_dim, generator=g, device="cuda")
    inv_freq = rope_inv_freq(head_dim, 1e6, "cuda")
    state = torch.zeros(2, dtype=torch.int32, device="cuda")
    ws = AttentionWorkspace.allocate(n_heads, n_kv, head_dim, max_seq, "cuda")
    q_rot, out = torch.empty_like(q), poisoned(n, n_heads * head_dim)

    def launches():
        rope_cache_write(q, k, v, inv_freq, state, q_rot, k_cache, v_cache, n, pdl=True)
        attention_decode(q_rot, k_cache, v_cache, state, out, ws, pdl=True)

    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        launches()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, stream=stream):
            launches()
    torch.cuda.current_stream().wait_stream(stream)
    for start in (0, 37, 511, 2000):
        state[0] = start
        k_cache[:, start : start + n] = float("nan")
        v_cache[:, start : start + n] = float("nan")
        out.fill_(float("nan"))
        graph.replay()
        assert rel_err(out, attention_reference(q_rot, k_cache, v_cache, start)) < 1e-4, start
