"""The CUDA runner: custom kernels, one-graph decode steps, on-device sampling; and its benchmark."""

from kog.engine.cuda.bench_suite import add_arguments as add_bench_arguments
from kog.engine.cuda.bench_suite import run_suite as run_bench
from kog.engine.cuda.linear import Bf16Linear, LinearFactory, LinearWeight
from kog.engine.cuda.runner import CudaRunner

__all__ = ["Bf16Linear", "CudaRunner", "LinearFactory", "LinearWeight", "add_bench_arguments", "run_bench"]
