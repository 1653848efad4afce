"""Throughput of helpers.scoring against lm-evaluation-harness's HFLM on the same requests.

Same model object, same process, runs alternated (ours, harness, ours, harness, ...) and the
best of ``--repeats`` kept for each, so machine load hits both alike. Also checks parity on
every request (max |logprob difference| and greedy-flag agreement). Prints a markdown table.

    python benchmarks/bench_scoring.py                                  # random:pythia-160m
    python benchmarks/bench_scoring.py --model offline:smollm2-135m --limit 20

Peak RSS is the high-water mark of the process's resident memory *above the level before the
call*, sampled every 5 ms by a thread (so it covers torch's allocations, which tracemalloc
does not see).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from dataclasses import dataclass

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import psutil  # noqa: E402
import torch  # noqa: E402

from helpers.requests import Request  # noqa: E402
from helpers.scoring import Scorer  # noqa: E402
from helpers.tasks import build_items  # noqa: E402

WORKLOADS = {  # name -> (task, shots)
    "MMLU-math 5-shot (letter)": ("mmlu_math", 5),
    "arithmetic 0-shot": ("arithmetic", 0),
    "MRPC 0-shot": ("mrpc", 0),
}


@dataclass
class Timing:
    seconds: float
    peak_rss_mb: float


class PeakRss:
    """Context manager sampling this process's RSS; ``.peak_mb`` = rise above the start."""

    def __init__(self, interval: float = 0.005):
        self.interval, self.process = interval, psutil.Process()

    def __enter__(self):
        self.start = self.peak = self.process.memory_info().rss
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.peak_mb = (self.peak - self.start) / 2**20


def load_model(spec: str):
    """``random:<registry name>``, ``offline:<offline name>`` or a local HF directory."""
    if spec.startswith("random:"):
        from helpers.models.random_init import build_random_model

        return build_random_model(spec.split(":", 1)[1])
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if spec.startswith("offline:"):
        from helpers.offline import model_dir

        path = model_dir(spec.split(":", 1)[1])
    else:
        path = spec
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    return model, AutoTokenizer.from_pretrained(path)


def timed(fn) -> tuple[Timing, object]:
    with PeakRss() as rss:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
    return Timing(seconds, rss.peak_mb), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="random:pythia-160m", help="random:<name>, offline:<name> or a directory")
    parser.add_argument("--limit", type=int, default=10, help="items per (sub)task")
    parser.add_argument("--repeats", type=int, default=2, help="alternated runs per engine (best kept)")
    parser.add_argument("--harness-batch-size", default="8", help="HFLM batch_size (int or 'auto')")
    parser.add_argument("--batch-tokens", type=int, default=4096, help="our token budget per batch")
    parser.add_argument("--max-batch-size", type=int, default=64, help="our cap on rows per batch")
    parser.add_argument("--workloads", nargs="*", default=list(WORKLOADS), choices=list(WORKLOADS))
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    model, tokenizer = load_model(args.model)
    harness_batch = int(args.harness_batch_size) if args.harness_batch_size.isdigit() else args.harness_batch_size
    harness = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=harness_batch, device=str(model.device))
    scorer = Scorer(model, tokenizer, batch_tokens=args.batch_tokens, max_batch_size=args.max_batch_size, progress=False)

    lines = [
        f"model `{args.model}`, {torch.get_num_threads()} torch threads, {args.limit} items per subtask, "
        f"best of {args.repeats}; harness batch_size={args.harness_batch_size}, ours batch_tokens="
        f"{args.batch_tokens}, max_batch_size={args.max_batch_size}",
        "",
        "| workload | requests | req/s ours | req/s harness | ratio | peak RSS ours (MB) | peak RSS harness (MB) | max abs diff | greedy agree |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in args.workloads:
        task, shots = WORKLOADS[name]
        requests: list[Request] = [r for item in build_items(task, shots=shots, limit=args.limit) for r in item.requests]
        instances = [
            Instance(request_type="loglikelihood", doc={}, arguments=(r.context, r.continuation), idx=i)
            for i, r in enumerate(requests)
        ]
        ours_runs, theirs_runs = [], []
        for _ in range(args.repeats):
            timing, ours = timed(lambda: scorer.score(requests))
            ours_runs.append(timing)
            with torch.inference_mode():
                timing, theirs = timed(lambda: harness.loglikelihood(instances, disable_tqdm=True))
            theirs_runs.append(timing)
        best_ours = min(ours_runs, key=lambda t: t.seconds)
        best_theirs = min(theirs_runs, key=lambda t: t.seconds)
        max_diff = max(abs(s.logprob - lp) for s, (lp, _) in zip(ours, theirs))
        agree = sum(s.is_greedy == g for s, (_, g) in zip(ours, theirs))
        n = len(requests)
        lines.append(
            f"| {name} | {n} | {n / best_ours.seconds:.1f} | {n / best_theirs.seconds:.1f} | "
            f"{best_theirs.seconds / best_ours.seconds:.2f}x | {max(t.peak_rss_mb for t in ours_runs):.0f} | "
            f"{max(t.peak_rss_mb for t in theirs_runs):.0f} | {max_diff:.1e} | {agree}/{n} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
