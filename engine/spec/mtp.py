"""MTP drafting: Medusa-style residual heads that read tokens t+2..t+k+1 off the last hidden state.

Head i maps the final (normed) hidden state h of position t to h + SiLU(W_i h + b_i) and reads it
through the model's own LM head, restricted to the tokens the heads were trained on (`vocab`), so a
proposal costs k small matrix products instead of k passes over the full vocabulary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import save_file

from kog.engine.api import SamplingParams
from kog.engine.errors import ModelNotFoundError, UnsupportedModelError
from kog.engine.spec.draft_model import DraftPicker
from kog.engine.spec.prompt_lookup import AdaptiveK

if TYPE_CHECKING:
    from kog.engine.engine import Engine

HEADS_FORMAT = "kog-mtp-1"


def default_heads_path(model_source: Path) -> Path:
    """Next to the model: `<file stem>.mtp.safetensors` beside a GGUF, `mtp.safetensors` in an HF folder."""
    if model_source.is_dir():
        return model_source / "mtp.safetensors"
    return model_source.with_name(model_source.stem + ".mtp.safetensors")


def lm_head_rows(lm_head, ids: torch.Tensor) -> torch.Tensor:
    """The LM head's rows `ids` in float32, from a plain matrix or one with `rows` (int8, blocks, dual)."""
    if hasattr(lm_head, "rows"):
        return lm_head.rows(ids, torch.float32)
    return lm_head[ids].float()


class MtpHeads:
    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, vocab: torch.Tensor, model_name: str):
        self.weight = weight  # [heads, hidden, hidden]
        self.bias = bias  # [heads, hidden]
        self.vocab = vocab  # [vocab'] token ids the heads can propose
        self.model_name = model_name

    @classmethod
    def initial(cls, n_heads: int, hidden: int, vocab: torch.Tensor, model_name: str) -> MtpHeads:
        """Zero residual branches: every head starts out as the model's own next-token head."""
        weight = torch.zeros(n_heads, hidden, hidden)
        return cls(weight, torch.zeros(n_heads, hidden), vocab.long(), model_name)

    @property
    def n_heads(self) -> int:
        return self.weight.shape[0]

    def states(self, h: torch.Tensor) -> torch.Tensor:
        """[n, heads, hidden] for final hidden states h [n, hidden]."""
        return h[:, None, :] + F.silu(torch.einsum("kod,nd->nko", self.weight, h) + self.bias)

    def logits(self, h: torch.Tensor, lm_rows: torch.Tensor) -> torch.Tensor:
        """[n, heads, vocab'] with lm_rows = lm_head[vocab] [vocab', hidden]."""
        return self.states(h) @ lm_rows.T

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tensors = {"weight": self.weight, "bias": self.bias, "vocab": self.vocab}
        meta = {"format": HEADS_FORMAT, "model": self.model_name}
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(path), meta)

    @classmethod
    def load(cls, path: Path, hidden: int) -> MtpHeads:
        if not path.is_file():
            raise ModelNotFoundError(f"no MTP heads at {path} (train them with `kog-agent train-mtp`)")
        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
            if meta.get("format") != HEADS_FORMAT:
                raise UnsupportedModelError(f"{path} is not an MTP heads file of this version")
            heads = cls(f.get_tensor("weight"), f.get_tensor("bias"), f.get_tensor("vocab"), meta["model"])
        if heads.weight.shape[1:] != (hidden, hidden):
            raise UnsupportedModelError(
                f"the MTP heads in {path} were trained for {heads.model_name!r} "
                f"(hidden size {heads.weight.shape[1]}), not for this model (hidden size {hidden})"
            )
        return heads


class HiddenTap:
    """The engine's torch runner, keeping the final hidden states of the rows it ran last."""

    def __init__(self, runner):
        self.inner = runner
        self.hidden: torch.Tensor | None = None  # [rows, hidden]
        self.start = 0  # position of the first kept row

    @torch.inference_mode()
    def forward(self, input_ids: torch.Tensor, start_pos: int, last_only: bool = False) -> torch.Tensor:
        hidden = self.inner.forward_hidden(input_ids, start_pos)
        if last_only:
            start_pos += hidden.shape[0] - 1
            hidden = hidden[-1:]
        self.hidden, self.start = hidden, start_pos
        return self.inner.model.logits(hidden)

    def hidden_at(self, pos: int) -> torch.Tensor | None:
        row = pos - self.start
        if self.hidden is None or not 0 <= row < self.hidden.shape[0]:
            return None
        return self.hidden[row]

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


class MtpDrafter:
    def __init__(self, heads: MtpHeads, tap: HiddenTap, lm_head: torch.Tensor, vocab_size: int):
        self.heads, self.tap = heads, tap
        self.lm_rows = lm_head_rows(lm_head, heads.vocab)  # [vocab', hidden]
        self.picker = DraftPicker(vocab_size)
        self.adaptive = AdaptiveK(k_max=heads.n_heads)
        self._last = 0

    @classmethod
    def attach(cls, engine: Engine, heads_file: str | None) -> MtpDrafter:
        """Loads the heads (from `heads_file` or beside the model) and taps the engine's runner."""
        runner = engine.runner
        if not hasattr(runner, "forward_hidden") or hasattr(runner, "decode_step"):
            raise UnsupportedModelError(
                "MTP drafting runs on the plain PyTorch runner only (use --device cpu)"
            )
        path = Path(heads_file).expanduser() if heads_file else default_heads_path(engine.model.source)
        heads = MtpHeads.load(path, engine.cfg.hidden_size)
        tap = HiddenTap(runner)
        engine.runner = tap
        return cls(heads, tap, runner.model.lm_head, engine.cfg.vocab_size)

    def set_sampling(self, params: SamplingParams, generator: torch.Generator | None) -> None:
        self.picker.set_sampling(params, generator)

    def next_k(self) -> int:
        return self.adaptive.step()

    @torch.inference_mode()
    def propose(self, tokens: Sequence[int], k: int) -> list[int]:
        # The last token of `tokens` is not run yet; the heads read the hidden state of the one before.
        h = self.tap.hidden_at(len(tokens) - 2)
        k = min(k, self.heads.n_heads)
        if h is None or k <= 0:
            return []
        logits = self.heads.logits(h[None].float(), self.lm_rows)[0, :k]  # [k, vocab']
        full = torch.full((k, self.picker.vocab_size), float("-inf"))
        full[:, self.heads.vocab] = logits
        self.picker.start()
        drafts = [self.picker.pick(row) for row in full]
        self._last = len(drafts)
        return drafts

    def observe(self, accepted: int, proposed: int) -> None:
        self.adaptive.update(accepted, proposed)

    def draft_probs(self) -> torch.Tensor | None:
        return self.picker.probs(self._last)

    def reset(self) -> None:
        self.adaptive = AdaptiveK(k_max=self.heads.n_heads)
        self.picker.params = None
