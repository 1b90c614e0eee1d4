"""Tiny random models written as real files: a GGUF (every tensor type the loader reads) and an HF folder.

The weights are random but shaped like a small Qwen2 or Llama, the tokenizer is a byte-level BPE with a few
merges, and every matrix is kept in Hugging Face layout (`TinyModel.weights`) so that tests can check what the
loader gives back. Llama's q/k rows are permuted in the GGUF as llama.cpp's converter does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np
from gguf import GGMLQuantizationType as QType
from safetensors.numpy import save_file

HIDDEN, INTERMEDIATE, LAYERS, HEADS, KV_HEADS, HEAD_DIM, CONTEXT = 256, 512, 2, 4, 2, 64, 512
CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
# Merges in GPT-2's byte-level alphabet ("Ġ" is a space, "Ċ" a newline), by rank.
MERGES = tuple(
    "h e|l l|he ll|hell o|Ġ w|o r|Ġw or|Ġwor l|Ġworl d|Ġ t|Ġt he|i n|Ġ in|e r|o n|r e|a t|e n|Ġ a|Ġ s|Ġ c|Ġ f|"
    "Ġ d|Ġ p|o u|a n|e s|Ġ Ġ|ĠĠ ĠĠ|Ċ Ċ|Ġ =|( )|e f|d ef|Ġ def|e t|r et|u r|ret ur|retur n|Ġ return|i t|p r|"
    "in t|pr int|s e|l f|se lf|Ġ self|Ġ (".split("|")
)
# (GGUF short name, engine short name, HF name) of each layer matrix.
PROJECTIONS = (
    ("attn_q", "q_proj", "self_attn.q_proj"),
    ("attn_k", "k_proj", "self_attn.k_proj"),
    ("attn_v", "v_proj", "self_attn.v_proj"),
    ("attn_output", "o_proj", "self_attn.o_proj"),
    ("ffn_gate", "gate_proj", "mlp.gate_proj"),
    ("ffn_up", "up_proj", "mlp.up_proj"),
    ("ffn_down", "down_proj", "mlp.down_proj"),
)
# The type of each projection above, per layer; together they cover every type the loader reads.
LAYER_TYPES = (
    ("Q4_K", "Q5_0", "Q8_0", "F16", "Q4_1", "Q4_K", "Q6_K"),
    ("Q6_K", "Q4_K", "Q4_1", "BF16", "F16", "Q5_0", "Q8_0"),
)
# Byte offsets of the f16 scale fields in one block of the types written as random blocks.
RANDOM_BLOCK_SCALES = {"Q4_K": (0, 2), "Q6_K": (208,), "Q2_K": (80, 82), "IQ4_NL": (0,)}
HF_NAMES = {
    "embed": "model.embed_tokens.weight",
    "norm": "model.norm.weight",
    "lm_head": "lm_head.weight",
    "attn_norm": "input_layernorm.weight",
    "mlp_norm": "post_attention_layernorm.weight",
    **{engine: f"{hf}.weight" for _, engine, hf in PROJECTIONS},
    **{f"{engine[0]}_bias": f"{hf}.bias" for _, engine, hf in PROJECTIONS[:3]},
}


def byte_symbols() -> list[str]:
    """GPT-2's printable stand-in for each byte value, indexed by the byte."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    symbols, extra = {}, 0
    for b in range(256):
        symbols[b] = chr(b) if b in printable else chr(256 + extra)
        extra += b not in printable
    return [symbols[b] for b in range(256)]


def vocabulary() -> list[str]:
    """Token strings by id: byte b is id b, then one token per merge, then the specials."""
    return [*byte_symbols(), *(m.replace(" ", "") for m in MERGES), *SPECIALS]


@dataclass(frozen=True)
class TinyModel:
    path: Path
    arch: str
    weights: dict[str, np.ndarray]  # engine names -> float32 in HF layout: what loading must give back
    gguf_names: dict[str, str]  # engine name -> GGUF tensor name
    qtypes: dict[str, str]  # GGUF tensor name -> the type it is stored as
    tokens: list[str]
    eos_id: int
    rope_theta: float

    @property
    def tied(self) -> bool:
        return "lm_head" not in self.weights


