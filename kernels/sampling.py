"""Token choice on the device: greedy, or temperature with top-k / top-p, without sorting the vocabulary."""

from __future__ import annotations

import torch

from kog.kernels.build import load_kernel
from kog.kernels.checks import check
from kog.kernels.launch import i32, launch, ptr
from kog.kernels.lm_head import ArgmaxWorkspace, DecodeBookkeeping

THREADS = 1024
ARGMAX_THREADS = 256  # argmax_tokens' block
ARGMAX_LOADS = 4  # logits a thread of it loads at once


def sampling_params_tensors(
    temperature: float, top_p: float, top_k: int, seed: int, device: torch.device | str
) -> tuple[torch.Tensor, torch.Tensor]:
    """The (fparams, iparams) device buffers `sample_tokens` reads; update them in place to change params."""
    fparams = torch.tensor([temperature, top_p], dtype=torch.float32, device=device)
    seed &= (1 << 64) - 1
    lo, hi = seed & 0xFFFFFFFF, seed >> 32
    as_i32 = [v - (1 << 32) if v >= 1 << 31 else v for v in (lo, hi)]
    iparams = torch.tensor([top_k, *as_i32], dtype=torch.int32, device=device)
    return fparams, iparams


def sample_tokens(
    logits: torch.Tensor,
    fparams: torch.Tensor,
    iparams: torch.Tensor,
    ids_out: torch.Tensor,
    *,
    uniforms: torch.Tensor | None = None,
    bookkeeping: DecodeBookkeeping | None = None,
    pdl: bool = False,
) -> torch.Tensor:
    """ids_out[r] = a token drawn from softmax(logits[r] / T) cut to top-k, then top-p; argmax when T <= 0.

    The uniform draw is splitmix64(seed, step, row) unless `uniforms` (fp32 [n]) gives it.
    """
    check(
        logits.dtype == torch.float32 and logits.dim() == 2 and logits.is_contiguous(),
        "logits: fp32 [n, vocab]",
    )
    n, vocab = logits.shape
    check(fparams.dtype == torch.float32 and fparams.numel() == 2, "fparams: [temperature, top_p] fp32")
    check(iparams.dtype == torch.int32 and iparams.numel() == 3, "iparams: [top_k, seed_lo, seed_hi] int32")
    check(ids_out.dtype == torch.int32 and ids_out.numel() >= n, "ids_out must hold n int32")
    check(
        uniforms is None or (uniforms.dtype == torch.float32 and uniforms.numel() >= n), "uniforms: fp32 [n]"
    )
    check(bookkeeping is None or n == 1, "decode bookkeeping is for one row")
    args = [ptr(logits), i32(vocab), ptr(fparams), ptr(iparams), ptr(uniforms), ptr(ids_out)]
    args += bookkeeping.args() if bookkeeping is not None else DecodeBookkeeping.none_args()
    launch(load_kernel("sampling.cu", "sample_tokens"), (n, 1, 1), (THREADS, 1, 1), args, pdl=pdl)
    return ids_out


def argmax_tokens(
    logits: torch.Tensor,
    ids_out: torch.Tensor,
    workspace: ArgmaxWorkspace,
    *,
    bookkeeping: DecodeBookkeeping | None = None,
    pdl: bool = False,
) -> torch.Tensor:
    """ids_out[r] = argmax(logits[r]) (ties to the lower index, NaN never wins), over as many blocks as
    the vocabulary fills; what `sample_tokens` does at temperature 0, without reading it on one SM."""
    check(
        logits.dtype == torch.float32 and logits.dim() == 2 and logits.is_contiguous(),
        "logits: fp32 [n, vocab]",
    )
    n, vocab = logits.shape
    check(ids_out.dtype == torch.int32 and ids_out.numel() >= n, "ids_out must hold n int32")
    check(n * workspace.blocks <= workspace.part_val.numel(), "more rows than the argmax workspace holds")
    check(bookkeeping is None or n == 1, "decode bookkeeping is for one row")
    blocks = max(1, min(workspace.blocks, -(-vocab // (ARGMAX_THREADS * ARGMAX_LOADS))))
    args = [
        ptr(logits), i32(n), i32(vocab), ptr(workspace.part_val), ptr(workspace.part_idx),
        ptr(workspace.counter), ptr(ids_out),
    ]  # fmt: skip
    args += bookkeeping.args() if bookkeeping is not None else DecodeBookkeeping.none_args()
    launch(load_kernel("sampling.cu", "argmax_tokens"), (blocks, 1, 1), (ARGMAX_THREADS, 1, 1), args, pdl=pdl)
    return ids_out


def kept_mask_reference(logits: torch.Tensor, temperature: float, top_p: float, top_k: int) -> torch.Tensor:
    """Which tokens top-k then top-p keep (the smallest set by probability whose mass reaches top_p)."""
    probs = torch.softmax(logits.double() / temperature, dim=-1)
    keep = torch.ones_like(probs, dtype=torch.bool)
    if 0 < top_k < probs.shape[-1]:
        kth = probs.topk(top_k, dim=-1).values[..., -1:]
        keep &= probs >= kth
    if top_p < 1.0:
        masked = torch.where(keep, probs, torch.zeros_like(probs))
        masked = masked / masked.sum(-1, keepdim=True)
        sorted_p, order = masked.sort(dim=-1, descending=True)
        before = sorted_p.cumsum(-1) - sorted_p  # mass strictly ahead of each token
        keep_sorted = before < top_p
        keep &= torch.zeros_like(keep).scatter(-1, order, keep_sorted)
    return keep


def sample_tokens_reference(
    logits: torch.Tensor, temperature: float, top_p: float, top_k: int, uniforms: torch.Tensor
) -> torch.Tensor:
    """The same draw as the kernel: inverse CDF over the kept tokens in vocabulary order."""
    if temperature <= 0:
        return logits.argmax(-1)
    keep = kept_mask_reference(logits, temperature, top_p, top_k)
    probs = torch.softmax(logits.double() / temperature, dim=-1) * keep
    cdf = probs.cumsum(-1)
    target = uniforms.double()[:, None] * cdf[:, -1:]
    picks = (cdf <= target).sum(-1)
    last_kept = keep.shape[-1] - 1 - keep.flip(-1).int().argmax(-1)
    return torch.minimum(picks, last_kept)
