"""Model shapes the benchmarks run, and random bf16 weights for them (decode speed ignores the values)."""

from __future__ import annotations

import torch

from kog.engine.config import ModelConfig


def qwen25_coder(hidden: int, inter: int, layers: int, heads: int) -> ModelConfig:
    return ModelConfig(
        arch="qwen2", vocab_size=151936, hidden_size=hidden, intermediate_size=inter, n_layers=layers,
        n_heads=heads, n_kv_heads=2, head_dim=hidden // heads, rope_theta=1e6, rms_eps=1e-6,
        context_length=32768, tie_embeddings=True, qkv_bias=True,
    )  # fmt: skip


BENCH_MODELS: dict[str, ModelConfig] = {
    "qwen2.5-coder-0.5b": qwen25_coder(896, 4864, 24, 14),
    "qwen2.5-coder-1.5b": qwen25_coder(1536, 8960, 28, 12),
}


def random_weights(cfg: ModelConfig, device: torch.device | str, seed: int = 0) -> dict[str, torch.Tensor]:
    """Weights in the engine's naming, bf16 on `device`. Scales keep activations in a realistic range;
    the embedding is wider than a trained one so greedy picks have clear margins (fewer near-ties)."""
    g = torch.Generator(device=device).manual_seed(seed)

    def randn(*shape: int, std: float) -> torch.Tensor:
        return (torch.randn(*shape, generator=g, device=device) * std).to(torch.bfloat16)

    def norm(size: int) -> torch.Tensor:
        return (1 + torch.randn(size, generator=g, device=device) * 0.1).to(torch.bfloat16)

    h, i, q, kv = cfg.hidden_size, cfg.intermediate_size, cfg.q_size, cfg.kv_size
    w = {"embed": randn(cfg.vocab_size, h, std=0.1), "norm": norm(h)}
    if not cfg.tie_embeddings:
        w["lm_head"] = randn(cfg.vocab_size, h, std=0.1)
    for layer in range(cfg.n_layers):
        p = f"layers.{layer}."
        w[p + "attn_norm"], w[p + "mlp_norm"] = norm(h), norm(h)
        w[p + "q_proj"], w[p + "k_proj"], w[p + "v_proj"] = (
            randn(q, h, std=0.04),
            randn(kv, h, std=0.04),
            randn(kv, h, std=0.04),
        )
        w[p + "o_proj"] = randn(h, q, std=0.02)
        w[p + "gate_proj"], w[p + "up_proj"] = randn(i, h, std=0.03), randn(i, h, std=0.03)
        w[p + "down_proj"] = randn(h, i, std=0.02)
        if cfg.qkv_bias:
            w[p + "q_bias"], w[p + "k_bias"], w[p + "v_bias"] = (
                randn(q, std=0.1),
                randn(kv, std=0.1),
                randn(kv, std=0.1),
            )
    return w


def hf_qwen2_config(cfg: ModelConfig):  # -> transformers.Qwen2Config, imported only when peers are measured
    from transformers import Qwen2Config

    return Qwen2Config(
        vocab_size=cfg.vocab_size, hidden_size=cfg.hidden_size, intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.n_layers, num_attention_heads=cfg.n_heads, num_key_value_heads=cfg.n_kv_heads,
        max_position_embeddings=cfg.context_length, rope_theta=cfg.rope_theta, rms_norm_eps=cfg.rms_eps,
        tie_word_embeddings=cfg.tie_embeddings, torch_dtype="bfloat16",
    )  # fmt: skip


# GGUF types of the registry's Q4_K_M files: (most linears, v/down on the "more bits" layers, LM head,
# embedding); the 0.5B file stores its LM head apart from the embedding, the 1.5B ties them.
Q4_K_M_LAYOUTS: dict[str, tuple[str, str, str | None, str]] = {
    "qwen2.5-coder-0.5b": ("Q5_0", "Q8_0", "Q8_0", "Q5_0"),
    "qwen2.5-coder-1.5b": ("Q4_K", "Q6_K", None, "Q6_K"),
}


def more_bits(layer: int, n_layers: int) -> bool:
    """llama.cpp's Q4_K_M rule for the layers whose v and down projections get more bits."""
    eighth = n_layers // 8
    return layer < eighth or layer >= 7 * n_layers // 8 or (layer - eighth) % 3 == 2


def random_gguf_weights(name: str, cfg: ModelConfig, device: torch.device | str, seed: int = 0) -> dict:
    """Random weights in the model's Q4_K_M layout: linears and the embedding as `QuantTensor` blocks
    (scaled like `random_weights`), norms and biases bf16; for `quant_weights`-style runner input."""
    from kog.engine.gguf_file import QuantTensor
    from kog.kernels.quant_reference import dequantize_reference, random_blocks

    low, high, head, embed_type = Q4_K_M_LAYOUTS[name]
    dense = random_weights(cfg, device, seed)
    unit: dict[str, float] = {}

    def blocks(key: str, qtype: str, rows: int, cols: int, std: float) -> QuantTensor:
        if qtype not in unit:  # weight std of blocks with unit scale fields
            sample = random_blocks(qtype, 64, cols, device=device, seed=seed, scale=1.0)
            unit[qtype] = dequantize_reference(qtype, sample).std().item()
        data = random_blocks(qtype, rows, cols, device=device, seed=seed + len(out), scale=std / unit[qtype])
        return QuantTensor(key, qtype, (rows, cols), data.cpu().numpy())

    out: dict[str, object] = {k: v for k, v in dense.items() if k.endswith(("norm", "bias"))}
    out["embed"] = blocks("embed", embed_type, cfg.vocab_size, cfg.hidden_size, 0.1)
    if head is not None:
        out["lm_head"] = blocks("lm_head", head, cfg.vocab_size, cfg.hidden_size, 0.1)
    for layer in range(cfg.n_layers):
        p = f"layers.{layer}."
        extra = high if more_bits(layer, cfg.n_layers) else low
        down = "Q6_K" if more_bits(layer, cfg.n_layers) else "Q4_K"
        for kind, qtype in (("q_proj", low), ("k_proj", low), ("v_proj", extra), ("o_proj", low),
                            ("gate_proj", low), ("up_proj", low), ("down_proj", down)):  # fmt: skip
            rows, cols = dense[p + kind].shape
            out[p + kind] = blocks(p + kind, qtype, rows, cols, float(dense[p + kind].float().std()))
    return out


def random_runner(name: str, kind: str, max_seq: int, **options):  # -> CudaRunner
    """A CUDA runner of bench model `name` on random weights: `kind` "gguf" (stored Q4_K_M blocks) or
    "bf16"; `options` go to CudaRunner."""
    from kog.engine.cuda.quant_weights import quant_linear
    from kog.engine.cuda.runner import CudaRunner

    cfg = BENCH_MODELS[name]
    if kind == "gguf":
        return CudaRunner(
            cfg, random_gguf_weights(name, cfg, "cuda"), max_seq, linear_factory=quant_linear, **options
        )
    return CudaRunner(cfg, random_weights(cfg, "cuda"), max_seq, **options)
