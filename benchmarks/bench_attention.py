"""Cost of attention swaps: plain eager forward vs record vs donor+recipient lockstep.

Prints one table row per phase: minimum and median wall time over ``--reps`` round-robin
runs, the ratio of the minimum to the plain eager forward's, and peak memory (CUDA: peak allocated during
the phase; CPU: the bytes of attention patterns the phase keeps, plus the process's peak RSS at the end).

    .venv/bin/python benchmarks/bench_attention.py --recipient pythia-410m --donor pythia-410m --batch 8 --seq 128

Models are random-weight registry models (``helpers.core.models.random_init``; no download).
A swapped forward runs the donor and the recipient, so ~2x the plain forward is the floor.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from helpers.core.attention import forward_logits, record_patterns, run_pair_batch  # noqa: E402
from helpers.core.models.random_init import build_random_model  # noqa: E402


def _time_phases(phases: dict, reps: int, device: torch.device) -> dict[str, tuple[float, float, float]]:
    """``{phase: (min s, median s, peak MiB on CUDA or NaN)}``.

    Phases run round-robin (one of each per repetition, after one warm-up each) so a change of
    machine load hits all of them alike; on a shared CPU read the minimum.
    """
    for fn in phases.values():
        fn()
    times = {name: [] for name in phases}
    peaks = {name: float("nan") for name in phases}
    for _ in range(reps):
        for name, fn in phases.items():
            if device.type == "cuda":
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            start = time.perf_counter()
            fn()
            if device.type == "cuda":
                torch.cuda.synchronize()
                peaks[name] = max(
                    torch.cuda.max_memory_allocated() / 2**20, 0.0 if peaks[name] != peaks[name] else peaks[name]
                )
            times[name].append(time.perf_counter() - start)
    return {name: (min(t), statistics.median(t), peaks[name]) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipient", default="pythia-410m", help="registry name of the recipient (random weights)")
    parser.add_argument("--donor", default="pythia-410m", help="registry name of the donor (random weights, seed 1)")
    parser.add_argument("--batch", type=int, default=8, help="sequences per batch")
    parser.add_argument("--seq", type=int, default=128, help="tokens per sequence")
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions per phase (min and median reported)")
    parser.add_argument(
        "--threads", type=int, default=1, help="CPU threads (1 gives stable timings on a shared machine)"
    )
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", help="cpu or cuda")
    args = parser.parse_args()

    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    recipient, _ = build_random_model(args.recipient, seed=0)
    donor, _ = build_random_model(args.donor, seed=1)
    recipient.to(device)
    donor.to(device)
    generator = torch.Generator().manual_seed(0)
    input_ids = torch.randint(2, 50000, (args.batch, args.seq), generator=generator).to(device)  # [batch, seq]
    attention_mask = torch.ones_like(input_ids)

    pattern_bytes = sum(
        p.nelement() * p.element_size() for p in record_patterns(donor, input_ids, attention_mask).values()
    )
    phases = {
        "plain eager forward (recipient)": lambda: forward_logits(recipient, input_ids, attention_mask),
        "plain eager forward (donor)": lambda: forward_logits(donor, input_ids, attention_mask),
        "record (recipient, all layers)": lambda: record_patterns(recipient, input_ids, attention_mask),
        "swap lockstep (donor record + recipient inject)": lambda: run_pair_batch(
            donor, recipient, input_ids, attention_mask
        ),
        "swap lockstep, validate=False": lambda: run_pair_batch(
            donor, recipient, input_ids, attention_mask, validate=False
        ),
        "mix lockstep (alpha=0.5)": lambda: run_pair_batch(donor, recipient, input_ids, attention_mask, alpha=0.5),
    }
    results = _time_phases(phases, args.reps, device)
    plain = results["plain eager forward (recipient)"][0]
    both_plain = plain + results["plain eager forward (donor)"][0]

    print(
        f"recipient {args.recipient} (random), donor {args.donor} (random), batch {args.batch} x {args.seq} tokens, "
        f"{device}, torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    print(f"{'phase':50s} {'min s':>8s} {'median s':>9s} {'x plain (min)':>14s} {'peak MiB':>9s}")
    for name, (seconds, median, peak) in results.items():
        print(f"{name:50s} {seconds:8.4f} {median:9.4f} {seconds / plain:14.2f} {peak:9.1f}")
    swap_seconds = results["swap lockstep (donor record + recipient inject)"][0]
    print(f"swap / (plain donor + plain recipient) = {swap_seconds / both_plain:.2f}")
    print(f"donor patterns held per batch (all layers): {pattern_bytes / 2**20:.1f} MiB")
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB")


if __name__ == "__main__":
    main()
