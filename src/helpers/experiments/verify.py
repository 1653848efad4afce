"""Re-verify the shipped results on every build: re-score a random sample with the current code.

A shipped table (:mod:`helpers.experiments.ship`) is keyed by its settings only, so an edit of
the scoring contract (task builders, encoding, engine, model loading, attention interventions)
does not change its key. This check is what catches such an edit: for each model and task
setting whose rows come from the shipped store, :data:`SAMPLE_ITEMS` items drawn at random
(seeded by the git commit, so successive commits check different items) are scored again with
the current code and compared request by request; the swap results likewise, on
:data:`SAMPLE_SWAP_ITEMS` items per task kind with every condition. Any |difference of
log-probability| above :data:`~helpers.experiments.compare_rows.TOLERANCE`, a different greedy
flag or any other stored column that differs (:func:`~helpers.experiments.compare_rows.compare`)
fails the build with the model, task, item, both values and the remedy. Swap rows run on another
forward's attention pattern (``other_item``, shuffled heads, swaps with alpha > 0) are compared
within :data:`~helpers.experiments.compare_rows.SPREAD_TOLERANCE` instead (their fp32 values depend
on the order of float accumulation; see there).
Besides the sample, every item of a shard file whose sha256 differs from the one recorded when
it was shipped (:mod:`helpers.infra.store.seal`) is re-scored, so an altered row is caught
whichever items the sample draws, whatever tool edited the file (pandas drops the store's own
metadata: the file is then read as plain parquet and compared row by row). A file that is not
parquet at all is named in one line.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from helpers.experiments.compare_rows import SPREAD_TOLERANCE, TOLERANCE, AlteredFile, Mismatch, UnreadFile, compare
from helpers.experiments.evaluation import (
    SHIPPED_RESULTS_DIR,
    ModelHandle,
    build_setting_items,
    default_stack,
    evaluation_code_version,
    result_key,
    rows_for,
)
from helpers.infra.files import atomic_write_text
from helpers.infra.paths import REPO_ROOT, results_dir
from helpers.infra.profiles import Profile
from helpers.infra.store.seal import altered_shards, item_ids_in, read_rows

SAMPLE_ITEMS = 4
SAMPLE_SWAP_ITEMS = 2


class VerificationError(RuntimeError):
    """Shipped results that the current code does not reproduce (the message lists them)."""


def shipped_rows(found, model: str, task: str) -> tuple[pd.DataFrame, list[UnreadFile]]:
    """The rows of the shipped table ``found`` as its files now read
    (:func:`helpers.infra.store.seal.read_rows`), and one :class:`UnreadFile` per file not read."""
    rows, unread = read_rows(found.store, found.key_fields)
    return rows, [UnreadFile(model, task, file, why) for file, why in unread.items()]


def with_altered_items(
    found, items: Sequence, chosen: list, model: str, task: str, say=print
) -> tuple[list, list[AlteredFile]]:
    """``chosen`` plus every item of ``items`` held by a shard of the shipped table ``found`` whose
    sha256 differs from its seal (:mod:`helpers.infra.store.seal`), and one :class:`AlteredFile`
    per such shard. A table without a seal keeps the sample alone, and says so."""
    altered = altered_shards(found.store, found.key_fields)
    if altered is None:
        say(
            f"  {model} {task}: no seal in the shipped provenance, so only the sample is checked "
            "(`python -m helpers ship` seals it)"
        )
        return chosen, []
    ids = item_ids_in(found.store, found.key_fields, altered)
    picked = {str(item.item_id) for item in chosen}
    extra = [item for item in items if str(item.item_id) in ids and str(item.item_id) not in picked]
    return chosen + extra, [AlteredFile(model, task, shard.file, shard.sealed, shard.actual) for shard in altered]


def commit_seed() -> int:
    """An integer from the current git commit (0, with a warning, outside a repository)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        return int(head[:12], 16)
    except (OSError, subprocess.SubprocessError, ValueError):
        warnings.warn(
            "no git commit found: the verification sample uses seed 0 (the same items on every build)", stacklevel=2
        )
        return 0


