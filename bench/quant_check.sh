#!/usr/bin/env bash
# One device call for the quantized kernels: install, compile every module in parallel (CuPy's disk
# cache), the GPU tests, then the benchmark; logs and the results JSON land in $OUT.
#   bench/quant_check.sh [quant_bench.py args, e.g. --sweep]
set -uo pipefail
OUT=${OUT:-/tmp/kog-quant-check}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
python3 -m pip install -q --no-deps --no-build-isolation -e . >"$OUT/install.log" 2>&1 || { cat "$OUT/install.log"; exit 1; }
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv,noheader | tee "$OUT/gpu.txt"
status=0
t0=$SECONDS
python3 bench/quant_bench.py --warm-only >"$OUT/warm.log" 2>&1 || { status=1; tail -30 "$OUT/warm.log"; }
echo "compile: $((SECONDS - t0)) s"
t0=$SECONDS
timeout 330 python3 -m pytest -q -p no:cacheprovider -m gpu tests/kernels/test_quant_gemv.py \
  tests/engine/test_cuda_quant_weights.py >"$OUT/pytest.log" 2>&1 || status=1
echo "tests: $((SECONDS - t0)) s"
grep -E "^(FAILED|ERROR)|Error|assert" "$OUT/pytest.log" | head -30
tail -1 "$OUT/pytest.log"
t0=$SECONDS
timeout 240 python3 bench/quant_bench.py "$@" >"$OUT/bench.log" 2>&1 || status=1
echo "bench: $((SECONDS - t0)) s"
cp bench/results/quant-*.json "$OUT/" 2>/dev/null
tail -32 "$OUT/bench.log"
exit $status
