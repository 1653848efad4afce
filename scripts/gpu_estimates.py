"""Estimated GPU time per Pythia/OPT model for the paper profile's task settings (README table).

    python scripts/gpu_estimates.py [--tflops 125]

Request tokens are counted with each family's bundled tokenizer (context + continuation of every
request, as lm-evaluation-harness scores them, no sharing); time = 2 x total parameters x tokens
/ the sustained rate (default 125 TFLOP/s: 40% of an A100's bf16 peak). The harness shares no
prefixes, so these are upper bounds for `lm_eval`; our engine needs fewer FLOPs on the 5-shot
settings (README: speed). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import sys

from helpers.core.models import family_tokenizer, registry_param_counts
from helpers.core.tasks import build_items
from helpers.experiments.config import load_profile


def tokens(family: str, settings) -> int:
    tokenizer = family_tokenizer(family)
    total = 0
    for setting in settings:
        if setting.task == "qqp":  # not bundled here: ~40,000 pairs of ~60 tokens each, two choices
            total += (setting.limit or 40_430) * 2 * 60
            continue
        items = build_items(setting.task, shots=setting.shots, limit=setting.limit)
        texts = [r.context + r.continuation for item in items for r in item.requests]
        total += sum(len(ids) for ids in tokenizer(texts)["input_ids"])
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tflops", type=float, default=125.0, help="sustained TFLOP/s (default 125)")
    args = parser.parse_args(argv)
    profile = load_profile("paper")
    counts = registry_param_counts().set_index("name")
    per_family = {family: tokens(family, profile.tasks.values()) for family in ("pythia", "opt")}
    print(f"| model | parameters | request tokens | minutes at {args.tflops:g} TFLOP/s |")
    print("|---|---|---|---|")
    for family, sources in profile.families.items():
        for name in sources:
            n = int(counts.loc[name, "n_params_total"])
            minutes = 2 * n * per_family[family] / (args.tflops * 1e12) / 60
            print(f"| {name} | {n / 1e9:.2f}B | {per_family[family] / 1e6:.1f}M | {minutes:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
