"""Hugging Face transformers decode speed on the same shapes: the peers `kog-agent bench` reports.

Imported only when peers are measured; transformers is not an engine dependency.
"""

from __future__ import annotations

import torch

from kog.engine.config import ModelConfig
from kog.engine.cuda.bench_models import hf_qwen2_config


def transformers_decode(cfg: ModelConfig, prompt_len: int, new_tokens: int, *, compiled: bool) -> dict:
    """Decode tok/s of `generate` with random bf16 weights: eager with the default dynamic cache, or a
    static cache with torch.compile(mode="reduce-overhead"). Steps are timed with CUDA events recorded
    by a logits processor, so prefill and compilation stay out of the figure."""
    import transformers
    from transformers import CompileConfig, LogitsProcessor, LogitsProcessorList, Qwen2ForCausalLM

    class StepClock(LogitsProcessor):
        def __init__(self) -> None:
            self.events: list[torch.cuda.Event] = []

        def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
            event = torch.cuda.Event(enable_timing=True)
            event.record()
            self.events.append(event)
            return scores

    torch.manual_seed(0)
    with torch.device("cuda"):
        model = Qwen2ForCausalLM(hf_qwen2_config(cfg)).to(torch.bfloat16).eval()
    model.generation_config.eos_token_id = None
    prompt = torch.randint(0, cfg.vocab_size, (1, prompt_len), device="cuda")
    kwargs: dict = dict(max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False, pad_token_id=0)
    if compiled:
        kwargs.update(
            cache_implementation="static",
            compile_config=CompileConfig(mode="reduce-overhead", fullgraph=True),
        )

    def run(model: Qwen2ForCausalLM, tokens: int) -> float:
        clock = StepClock()
        with torch.inference_mode():
            model.generate(
                prompt,
                attention_mask=torch.ones_like(prompt),
                logits_processor=LogitsProcessorList([clock]),
                **{**kwargs, "max_new_tokens": tokens, "min_new_tokens": tokens},
            )
        torch.cuda.synchronize()
        steps = len(clock.events) - 1
        return steps / (clock.events[0].elapsed_time(clock.events[-1]) / 1000)

    # Warm-up (compilation and graph capture for the static cache, whose shape fixes the length).
    run(model, new_tokens if compiled else 8)
    tok_s = run(model, new_tokens)
    del model
    torch.cuda.empty_cache()
    if compiled:
        torch._dynamo.reset()
    name = "transformers static cache + torch.compile(reduce-overhead)" if compiled else "transformers eager"
    return {
        "name": name,
        "transformers": transformers.__version__,
        "prompt_len": prompt_len,
        "new_tokens": new_tokens,
        "tok_s": tok_s,
        "ms_per_token": 1000 / tok_s,
    }
