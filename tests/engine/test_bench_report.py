"""`kog-agent bench`'s report: its table and plot from the figures of any set of prompt lengths (no GPU)."""

from __future__ import annotations

from kog.engine.cuda.bench_suite import _plot_series, _table
from kog.engine.cuda.benchmark import roofline_bytes_per_s


def _timing(prompt: int, weights: str, tok_s: float) -> dict:
    return {
        "name": f"kog {weights} cuda graph + PDL", "prompt_len": prompt, "new_tokens": 256, "tok_s": tok_s,
        "ms_per_token": 1000 / tok_s, "bytes_per_token": 4e8, "gb_s": 4e8 * tok_s / 1e9,
        "roofline_pct": 10.0, "runs_ms": [], "weights": weights,
    }  # fmt: skip


def _report(prompts: list[int], peers_at: int | None) -> dict:
    peers = []
    if peers_at is not None:
        for name, tok_s in (("transformers eager", 10.0), ("transformers static cache + compile", 250.0)):
            peers.append({"name": name, "prompt_len": peers_at, "tok_s": tok_s})
    model = {
        "peers": peers, "kog": [_timing(p, "gguf", 1000.0 + p / 100) for p in prompts], "variants": [],
        "streamed_tok_s_512": {}, "gpu_memory_bytes": {}, "gemv": [],
    }  # fmt: skip
    return {
        "gpu": "GPU", "driver": "1", "torch": "2", "date": "2026-11-28T00:00:00", "commit": "abc",
        "read_bandwidth_gb_s": 3000.0, "roofline_bytes_per_s": 3.02e12, "roofline_source": "a check",
        "models": {"qwen2.5-coder-0.5b": model},
    }  # fmt: skip


def test_a_run_of_long_prompts_only_plots_them():
    prompt, series = _plot_series(_report([4096], peers_at=None))
    assert prompt == 4096
    assert series["kog CUDA graph, gguf (prompt 4096)"] == [1040.96]
    assert "4096" in _table(_report([4096], peers_at=None))


def test_the_plot_and_the_ratios_use_the_prompt_the_peers_ran_at():
    report = _report([512, 4096], peers_at=512)
    prompt, series = _plot_series(report)
    assert prompt == 512
    assert list(series) == [
        "transformers eager",
        "transformers static cache + compile",
        "kog CUDA graph, gguf (prompt 512)",
        "roofline, gguf bytes at 3.02 TB/s",
    ]
    ratio_lines = [line for line in _table(report).splitlines() if "-> x" in line]
    assert len(ratio_lines) == 1 and " 512 " in ratio_lines[0]
    assert "x100.5" in ratio_lines[0]  # 1,005.12 tok/s over eager's 10


def test_nothing_measured_gives_no_series():
    assert _plot_series(_report([], peers_at=None)) == (0, {})


def test_the_roofline_is_the_reference_h100_figure_there_and_the_runs_own_elsewhere():
    figure, source = roofline_bytes_per_s("NVIDIA H100 80GB HBM3", 2.8e12)
    assert figure == 3.02e12 and "H100" in source
    figure, source = roofline_bytes_per_s("NVIDIA H200", 4.0e12)
    assert figure == 4.0e12 and "this run" in source
    report = _report([512], peers_at=None)
    report["roofline_bytes_per_s"] = 4.0e12
    assert "roofline, gguf bytes at 4.00 TB/s" in _plot_series(report)[1]
    assert "roofline 4000 GB/s" in _table(report)
