"""Decode speed of the CUDA runner, the bandwidth ceiling it is judged against, and GEMV bandwidth."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass

import torch

from kog.engine.config import ModelConfig
from kog.engine.cuda.runner import CudaRunner
from kog.kernels import gemv

# Read bandwidth (bytes/s) measured on the GPU the project's targets are stated for, the H100 80GB HBM3
# (bench/NOTES.md); a run's own check reads it 5-10% lower. Any other GPU is judged against the
# bandwidth its run measures (read_bandwidth), so that `% of roofline` means the same on an H200.
KNOWN_READ_BANDWIDTH = {"NVIDIA H100 80GB HBM3": 3.02e12}


def roofline_bytes_per_s(gpu: str, measured: float) -> tuple[float, str]:
    """The bandwidth a run's `% of roofline` divides by, and where the figure comes from."""
    if gpu in KNOWN_READ_BANDWIDTH:
        return KNOWN_READ_BANDWIDTH[gpu], f"measured on the {gpu} the targets are stated for"
    return measured, "this run's read-bandwidth check"


@dataclass(frozen=True)
class DecodeTiming:
    name: str
    prompt_len: int
    new_tokens: int
    tok_s: float
    ms_per_token: float
    bytes_per_token: float
    gb_s: float
    roofline_pct: float
    runs_ms: list[float]

    def as_dict(self) -> dict:
        return asdict(self)


def kv_bytes_per_token(cfg: ModelConfig, context: float) -> float:
    """KV cache bytes a step reads at this context, plus the row it writes (bf16 K and V)."""
    per_position = 2 * cfg.n_layers * cfg.kv_size * 2
    return per_position * (context + 1)


def decode_timing(
    name: str, runner: CudaRunner, prompt_len: int, new_tokens: int, *, roofline: float, repeats: int = 5
) -> DecodeTiming:
    """Times `new_tokens` graph-replayed decode steps after a random prompt, with no host sync inside;
    `roofline`: the bytes/s its `roofline_pct` is of (roofline_bytes_per_s)."""
    cfg = runner.cfg
    g = torch.Generator(device=runner.device).manual_seed(1)
    prompt = torch.randint(0, cfg.vocab_size, (prompt_len,), generator=g, device=runner.device)
    token = int(runner.forward(prompt, 0, last_only=True)[-1].argmax())
    runner.decode(min(8, new_tokens), token=token, pos=prompt_len)  # capture + warm-up
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    runs = []
    for _ in range(repeats):
        runner.start(token, prompt_len)
        torch.cuda.synchronize()
        start.record()
        runner.decode(new_tokens)
        end.record()
        end.synchronize()
        runs.append(start.elapsed_time(end))
    ms = statistics.median(runs) / new_tokens
    nbytes = runner.weights.weight_bytes() + kv_bytes_per_token(cfg, prompt_len + new_tokens / 2)
    gb_s = nbytes / (ms * 1e-3) / 1e9
    return DecodeTiming(
        name=name, prompt_len=prompt_len, new_tokens=new_tokens, tok_s=1000 / ms, ms_per_token=ms,
        bytes_per_token=nbytes, gb_s=gb_s, roofline_pct=100 * gb_s * 1e9 / roofline, runs_ms=runs,
    )  # fmt: skip


def streamed_tok_s(runner: CudaRunner, prompt_len: int, new_tokens: int) -> float:
    """Tokens/s when the host reads every token as it comes (the agent's streaming path)."""
    token = int(runner.forward(torch.zeros(prompt_len, dtype=torch.long), 0, last_only=True)[-1].argmax())
    list(runner.stream(8, token=token, pos=prompt_len))
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    n = sum(1 for _ in runner.stream(new_tokens, token=token, pos=prompt_len))
    end.record()
    end.synchronize()
    return n / (start.elapsed_time(end) / 1000)


def read_bandwidth(gib: float = 1.0) -> float:
    """Bytes/s of a bf16 sum over a buffer far larger than L2 (the ceiling GEMVs are compared to)."""
    t = torch.randn(int(gib * 2**30) // 2, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        t.sum()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    runs = []
    for _ in range(10):
        start.record()
        t.sum()
        end.record()
        end.synchronize()
        runs.append(start.elapsed_time(end))
    return t.numel() * 2 / (statistics.median(runs) / 1000)


def gemv_bandwidth(rows: int, k: int, *, pdl: bool, graph_len: int = 20) -> dict:
    """GB/s of the bf16 GEMV and of torch's F.linear on one shape, as a graph of back-to-back launches
    over enough weight copies that every launch reads from DRAM, not L2."""
    copies = max(2, -(-256 * 2**20 // (rows * k * 2)))
    ws = [torch.randn(rows, k, device="cuda").to(torch.bfloat16) for _ in range(copies)]
    x = torch.randn(1, k, device="cuda")
    xb = x.to(torch.bfloat16)
    out = torch.empty(1, rows, device="cuda")

    def timed(launch) -> float:
        launch(0)
        torch.cuda.synchronize()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            for i in range(graph_len):
                launch(i)
        graph.replay()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        runs = []
        for _ in range(10):
            start.record()
            graph.replay()
            end.record()
            end.synchronize()
            runs.append(start.elapsed_time(end) / graph_len)
        return statistics.median(runs)

    ours = timed(lambda i: gemv(ws[i % copies], x, out=out, pdl=pdl))
    theirs = timed(lambda i: torch.nn.functional.linear(xb, ws[i % copies]))
    nbytes = rows * k * 2
    return {
        "rows": rows,
        "k": k,
        "us": ours * 1e3,
        "gb_s": nbytes / ours / 1e6,
        "torch_us": theirs * 1e3,
        "torch_gb_s": nbytes / theirs / 1e6,
    }