def sample(items: Sequence, count: int, seed: int, label: str) -> list:
    """``count`` items drawn with a generator seeded by ``seed`` and ``label`` (deterministic)."""
    rng = random.Random(f"{seed}:{label}")
    return rng.sample(list(items), min(count, len(items)))


class Progress:
    """``[k/N]`` with the time so far and an ETA, for one step (a model's setting or a swap task kind) at a time."""

    def __init__(self, total: int, say=print):
        self.total, self.done, self.say, self.start = max(total, 1), 0, say, time.perf_counter()

    def step(self, message: str | None = None) -> None:
        self.done += 1
        if message is None:
            return  # a step with nothing shipped to check: counted, not printed
        elapsed = time.perf_counter() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        self.say(f"  [{self.done}/{self.total}] {message.strip()} ({elapsed:.0f} s so far, ETA {eta:.0f} s)")


Finding = Mismatch | AlteredFile | UnreadFile
"""One line of a failed verification: a differing value, an altered shard file or an unreadable one."""


def verify_evaluations(
    profile: Profile, *, seed: int, stack=None, count: int = SAMPLE_ITEMS, say=print, progress: Progress | None = None
) -> tuple[list[Finding], int]:
    """Re-score a sample of every shipped evaluation result of ``profile``, plus every item of an
    altered shard; (mismatches and altered files, requests checked)."""
    stack = stack if stack is not None else default_stack()
    mismatches, checked = [], 0
    for source in profile.models:
        handle = ModelHandle(source, device=None if profile.device == "auto" else profile.device)
        for setting in profile.tasks.values():
            items = build_setting_items(setting)
            found = stack.find(result_key(handle, setting), evaluation_code_version(), items)
            if found is None or found.layer != "shipped":
                if progress:
                    progress.step()
                continue  # computed locally with the current code, or not there (the notebook will say)
            chosen = sample(items, count, seed, f"{handle.model_id} {setting.task} {setting.shots}")
            chosen, altered = with_altered_items(found, items, chosen, handle.model_id, setting.task, say)
            mismatches += altered
            ids = {item.item_id for item in chosen}
            shipped, unread = shipped_rows(found, handle.model_id, setting.task)
            mismatches += unread
            shipped = shipped[shipped["item_id"].isin(ids)]
            current = rows_for(handle, setting, chosen, batch_tokens=4096, progress=False)
            mismatches += compare(shipped, current, handle.model_id)
            checked += len(current)
            message = f"verified {handle.model_id} {setting.kind}: {len(chosen)} items, {len(current)} requests"
            progress.step(message) if progress else say(f"  {message}")
        handle.release()
    return mismatches, checked


def swap_steps(profile: Profile) -> int:
    """How many (pair, task kind) steps :func:`verify_swaps` takes for ``profile``."""
    from helpers.experiments.swap.plan import profile_swap_plan
    from helpers.experiments.swap.settings import swap_settings

    if swap_settings(profile) is None:
        return 0
    plan = profile_swap_plan(profile.name)
    return len(plan.pairs) * len(plan.settings)


