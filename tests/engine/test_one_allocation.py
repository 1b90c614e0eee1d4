"""Views of one allocation for the decode step's small buffers (the carving itself, on the CPU)."""

from __future__ import annotations

import torch

from kog.engine.cuda.buffers import ALIGN, PAGE, _one_allocation


def test_views_are_aligned_disjoint_zeroed_and_in_one_page_multiple():
    asked: list[tuple[int, torch.dtype]] = [
        (3, torch.int32),
        (1000, torch.float32),
        (1, torch.int32),
        (65, torch.bfloat16),
    ]

    def make(zeros):
        return {f"t{i}": zeros(n, dtype) for i, (n, dtype) in enumerate(asked)}

    got = _one_allocation(make, torch.device("cpu"))
    storage = got["t0"].untyped_storage()
    assert storage.nbytes() == PAGE
    assert all(t.untyped_storage().data_ptr() == storage.data_ptr() for t in got.values())
    for (n, dtype), t in zip(asked, got.values(), strict=True):
        assert t.numel() == n and t.dtype == dtype and not t.any()
        assert (t.data_ptr() - storage.data_ptr()) % ALIGN == 0
    spans = sorted((t.data_ptr(), t.data_ptr() + t.numel() * t.element_size()) for t in got.values())
    assert all(end <= nxt for (_, end), (nxt, _) in zip(spans, spans[1:], strict=False))
    got["t1"].fill_(1.0)
    assert not got["t0"].any() and not got["t2"].any()  # writing one view leaves the others alone


def test_a_request_larger_than_a_page_gets_whole_pages():
    got = _one_allocation(lambda zeros: {"big": zeros(PAGE // 4 + 1, torch.float32)}, torch.device("cpu"))
    assert got["big"].untyped_storage().nbytes() == 2 * PAGE
