"""Check the CUDA paths against the CPU: the same random-weight models, the same requests.

Builds a recipient and a donor (random weights, the real Pythia tokenizer, scaled-down shapes of
different depth and head count, so the layer and head maps are exercised) on the CPU in fp32,
copies them to the GPU in fp32 with TF32 off, and compares:

1. :class:`helpers.core.scoring.Scorer` (batched, shared prefixes): log-likelihood and greedy
   flag of every request of a few MMLU-math 5-shot, arithmetic and MRPC items;
2. the attention swap (:func:`helpers.core.attention.run_pair_batch`) at alpha 0.5 and 1: the
   recipient's log-softmax at every real position of a padded batch;
3. the loading defaults: :func:`helpers.core.models.load_model` with no device or dtype gives
   CUDA in bf16, and fp16 is refused for Pythia.

Prints one line per check and exits 1 when any |difference| exceeds ``--tolerance`` (1e-4, the
verification tolerance of the shipped results) or a greedy flag differs. Needs a GPU; never run
by the tests.

    python benchmarks/check_cuda.py
"""

from __future__ import annotations

import argparse
import copy
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from helpers.core.attention import run_pair_batch  # noqa: E402
from helpers.core.attention.lockstep import right_padded  # noqa: E402
from helpers.core.models.random_init import build_random_model  # noqa: E402
from helpers.core.scoring import Scorer, encode_requests, model_window  # noqa: E402
from helpers.core.tasks import build_items  # noqa: E402

WORKLOADS = (("mmlu_math", 5, 2), ("arithmetic", 0, 3), ("mrpc", 0, 8))  # (task, shots, items per file)


def requests_for_check() -> list:
    return [
        r
        for task, shots, limit in WORKLOADS
        for item in build_items(task, shots=shots, limit=limit)
        for r in item.requests
    ]


def on_cuda(model):
    """A copy of ``model`` on the GPU (the CPU one is kept for the reference run)."""
    return copy.deepcopy(model).to("cuda")


def scoring_check(model, gpu_model, tokenizer, requests) -> tuple[float, int]:
    """Max |Δ log-likelihood| and the number of differing greedy flags, CPU vs CUDA."""
    cpu = Scorer(model, tokenizer, progress=False).score(requests)
    gpu = Scorer(gpu_model, tokenizer, progress=False).score(requests)
    return (
        max(abs(a.logprob - b.logprob) for a, b in zip(cpu, gpu)),
        sum(a.is_greedy != b.is_greedy for a, b in zip(cpu, gpu)),
    )


def swap_check(models: dict, tokenizer, requests, alpha: float) -> float:
    """Max |Δ log-softmax| over real positions of one padded batch, CPU vs CUDA."""
    windows = [model_window(e, 512) for e in encode_requests(tokenizer, requests[:8])]
    input_ids, mask = right_padded([w.input_ids for w in windows], tokenizer.pad_token_id or 0)  # [8, seq]
    with torch.inference_mode():
        cpu = run_pair_batch(*models["cpu"], input_ids, mask, alpha=alpha).log_softmax(-1)  # [8, seq, vocab]
        gpu = run_pair_batch(*models["cuda"], input_ids.cuda(), mask.cuda(), alpha=alpha).log_softmax(-1).cpu()
    real = mask.bool()
    return float((cpu[real] - gpu[real]).abs().max())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipient", default="pythia-410m")
    parser.add_argument("--donor", default="pythia-160m")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("error: no CUDA device; run this on a GPU machine.", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    from helpers.core.models import load_model
    from helpers.core.models.sources import ModelDtypeError

    loaded = load_model(f"random:{args.donor}")
    try:
        load_model(f"random:{args.donor}", dtype="float16")
        refused = "not refused"
    except ModelDtypeError:
        refused = "refused"
    failed = (loaded.device, loaded.dtype, str(loaded.model.device.type)) != (
        "cuda",
        "bfloat16",
        "cuda",
    ) or refused != "refused"
    print(
        f"torch {torch.__version__}, {torch.cuda.get_device_name()}; load_model default: {loaded.device}, "
        f"{loaded.dtype} (weights on {loaded.model.device}); fp16 for Pythia {refused}"
    )
    del loaded
    recipient, tokenizer = build_random_model(args.recipient, seed=0)
    donor, _ = build_random_model(args.donor, seed=1)
    models = {"cpu": (donor, recipient), "cuda": (on_cuda(donor), on_cuda(recipient))}  # (donor, recipient)
    requests = requests_for_check()
    worst, flips = scoring_check(recipient, models["cuda"][1], tokenizer, requests)
    failed |= worst > args.tolerance or flips > 0
    print(
        f"scoring, random:{args.recipient} fp32, {len(requests)} requests: max |Δ log-likelihood| "
        f"{worst:.2e}, greedy flags differing {flips}"
    )
    for alpha in (0.5, 1.0):
        worst = swap_check(models, tokenizer, requests, alpha)
        failed |= worst > args.tolerance
        print(f"swap random:{args.donor} -> random:{args.recipient}, alpha {alpha}: max |Δ log-softmax| {worst:.2e}")
    print("FAILED" if failed else f"all within {args.tolerance:g}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
