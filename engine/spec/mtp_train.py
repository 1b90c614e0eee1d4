"""Self-distilled MTP heads: the model rewrites local Python functions with greedy decoding, and the heads
learn to predict its own tokens 2..k+1 positions ahead from its final hidden states."""

from __future__ import annotations

import ast
import random
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from kog.engine.api import Message, SamplingParams
from kog.engine.errors import KogError, UnsupportedModelError
from kog.engine.spec.mtp import MtpHeads, lm_head_rows

if TYPE_CHECKING:
    from kog.engine.engine import Engine

PROMPT_TEMPLATES = (
    "Rewrite this function with docstrings:\n```python\n{code}\n```",
    "Rewrite this function with type hints, keeping what it does:\n```python\n{code}\n```",
    "Return this function with clearer variable names:\n```python\n{code}\n```",
)
HIDDEN_CHUNK = 512


class NoTrainingSourcesError(KogError):
    """The source paths given for MTP training hold no usable Python function."""


@dataclass(frozen=True)
class TrainingReport:
    sequences: int  # generated continuations
    examples: int  # training positions (held-out ones excluded)
    vocab: int  # tokens the heads may propose
    first_loss: float
    last_loss: float
    held_out_accuracy: tuple[float, ...]  # top-1 per head on the held-out continuations
    seconds: float


