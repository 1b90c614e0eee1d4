"""The engine: one loaded model, a runner with its KV cache, and streaming generation with prefix reuse."""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import torch

from kog.engine.api import (
    Alternative,
    Chunk,
    Completion,
    Message,
    ModelInfo,
    ProgressFn,
    SamplingParams,
    Stats,
    TokenScore,
)
from kog.engine.errors import DeviceError, InvalidSamplingError, PromptTooLongError
from kog.engine.gguf_file import QuantTensor
from kog.engine.loader import LoadedModel, load_model, load_stored_blocks
from kog.engine.models.blocks import DUAL_BLOCK_ROWS, KERNEL_MAX_ROWS, BlockWeight, DualWeight
from kog.engine.registry import ResolvedModel, kog_home, resolve_model
from kog.engine.runner_torch import TorchRunner
from kog.engine.sampling import make_generator, sample
from kog.engine.spec import Drafter
from kog.engine.spec.cost import AcceptanceEstimate, DraftPlanner
from kog.engine.spec.prompt_lookup import PromptLookupDrafter
from kog.engine.spec.verify import verify
from kog.engine.stops import StopMatcher
from kog.engine.tokenizer import StreamDecoder
from kog.kernels.cpu import GGUF_CODES, CpuKernelError, CpuMatvec, load_cpu_matvec

PREFILL_CHUNK = 512
DEFAULT_MAX_SEQ_LEN = 16384


def pick_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError(
            f"device {device!r} was asked for, but no CUDA GPU is available here (use --device cpu)"
        )
    if dev.type not in ("cpu", "cuda"):
        raise DeviceError(f"unknown device {device!r} (use auto, cpu or cuda)")
    return dev


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX); without it bf16 is slower than fp32."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def pick_dtype(device: torch.device, dtype: torch.dtype | str | None) -> torch.dtype:
    if dtype is None:
        return torch.bfloat16 if device.type == "cuda" or cpu_has_bf16() else torch.float32
    if isinstance(dtype, str):
        names = {
            "int8": torch.int8,
            "float32": torch.float32,
            "fp32": torch.float32,
            "bfloat16": torch.bfloat16,
            "bf16": torch.bfloat16,
            "float16": torch.float16,
            "fp16": torch.float16,
        }
        if dtype not in names:
            raise DeviceError(f"unknown dtype {dtype!r} (use float32, bfloat16, float16 or int8)")
        dtype = names[dtype]
    if dtype == torch.int8 and device.type != "cpu":
        raise DeviceError("int8 weights are the CPU path; on a GPU use bfloat16 (the default)")
    return dtype


DRAFTERS = ("auto", "prompt-lookup", "none")


def uses_stored_blocks(
    device: torch.device, dtype: torch.dtype | str | None, resolved: ResolvedModel
) -> bool:
    """Whether to run a GGUF file's quantized blocks as stored: the GPU default for GGUF models, and on
    the CPU when asked for (dtype "gguf", which needs the compiled CPU kernel)."""
    from kog.kernels import cuda_kernels_available

    if device.type == "cpu":
        if dtype != "gguf":
            return False
        if resolved.kind != "gguf":
            raise DeviceError("dtype 'gguf' (stored quantized blocks) needs a GGUF model")
        if cpu_matvec() is None:
            raise DeviceError("dtype 'gguf' on the CPU needs the compiled CPU kernel (a C compiler)")
        return True
    possible = device.type == "cuda" and resolved.kind == "gguf" and cuda_kernels_available()
    if dtype == "gguf" and not possible:
        raise DeviceError("dtype 'gguf' (stored quantized blocks) needs a CUDA GPU, CuPy and a GGUF model")
    return possible and dtype in (None, "gguf")


