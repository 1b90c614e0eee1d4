"""Plots decode speed with and without prompt lookup from `gpu_engine_check.py` results (one bar group
per model and weight mode, rewrites and free text), next to the JSONs.

    python bench/plot_gpu_engine.py bench/results/gpu-engine-A.json [B.json ...] --out bench/results/x.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("results", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups, series = [], {}
    for path in args.results:
        run = json.loads(path.read_text())
        for mode in ("gguf", "bfloat16"):
            if mode not in run:
                continue
            groups.append(f"{Path(run['model']).stem}\n{mode}")
            for key in ("rewrites/none", "rewrites/prompt-lookup", "free/none", "free/prompt-lookup"):
                series.setdefault(key, []).append(run[mode][key]["tok_s"])
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series.items()):
        bars = ax.bar([x + i * width for x in range(len(groups))], values, width, label=label)
        ax.bar_label(bars, fmt="%.0f", fontsize=7)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(groups))], groups, fontsize=8)
    ax.set_ylabel("decode tokens/s (batch 1, 256 new tokens)")
    ax.set_title(f"{json.loads(args.results[0].read_text())['gpu']}: prompt lookup on the CUDA-graph path")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
