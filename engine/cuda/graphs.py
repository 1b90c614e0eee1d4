"""CUDA graphs of `DecodeStep` passes, captured on first use per (rows, mode, short context or not) and
replayed after."""

from __future__ import annotations

import torch

from kog.engine.cuda.step import DecodeStep, StepMode

_WARMED: set[int] = set()


def _warm_graphs(device: int) -> None:
    """Two graphs of one small kernel, captured and replayed before a process's first step graph: the
    first two graphs a process instantiates replay the step at another speed than every later one
    (0.5B 8% slower, 1.5B 1% faster on an H200; bench/NOTES.md, "The step's small buffers in one
    allocation"), and the engine with a drafter captures its verification graphs first, so this puts
    every path on the speed the default engine runs at."""
    if device in _WARMED:
        return
    _WARMED.add(device)
    t = torch.zeros(256, device=f"cuda:{device}")
    for _ in range(2):
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            t.add_(1)
        g.replay()
    torch.cuda.synchronize(device)


class StepGraphs:
    def __init__(self, step: DecodeStep, *, enabled: bool = True) -> None:
        self.step, self.enabled = step, enabled
        self._graphs: dict[tuple[int, StepMode, bool], torch.cuda.CUDAGraph] = {}
        self._pool: tuple[int, int] | None = None

    def run(self, n: int, mode: StepMode, short: bool = False) -> None:
        """One pass on the current stream: a graph replay, or the launches themselves when disabled.
        `short`: the pass ends within the step's `short_context` positions (see `DecodeStep.record`)."""
        if not self.enabled:
            self.step.record(n, mode, short)
            return
        graph = self._graphs.get((n, mode, short))
        if graph is None:
            graph = self._capture(n, mode, short)
        graph.replay()

    def _capture(self, n: int, mode: StepMode, short: bool) -> torch.cuda.CUDAGraph:
        bufs = self.step.bufs
        _warm_graphs(bufs.x.device.index)
        state, ids = bufs.state.clone(), bufs.ids.clone()
        # A first pass outside the capture builds the kernels and warms torch's own ops; it writes the
        # KV rows the replay rewrites, and advances the step state, which is put back.
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            self.step.record(n, mode, short)
        torch.cuda.current_stream().wait_stream(side)
        bufs.state.copy_(state)
        bufs.ids.copy_(ids)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, pool=self._pool):
            self.step.record(n, mode, short)
        self._pool = graph.pool()
        self._graphs[(n, mode, short)] = graph
        return graph
