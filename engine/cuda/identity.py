"""Greedy identity: the CUDA-graph decode path against the engine's torch path on the same weights.

Random weights with tied embeddings mostly predict the input token again (its own embedding dominates
the residual), so callers should pass untied weights for a sequence worth comparing.
The torch path runs the weights upcast to fp32 on the GPU (fp32 accumulation everywhere); the CUDA
path keeps bf16 weights and KV cache with fp32 accumulation, so a near-tie in the logits can flip a
greedy pick. The report says where the sequences part and how close the torch logits were there, and
how often the CUDA path agrees when both are fed the torch tokens (teacher forcing).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from kog.engine.config import ModelConfig
from kog.engine.cuda.runner import CudaRunner
from kog.engine.runner_torch import TorchRunner
from kog.kernels import MAX_ROWS


@dataclass(frozen=True)
class IdentityReport:
    tokens: int
    identical: bool
    matched_prefix: int  # tokens equal before the first difference
    distinct_tokens: int  # in the torch sequence: a constant sequence would make the check vacuous
    torch_margin_at_divergence: float | None  # top-1 minus top-2 torch logit where they part
    min_torch_margin: float  # the smallest such gap over the torch run
    teacher_forced_agree: int  # steps where the CUDA argmax equals the torch token, both fed torch tokens
    teacher_forced_steps: int
    max_logits_rel_err: float  # teacher-forced, ||cuda - torch|| / ||torch|| at the worst step

    def as_dict(self) -> dict:
        return asdict(self)


def _margin(logits: torch.Tensor) -> float:
    top = logits.float().topk(2).values
    return float(top[0] - top[1])


@torch.inference_mode()
def greedy_identity(
    cfg: ModelConfig, weights: dict[str, torch.Tensor], prompt_len: int, n_tokens: int, seed: int = 0
) -> IdentityReport:
    device = weights["embed"].device
    g = torch.Generator(device=device).manual_seed(seed)
    prompt = torch.randint(0, cfg.vocab_size, (prompt_len,), generator=g, device=device)
    max_seq = prompt_len + n_tokens + 8

    reference = TorchRunner(cfg, {k: v.float() for k, v in weights.items()}, max_seq, torch.float32)
    logits = reference.forward(prompt, 0, last_only=True)[-1]
    want, ref_logits = [], []
    for step in range(n_tokens):
        ref_logits.append(logits.float())
        want.append(int(logits.argmax()))
        if step + 1 < n_tokens:
            logits = reference.forward(torch.tensor([want[-1]], device=device), prompt_len + step)[-1]
    del reference

    runner = CudaRunner(cfg, weights, max_seq)
    # The prompt goes through the decode kernels too, MAX_ROWS at a time: fp32 activations like the
    # reference (the runner's torch prefill rounds GEMM inputs to bf16, a drift this check would see).
    for begin in range(0, prompt_len, MAX_ROWS):
        logits = runner.forward(prompt[begin : begin + MAX_ROWS], begin)
    first = int(logits[-1].argmax())
    got = [first] + (
        runner.decode(n_tokens - 1, token=first, pos=prompt_len).tolist() if n_tokens > 1 else []
    )

    agree, worst = 0, 0.0
    for step in range(n_tokens - 1):
        forced = runner.forward(torch.tensor([want[step]], device=device), prompt_len + step)[-1]
        agree += int(forced.argmax()) == want[step + 1]
        ref = ref_logits[step + 1]
        worst = max(worst, float((forced - ref).norm() / ref.norm()))

    matched = next((i for i, (a, b) in enumerate(zip(got, want, strict=True)) if a != b), n_tokens)
    return IdentityReport(
        tokens=n_tokens,
        identical=matched == n_tokens,
        matched_prefix=matched,
        distinct_tokens=len(set(want)),
        torch_margin_at_divergence=_margin(ref_logits[matched]) if matched < n_tokens else None,
        min_torch_margin=min(_margin(t) for t in ref_logits),
        teacher_forced_agree=agree,
        teacher_forced_steps=n_tokens - 1,
        max_logits_rel_err=worst,
    )