def make_runner(model: LoadedModel, device: torch.device, dtype: torch.dtype, max_seq_len: int):
    """The CUDA-graph runner on a GPU, the plain-torch runner elsewhere (and where CuPy is missing)."""
    if device.type == "cuda":
        from kog.kernels import cuda_kernels_available

        if cuda_kernels_available():
            from kog.engine.cuda.runner import CudaRunner

            if any(isinstance(w, QuantTensor) for w in model.weights.values()):
                from kog.engine.cuda.quant_weights import quant_linear

                return CudaRunner(
                    model.cfg, model.weights, max_seq_len, device=device, linear_factory=quant_linear
                )
            return CudaRunner(model.cfg, model.weights, max_seq_len, device=device)
        print(
            "kog-agent: CuPy is not installed, so the GPU runs the plain PyTorch path "
            "(pip install 'kog-agent[gpu]' for the CUDA kernels)",
            file=sys.stderr,
        )
    if device.type == "cpu" and any(isinstance(w, QuantTensor) for w in model.weights.values()):
        return TorchRunner(
            model.cfg, cpu_block_weights(model.weights), max_seq_len, torch.bfloat16, matvec=cpu_matvec()
        )
    weights = {k: v.to(device) for k, v in model.weights.items()}
    matvec = (
        cpu_matvec()
        if device.type == "cpu" and dtype in (torch.bfloat16, torch.float32, torch.int8)
        else None
    )
    return TorchRunner(model.cfg, weights, max_seq_len, dtype, matvec=matvec)


def uses_dual_weights(
    device: torch.device, dtype: object, picked: torch.dtype, resolved: ResolvedModel
) -> bool:
    """The CPU default for a GGUF model where the compiled kernel has an integer path: the dense weights
    (bf16 where the CPU computes it, else float32) plus the file's blocks, which decode steps read
    (`DualWeight`)."""
    if device.type != "cpu" or dtype is not None or resolved.kind != "gguf":
        return False
    if picked not in (torch.bfloat16, torch.float32):
        return False
    kernel = cpu_matvec()
    return kernel is not None and bool(kernel.block_paths & 1)


def dual_weights(dense: dict[str, object], stored: dict[str, object]) -> dict[str, object]:
    """`dense` (bf16 or float32) with every matrix the CPU kernel reads in `stored`
    (`load_stored_blocks`) paired with its blocks."""
    kernel = cpu_matvec()
    out = {}
    for name, w in dense.items():
        q = stored.get(name)
        if isinstance(q, QuantTensor) and q.qtype in GGUF_CODES and kernel is not None:
            # Beside float32, where AVX2's integer path takes every row count, the blocks take every
            # pass the kernel does, 8 rows at a time: the 0.5B on two AVX2 cores, ms a pass of 9 / 16 /
            # 24 rows, blocks 210 / 339 / 390 against float32's 712 / 684 / 709 (bench/NOTES.md).
            every = w.dtype == torch.float32 and kernel.block_paths & 8
            rows = KERNEL_MAX_ROWS if every else DUAL_BLOCK_ROWS
            w = DualWeight(w, BlockWeight.of(q.qtype, q.data, q.shape[1], kernel), rows)
        out[name] = w
    return out


def cpu_block_weights(weights: dict[str, object]) -> dict[str, object]:
    """The stored-block weights dict (`load_stored_blocks`) for the CPU: quantized matrices become
    `BlockWeight`s read by the CPU kernel, the rest stays as loaded."""
    kernel = cpu_matvec()
    if kernel is None:
        raise DeviceError("dtype 'gguf' on the CPU needs the compiled CPU kernel (a C compiler)")
    return {
        name: BlockWeight.of(w.qtype, w.data, w.shape[1], kernel) if isinstance(w, QuantTensor) else w
        for name, w in weights.items()
    }


@functools.cache
def cpu_matvec() -> CpuMatvec | None:
    """The compiled CPU matrix-vector kernel for bf16 and int8 weights, built on first use; None, said once on
    stderr, where it cannot be built. KOG_CPU_KERNELS=0 turns it off (plain torch, the reference)."""
    if os.environ.get("KOG_CPU_KERNELS", "1") == "0":
        return None
    try:
        return load_cpu_matvec(kog_home() / "kernels")
    except CpuKernelError as err:
        print(f"kog-agent: {err}; the CPU path uses PyTorch's matrix products", file=sys.stderr)
        return None


