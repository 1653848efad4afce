"""How long the full `offline` profile takes to recompute per model, and how close to this CPU's peak.

For one offline model and every task setting of the `offline` profile: a sample of items is
scored by the engine exactly as `make run` scores it (fp32, default batching), timed, and its work
counted (:class:`helpers.core.scoring.WorkCounts`): positions run through the body (padding and
shared prefixes included), positions whose logits are computed. From these:

- *tokens/s*: request tokens scored (context + continuation of every distinct input, as the
  harness would run them) per second;
- *% of peak*: matmul FLOP rate (2 x non-embedding parameters per body position + 2 x vocab x width
  per scored position) over the rate of one large fp32 matmul on this CPU, measured first;
- *full run*: the profile's whole setting (all items) at the sample's measured time per token.

Prints a markdown table. The measured wall times of the real background run go beside it in
`benchmarks/RESULTS.md`.

    python benchmarks/bench_offline_profile.py --model offline:qwen2.5-coder-1.5b --sample 48
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from bench_scoring import harness_equivalent_positions, load_model, matmul_peak_flops  # noqa: E402

from helpers.core.models.params import split_parameter_count  # noqa: E402
from helpers.core.scoring import Scorer  # noqa: E402
from helpers.core.tasks import build_items  # noqa: E402
from helpers.experiments.config import load_profile  # noqa: E402


def run(model_spec: str, sample: int, threads: int | None) -> str:
    if threads:
        torch.set_num_threads(threads)
    peak = matmul_peak_flops(torch.device("cpu"), torch.float32)
    model, tokenizer = load_model(model_spec)
    _, non_embedding = split_parameter_count(model)
    config = model.config.get_text_config()
    head_flops = 2 * config.vocab_size * config.hidden_size
    lines = [
        f"{model_spec}: fp32, {torch.get_num_threads()} threads, matmul peak {peak / 1e9:.0f} GFLOP/s, "
        f"{non_embedding / 1e6:.0f}M non-embedding parameters",
        "",
        "| setting | sample items | s | tokens/s | % of peak | items in profile | full run (min) |",
        "|---|---|---|---|---|---|---|",
    ]
    total_minutes = 0.0
    for kind, setting in load_profile("offline").tasks.items():
        items = build_items(setting.task, shots=setting.shots, limit=setting.limit)
        chosen = items[:: max(1, len(items) // sample)][:sample]
        requests = [request for item in chosen for request in item.requests]
        scorer = Scorer(model, tokenizer, progress=False)
        scorer.score(requests[:8])  # warm-up
        start = time.perf_counter()
        scorer.score(requests)
        seconds = time.perf_counter() - start
        counts = scorer.last_counts
        tokens = harness_equivalent_positions(requests, scorer)
        flops = 2 * non_embedding * counts.padded + head_flops * counts.scored
        all_tokens = harness_equivalent_positions([r for item in items for r in item.requests], scorer)
        minutes = seconds / tokens * all_tokens / 60
        total_minutes += minutes
        lines.append(
            f"| {kind} ({setting.task}, {setting.shots}-shot) | {len(chosen)} | {seconds:.1f} | "
            f"{tokens / seconds:,.0f} | {100 * flops / seconds / peak:.0f}% | {len(items)} | {minutes:.0f} |"
        )
    lines.append(f"| **all settings** | | | | | | **{total_minutes:.0f}** |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="offline:smollm2-135m")
    parser.add_argument("--sample", type=int, default=48, help="items per setting (default 48)")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    print(run(args.model, args.sample, args.threads))
    return 0


if __name__ == "__main__":
    sys.exit(main())
