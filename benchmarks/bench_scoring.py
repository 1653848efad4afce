"""Throughput of helpers.core.scoring against lm-evaluation-harness's HFLM on the same requests.

Same model object, same process, both warmed up on the first requests, then runs alternated
(ours, harness, ours, harness, ...) and the best of ``--repeats`` kept for each, so machine load
hits both alike. Also checks parity on every request (max |logprob difference| and
greedy-flag agreement). Prints a markdown table.

    python benchmarks/bench_scoring.py                          # random-full:pythia-160m
    python benchmarks/bench_scoring.py --model offline:smollm2-135m --limit 20
    python benchmarks/bench_scoring.py --model random-full:pythia-1.4b --device cuda --dtype bfloat16
    python benchmarks/bench_scoring.py --model offline:smollm2-135m --pass-overhead

The harness runs at every ``--harness-batch-sizes`` value and its fastest is reported.

Work columns: *FLOP ratio* is the harness's matmul FLOPs over ours on the workload: 2 x
non-embedding parameters per position computed plus 2 x vocab x width per position whose
logits are computed (the harness: every position of every distinct input, unpadded, so a
lower bound of its work; ours: the positions actually run, padding and shared prefixes
included, logits only where scored). Attention-score FLOPs are left out. A speed ratio near
the FLOP ratio means the rest is arithmetic both must do. *tokens/s* counts request tokens
scored (the harness-equivalent positions) per second; *% of peak* is our matmul FLOP rate
over the rate of one large matmul in the same dtype on the same device, measured first.

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

from helpers.core.models.params import split_parameter_count  # noqa: E402
from helpers.core.requests import Request  # noqa: E402
from helpers.core.scoring import Scorer, encode_requests, model_window  # noqa: E402
from helpers.core.tasks import build_items  # noqa: E402

WARM_UP = 16  # requests each engine scores, untimed, before a workload is timed
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


def load_model(spec: str, *, dtype: torch.dtype = torch.float32, device: str = "cpu"):
    """``random:<registry name>`` (scaled down), ``random-full:<registry name>`` (real shape,
    random weights), ``offline:<offline name>`` or a local HF directory; eval mode."""
    if spec.startswith(("random:", "random-full:")):
        from helpers.core.models.random_init import build_random_model

        kind, name = spec.split(":", 1)
        return build_random_model(
            name, full_size=kind == "random-full", dtype=dtype, device=device, attn_implementation="sdpa"
        )
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if spec.startswith("offline:"):
        from helpers.core.models.offline import model_dir

        path = model_dir(spec.split(":", 1)[1])
    else:
        path = spec
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(device).eval()
    return model, AutoTokenizer.from_pretrained(path)


def timed(fn) -> tuple[Timing, object]:
    with PeakRss() as rss:
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
    return Timing(seconds, rss.peak_mb), result


def harness_run(harness, instances) -> tuple[Timing, list]:
    with torch.inference_mode():
        return timed(lambda: harness.loglikelihood(instances, disable_tqdm=True))


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def best_seconds(fn, device: torch.device, repeats: int) -> float:
    """Fastest of ``repeats`` timed calls of ``fn`` after one untimed warm-up call."""
    fn()
    synchronize(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return best


def matmul_peak_flops(device: torch.device, dtype: torch.dtype) -> float:
    """FLOP/s of one large square matmul (best of 10): the reference for '% of peak'."""
    size = 8192 if device.type == "cuda" else 2048
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    return 2 * size**3 / best_seconds(lambda: a @ b, device, repeats=10)


def measure_pass_overhead(model) -> str:
    """Fit forward time = fixed + per-position cost on the transformer body; the fixed part in
    positions is what ``Scorer(pass_overhead=...)`` should be on this device."""
    body, shapes = model.base_model, [(1, 1), (1, 16), (1, 64), (4, 16), (4, 64), (8, 64), (16, 64)]
    seconds = []
    with torch.inference_mode():
        for batch, length in shapes:
            input_ids = torch.randint(0, 1000, (batch, length), device=model.device)
            seconds.append(best_seconds(lambda input_ids=input_ids: body(input_ids=input_ids), model.device, repeats=5))
    design = torch.tensor([[1.0, float(batch * length)] for batch, length in shapes], dtype=torch.float64)
    fixed, per_position = (
        torch.linalg.lstsq(design, torch.tensor(seconds, dtype=torch.float64)[:, None]).solution[:, 0].tolist()
    )
    return (
        f"forward = {fixed * 1e3:.1f} ms + {per_position * 1e6:.1f} us x positions "
        f"-> pass overhead = {fixed / per_position:.0f} positions"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model",
        default="random-full:pythia-160m",
        help="random:<name>, random-full:<name>, offline:<name> or a directory",
    )
    parser.add_argument("--limit", type=int, default=10, help="items per (sub)task")
    parser.add_argument("--repeats", type=int, default=2, help="alternated runs per engine (best kept)")
    parser.add_argument(
        "--harness-batch-sizes",
        nargs="+",
        default=["4", "8", "16"],
        help="HFLM batch sizes to try (int or 'auto'); the fastest is reported",
    )
    parser.add_argument("--batch-tokens", type=int, default=4096, help="our token budget per batch")
    parser.add_argument("--max-batch-size", type=int, default=64, help="our cap on rows per batch")
    parser.add_argument(
        "--scorer-pass-overhead",
        type=int,
        default=None,
        help="our planner's cost of one forward pass, in positions (default: the device's)",
    )
    parser.add_argument("--workloads", nargs="*", default=list(WORKLOADS), choices=list(WORKLOADS))
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16", "float16"])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--pass-overhead", action="store_true", help="only measure the fixed cost of a forward pass")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)

    model, tokenizer = load_model(args.model, dtype=dtype, device=args.device)
    if args.pass_overhead:
        print(f"model `{args.model}` ({args.dtype}, {args.device}): {measure_pass_overhead(model)}")
        return 0

    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    harnesses = {
        size: HFLM(
            pretrained=model,
            tokenizer=tokenizer,
            batch_size=int(size) if size.isdigit() else size,
            device=str(model.device),
        )
        for size in args.harness_batch_sizes
    }
    scorer = Scorer(
        model,
        tokenizer,
        batch_tokens=args.batch_tokens,
        max_batch_size=args.max_batch_size,
        pass_overhead=args.scorer_pass_overhead,
        progress=False,
    )
    body_params = split_parameter_count(model)[1]  # FLOPs per position computed: 2 x this
    head_params = model.get_output_embeddings().weight.numel()  # per position with logits: 2 x this
    peak = matmul_peak_flops(model.device, dtype)

    lines = [
        f"model `{args.model}` ({args.dtype}, {args.device}), {torch.get_num_threads()} torch threads, "
        f"{args.limit} items per subtask, best of {args.repeats}; harness batch sizes tried: "
        f"{', '.join(args.harness_batch_sizes)}; ours batch_tokens={args.batch_tokens}, "
        f"max_batch_size={args.max_batch_size}, pass_overhead={scorer.pass_overhead}; "
        f"matmul peak {peak / 1e12:.2f} TFLOP/s; the vocabulary "
        f"projection is {head_params / (body_params + head_params):.0%} of the matmul work per position",
        "",
        "| workload | requests | req/s ours | req/s harness (best batch) | ratio | FLOP ratio | tokens/s ours "
        "| % of peak ours | peak RSS ours / harness (MB) | max abs diff | greedy agree |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in args.workloads:
        task, shots = WORKLOADS[name]
        requests: list[Request] = [
            r for item in build_items(task, shots=shots, limit=args.limit) for r in item.requests
        ]
        instances = [
            Instance(request_type="loglikelihood", doc={}, arguments=(r.context, r.continuation), idx=i)
            for i, r in enumerate(requests)
        ]
        scorer.score(requests[:WARM_UP])  # first calls pay one-off costs (allocator, kernels)
        for harness in harnesses.values():
            harness_run(harness, instances[:WARM_UP])
        ours_runs: list[Timing] = []
        theirs_runs: dict[str, list[Timing]] = {size: [] for size in harnesses}
        for _ in range(args.repeats):
            timing, ours = timed(lambda requests=requests: (scorer.score(requests), synchronize(model.device))[0])
            ours_runs.append(timing)
            for size, harness in harnesses.items():
                timing, theirs = harness_run(harness, instances)
                theirs_runs[size].append(timing)
        best_ours = min(ours_runs, key=lambda t: t.seconds)
        best_size = min(theirs_runs, key=lambda size: min(t.seconds for t in theirs_runs[size]))
        best_theirs = min(theirs_runs[best_size], key=lambda t: t.seconds)
        max_diff = max(abs(s.logprob - lp) for s, (lp, _) in zip(ours, theirs))
        agree = sum(s.is_greedy == g for s, (_, g) in zip(ours, theirs))
        n = len(requests)
        counts = scorer.last_counts
        harness_positions = harness_equivalent_positions(requests, scorer)
        ours_flops = 2 * body_params * counts.padded + 2 * head_params * counts.scored
        harness_flops = 2 * (body_params + head_params) * harness_positions
        lines.append(
            f"| {name} | {n} | {n / best_ours.seconds:.1f} | {n / best_theirs.seconds:.1f} ({best_size}) | "
            f"{best_theirs.seconds / best_ours.seconds:.2f}x | {harness_flops / ours_flops:.2f}x | "
            f"{harness_positions / best_ours.seconds:,.0f} | {100 * ours_flops / best_ours.seconds / peak:.0f}% | "
            f"{max(t.peak_rss_mb for t in ours_runs):.0f} / {max(t.peak_rss_mb for t in theirs_runs[best_size]):.0f} | "
            f"{max_diff:.1e} | {agree}/{n} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))
    return 0


def harness_equivalent_positions(requests: list[Request], scorer: Scorer) -> int:
    """Positions the harness runs: one row per distinct input (its one-token cache), unpadded."""
    windows = [model_window(e, scorer.max_length) for e in encode_requests(scorer.tokenizer, requests)]
    return sum(len(ids) for ids in {w.input_ids for w in windows})


if __name__ == "__main__":
    sys.exit(main())
