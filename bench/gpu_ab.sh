#!/usr/bin/env bash
# One device call comparing source trees on one GPU: each tree (a copy of the repository, e.g. a
# `git archive` of the base commit beside the working tree) is installed in turn and its one-row
# decode timed with graph replay, round after round, so every figure of a comparison comes from the
# same machine and minutes. Optionally then: GPU tests on one tree, per-kernel times, pass costs of
# 1..8 rows, the kernels' timeline (bench/timeline.py; its first tree compiles every kernel again,
# ~1-2 minutes). Logs land in $OUT.
#   TREES=".base .new" [ROUNDS=2] [WEIGHTS="gguf bf16"] [TESTTREE=.new TESTS="tests/..." [TESTK="q5_0 or q8_0"]]
#   [PROFTREE=.new] [ROWSTREES=".base .new"] [TIMELINETREES=".base .new"]
#   [BENCHARGS="--cache 16384" TAG=c16k-] [MODELS="qwen2.5-coder-0.5b ..."] [NOPEERS= (run the peers too)]
#   [CHECKTREES=".new" CHECKMODELS="/root/m/a.gguf ..." CHECKMODES="gguf"] bench/gpu_ab.sh
# CHECKTREES: the real-weight check (bench/gpu_engine_check.py: greedy identity and teacher-forced
# agreement against the float32 reference, one rewrite) of each tree on each model file; random
# weights time a change, only real ones show a step that computes the wrong thing.
set -uo pipefail
OUT=${OUT:-/tmp/kog-gpu-ab}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
python3 -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
ROOT=$(pwd)
MODELS=${MODELS:-"qwen2.5-coder-1.5b qwen2.5-coder-0.5b"}  # in this order in each process
install() { (cd "$ROOT/$1" && python3 -m pip install -q --no-deps --no-build-isolation -e . >/dev/null 2>&1); }
for round in $(seq 1 "${ROUNDS:-2}"); do
  for tree in ${TREES:-}; do
    install "$tree"
    (cd "$ROOT/$tree" && KOG_COMMIT=$tree timeout 200 python3 bench/gpu_bench.py --model $MODELS \
      --weights ${WEIGHTS:-gguf} --prompt 512 ${NOPEERS---no-peers} ${BENCHARGS:-} --out /tmp/kog-ab-results 2>&1 | grep -v -i warn) \
      >"$OUT/bench-${TAG:-}$round$tree.log"
    grep -E "^(0.5b|1.5b) (gguf|bf16) cuda|gemv GB" "$OUT/bench-${TAG:-}$round$tree.log" | sed "s/^/${TAG:-}$round $tree /"
  done
done
if [[ -n "${TESTTREE:-}" ]]; then
  install "$TESTTREE"
  testk=()
  [[ -n "${TESTK:-}" ]] && testk=(-k "$TESTK")
  (cd "$ROOT/$TESTTREE" && timeout "${TESTTIME:-300}" python3 -m pytest -q -m gpu -p no:cacheprovider ${TESTS:-tests} \
    "${testk[@]}" >"$OUT/pytest.log" 2>&1)
  tail -1 "$OUT/pytest.log"
  grep -E "^(FAILED|ERROR)" "$OUT/pytest.log" | head -20
fi
if [[ -n "${PROFTREE:-}" ]]; then
  install "$PROFTREE"
  (cd "$ROOT/$PROFTREE" && timeout 200 python3 bench/profile_step.py --model $MODELS --weights ${WEIGHTS:-gguf} \
    --steps 10 2>&1 | grep -v -i warn) >"$OUT/profile.log"
  head -30 "$OUT/profile.log"
fi
for tree in ${ROWSTREES:-}; do
  install "$tree"
  (cd "$ROOT/$tree" && timeout 200 python3 bench/profile_step.py --model $MODELS --weights gguf --rows 8 --steps 3 \
    2>&1 | grep -v -i warn) >"$OUT/rows-$tree.log"
  grep "ms per graph" "$OUT/rows-$tree.log" | sed "s/^/$tree /"
done
for tree in ${TIMELINETREES:-}; do
  install "$tree"
  (cd "$ROOT/$tree" && timeout 300 python3 bench/timeline.py --model $MODELS --weights ${WEIGHTS:-gguf} --steps 24 \
    2>&1 | grep -v -i warn) >"$OUT/timeline-$tree.log"
  grep -E "launches a step|^ +[0-9.]+ +[0-9]+ " "$OUT/timeline-$tree.log" | head -40 | sed "s/^/$tree /"
done
for tree in ${CHECKTREES:-}; do
  install "$tree"
  for model in ${CHECKMODELS:-}; do
    log="$OUT/check-${tree#.}-$(basename "$model" .gguf).log"
    (cd "$ROOT/$tree" && KOG_COMMIT=$tree timeout 300 python3 bench/gpu_engine_check.py "$model" --rewrites 1 \
      --modes ${CHECKMODES:-gguf} 2>&1 | grep -v -i warn) >"$log"
    grep -E "runner|identity" "$log" | sed "s/^/$tree $(basename "$model") /"
  done
  cp "$ROOT/$tree"/bench/results/gpu-engine-*.json "$OUT/" 2>/dev/null
done
