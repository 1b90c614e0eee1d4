"""Loading GGUF files and HF folders: exact weights for every tensor type, the conversion cache, parity."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import gguf
import numpy as np
import pytest
import torch
from tiny_model import HEADS, KV_HEADS, TinyModel, write_tiny_hf_folder

from kog.engine import Engine
from kog.engine import loader as loader_module
from kog.engine.gguf_file import SUPPORTED_QTYPES, read_gguf
from kog.engine.loader import load_model
from kog.engine.registry import resolve_model
from kog.engine.weights import dequantized_weights, quant_tensors

pytestmark = pytest.mark.usefixtures("isolated_kog_home")


def llama_unpermute(rows: np.ndarray, n_heads: int) -> np.ndarray:
    """The inverse of llama.cpp's q/k permutation, written from its definition."""
    n, cols = rows.shape
    return rows.reshape(n_heads, n // n_heads // 2, 2, cols).swapaxes(1, 2).reshape(n, cols)


def gguf_reference(model: TinyModel) -> dict[str, np.ndarray]:
    """gguf's own dequantization of every tensor in the file, by engine name, q/k back in HF row order."""
    by_gguf_name = {t.name: t for t in gguf.GGUFReader(model.path).tensors}
    reference = {}
    for engine_name, gguf_name in model.gguf_names.items():
        t = by_gguf_name[gguf_name]
        shape = tuple(reversed(t.shape.tolist()))
        values = gguf.quants.dequantize(t.data, t.tensor_type).reshape(shape).astype(np.float32)
        if model.arch == "llama" and engine_name.endswith(("q_proj", "k_proj")):
            values = llama_unpermute(values, HEADS if engine_name.endswith("q_proj") else KV_HEADS)
        reference[engine_name] = values
    return reference


def test_the_tiny_models_cover_every_supported_tensor_type(tiny_qwen2, tiny_llama):
    assert set(tiny_qwen2.qtypes.values()) | set(tiny_llama.qtypes.values()) == set(SUPPORTED_QTYPES)
    assert "Q6_K" in {tiny_llama.qtypes["blk.1.attn_q.weight"], tiny_llama.qtypes["blk.0.ffn_down.weight"]}


def gguf_reader_view(path: Path) -> tuple[dict, dict]:
    """Metadata and tensors as gguf's own GGUFReader gives them."""
    reader = gguf.GGUFReader(path)
    meta = {}
    for key, field in reader.fields.items():
        try:
            meta[key] = field.contents()
        except (ValueError, IndexError, UnicodeDecodeError):
            meta[key] = None
    return meta, {t.name: t for t in reader.tensors}


def test_the_reader_matches_ggufs_own(tiny_qwen2, tiny_llama):
    """read_gguf parses the header itself (gguf's reader took seconds on a real vocabulary): the same
    metadata values and the same tensor bytes, types and shapes as gguf's GGUFReader."""
    for path in (tiny_qwen2.path, tiny_llama.path):
        contents = read_gguf(path)
        meta, tensors = gguf_reader_view(path)
        assert contents.metadata == meta
        assert set(contents.tensors) == set(tensors)
        for name, t in tensors.items():
            ours = contents.tensors[name]
            assert ours.qtype == t.tensor_type.name
            assert ours.shape == tuple(int(d) for d in reversed(t.shape.tolist()))
            assert ours.data.dtype == t.data.dtype and ours.data.shape == t.data.shape
            assert np.array_equal(ours.data, t.data)


def test_every_weight_equals_gguf_dequantization_in_hf_layout(tiny):
    reference = gguf_reference(tiny)
    loaded = load_model(resolve_model(tiny.path), torch.float32)
    assert set(loaded.weights) == set(reference) == set(tiny.weights)
    for name, expected in reference.items():
        got = loaded.weights[name].numpy()
        np.testing.assert_array_equal(got, expected, err_msg=f"{name} ({tiny.qtypes[tiny.gguf_names[name]]})")
        # The un-permuted llama q/k rows are the HF matrix the file was made from.
        np.testing.assert_array_equal(got, tiny.weights[name], err_msg=name)


def test_dequantized_weights_keep_norms_in_float32(tiny):
    contents = read_gguf(tiny.path)
    weights = dequantized_weights(contents, contents.config(), torch.bfloat16)
    reference = gguf_reference(tiny)
    for name, tensor in weights.items():
        if name.endswith("norm"):
            assert tensor.dtype == torch.float32
            np.testing.assert_array_equal(tensor.numpy(), reference[name])
        elif not name.endswith("bias"):
            assert tensor.dtype == torch.bfloat16, name
            torch.testing.assert_close(
                tensor, torch.from_numpy(reference[name]).to(torch.bfloat16), rtol=0, atol=0
            )


def test_quantized_tensors_are_kept_as_stored_with_rows_in_engine_order(tiny):
    """The raw blocks handed to GPU kernels dequantize to the same matrix the CPU path uses."""
    contents = read_gguf(tiny.path)
    kept = dict(quant_tensors(contents, contents.config()))
    for name, tensor in kept.items():
        assert tensor.qtype == tiny.qtypes[tiny.gguf_names[name]]
        assert tensor.shape == tiny.weights[name].shape
        if tensor.qtype not in ("F32", "F16"):
            assert tensor.data.dtype == np.uint8 and tensor.data.shape[0] == tensor.shape[0]
        values = gguf.quants.dequantize(np.asarray(tensor.data), gguf.GGMLQuantizationType[tensor.qtype])
        np.testing.assert_array_equal(
            np.asarray(values, np.float32).reshape(tensor.shape), tiny.weights[name]
        )


def test_the_config_comes_from_the_metadata(tiny):
    cfg = read_gguf(tiny.path).config()
    assert (cfg.arch, cfg.vocab_size, cfg.hidden_size, cfg.intermediate_size) == (tiny.arch, 309, 256, 512)
    assert (cfg.n_layers, cfg.n_heads, cfg.n_kv_heads, cfg.head_dim, cfg.context_length) == (2, 4, 2, 64, 512)
    assert (cfg.rope_theta, cfg.rms_eps) == (tiny.rope_theta, pytest.approx(1e-6))
    assert (cfg.tie_embeddings, cfg.qkv_bias) == (tiny.arch == "qwen2", tiny.arch == "qwen2")
    assert cfg.n_params() == sum(w.size for w in tiny.weights.values())


def _stages(model: Path, dtype=torch.float32):
    calls: list[tuple[str, int, int]] = []
    loaded = load_model(resolve_model(model), dtype, lambda *call: calls.append(call))
    return loaded, {stage for stage, _, _ in calls}


def test_a_second_load_reads_the_cache_under_kog_home(tiny_qwen2, isolated_kog_home):
    first, first_stages = _stages(tiny_qwen2.path)
    cached = list((isolated_kog_home / "converted").glob("*/weights-float32.safetensors"))
    second, second_stages = _stages(tiny_qwen2.path)
    assert "convert" in first_stages and len(cached) == 1
    assert second_stages == {"load"}
    assert second.cfg == first.cfg and set(second.weights) == set(first.weights)
    for name, tensor in first.weights.items():
        assert torch.equal(second.weights[name], tensor), name
    text = "hello world\n\tdef f(): return 12345 <|im_end|>"
    assert second.tokenizer.encode(text) == first.tokenizer.encode(text)
    assert second.tokenizer.eos_ids == first.tokenizer.eos_ids
    assert second.chat_template.source == first.chat_template.source


def test_another_kog_home_converts_again(tiny_qwen2, isolated_kog_home, tmp_path, monkeypatch):
    _stages(tiny_qwen2.path)
    monkeypatch.setenv("KOG_HOME", str(tmp_path / "elsewhere"))
    _, stages = _stages(tiny_qwen2.path)
    assert "convert" in stages
    assert len(list((tmp_path / "elsewhere" / "converted").glob("*/weights-float32.safetensors"))) == 1


def _assert_no_loadable_cache(home: Path) -> None:
    for folder in (home / "converted").glob("*"):
        names = {p.name for p in folder.iterdir()}
        assert not any(".partial" in name for name in names), names
        assert "model.json" not in names, f"a half-converted cache in {folder}: {names}"


class Interrupted(Exception):
    pass


def test_an_interrupted_conversion_leaves_no_loadable_cache(tiny_llama, isolated_kog_home):
    def stop_half_way(stage: str, done: int, total: int) -> None:
        if stage == "convert" and done == total // 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        load_model(resolve_model(tiny_llama.path), torch.float32, stop_half_way)
    _assert_no_loadable_cache(isolated_kog_home)
    loaded, stages = _stages(tiny_llama.path)
    assert "convert" in stages
    np.testing.assert_array_equal(
        loaded.weights["layers.1.k_proj"].numpy(), tiny_llama.weights["layers.1.k_proj"]
    )


def test_a_disk_failure_while_writing_the_cache_leaves_no_loadable_cache(
    tiny_qwen2, isolated_kog_home, monkeypatch
):
    real_save = loader_module.save_file

    def disk_full(tensors, filename, *args, **kwargs):
        Path(filename).write_bytes(b"\0" * 1000)  # the first bytes made it to disk
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(loader_module, "save_file", disk_full)
    with pytest.raises(OSError, match="No space"):
        load_model(resolve_model(tiny_qwen2.path), torch.float32)
    _assert_no_loadable_cache(isolated_kog_home)
    assert not list(isolated_kog_home.rglob("weights-*.safetensors"))
    monkeypatch.setattr(loader_module, "save_file", real_save)
    loaded, stages = _stages(tiny_qwen2.path)
    assert "convert" in stages and torch.equal(
        loaded.weights["embed"], torch.from_numpy(tiny_qwen2.weights["embed"])
    )


def test_a_gguf_and_the_same_hf_folder_give_the_same_logits(tiny, tiny_hf_folder):
    from_gguf = Engine.load(tiny.path, device="cpu", dtype="float32")
    from_hf = Engine.load(tiny_hf_folder, device="cpu", dtype="float32")
    # GGUF stores the epsilon as a float32.
    assert replace(from_hf.cfg, rms_eps=from_gguf.cfg.rms_eps) == from_gguf.cfg
    assert from_hf.cfg.rms_eps == pytest.approx(from_gguf.cfg.rms_eps)
    assert from_hf.tokenizer.eos_ids == from_gguf.tokenizer.eos_ids
    text = "hello world:\n    def self(x):\n\treturn x  # 2024 <|im_end|>"
    ids = from_gguf.tokenizer.encode(text)
    assert from_hf.tokenizer.encode(text) == ids
    logits_gguf = from_gguf.runner.forward(torch.tensor(ids), 0)
    logits_hf = from_hf.runner.forward(torch.tensor(ids), 0)
    assert logits_gguf.shape == (len(ids), 309)
    torch.testing.assert_close(logits_hf, logits_gguf, rtol=1e-5, atol=1e-5)
    assert logits_gguf.std() > 0.5  # the comparison is over real, varied logits


def test_a_cached_hf_folder_loads_the_same(tiny_qwen2, tmp_path):
    folder = write_tiny_hf_folder(tmp_path / "hf", tiny_qwen2)
    first = load_model(resolve_model(folder), torch.float32)
    second = load_model(resolve_model(folder), torch.float32)
    for name, tensor in first.weights.items():
        assert torch.equal(second.weights[name], tensor), name
    assert second.chat_template.source == first.chat_template.source
