"""On-device greedy / top-k / top-p sampling against the sort-based torch reference."""

from __future__ import annotations

import pytest
import torch
from kernel_testing import gpu

from kog.kernels import (
    ArgmaxWorkspace,
    DecodeBookkeeping,
    argmax_tokens,
    kept_mask_reference,
    sample_tokens,
    sample_tokens_reference,
    sampling_params_tensors,
)

pytestmark = gpu


def spaced_logits(n: int, vocab: int, spread: float, seed: int) -> torch.Tensor:
    """Distinct logits at least spread/vocab apart (no near-ties at the histogram's resolution)."""
    g = torch.Generator(device="cuda").manual_seed(seed)
    base = torch.linspace(0, spread, vocab, device="cuda")
    return torch.stack([base[torch.randperm(vocab, generator=g, device="cuda")] for _ in range(n)])


@pytest.mark.parametrize("vocab", [50, 1000, 151936])
@pytest.mark.parametrize(
    "temperature,top_p,top_k", [(1.0, 0.9, 0), (0.7, 0.5, 0), (1.3, 1.0, 40), (1.0, 0.95, 200), (0.0, 0.9, 0)]
)
def test_matches_reference_draws(vocab, temperature, top_p, top_k):
    logits = spaced_logits(4, vocab, spread=12.0, seed=vocab)
    fparams, iparams = sampling_params_tensors(temperature, top_p, top_k, seed=0, device="cuda")
    ids = torch.full((4,), -1, dtype=torch.int32, device="cuda")
    for u in (0.0, 0.137, 0.5, 0.8123, 0.999):
        uniforms = torch.full((4,), u, device="cuda")
        sample_tokens(logits, fparams, iparams, ids, uniforms=uniforms)
        want = sample_tokens_reference(logits, temperature, top_p, top_k, uniforms)
        assert ids.long().tolist() == want.tolist(), (u, ids, want)


def test_seeded_draws_stay_in_the_nucleus_and_follow_its_distribution():
    vocab, draws = 151936, 2000
    logits = spaced_logits(1, vocab, spread=15.0, seed=7)
    fparams, iparams = sampling_params_tensors(1.0, 0.8, 0, seed=1234, device="cuda")
    keep = kept_mask_reference(logits, 1.0, 0.8, 0)[0]
    picked = torch.empty(draws, dtype=torch.long, device="cuda")
    ids = torch.empty(1, dtype=torch.int32, device="cuda")
    for i in range(draws):
        iparams[1] += 1  # a new seed for each draw
        sample_tokens(logits, fparams, iparams, ids)
        picked[i] = ids[0]
    assert keep[picked].all()
    # Ten slices of the nucleus by descending probability, about a tenth of its mass each.
    probs = torch.softmax(logits[0].double(), -1) * keep
    order = probs.argsort(descending=True)
    mass = probs[order].cumsum(0) / probs.sum()
    slice_of = torch.empty(vocab, dtype=torch.long, device="cuda")
    slice_of[order] = (mass * 10).clamp(max=9.999).long()
    expected = torch.bincount(slice_of[keep], weights=probs[keep] / probs.sum(), minlength=10)
    observed = torch.bincount(slice_of[picked], minlength=10).double() / draws
    assert (observed - expected).abs().max() < 0.04, (observed, expected)


@pytest.mark.parametrize("vocab", [7, 1000, 49152, 151936, 151937])
@pytest.mark.parametrize("n", [1, 3, 8])
def test_argmax_tokens_matches_torch(vocab, n):
    ws = ArgmaxWorkspace.allocate(torch.device("cuda"))
    g = torch.Generator(device="cuda").manual_seed(vocab + n)
    logits = torch.randn(n, vocab, device="cuda", generator=g) * 4
    logits[:, vocab // 3] += 30.0 * (torch.arange(n, device="cuda") % 2)  # some rows with a clear winner
    ids = torch.full((n,), -1, dtype=torch.int32, device="cuda")
    for _ in range(2):  # the counter is reset for the next launch
        argmax_tokens(logits, ids, ws)
        assert ids.long().tolist() == logits.argmax(-1).tolist()
        assert ws.counter.item() == 0


def test_argmax_tokens_ties_and_nan():
    ws = ArgmaxWorkspace.allocate(torch.device("cuda"))
    logits = torch.zeros(3, 151936, device="cuda")
    logits[0, [90000, 5, 151935]] = 2.0  # ties: the lowest index
    logits[1, 100] = float("nan")  # NaN never wins
    logits[1, 70000] = 1.0
    logits[2] = float("nan")  # nothing to pick: 0
    ids = torch.full((3,), -1, dtype=torch.int32, device="cuda")
    argmax_tokens(logits, ids, ws)
    assert ids.tolist() == [5, 70000, 0]


def test_argmax_tokens_advances_the_decode_state():
    ws = ArgmaxWorkspace.allocate(torch.device("cuda"))
    book = DecodeBookkeeping(
        state=torch.tensor([10, 3], dtype=torch.int32, device="cuda"),
        next_ids=torch.full((1,), -1, dtype=torch.int32, device="cuda"),
        history=torch.full((4,), -1, dtype=torch.int32, device="cuda"),
    )
    logits = torch.zeros(1, 5000, device="cuda")
    logits[0, 4321] = 1.0
    ids = torch.empty(1, dtype=torch.int32, device="cuda")
    argmax_tokens(logits, ids, ws, bookkeeping=book)
    assert ids.item() == 4321 and book.next_ids.item() == 4321
    assert book.state.tolist() == [11, 4] and book.history.tolist() == [-1, -1, -1, 4321]