def verify_swaps(
    profile: Profile,
    *,
    seed: int,
    stack=None,
    count: int = SAMPLE_SWAP_ITEMS,
    say=print,
    progress: Progress | None = None,
) -> tuple[list[Finding], int]:
    """Re-score ``count`` items per task kind of every shipped swap result, every condition (plus
    every item of an altered shard)."""
    from helpers.experiments.swap.compute import PairScorer, pair_key, recipient_depth, swap_code_version
    from helpers.experiments.swap.plan import conditions_for, profile_swap_plan
    from helpers.experiments.swap.settings import swap_settings

    if swap_settings(profile) is None:
        return [], 0
    stack = stack if stack is not None else default_stack()
    plan = profile_swap_plan(profile.name)
    mismatches, checked = [], 0
    for donor_source, recipient_source in plan.pairs:
        donor, recipient = ModelHandle(donor_source), ModelHandle(recipient_source)
        for kind, setting in plan.settings.items():
            items = build_setting_items(setting, plan.seed)
            found = stack.find(pair_key(donor, recipient, setting, plan), swap_code_version(), items)
            if found is None or found.layer != "shipped":
                if progress:
                    progress.step()
                continue
            chosen = sample(items, count, seed, f"swap {donor.model_id} {recipient.model_id} {kind}")
            label = f"swap {donor.model_id} -> {recipient.model_id}"
            chosen, altered = with_altered_items(found, items, chosen, label, setting.task, say)
            mismatches += altered
            conditions = conditions_for(plan, recipient_depth(recipient))
            scorer = PairScorer(donor, recipient, setting, items, conditions)
            current = scorer(chosen)
            shipped, unread = shipped_rows(found, label, setting.task)
            mismatches += unread
            shipped = shipped[shipped["item_id"].isin({item.item_id for item in chosen})]
            mismatches += compare(shipped, current, label, ["condition"])
            checked += len(current)
            message = f"verified swap {recipient.model_id} {kind}: {len(chosen)} items x {len(conditions)} conditions"
            progress.step(message) if progress else say(f"  {message}")
        donor.release()
        recipient.release()
    return mismatches, checked


def verify(profile: Profile, *, seed: int | None = None, stack=None, say=print) -> int:
    """Verify every shipped result of ``profile``; return the number of requests checked.

    Raises :class:`VerificationError` listing every mismatch and the remedy.
    """
    seed = commit_seed() if seed is None else seed
    start = time.perf_counter()
    say(f"verifying the shipped results of profile {profile.name!r} (sample seed {seed})")
    progress = Progress(len(profile.models) * len(profile.tasks) + swap_steps(profile), say)
    mismatches, checked = verify_evaluations(profile, seed=seed, stack=stack, say=say, progress=progress)
    swap_mismatches, swap_checked = verify_swaps(profile, seed=seed, stack=stack, say=say, progress=progress)
    mismatches += swap_mismatches
    if mismatches:
        lines = "\n".join(f"  - {m.line()}" for m in mismatches[:40])
        more = f"\n  ... and {len(mismatches) - 40} more" if len(mismatches) > 40 else ""
        raise VerificationError(
            f"{len(mismatches)} shipped result(s) of profile {profile.name!r} differ from the current code "
            f"(tolerance {TOLERANCE:g} on log-probabilities, {SPREAD_TOLERANCE:g} on swap rows run on another "
            f"forward's pattern, greedy flags equal):\n{lines}{more}\n"
            f"The scoring contract changed (tasks, encoding, engine, model loading or attention code), or a "
            f"shipped file was altered. Remedy: `make run PROFILE={profile.name}` recomputes every result with "
            f"the current code (hours on a CPU); then `python -m helpers ship --profile {profile.name}` ships them. "
            "An altered file that should not have been: "
            f"`git checkout -- {SHIPPED_RESULTS_DIR.relative_to(REPO_ROOT)}` restores the shipped one."
        )
    seconds = time.perf_counter() - start
    say(f"verified {checked + swap_checked} requests in {seconds:.0f} s: all agree")
    record_verification(profile.name, checked + swap_checked, seed, seconds)
    return checked + swap_checked


def verification_record_path(profile_name: str) -> Path:
    """Where the last passed verification of ``profile_name`` is recorded (read by the book's first page)."""
    return results_dir() / "verification" / f"{profile_name}.json"


def record_verification(profile_name: str, requests: int, seed: int, seconds: float) -> Path:
    """Record a passed verification: profile, requests re-scored, seed, commit, time (UTC)."""
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()
    record = {
        "profile": profile_name,
        "passed": True,
        "requests": int(requests),
        "seed": int(seed),
        "commit": commit or "unknown",
        "seconds": round(float(seconds), 1),
        "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
    }
    path = verification_record_path(profile_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(record, indent=1) + "\n")
    return path


def verification_record(profile_name: str) -> dict | None:
    """The last passed verification of ``profile_name`` (:func:`record_verification`), or None."""
    path = verification_record_path(profile_name)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