def python_functions(paths: Sequence[Path], min_lines: int = 3, max_lines: int = 60) -> list[str]:
    """The source of every function (methods included) of 3..60 lines in the .py files under `paths`."""
    files = sorted({f for p in paths for f in ([p] if p.is_file() else p.rglob("*.py"))})
    found: dict[str, None] = {}
    for file in files:
        try:
            source = file.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (OSError, UnicodeDecodeError, SyntaxError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                segment = ast.get_source_segment(source, node)
                if segment and min_lines <= segment.count("\n") + 1 <= max_lines:
                    found[textwrap.dedent(" " * node.col_offset + segment)] = None
    return list(found)


def training_prompts(paths: Sequence[Path], count: int, seed: int = 0) -> list[list[Message]]:
    functions = python_functions(paths)
    if not functions:
        shown = ", ".join(str(p) for p in paths)
        raise NoTrainingSourcesError(f"no Python function of 3 to 60 lines under {shown}")
    random.Random(seed).shuffle(functions)
    return [
        [Message("user", PROMPT_TEMPLATES[i % len(PROMPT_TEMPLATES)].format(code=code))]
        for i, code in enumerate(functions[:count])
    ]


def final_hidden(engine: Engine, tokens: list[int]) -> torch.Tensor:
    """[n, hidden] float32 for a whole sequence from position 0. Overwrites the engine's KV cache."""
    runner = getattr(engine.runner, "inner", engine.runner)
    if not hasattr(runner, "forward_hidden"):
        raise UnsupportedModelError("MTP training needs the plain PyTorch runner (use --device cpu)")
    engine._cached = []  # NOTE: the cache is rewritten below; no later call may reuse it
    parts = [
        runner.forward_hidden(torch.tensor(tokens[s : s + HIDDEN_CHUNK]), s).float()
        for s in range(0, len(tokens), HIDDEN_CHUNK)
    ]
    return torch.cat(parts)


def head_targets(tokens: list[int], first: int, n_heads: int) -> tuple[range, torch.Tensor]:
    """Positions t whose next token was generated (first-1 .. n-2) and, per head i, the token at t+2+i
    (-1 past the end)."""
    rows = range(first - 1, len(tokens) - 1)
    targets = torch.full((len(rows), n_heads), -1, dtype=torch.long)
    for r, t in enumerate(rows):
        ahead = tokens[t + 2 : t + 2 + n_heads]
        targets[r, : len(ahead)] = torch.tensor(ahead, dtype=torch.long)
    return rows, targets


def collect(
    engine: Engine,
    prompts: list[list[Message]],
    max_tokens: int,
    n_heads: int,
    log: Callable[[str], None],
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(hidden [m, hidden], targets [m, heads]) per prompt, from the model's own greedy continuation."""
    out = []
    for i, messages in enumerate(prompts):
        t0 = time.perf_counter()
        done = engine.generate(messages, SamplingParams(max_tokens=max_tokens))
        prompt = engine.encode(messages)
        tokens = prompt + list(done.token_ids)
        hidden = final_hidden(engine, tokens)
        rows, targets = head_targets(tokens, len(prompt), n_heads)
        out.append((hidden[rows.start : rows.stop], targets))
        log(
            f"generated {i + 1}/{len(prompts)}: {done.stats.generated_tokens} tokens "
            f"in {time.perf_counter() - t0:.1f} s ({done.stats.tokens_per_pass:.2f} tok/pass)"
        )
    return out


def token_index(vocab: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Positions of `tokens` in the sorted `vocab` (-1 stays -1)."""
    return torch.where(tokens >= 0, torch.searchsorted(vocab, tokens.clamp(min=0)), -1)


def train_heads(
    heads: MtpHeads,
    lm_rows: torch.Tensor,
    hidden: torch.Tensor,
    targets: torch.Tensor,
    steps: int,
    log: Callable[[str], None],
    batch: int = 256,
    lr: float = 1e-3,
    seed: int = 0,
) -> list[float]:
    """AdamW on the heads' residual branches; targets index lm_rows (-1 ignored). Returns the losses."""
    weight, bias = heads.weight.requires_grad_(), heads.bias.requires_grad_()
    opt = torch.optim.AdamW([weight, bias], lr=lr, weight_decay=0.0)
    gen = torch.Generator().manual_seed(seed)
    losses = []
    for step in range(steps):
        pick = torch.randint(0, hidden.shape[0], (min(batch, hidden.shape[0]),), generator=gen)
        logits = heads.logits(hidden[pick], lm_rows)  # [b, heads, vocab']
        loss = F.cross_entropy(logits.flatten(0, 1), targets[pick].flatten(), ignore_index=-1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.detach().item())
        if step % 25 == 0 or step == steps - 1:
            log(f"step {step + 1}/{steps}: loss {losses[-1]:.3f}")
    heads.weight, heads.bias = weight.detach(), bias.detach()
    return losses


@torch.no_grad()
def head_accuracy(heads: MtpHeads, lm_rows: torch.Tensor, hidden: torch.Tensor, targets: torch.Tensor):
    predicted = heads.logits(hidden, lm_rows).argmax(-1)  # [m, heads]
    valid = targets >= 0
    hits = ((predicted == targets) & valid).sum(0).float()
    return tuple((hits / valid.sum(0).clamp(min=1)).tolist())


def train_mtp(
    engine: Engine,
    sources: Sequence[Path],
    steps: int,
    out: Path,
    n_heads: int = 4,
    n_prompts: int = 24,
    max_tokens: int = 160,
    held_out: float = 0.2,
    log: Callable[[str], None] = print,
) -> TrainingReport:
    t0 = time.perf_counter()
    data = collect(engine, training_prompts(sources, n_prompts), max_tokens, n_heads, log)
    n_test = max(1, round(len(data) * held_out)) if len(data) > 1 else 0
    train, test = data[: len(data) - n_test], data[len(data) - n_test :]
    hidden = torch.cat([h for h, _ in train])
    targets = torch.cat([t for _, t in train])
    # The heads propose only tokens seen in training: a small LM head slice, cheap to read per draft.
    vocab = torch.unique(torch.cat([t[t >= 0] for _, t in data]))
    runner = getattr(engine.runner, "inner", engine.runner)
    lm_rows = lm_head_rows(runner.model.lm_head, vocab)
    heads = MtpHeads.initial(n_heads, engine.cfg.hidden_size, vocab, engine.info.name)
    log(f"training {n_heads} heads on {hidden.shape[0]} positions, {len(vocab)} tokens")
    losses = train_heads(heads, lm_rows, hidden, token_index(vocab, targets), steps, log)
    accuracy: tuple[float, ...] = ()
    if test:
        test_targets = token_index(vocab, torch.cat([t for _, t in test]))
        accuracy = head_accuracy(heads, lm_rows, torch.cat([h for h, _ in test]), test_targets)
        log("held-out top-1 per head: " + ", ".join(f"{a:.2f}" for a in accuracy))
    heads.save(out)
    log(f"saved {out}")
    return TrainingReport(
        len(data), hidden.shape[0], len(vocab), losses[0], losses[-1], accuracy, time.perf_counter() - t0
    )
