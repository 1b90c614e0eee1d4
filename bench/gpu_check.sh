#!/usr/bin/env bash
# One device call: install, the GPU tests, then the benchmark. Logs and results land in $OUT.
#   bench/gpu_check.sh [warm] [tests] [bench] -- <gpu_bench.py args>
set -uo pipefail
OUT=${OUT:-/tmp/kog-gpu-check}
mkdir -p "$OUT"
started=$(mktemp)  # results written after this are the run's own
export PYTHONUNBUFFERED=1
stages=()
while [[ $# -gt 0 && $1 != "--" ]]; do stages+=("$1"); shift; done
[[ ${1:-} == "--" ]] && shift
python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
python3 -m pip install -q --no-deps --no-build-isolation -e . >"$OUT/install.log" 2>&1 || { cat "$OUT/install.log"; exit 1; }
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv >"$OUT/gpu.txt" 2>&1
cat "$OUT/gpu.txt"
status=0
for stage in "${stages[@]}"; do
  case $stage in
    warm)
      python3 bench/warm_kernels.py 2>&1 | tail -3 ;;
    tests)
      timeout 420 python3 -m pytest -q -m gpu -p no:cacheprovider tests/kernels tests/engine/test_cuda_runner.py \
        tests/engine/test_cuda_quant_weights.py >"$OUT/pytest.log" 2>&1 || status=1
      grep -E "passed|failed|error" "$OUT/pytest.log" | tail -3
      grep -E "^(FAILED|ERROR)" "$OUT/pytest.log" | head -40 ;;
    bench)
      python3 bench/gpu_bench.py "$@" 2>&1 | tee "$OUT/bench.log" | grep -v "^\s*$" | tail -40 || status=1
      find bench/results -name "gpu-*" -newer "$started" -exec cp {} "$OUT/" \; ;;
  esac
done
exit $status
