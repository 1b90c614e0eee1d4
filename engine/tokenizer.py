"""Byte-level BPE tokenizer built from a GGUF file's metadata (or a tokenizer.json)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

from kog.engine.errors import UnsupportedModelError

# Pre-tokenizer split patterns, by GGUF `tokenizer.ggml.pre`.
_QWEN2_PATTERN = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
_GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"

# GGUF token types (llama.cpp's enum).
_CONTROL, _USER_DEFINED = 3, 4
_END_OF_TURN_TOKENS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>")


def _pre_tokenizer(pre: str) -> pre_tokenizers.PreTokenizer:
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    if pre in ("qwen2", "deepseek-coder"):
        split = pre_tokenizers.Split(Regex(_QWEN2_PATTERN), behavior="isolated", invert=False)
        return pre_tokenizers.Sequence([split, byte_level])
    if pre in ("smollm", "starcoder", "refact"):
        # Digits one by one, then GPT-2's split.
        digits = pre_tokenizers.Digits(individual_digits=True)
        return pre_tokenizers.Sequence(
            [digits, pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
        )
    if pre in ("gpt2", "default"):
        split = pre_tokenizers.Split(Regex(_GPT2_PATTERN), behavior="isolated", invert=False)
        return pre_tokenizers.Sequence([split, byte_level])
    raise UnsupportedModelError(f"tokenizer pre-tokenizer {pre!r} is not supported (qwen2, smollm, gpt2 are)")


class TextTokenizer:
    """Encode/decode text; knows the model's special and end-of-turn tokens."""

    def __init__(self, tokenizer: Tokenizer, bos_id: int | None, eos_ids: Sequence[int], add_bos: bool):
        self.tokenizer = tokenizer
        self.bos_id = bos_id
        self.eos_ids = frozenset(eos_ids)
        self.add_bos = add_bos

    @classmethod
    def from_gguf_metadata(cls, meta: dict[str, Any]) -> TextTokenizer:
        if meta.get("tokenizer.ggml.model") != "gpt2":
            raise UnsupportedModelError(
                f"tokenizer model {meta.get('tokenizer.ggml.model')!r} is not supported (byte-level BPE 'gpt2' is)"
            )
        tokens: list[str] = list(meta["tokenizer.ggml.tokens"])
        types: list[int] = list(meta.get("tokenizer.ggml.token_type") or [1] * len(tokens))
        merges = [tuple(m.split(" ", 1)) for m in meta["tokenizer.ggml.merges"]]
        vocab = {tok: i for i, tok in enumerate(tokens)}
        tk = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False))
        pre = str(meta.get("tokenizer.ggml.pre", "gpt2"))
        if pre == "qwen2":
            tk.normalizer = normalizers.NFC()
        tk.pre_tokenizer = _pre_tokenizer(pre)
        tk.decoder = decoders.ByteLevel()
        specials = [tokens[i] for i, t in enumerate(types) if t in (_CONTROL, _USER_DEFINED)]
        tk.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
        bos = meta.get("tokenizer.ggml.bos_token_id")
        eos = meta.get("tokenizer.ggml.eos_token_id")
        eos_ids = {int(eos)} if eos is not None else set()
        eos_ids |= {vocab[t] for t in _END_OF_TURN_TOKENS if t in vocab}
        add_bos = bool(meta.get("tokenizer.ggml.add_bos_token", False))
        return cls(tk, int(bos) if bos is not None else None, sorted(eos_ids), add_bos)

    @classmethod
    def from_files(cls, tokenizer_json: Path, bos_id: int | None, eos_ids: Sequence[int], add_bos: bool):
        return cls(Tokenizer.from_file(str(tokenizer_json)), bos_id, eos_ids, add_bos)

    def save(self, path: Path) -> None:
        self.tokenizer.save(str(path))

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size(with_added_tokens=True)

    def token_id(self, token: str) -> int | None:
        return self.tokenizer.token_to_id(token)

    def encode(self, text: str, add_bos: bool | None = None) -> list[int]:
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids
        if (self.add_bos if add_bos is None else add_bos) and self.bos_id is not None:
            ids = [self.bos_id, *ids]
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True)


class StreamDecoder:
    """Turns a growing list of token ids into text deltas, holding back incomplete UTF-8 sequences."""

    def __init__(self, tokenizer: TextTokenizer):
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self._prefix = 0  # start of the window re-decoded each step
        self._read = 0  # end of the text already emitted, in tokens

    def push(self, token_id: int) -> str:
        self.ids.append(token_id)
        done = self.tokenizer.decode(self.ids[self._prefix : self._read])
        full = self.tokenizer.decode(self.ids[self._prefix :])
        if full.endswith("\ufffd"):
            return ""  # a multi-byte character is still incomplete
        self._prefix, self._read = self._read, len(self.ids)
        return full[len(done) :]

    def flush(self) -> str:
        """The text `push` held back, at the end of a stream: an incomplete character comes out as U+FFFD."""
        done = self.tokenizer.decode(self.ids[self._prefix : self._read])
        full = self.tokenizer.decode(self.ids[self._prefix :])
        self._prefix = self._read = len(self.ids)
        return full[len(done) :]