def make_drafter(name: str, engine: Engine | None = None) -> Drafter | None:
    """`name`: "none", "prompt-lookup", "draft:<model name or path>" (a smaller model with the same
    tokenizer), or "mtp" / "mtp:<heads file>" (MTP heads, by default beside the model file)."""
    if name == "none":
        return None
    if name == "prompt-lookup":
        return PromptLookupDrafter()
    if engine is not None and name.startswith("draft:"):
        from kog.engine.spec.draft_model import DraftModelDrafter, check_same_tokenizer

        draft = load_model(resolve_model(name.removeprefix("draft:")), engine.dtype)
        check_same_tokenizer(draft.tokenizer, engine.tokenizer, draft.name)
        runner = make_runner(draft, engine.device, engine.dtype, engine.max_seq_len)
        return DraftModelDrafter(runner, engine.cfg.vocab_size)
    if engine is not None and (name == "mtp" or name.startswith("mtp:")):
        from kog.engine.spec.mtp import MtpDrafter

        return MtpDrafter.attach(engine, name.partition(":")[2] or None)
    raise InvalidSamplingError(
        f"unknown drafter {name!r} (choose from {', '.join(DRAFTERS)}, draft:<model>, mtp or mtp:<file>)"
    )


class Engine:
    def __init__(
        self,
        model: LoadedModel,
        device: torch.device,
        dtype: torch.dtype,
        max_seq_len: int,
        draft: str = "prompt-lookup",
        progress: ProgressFn | None = None,
    ):
        self.model, self.tokenizer, self.cfg = model, model.tokenizer, model.cfg
        self.max_seq_len = min(max_seq_len, model.cfg.context_length)
        stored_blocks = any(isinstance(w, QuantTensor) for w in model.weights.values())
        dual = " + gguf blocks" if any(isinstance(w, DualWeight) for w in model.weights.values()) else ""
        self.runner = make_runner(model, device, dtype, self.max_seq_len)
        # NOTE: the runner holds its own (fused, device) copies; dropping the loaded dict halves peak memory.
        model.weights = {}
        # A runner that samples on the device hands back token ids, not logits, on plain decode steps.
        self._device_sampling = hasattr(self.runner, "decode_step")
        # Drafts per verify pass: the CUDA runner's graph-captured passes take at most `max_rows` tokens
        # (more would fall back to its prefill path), the last token plus the drafts.
        self._max_drafts = getattr(self.runner, "max_rows", 1 << 30) - 1
        self._acceptance = AcceptanceEstimate()
        self.info = ModelInfo(
            name=model.name,
            arch=model.cfg.arch,
            device=str(device),
            dtype="gguf blocks" if stored_blocks else str(dtype).removeprefix("torch.") + dual,
            context_length=self.max_seq_len,
            vocab_size=model.cfg.vocab_size,
            n_params=model.cfg.n_params(),
        )
        self._cached: list[int] = []  # tokens whose KV sits in the runner's cache, in order
        self.device, self.dtype = device, dtype
        if draft == "auto":  # rewrites 2-3x faster, free text within a few percent (bench/NOTES.md)
            draft = "prompt-lookup"
        self.drafter: Drafter | None = None
        self.set_drafter(draft, progress)
        if self.drafter is None and hasattr(self.runner, "prepare"):  # one-row graphs, built at load too
            self.runner.prepare(range(1, 2), progress=progress)
        self._lock = threading.Lock()

    def set_drafter(self, name: str, progress: ProgressFn | None = None) -> None:
        """Switches speculative decoding to drafter `name` (see `load`), "none" to turn it off. On the CUDA
        runner the verification graphs are built here (kernels compile on a machine's first run), not on
        the first drafted tokens."""
        self.drafter = make_drafter(name, self)
        self._acceptance.reset()
        if self.drafter is not None and hasattr(self.runner, "prepare"):
            self.runner.prepare(progress=progress)
            self._cached = []

    @classmethod
    def load(
        cls,
        model: str | Path,
        device: str = "auto",
        dtype: torch.dtype | str | None = None,
        progress: ProgressFn | None = None,
        max_seq_len: int | None = None,
        draft: str = "auto",
    ) -> Engine:
        """`dtype`: None picks per device: on a GPU a GGUF file's quantized blocks as stored ("gguf"), other
        models in bfloat16; on the CPU bfloat16 where the CPU computes it natively, else float32, and for a
        GGUF file the blocks too, which decode steps read through the compiled kernel; "int8" and "gguf"
        (the file's blocks alone) are CPU modes too. `draft`: "auto" (prompt lookup), "prompt-lookup", "none",
        "draft:<model>", "mtp" or "mtp:<heads file>"."""
        dev = pick_device(device)
        resolved = resolve_model(model, progress)
        if uses_stored_blocks(dev, dtype, resolved):
            loaded, dt = load_stored_blocks(resolved, progress), torch.bfloat16
        else:
            dt = pick_dtype(dev, None if dtype == "gguf" else dtype)
            loaded = load_model(resolved, dt, progress)
            if uses_dual_weights(dev, dtype, dt, resolved):
                loaded.weights = dual_weights(loaded.weights, load_stored_blocks(resolved).weights)
        return cls(loaded, dev, dt, max_seq_len or DEFAULT_MAX_SEQ_LEN, draft, progress)

    # -- prompts ---------------------------------------------------------------------------------
    def render(self, prompt: str | Sequence[Message]) -> str:
        if isinstance(prompt, str):
            return prompt
        return self.model.chat_template.render(list(prompt), add_generation_prompt=True)

    def encode(self, prompt: str | Sequence[Message]) -> list[int]:
        return self.tokenizer.encode(self.render(prompt))

    def count_tokens(self, prompt: str | Sequence[Message]) -> int:
        return len(self.encode(prompt))

    # -- generation ------------------------------------------------------------------------------
    def generate(self, prompt: str | Sequence[Message], params: SamplingParams | None = None) -> Completion:
        texts, ids, last = [], [], None
        for chunk in self.stream(prompt, params or SamplingParams()):
            texts.append(chunk.text)
            ids.extend(chunk.token_ids)
            last = chunk
        assert last is not None and last.stats is not None
        return Completion("".join(texts), tuple(ids), last.finish_reason or "stop", last.stats)

    def stream(
        self, prompt: str | Sequence[Message], params: SamplingParams | None = None, begun: Sequence[int] = ()
    ) -> Iterator[Chunk]:
        """The reply to `prompt`, streamed; `begun`: token ids the reply starts with, which it continues
        (they are not streamed back)."""
        params = params or SamplingParams()
        with self._lock:
            yield from self._stream(self.encode(prompt) + list(begun), params)

    def score(self, prompt: str | Sequence[Message], reply: Sequence[int], top: int = 5) -> list[TokenScore]:
        """Each token of `reply` (token ids after `prompt`) with its log-probability and the `top` most
        likely tokens at its place, from one teacher-forced pass (the prompt's cached prefix reused)."""
        if not reply:
            return []
        with self._lock:
            ids = self.encode(prompt) or [self.tokenizer.bos_id if self.tokenizer.bos_id is not None else 0]
            full = ids + list(reply)
            if len(full) > self.max_seq_len:
                raise PromptTooLongError(
                    f"the prompt and reply are {len(full)} tokens; the context holds {self.max_seq_len}"
                )
            # Logits at positions len(ids) - 1 .. len(full) - 2 predict the reply's tokens.
            first = len(ids) - 1
            start = min(_shared_prefix(self._cached, full), first)
            self._cached = full[:start]
            rows: list[torch.Tensor] = []
            step = getattr(self.runner, "prefill_chunk", PREFILL_CHUNK)
            for begin in range(start, len(full) - 1, step):
                chunk = full[begin : min(begin + step, len(full) - 1)]
                logits = self.runner.forward(torch.tensor(chunk), begin)
                rows.append(torch.log_softmax(logits[max(first - begin, 0) :].float(), dim=-1).cpu())
                self._cached.extend(chunk)
        logprobs = torch.cat(rows)
        best = logprobs.topk(min(top, logprobs.shape[1]), dim=-1)
        decoder, out = StreamDecoder(self.tokenizer), []
        texts = [decoder.push(t) for t in reply]
        texts[-1] += decoder.flush()
        for i, token in enumerate(reply):
            alternatives = tuple(
                Alternative(a, self.tokenizer.decode([a]), v)
                for a, v in zip(best.indices[i].tolist(), best.values[i].tolist(), strict=True)
            )
            out.append(TokenScore(token, texts[i], logprobs[i, token].item(), alternatives))
        return out

    def _stream(self, ids: list[int], params: SamplingParams) -> Iterator[Chunk]:
        t0 = time.perf_counter()
        if not ids:
            ids = [self.tokenizer.bos_id if self.tokenizer.bos_id is not None else 0]
        if len(ids) >= self.max_seq_len:
            raise PromptTooLongError(
                f"the prompt is {len(ids)} tokens; the context holds {self.max_seq_len} (prompt plus output)"
            )
        max_new = min(params.max_tokens, self.max_seq_len - len(ids))
        stats = Stats(prompt_tokens=len(ids))
        gen = make_generator(params.seed, "cpu")
        if self._device_sampling:
            self.runner.set_sampling(params.temperature, params.top_p, params.top_k, params.seed)
        logits = self._prefill(ids, stats)
        token = sample(logits[-1], params, gen)
        stats.prefill_s = stats.ttft_s = time.perf_counter() - t0
        t_decode = time.perf_counter()
        decoder, stops = StreamDecoder(self.tokenizer), StopMatcher(tuple(params.stop))
        context = list(ids)  # prompt and output, what drafters look in
        drafter, planner = self.drafter, None
        if drafter is not None:
            drafter.reset()
            if hasattr(drafter, "set_sampling"):  # stochastic drafters draw from their own q
                drafter.set_sampling(params, gen)
            pass_cost = getattr(self.runner, "pass_cost", None)
            planner = DraftPlanner(drafter, pass_cost, self._max_drafts, self._acceptance)
        # Each chosen token is handed out before the model runs on it, so an end-of-sequence token or a
        # stop string ends the call without a pass whose result nobody reads.
        finish, pending = None, [token]
        while True:
            for out in pending:
                stats.generated_tokens += 1
                context.append(out)
                if out in self.tokenizer.eos_ids:
                    finish = "stop"
                    break
                text, hit = stops.feed(decoder.push(out))
                if hit:
                    finish = "stop"
                yield Chunk(text, (out,))
                if finish:
                    break
            if finish is None and stats.generated_tokens >= max_new:
                finish = "length"
            if finish is not None:
                break
            # The last token handed out is not yet in the cache: run it, with drafts after it.
            token, room = pending[-1], max_new - stats.generated_tokens
            drafts = planner.drafts(context, room) if planner is not None else []
            stats.forward_passes += 1
            if not drafts:
                pending = [self._plain_step(token, params, gen)]
                continue
            logits = self.runner.forward(torch.tensor([token, *drafts]), len(self._cached))
            accepted, following = verify(logits, drafts, params, gen, drafter.draft_probs())
            self._cached.extend([token, *drafts[:accepted]])
            planner.observe(accepted, len(drafts))
            stats.drafted += len(drafts)
            stats.accepted += accepted
            _count_by_position(stats, accepted, len(drafts))
            pending = [*drafts[:accepted], following]
        stats.decode_s = time.perf_counter() - t_decode
        tail = stops.feed(decoder.flush())[0] if finish == "length" else ""
        yield Chunk(tail + stops.flush(), (), finish, stats)

    def _plain_step(self, token: int, params: SamplingParams, gen: torch.Generator) -> int:
        """Runs `token` at the next position; returns the token after it."""
        pos = len(self._cached)
        if self._device_sampling:
            following = self.runner.decode_step(token, pos)
        else:
            following = sample(self.runner.forward(torch.tensor([token]), pos)[-1], params, gen)
        self._cached.append(token)
        return following

    def _prefill(self, ids: list[int], stats: Stats) -> torch.Tensor:
        # Reuse the KV of the longest shared prefix; at least one token is recomputed for its logits.
        reuse = _shared_prefix(self._cached, ids[:-1])
        stats.reused_tokens = reuse
        self._cached = ids[:reuse]
        logits = None
        step = getattr(self.runner, "prefill_chunk", PREFILL_CHUNK)
        for start in range(reuse, len(ids), step):
            chunk = ids[start : start + step]
            logits = self.runner.forward(torch.tensor(chunk), start, last_only=True)
            self._cached.extend(chunk)
        assert logits is not None
        return logits


def _shared_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _count_by_position(stats: Stats, accepted: int, proposed: int) -> None:
    while len(stats.accepted_by_position) < proposed:
        stats.accepted_by_position.append(0)
    for i in range(accepted):
        stats.accepted_by_position[i] += 1