def llama_permute(rows: np.ndarray, n_heads: int) -> np.ndarray:
    """llama.cpp's converter permutation of q/k rows (applied to raw block rows too: blocks never cross rows)."""
    n, cols = rows.shape
    return rows.reshape(n_heads, 2, n // n_heads // 2, cols).swapaxes(1, 2).reshape(n, cols)


def random_blocks(rng: np.random.Generator, qtype: str, shape: tuple[int, int], std: float) -> np.ndarray:
    """Random but valid blocks of a type gguf-py cannot quantize, scaled so the values have about `std`."""
    block_elems, block_bytes = gguf.GGML_QUANT_SIZES[QType[qtype]]
    blocks = rng.integers(0, 256, (shape[0], shape[1] // block_elems, block_bytes), dtype=np.uint8)

    def set_scale(d: float) -> None:
        for i, offset in enumerate(RANDOM_BLOCK_SCALES[qtype]):
            value = np.float16(d * (7.5 if (qtype == "Q4_K" and i == 1) else 1.0))  # dmin centres Q4_K
            blocks[..., offset : offset + 2] = np.frombuffer(value.tobytes(), np.uint8)

    set_scale(1.0)
    unit = gguf.quants.dequantize(blocks.reshape(shape[0], -1), QType[qtype])
    set_scale(std / float(unit.std()))
    return blocks.reshape(shape[0], -1)


def encode_tensor(
    rng, values: np.ndarray | None, qtype: str, shape, std: float
) -> tuple[np.ndarray, np.ndarray]:
    """(what the file stores, its float32 values) for `values` (or random ones) stored as `qtype`."""
    if qtype in RANDOM_BLOCK_SCALES:
        stored = random_blocks(rng, qtype, shape, std)
        return stored, gguf.quants.dequantize(stored, QType[qtype]).reshape(shape)
    values = values if values is not None else (rng.standard_normal(shape) * std).astype(np.float32)
    if qtype == "F32":
        return values, values
    if qtype == "F16":
        return values.astype(np.float16), values.astype(np.float16).astype(np.float32)
    stored = gguf.quants.quantize(values, QType[qtype])
    return stored, gguf.quants.dequantize(stored, QType[qtype]).reshape(shape).astype(np.float32)


def write_tiny_gguf(
    path: Path,
    arch: str = "qwen2",
    *,
    seed: int = 0,
    eos_token: int | None = None,
    types: dict[str, str] | None = None,
) -> TinyModel:
    """A 2-layer model of `arch` ("qwen2": tied, q/k/v biases; "llama": untied, permuted q/k; other names are
    written like llama, for refusal tests). `types` overrides the type of GGUF tensors by name."""
    rng = np.random.default_rng(seed)
    tokens = vocabulary()
    vocab, qwen = len(tokens), arch == "qwen2"
    eos_id = tokens.index("<|im_end|>") if eos_token is None else eos_token
    # Only printable ASCII, newline and merges score above zero, so generated text reads as text.
    speaks = np.array([32 <= i < 127 or i == 10 or 256 <= i < 256 + len(MERGES) for i in range(vocab)])
    plan = _tensor_plan(qwen, vocab, (rng.standard_normal((vocab, HIDDEN)) * 0.16 * speaks[:, None]))
    writer = gguf.GGUFWriter(path, arch)
    _write_metadata(writer, arch, tokens, eos_id)
    weights, gguf_names, qtypes = {}, {}, {}
    for gguf_name, engine_name, qtype, shape, std, given in plan:
        qtype = (types or {}).get(gguf_name, qtype)
        if engine_name.endswith("norm"):
            given = (1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32)
        stored, values = encode_tensor(rng, given, qtype, shape, std)
        if qtype == "Q6_K" and engine_name == "lm_head":
            stored[~speaks, 208:210] = 0  # d = 0: those tokens' logits are exactly 0
            values = gguf.quants.dequantize(stored, QType.Q6_K).reshape(shape)
        if not qwen and engine_name.endswith(("q_proj", "k_proj")):
            stored = llama_permute(stored, HEADS if engine_name.endswith("q_proj") else KV_HEADS)
        raw = QType[qtype] if qtype not in ("F32", "F16") else None
        writer.add_tensor(gguf_name, stored, raw_dtype=raw)
        weights[engine_name], gguf_names[engine_name] = values.astype(np.float32), gguf_name
        qtypes[gguf_name] = qtype
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return TinyModel(path, arch, weights, gguf_names, qtypes, tokens, eos_id, _rope_theta(arch))


def _tensor_plan(qwen: bool, vocab: int, head: np.ndarray) -> list[tuple]:
    """(GGUF name, engine name, type, shape, std, given values); std 2/sqrt(fan-in) keeps greedy text varied."""
    embed = head.astype(np.float32) if qwen else None
    plan = [
        ("token_embd.weight", "embed", "Q8_0", (vocab, HIDDEN), 0.16, embed),
        ("output_norm.weight", "norm", "F32", (HIDDEN,), 0, None),
    ]
    if not qwen:
        plan.append(("output.weight", "lm_head", "Q6_K", (vocab, HIDDEN), 0.16, None))
    rows = {"attn_q": HEADS * HEAD_DIM, "attn_k": KV_HEADS * HEAD_DIM, "attn_v": KV_HEADS * HEAD_DIM}
    rows |= {"attn_output": HIDDEN, "ffn_gate": INTERMEDIATE, "ffn_up": INTERMEDIATE, "ffn_down": HIDDEN}
    for i, layer_types in enumerate(LAYER_TYPES):
        plan.append((f"blk.{i}.attn_norm.weight", f"layers.{i}.attn_norm", "F32", (HIDDEN,), 0, None))
        plan.append((f"blk.{i}.ffn_norm.weight", f"layers.{i}.mlp_norm", "F32", (HIDDEN,), 0, None))
        for (short, engine, _), qtype in zip(PROJECTIONS, layer_types, strict=True):
            cols = {"ffn_down": INTERMEDIATE, "attn_output": HEADS * HEAD_DIM}.get(short, HIDDEN)
            std = 2 * cols**-0.5
            plan.append(
                (f"blk.{i}.{short}.weight", f"layers.{i}.{engine}", qtype, (rows[short], cols), std, None)
            )
            if qwen and engine in ("q_proj", "k_proj", "v_proj"):
                name, n = f"{i}.{short}", rows[short]
                plan.append((f"blk.{name}.bias", f"layers.{i}.{engine[0]}_bias", "F32", (n,), 0.5, None))
    return plan


def _rope_theta(arch: str) -> float:
    return 1_000_000.0 if arch == "qwen2" else 100_000.0


def _write_metadata(writer: gguf.GGUFWriter, arch: str, tokens: list[str], eos_id: int) -> None:
    writer.add_name(f"tiny-{arch}")
    writer.add_block_count(LAYERS)
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(HIDDEN)
    writer.add_feed_forward_length(INTERMEDIATE)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_rope_freq_base(_rope_theta(arch))
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("qwen2" if arch == "qwen2" else "smollm")
    writer.add_token_list(tokens)
    writer.add_token_types([3 if t in SPECIALS else 1 for t in tokens])
    writer.add_token_merges(list(MERGES))
    writer.add_bos_token_id(tokens.index("<|endoftext|>"))
    writer.add_eos_token_id(eos_id)
    writer.add_add_bos_token(False)
    writer.add_chat_template(CHATML)


def write_tiny_hf_folder(folder: Path, model: TinyModel) -> Path:
    """The same model as a Hugging Face folder: float32 safetensors in HF layout, tokenizer.json, configs."""
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for name, values in model.weights.items():
        parts = name.split(".")
        hf = f"model.layers.{parts[1]}.{HF_NAMES[parts[2]]}" if parts[0] == "layers" else HF_NAMES[name]
        tensors[hf] = values
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(folder / "model.safetensors"))
    config = {
        "model_type": model.arch,
        "architectures": ["Qwen2ForCausalLM" if model.arch == "qwen2" else "LlamaForCausalLM"],
        "vocab_size": len(model.tokens),
        "hidden_size": HIDDEN,
        "intermediate_size": INTERMEDIATE,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS,
        "rope_theta": model.rope_theta,
        "rms_norm_eps": 1e-6,
        "max_position_embeddings": CONTEXT,
        "tie_word_embeddings": model.tied,
        "bos_token_id": model.tokens.index("<|endoftext|>"),
        "eos_token_id": model.eos_id,
        "torch_dtype": "float32",
    }
    (folder / "config.json").write_text(json.dumps(config, indent=1))
    (folder / "tokenizer.json").write_text(json.dumps(_tokenizer_json(model)))
    tok_config = {"add_bos_token": False, "chat_template": CHATML, "eos_token": model.tokens[model.eos_id]}
    (folder / "tokenizer_config.json").write_text(json.dumps(tok_config))
    return folder


def _tokenizer_json(model: TinyModel) -> dict:
    """A tokenizer.json laid out like the originals' (Qwen2: regex split + NFC; SmolLM2: single digits)."""
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    if model.arch == "qwen2":
        pattern = (
            r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
            r"|\s*[\r\n]+|\s+(?!\S)|\s+"
        )
        split = {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False}
        pre, normalizer = {"type": "Sequence", "pretokenizers": [split, byte_level]}, {"type": "NFC"}
    else:
        digits = {"type": "Digits", "individual_digits": True}
        regex_byte_level = byte_level | {"use_regex": True}
        pre, normalizer = {"type": "Sequence", "pretokenizers": [digits, regex_byte_level]}, None
    flags = dict(single_word=False, lstrip=False, rstrip=False, normalized=False, special=True)
    specials = [{"id": model.tokens.index(t), "content": t} | flags for t in SPECIALS]
    vocab = {t: i for i, t in enumerate(model.tokens)}
    bpe = dict(
        type="BPE", dropout=None, unk_token=None, continuing_subword_prefix=None, end_of_word_suffix=None
    )
    bpe |= dict(fuse_unk=False, byte_fallback=False, vocab=vocab, merges=list(MERGES))
    return dict(
        version="1.0",
        truncation=None,
        padding=None,
        added_tokens=specials,
        normalizer=normalizer,
        pre_tokenizer=pre,
        post_processor=None,
        decoder=byte_level,
        model=bpe,
    )
