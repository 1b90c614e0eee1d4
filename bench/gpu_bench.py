"""GPU decode benchmark: the CUDA runner, the bandwidth roofline, and the transformers peers
(eager; static cache + torch.compile reduce-overhead) measured in the same run.

    python bench/gpu_bench.py --model qwen2.5-coder-1.5b --prompt 512 4096 --new-tokens 256

Same options as `kog-agent bench`; results go to bench/results/gpu-<date>-<commit>.json (+ .png).
"""

import sys

from kog.engine.cuda.bench_suite import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
