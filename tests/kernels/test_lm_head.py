"""LM head + fused argmax (and the decode bookkeeping) against the torch reference."""

from __future__ import annotations

import pytest
import torch
from kernel_testing import activations, bf16_weights, gpu, poisoned, rel_err

from kog.kernels import ArgmaxWorkspace, DecodeBookkeeping, lm_head_argmax, lm_head_argmax_reference

pytestmark = gpu


@pytest.mark.parametrize("vocab,k", [(151936, 896), (151936, 1536), (1001, 64), (7, 8)])
@pytest.mark.parametrize("n", [1, 4])
def test_logits_and_argmax(vocab, k, n):
    w, x = bf16_weights(vocab, k, scale=0.5), activations(n, k)
    norm = (torch.rand(k, device="cuda") + 0.5).to(torch.bfloat16)
    ws = ArgmaxWorkspace.allocate(torch.device("cuda"))
    logits, ids = poisoned(n, vocab), torch.full((n,), -1, dtype=torch.int32, device="cuda")
    lm_head_argmax(w, x, norm, 1e-6, logits, ids, ws)
    want_logits, _ = lm_head_argmax_reference(w, x, norm, 1e-6)
    assert rel_err(logits, want_logits) < 1e-4
    assert torch.equal(ids.long(), logits.argmax(-1))  # argmax of what the kernel computed, ties included
    assert ws.counter.item() == 0


def test_ties_go_to_the_lowest_index():
    w = torch.zeros(1000, 64, dtype=torch.bfloat16, device="cuda")
    w[[17, 400, 999]] = 1.0
    ids = torch.empty(1, dtype=torch.int32, device="cuda")
    norm = torch.ones(64, dtype=torch.bfloat16, device="cuda")
    lm_head_argmax(
        w,
        activations(1, 64).abs(),
        norm,
        1e-6,
        poisoned(1, 1000),
        ids,
        ArgmaxWorkspace.allocate(torch.device("cuda")),
    )
    assert ids.item() == 17


def test_bookkeeping_advances_the_decode_state():
    w, x = bf16_weights(5000, 64, scale=0.5), activations(1, 64)
    norm = torch.ones(64, dtype=torch.bfloat16, device="cuda")
    state = torch.tensor([41, 3], dtype=torch.int32, device="cuda")
    book = DecodeBookkeeping(
        state,
        torch.zeros(1, dtype=torch.int32, device="cuda"),
        torch.full((8,), -1, dtype=torch.int32, device="cuda"),
    )
    ids = torch.empty(1, dtype=torch.int32, device="cuda")
    logits = poisoned(1, 5000)
    lm_head_argmax(
        w, x, norm, 1e-6, logits, ids, ArgmaxWorkspace.allocate(torch.device("cuda")), bookkeeping=book
    )
    token = logits.argmax().item()
    assert state.tolist() == [42, 4] and book.next_ids.item() == token and book.history[3].item() == token
