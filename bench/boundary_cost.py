"""What one hand-over between dependent phases costs on this GPU: a kernel boundary inside a replayed
CUDA graph (with and without programmatic dependent launch) against a grid-wide barrier inside one
persistent kernel. The number that says whether a decode step built as one persistent kernel (grid
barriers between its ~7 phases a layer) could beat the chain of launches it is now.

Every phase has the shape of a decode kernel without its work: each block reads `width` floats the
previous phase wrote (through L2), sums them, and writes its share of the next phase's input. One
block of 256 threads an SM, so the persistent grid is resident at once.

    python bench/boundary_cost.py [--phases 256] [--widths 0 1536 8960] [--repeats 5]

Prints microseconds a phase for each variant and width, and writes
bench/results/boundary-<date>-<commit>.json (GPU, driver, torch, commit, date, every figure).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

import cupy
import torch

from kog.kernels.build import expand_includes
from kog.kernels.launch import i32, launch, ptr, sm_count

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_facts  # noqa: E402

KERNELS = r"""
// One phase: every block reads the `width` floats the previous phase wrote, and its threads 0.. write
// out[j] for the j of this block's stripe (every j < width once over the grid).
__device__ __forceinline__ void boundary_phase(const float* in, float* out, int width) {
  __shared__ float red[32];
  float s = 0.f;
  for (int i = threadIdx.x; i < width; i += blockDim.x) s += load_cg(in + i);
  s = warp_sum(s);
  if (threadIdx.x % KOG_WARP == 0) red[threadIdx.x / KOG_WARP] = s;
  __syncthreads();
  float t = 0.f;
  for (int w = 0; w < (int)blockDim.x / KOG_WARP; ++w) t += red[w];
  for (int j = blockIdx.x * blockDim.x + threadIdx.x; j < width; j += gridDim.x * blockDim.x) out[j] = t * 1e-6f + j;
  __syncthreads();
}

// A phase as a kernel of a PDL chain: releasing the next one at entry (EARLY) or after its work.
extern "C" __global__ void boundary_step_early(const float* in, float* out, int width) {
  kog_allow_next_grid();
  kog_wait_prior_grid();
  boundary_phase(in, out, width);
}

extern "C" __global__ void boundary_step_late(const float* in, float* out, int width) {
  kog_wait_prior_grid();
  boundary_phase(in, out, width);
  kog_allow_next_grid();
}

// All phases in one kernel, a grid-wide barrier after each: a counter that only grows, each block
// adding one a phase and waiting until it reaches (phases done) x (blocks).
extern "C" __global__ void boundary_persistent(float* a, float* b, int width, int phases, unsigned int* count) {
  for (int p = 0; p < phases; ++p) {
    boundary_phase(p & 1 ? b : a, p & 1 ? a : b, width);
    if (threadIdx.x == 0) {
      __threadfence();
      atomicAdd(count, 1u);
      const unsigned int target = (unsigned int)(p + 1) * gridDim.x;
      unsigned int seen = 0;
      while (seen < target) asm volatile("ld.acquire.gpu.global.u32 %0, [%1];" : "=r"(seen) : "l"(count) : "memory");
    }
    __syncthreads();
  }
}
"""


def _module() -> cupy.RawModule:
    return cupy.RawModule(code=expand_includes("common.cuh") + KERNELS, options=("-std=c++17",))


def _time(fn, repeats: int) -> float:
    """Median seconds of fn() over `repeats` runs on torch's current stream."""
    times = []
    for _ in range(repeats):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) / 1e3)
    return statistics.median(times)


def measure(phases: int, width: int, repeats: int) -> dict[str, float]:
    """Microseconds a phase of each variant."""
    module = _module()
    blocks, threads = sm_count(torch.cuda.current_device()), 256
    a = torch.zeros(max(width, 1), device="cuda")
    b = torch.zeros_like(a)
    count = torch.zeros(1, dtype=torch.int32, device="cuda")
    results = {}
    for name, kernel, pdl in (
        ("graph, PDL, release at entry", "boundary_step_early", True),
        ("graph, PDL, release after the work", "boundary_step_late", True),
        ("graph, no PDL", "boundary_step_late", False),
    ):
        fn = module.get_function(kernel)

        def chain(fn=fn, pdl=pdl) -> None:
            for p in range(phases):
                src, dst = (b, a) if p & 1 else (a, b)
                launch(fn, (blocks, 1, 1), (threads, 1, 1), [ptr(src), ptr(dst), i32(width)], pdl=pdl)

        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            chain()
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph, stream=stream):
                chain()
        torch.cuda.current_stream().wait_stream(stream)
        graph.replay()
        results[name] = _time(graph.replay, repeats) / phases * 1e6
    persistent = module.get_function("boundary_persistent")

    def run() -> None:
        count.zero_()
        launch(
            persistent, (blocks, 1, 1), (threads, 1, 1), [ptr(a), ptr(b), i32(width), i32(phases), ptr(count)]
        )

    run()
    # the zeroing of the counter is timed too: one small kernel over all the phases
    results["persistent kernel, grid barrier"] = _time(run, repeats) / phases * 1e6
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phases", type=int, default=256)
    ap.add_argument("--widths", type=int, nargs="+", default=[0, 1536, 8960])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results"))
    args = ap.parse_args()
    props = torch.cuda.get_device_properties(torch.cuda.current_device())
    driver = subprocess.run(
        ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"], capture_output=True, text=True
    ).stdout.strip()
    report = {
        **machine_facts(),
        "gpu": props.name,
        "driver": driver,
        "sms": props.multi_processor_count,
        "phases": args.phases,
        "cases": [],
    }
    print(
        f"{props.name}  driver {driver}  commit {report['commit']}  {args.phases} phases, 1 block of 256 an SM"
    )
    print(f"{'variant':40s} " + " ".join(f"{'w=' + str(w):>9s}" for w in args.widths) + "   (us a phase)")
    table: dict[str, list[float]] = {}
    for width in args.widths:
        for name, us in measure(args.phases, width, args.repeats).items():
            table.setdefault(name, []).append(us)
            report["cases"].append({"variant": name, "width": width, "us_per_phase": us})
    for name, values in table.items():
        print(f"{name:40s} " + " ".join(f"{v:9.2f}" for v in values))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"boundary-{report['date'][:10]}-{report['commit']}.json"
    path.write_text(json.dumps(report, indent=1))
    print(f"saved {path}")


if __name__ == "__main__":
    main()
