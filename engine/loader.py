"""Loading a model: resolve, convert once into a cache, and read the cache on later loads."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from kog.engine.api import ProgressFn
from kog.engine.chat import ChatTemplate
from kog.engine.config import ModelConfig
from kog.engine.gguf_file import read_gguf
from kog.engine.hf_folder import read_hf_folder
from kog.engine.models.int8 import from_tensors, quantize_weights, to_tensors
from kog.engine.registry import ResolvedModel, kog_home
from kog.engine.tokenizer import TextTokenizer
from kog.engine.weights import dequantized_weights

CACHE_FORMAT = 2


@dataclass
class LoadedModel:
    name: str
    cfg: ModelConfig
    weights: dict[str, torch.Tensor]
    tokenizer: TextTokenizer
    chat_template: ChatTemplate
    source: Path


def cache_dir_for(path: Path) -> Path:
    stat = path.stat()
    key = hashlib.sha256(
        f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{CACHE_FORMAT}".encode()
    ).hexdigest()
    return kog_home() / "converted" / f"{path.stem}-{key[:16]}"


def load_model(
    resolved: ResolvedModel, dtype: torch.dtype, progress: ProgressFn | None = None
) -> LoadedModel:
    """Weights in `dtype` on the CPU (norms and biases in float32); the caller moves them to a device."""
    cache = cache_dir_for(resolved.path)
    dtype_name = str(dtype).removeprefix("torch.")
    weights_file = cache / f"weights-{dtype_name}.safetensors"
    meta_file, tok_file = cache / "model.json", cache / "tokenizer.json"
    if weights_file.is_file() and meta_file.is_file() and tok_file.is_file():
        if progress:
            progress("load", 0, 1)
        meta = json.loads(meta_file.read_text())
        tokenizer = TextTokenizer.from_files(tok_file, meta["bos_id"], meta["eos_ids"], meta["add_bos"])
        weights = from_tensors(load_file(weights_file)) if dtype == torch.int8 else load_file(weights_file)
        if progress:
            progress("load", 1, 1)
        return LoadedModel(
            resolved.name,
            ModelConfig(**meta["config"]),
            weights,
            tokenizer,
            ChatTemplate(meta["chat_template"]),
            resolved.path,
        )
    source_dtype = torch.float32 if dtype == torch.int8 else dtype
    if resolved.kind == "hf":
        cfg, weights, tokenizer, template = read_hf_folder(resolved.path, source_dtype, progress)
    else:
        contents = read_gguf(resolved.path)
        cfg = contents.config()
        tokenizer = TextTokenizer.from_gguf_metadata(contents.metadata)
        template = contents.metadata.get("tokenizer.chat_template")
        weights = dequantized_weights(contents, cfg, source_dtype, progress)
    if dtype == torch.int8:
        weights = quantize_weights(weights)
    meta = {
        "config": asdict(cfg),
        "chat_template": template,
        "bos_id": tokenizer.bos_id,
        "eos_ids": sorted(tokenizer.eos_ids),
        "add_bos": tokenizer.add_bos,
    }
    _write_cache(cache, weights_file, weights, meta, tokenizer)
    return LoadedModel(resolved.name, cfg, weights, tokenizer, ChatTemplate(template), resolved.path)


def _write_cache(cache: Path, weights_file: Path, weights, meta: dict, tokenizer: TextTokenizer) -> None:
    """Each file lands by an atomic rename, so an interrupted conversion never leaves a loadable half."""
    cache.mkdir(parents=True, exist_ok=True)
    tmp = weights_file.with_suffix(f".partial-{os.getpid()}")
    try:
        save_file({k: v.contiguous() for k, v in to_tensors(weights).items()}, str(tmp))
        os.replace(tmp, weights_file)
        tok_tmp = cache / f"tokenizer.json.partial-{os.getpid()}"
        tokenizer.save(tok_tmp)
        os.replace(tok_tmp, cache / "tokenizer.json")
        meta_tmp = cache / f"model.json.partial-{os.getpid()}"
        meta_tmp.write_text(json.dumps(meta))
        os.replace(meta_tmp, cache / "model.json")
    finally:
        for leftover in cache.glob(f"*.partial-{os.getpid()}"):
            leftover.unlink(missing_ok=True)


def load_stored_blocks(resolved: ResolvedModel, progress: ProgressFn | None = None) -> LoadedModel:
    """A GGUF model whose quantized matrices stay as the file stores them (`QuantTensor`s), for the GPU's
    fused dequantize-and-multiply kernels; norms, biases and the embedding table are dense bfloat16."""
    from kog.engine.cuda.quant_weights import quant_weights

    if progress:
        progress("load", 0, 1)
    contents = read_gguf(resolved.path)
    cfg = contents.config()
    tokenizer = TextTokenizer.from_gguf_metadata(contents.metadata)
    weights = quant_weights(contents, cfg)
    if progress:
        progress("load", 1, 1)
    template = ChatTemplate(contents.metadata.get("tokenizer.chat_template"))
    return LoadedModel(resolved.name, cfg, weights, tokenizer, template, resolved.path)
