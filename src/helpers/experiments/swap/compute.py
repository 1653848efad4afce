"""The attention-swap experiment: which capabilities survive another model's attention pattern?

For each (donor, recipient) pair of a profile's ``swap:`` section and each of its task kinds
(``swap.limit`` items per task), the recipient is scored under these conditions
(:mod:`helpers.core.scoring.lockstep` builds their forwards):

- ``baseline``: the recipient alone (eager attention);
- ``swap a=α`` for every α of ``swap.alphas`` (0 and 1 always included), all layers: the
  dose-response; ``swap a=1`` is the full swap and ``swap a=0`` must equal the baseline;
- ``swap layer l``: α = 1 on one recipient layer at a time (every k-th layer, at most
  ``max_layers`` of them, or the layers asked for);
- controls: ``self`` (the recipient's own pattern: must equal the baseline), ``other_item``
  (its own pattern on a different item of the same token length), ``uniform`` (uniform
  causal attention) and ``shuffled_heads`` (the donor's pattern with its heads permuted).

Items whose token ids differ between donor and recipient are skipped and counted; so are,
for ``other_item`` only, items with no other item of the same token lengths. Every
condition's per-request rows (the columns of :func:`helpers.experiments.evaluation.evaluate` plus the
condition's) are cached in the results store under the donor, recipient, dtype, task
setting, condition, alpha, layers, seeds and code version, so re-running the notebook costs
no forward pass; :func:`fill_jobs` gives the runner one job per pair.
"""

from __future__ import annotations

import gc
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from helpers.experiments.evaluation import ROW_COLUMNS, ModelHandle
from helpers.experiments.config import ExperimentConfig, configure
from helpers.infra.profiles import Profile, TaskSetting
from helpers.infra.provenance import code_version
from helpers.core.requests import Item
from helpers.infra.store import ResultNotFoundError, ResultStore
from helpers.core.scoring.lockstep import Condition

SHARD_SIZE = 64  # items per stored shard
CONTROL_SEED = 0  # seed of the same-length partners and of the head shuffle
DEFAULT_MAX_LAYERS = 8
SWAP_CODE_FILES = ("swap_scoring.py",)  # hashed into every key: edits there change the numbers
FILL_FUNCTION = "helpers.experiments.swap.compute:fill_pair"
SWAP_ROW_COLUMNS = ["donor_id", "condition", "condition_kind", "alpha", "layers",
                    "n_items_requested", "n_skipped_tokenization", "n_skipped_no_partner"]
CONTROL_CONDITIONS = ("self", "other_item", "uniform", "shuffled_heads")


class SwapExperimentError(ValueError):
    """A swap-experiment setting that is not accepted (pairs, alphas, layers, limits)."""


class SwapResultMissing(ResultNotFoundError):
    """A swap condition was asked for from the store only and was never computed."""


# ----------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class SwapPlan:
    """What one swap run measures (validated; see :func:`swap_plan`)."""

    profile: str
    pairs: tuple[tuple[str, str], ...]  # (donor source, recipient source)
    alphas: tuple[float, ...]  # dose-response, sorted, 0 and 1 included
    settings: dict[str, TaskSetting]  # task kind -> setting with the swap limit
    layers: tuple[int, ...] | None  # per-layer sweep; None = every k-th layer, at most max_layers
    max_layers: int
    seed: int | None  # few-shot sampling seed
    device: str | None
    findings: bool


def _check_pairs(pairs: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(pairs, str) or not isinstance(pairs, Sequence) or not pairs:
        raise SwapExperimentError(f"pairs={pairs!r}: give a non-empty list of [donor, recipient] model sources.")
    checked = []
    for pair in pairs:
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2 or not all(
                isinstance(source, str) and source for source in pair):
            raise SwapExperimentError(f"pair {pair!r} in pairs: give [donor, recipient], two model sources, "
                                      "e.g. ['random:pythia-70m', 'random:pythia-160m'].")
        checked.append((pair[0], pair[1]))
    return tuple(checked)


def _check_alphas(alphas: Any) -> tuple[float, ...]:
    if isinstance(alphas, str) or not isinstance(alphas, Sequence):
        raise SwapExperimentError(f"alphas={alphas!r}: give a list of mixing weights in [0, 1], e.g. [0, 0.5, 1].")
    bad = [a for a in alphas if isinstance(a, bool) or not isinstance(a, (int, float)) or not 0.0 <= a <= 1.0]
    if bad:
        raise SwapExperimentError(f"alphas {bad} are not mixing weights; give numbers in [0, 1].")
    return tuple(sorted({0.0, 1.0, *(float(a) for a in alphas)}))


def _check_layers(layers: Any) -> tuple[int, ...] | None:
    if layers is None:
        return None
    if isinstance(layers, str) or not isinstance(layers, Sequence) or not layers or not all(
            isinstance(layer, int) and not isinstance(layer, bool) and layer >= 0 for layer in layers):
        raise SwapExperimentError(f"layers={layers!r}: give a non-empty list of recipient layer indices (>= 0) "
                                  "or None for every k-th layer.")
    return tuple(sorted(set(int(layer) for layer in layers)))


def swap_plan(config: ExperimentConfig | str = "ci", *, pairs: Sequence[Sequence[str]] | None = None,
              alphas: Sequence[float] | None = None, layers: Sequence[int] | None = None,
              max_layers: int | None = None, swap_limit: int | None = None) -> SwapPlan:
    """The swap run of ``config`` (an :class:`ExperimentConfig` or a profile name) with overrides.

    Task kinds: the profile's ``swap.tasks`` kept by the config's task kinds; shots and seed
    from the config; item limit per task: ``swap_limit``, else the profile's ``swap.limit``.
    """
    if isinstance(config, str):
        config = configure(profile=config)
    profile = config.profile
    if profile.swap is None and pairs is None:
        raise SwapExperimentError(f"profile {profile.name!r} has no swap: section; give pairs=[[donor, recipient]].")
    swap = profile.swap
    chosen_pairs = _check_pairs(pairs if pairs is not None else swap.pairs)
    chosen_alphas = _check_alphas(alphas if alphas is not None else (swap.alphas if swap else (0.0, 1.0)))
    if max_layers is None:
        max_layers = swap.max_layers if swap else DEFAULT_MAX_LAYERS
    if isinstance(max_layers, bool) or not isinstance(max_layers, int) or max_layers < 1:
        raise SwapExperimentError(f"max_layers={max_layers!r}: give a positive integer (layers in the per-layer sweep).")
    if swap_limit is not None and (isinstance(swap_limit, bool) or not isinstance(swap_limit, int) or swap_limit < 1):
        raise SwapExperimentError(f"swap_limit={swap_limit!r}: give a positive integer or None (the profile's swap.limit).")
    kinds = [kind for kind in (swap.tasks if swap else config.settings) if kind in config.settings]
    if not kinds:
        raise SwapExperimentError(f"no task kind left: swap.tasks {list(swap.tasks) if swap else []} and the chosen "
                                  f"task kinds {sorted(config.settings)} do not overlap.")
    settings = {kind: replace(config.settings[kind], limit=swap_limit if swap_limit is not None
                              else (swap.limits.get(kind, 20) if swap else 20)) for kind in kinds}
    return SwapPlan(profile.name, chosen_pairs, chosen_alphas, settings, _check_layers(layers), max_layers,
                    config.seed, config.device, config.findings)


def layer_subset(n_layers: int, max_layers: int = DEFAULT_MAX_LAYERS) -> list[int]:
    """Every k-th layer from 0 with ``k = ceil(n_layers / max_layers)``: at most ``max_layers`` layers."""
    if n_layers < 1 or max_layers < 1:
        raise SwapExperimentError(f"n_layers={n_layers}, max_layers={max_layers}: both must be positive.")
    step = math.ceil(n_layers / max_layers)
    return list(range(0, n_layers, step))


def sweep_layers(plan: SwapPlan, n_recipient_layers: int) -> list[int]:
    """The recipient layers of the per-layer sweep (explicit ``plan.layers`` are range-checked)."""
    if plan.layers is None:
        return layer_subset(n_recipient_layers, plan.max_layers)
    bad = [layer for layer in plan.layers if layer >= n_recipient_layers]
    if bad:
        raise SwapExperimentError(f"layers {bad} do not exist in a recipient with {n_recipient_layers} layers "
                                  f"(use 0..{n_recipient_layers - 1}).")
    return list(plan.layers)


def conditions_for(plan: SwapPlan, n_recipient_layers: int) -> list[Condition]:
    """Every condition of one (pair, task): baseline, controls, dose-response, per-layer swaps."""
    conditions = [Condition("baseline"), *(Condition(kind) for kind in CONTROL_CONDITIONS)]
    conditions += [Condition("swap", alpha, None) for alpha in plan.alphas]
    conditions += [Condition("swap", 1.0, (layer,)) for layer in sweep_layers(plan, n_recipient_layers)]
    return conditions


# ----------------------------------------------------------------------------- store keys


def swap_code_version() -> str:
    """Hash of the swap scorer's source (the store adds the scoring/attention code version itself)."""
    return code_version(SWAP_CODE_FILES)


def condition_key(donor: ModelHandle, recipient: ModelHandle, setting: TaskSetting, condition: Condition,
                  seed: int | None) -> dict[str, Any]:
    """Store key fields of one condition's rows."""
    return {
        "experiment": "attention_swap", "donor": donor.model_id, "donor_revision": donor.revision,
        "recipient": recipient.model_id, "recipient_revision": recipient.revision, "dtype": recipient.dtype,
        "donor_dtype": donor.dtype, "task": setting.task, "kind": setting.kind, "shots": setting.shots,
        "limit": setting.limit, "path": setting.path, "condition": condition.kind, "alpha": condition.alpha,
        "layers": None if condition.layers is None else list(condition.layers), "seed": seed,
        "control_seed": CONTROL_SEED, "head_map": "auto", "swap_code": swap_code_version(),
    }


def recipient_depth(handle: ModelHandle) -> int:
    """Number of layers of ``handle``'s model, from its config (no weights are loaded)."""
    if handle._loaded is not None:
        return int(handle.loaded.model.config.get_text_config().num_hidden_layers)
    from transformers import AutoConfig

    if handle.model_id.startswith("random:"):
        from helpers.core.models import get_spec, random_config

        config = random_config(get_spec(handle.model_id.removeprefix("random:")))
    elif handle.model_id.startswith("offline:"):
        from helpers.core.models import offline

        config = AutoConfig.from_pretrained(str(offline.model_dir(handle.model_id.removeprefix("offline:"))))
    elif handle.model_id.startswith("local:"):
        config = AutoConfig.from_pretrained(handle.model_id.removeprefix("local:"))
    else:
        config = AutoConfig.from_pretrained(handle.model_id, revision=handle.revision)
    return int(config.get_text_config().num_hidden_layers)


# ----------------------------------------------------------------------------- computing


def _swap_items(plan: SwapPlan, setting: TaskSetting) -> list[Item]:
    from helpers.core.tasks import build_items

    return build_items(setting.task, seed=plan.seed, **setting.build_kwargs())


def _kept_items(items: Sequence[Item], donor_tokenizer, recipient_tokenizer) -> list[Item]:
    """Items whose every context and context+continuation tokenizes identically in both models."""
    from helpers.core.attention import matching_items

    texts = [text for item in items for request in item.requests
             for text in (request.context, request.context + request.continuation)]
    kept_texts, _ = matching_items(texts, donor_tokenizer, recipient_tokenizer)
    kept = set(kept_texts)
    kept_items, start = [], 0
    for item in items:
        count = 2 * len(item.requests)
        if all(index in kept for index in range(start, start + count)):
            kept_items.append(item)
        start += count
    return kept_items


def item_partners(items: Sequence[Item], tokenizer, max_length: int) -> tuple[list[int | None], dict]:
    """Same-length partner item of each item and ``{own model input: partner model input}``.

    Two items are the same length when every request's model input has the same number of
    tokens (a signature); partners come from :func:`helpers.core.attention.same_length_partners`.
    """
    from helpers.core.attention import same_length_partners
    from helpers.core.scoring import encode_requests, model_window

    inputs = [[model_window(encoded, max_length).input_ids for encoded in encode_requests(tokenizer, item.requests)]
              for item in items]
    signatures = [tuple(len(ids) for ids in item_inputs) for item_inputs in inputs]
    signature_ids = {signature: index for index, signature in enumerate(dict.fromkeys(signatures))}
    partners, _ = same_length_partners([signature_ids[s] for s in signatures], CONTROL_SEED)
    partner_inputs: dict[tuple[int, ...], tuple[int, ...]] = {}
    for own, partner in zip(inputs, partners):
        if partner is not None:
            for own_ids, partner_ids in zip(own, inputs[partner]):
                partner_inputs.setdefault(own_ids, partner_ids)
    return partners, partner_inputs


def _rows(items: Sequence[Item], scores: Sequence, setting: TaskSetting, loaded, donor_id: str,
          condition: Condition, counts: Mapping[str, int]) -> pd.DataFrame:
    """Per-request rows (the columns of :func:`helpers.experiments.evaluation.evaluate` plus the condition's)."""
    records, score_iter = [], iter(scores)
    for item in items:
        for choice, request in enumerate(item.requests):
            score = next(score_iter)
            records.append({
                "model_id": loaded.model_id, "task": item.task, "kind": setting.kind, "item_id": item.item_id,
                "subject": str(item.meta.get("subject", "")), "choice": choice,
                "label": item.choice_labels[choice] if item.choice_labels else request.continuation.strip(),
                "gold": item.gold, "is_gold": choice == item.gold, "continuation": request.continuation,
                "logprob": score.logprob, "is_greedy": score.is_greedy, "n_tokens": score.n_tokens,
                "token_logprobs": list(score.token_logprobs or ()), "token_is_greedy": list(score.token_is_greedy or ()),
                "n_params_total": loaded.n_params_total, "n_params_nonembedding": loaded.n_params_nonembedding,
                "donor_id": donor_id, "condition": condition.name, "condition_kind": condition.kind,
                "alpha": math.nan if condition.alpha is None else float(condition.alpha),
                "layers": "all" if condition.layers is None else ",".join(map(str, condition.layers)),
                **counts,
            })
    return pd.DataFrame(records, columns=ROW_COLUMNS + SWAP_ROW_COLUMNS)


def _compute(plan: SwapPlan, donor: ModelHandle, recipient: ModelHandle, setting: TaskSetting,
             items: Sequence[Item], missing: Sequence[Condition], *, batch_tokens: int,
             max_batch_size: int) -> dict[Condition, tuple[list[Item], pd.DataFrame]]:
    """Score ``missing`` conditions: ``{condition: (units, rows)}``."""
    from helpers.core.attention import check_same_tokenizer
    from helpers.core.scoring.lockstep import DonorPatterns, condition_forward, score_conditions

    recipient_loaded, donor_loaded = recipient.loaded, donor.loaded
    check_same_tokenizer(donor_loaded.tokenizer, recipient_loaded.tokenizer)
    kept = _kept_items(items, donor_loaded.tokenizer, recipient_loaded.tokenizer)
    max_length = min(recipient_loaded.max_length, donor_loaded.max_length)
    partners, partner_inputs = item_partners(kept, recipient_loaded.tokenizer, max_length)
    partnered = [item for item, partner in zip(kept, partners) if partner is not None]
    counts = {"n_items_requested": len(items), "n_skipped_tokenization": len(items) - len(kept),
              "n_skipped_no_partner": len(kept) - len(partnered)}
    options = dict(max_length=max_length, batch_tokens=batch_tokens, max_batch_size=max_batch_size,
                   device=recipient_loaded.model.device)
    donor_patterns = DonorPatterns(donor_loaded.model, recipient_loaded.model, seed=CONTROL_SEED)
    results: dict[Condition, tuple[list[Item], pd.DataFrame]] = {}
    for units, chosen in ((kept, [c for c in missing if c.kind != "other_item"]),
                          (partnered, [c for c in missing if c.kind == "other_item"])):
        if not chosen:
            continue
        forwards = {c: condition_forward(c, recipient_loaded.model, donor_patterns, partner_inputs) for c in chosen}
        requests = [request for item in units for request in item.requests]
        scores = score_conditions(forwards, recipient_loaded.tokenizer, requests, **options) if requests else {
            c: [] for c in chosen}
        for condition in chosen:
            results[condition] = (list(units), _rows(units, scores[condition], setting, recipient_loaded,
                                                     donor.model_id, condition, counts))
    return results


def pair_rows(plan: SwapPlan, donor_source: str, recipient_source: str, kind: str, *,
              store: ResultStore | None = None, compute_missing: bool = True, batch_tokens: int = 2048,
              max_batch_size: int = 8, handles: tuple[ModelHandle, ModelHandle] | None = None) -> pd.DataFrame:
    """Every condition's per-request rows for one (pair, task kind), from the store when cached.

    Raises :class:`SwapResultMissing` when something is missing and ``compute_missing`` is False.
    """
    store = store or ResultStore()
    setting = plan.settings[kind]
    donor, recipient = handles or (ModelHandle(donor_source, device=plan.device),
                                   ModelHandle(recipient_source, device=plan.device))
    conditions = conditions_for(plan, recipient_depth(recipient))
    keys = {c: condition_key(donor, recipient, setting, c, plan.seed) for c in conditions}
    missing = [c for c in conditions if not store.exists(keys[c])]
    if missing and not compute_missing:
        raise SwapResultMissing(
            f"swap {donor.model_id} -> {recipient.model_id} on {kind} ({setting.task}, limit {setting.limit}): "
            f"{len(missing)} condition(s) never computed, e.g. {missing[0].name!r}; run "
            f"`make run PROFILE={plan.profile}` (or the notebook with compute_missing=True) first.")
    frames = []
    if missing:
        computed = _compute(plan, donor, recipient, setting, _swap_items(plan, setting), missing,
                            batch_tokens=batch_tokens, max_batch_size=max_batch_size)
        for condition, (units, rows) in computed.items():
            ids = rows["item_id"].to_numpy()

            def shard(chunk, rows=rows, ids=ids):
                wanted = {item.item_id for item in chunk}
                return rows[[item_id in wanted for item_id in ids]].reset_index(drop=True)

            store.get_or_compute(keys[condition], units, shard, shard_size=SHARD_SIZE, progress=False)
    for condition in conditions:
        frame = store.load(keys[condition])
        if len(frame):  # other_item has no rows when no item has a same-length partner
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def swap_rows(plan: SwapPlan, *, store: ResultStore | None = None, compute_missing: bool = True,
              **options) -> pd.DataFrame:
    """:func:`pair_rows` of every pair and task kind of ``plan`` (one pair's models in memory at a time)."""
    frames = []
    for donor_source, recipient_source in plan.pairs:
        donor = ModelHandle(donor_source, device=plan.device)
        recipient = ModelHandle(recipient_source, device=plan.device)
        try:
            for kind in plan.settings:
                frames.append(pair_rows(plan, donor_source, recipient_source, kind, store=store,
                                        compute_missing=compute_missing, handles=(donor, recipient), **options))
        finally:
            donor.release()
            recipient.release()
            gc.collect()  # free both models before the next pair loads (they hold reference cycles)
    return pd.concat(frames, ignore_index=True)


# ----------------------------------------------------------------------------- runner jobs


def fill_pair(profile: str, donor: str, recipient: str, store: str | None = None,
              max_layers: int | None = None) -> dict[str, Any]:
    """Job function: compute every condition of one pair of ``profile`` into the store."""
    plan = swap_plan(profile, pairs=[[donor, recipient]], max_layers=max_layers)
    rows = swap_rows(plan, store=ResultStore(store) if store else None)
    return {"donor": donor, "recipient": recipient, "rows": int(len(rows)),
            "conditions": int(rows["condition"].nunique())}


def fill_jobs(profile: Profile | str, store: str | None = None) -> list:
    """One :class:`helpers.infra.jobs.Job` per swap pair of ``profile`` (none if it has no swap section)."""
    from helpers.infra.jobs import Job
    from helpers.infra.paths import results_dir
    from helpers.infra.profiles import load_profile

    profile = load_profile(profile) if isinstance(profile, str) else profile
    if profile.swap is None:
        return []
    store_path = str(Path(store if store is not None else results_dir()).expanduser().resolve())
    return [Job(label=f"swap {donor} -> {recipient}", function=FILL_FUNCTION,
                kwargs={"profile": profile.name, "donor": donor, "recipient": recipient, "store": store_path,
                        "max_layers": None})
            for donor, recipient in profile.swap.pairs]


# ----------------------------------------------------------------------------- summary


def swap_summary(profile: Profile | str, *, store: ResultStore | None = None, bootstrap: int = 0) -> pd.DataFrame:
    """Claims-table summary from stored results only: one row per (donor, recipient, kind, alpha).

    Columns: ``donor, recipient, kind, alpha, n_items, accuracy, accuracy_low, accuracy_high``
    (Wilson), ``chance``, ``baseline_accuracy``, ``full_swap_accuracy``, ``self_swap_max_diff``,
    ``alpha0_max_diff`` (max abs log-prob difference from the baseline), ``full_swap_p_above_chance``
    (exact binomial test), ``baseline_above_chance`` (same test on the recipient alone: only
    then is a collapse testable) and ``collapse``: ``"complete"`` when the full swap is not
    above chance (p >= 0.05), else ``"graceful"``. Raises :class:`SwapResultMissing` if not computed.
    """
    from helpers.experiments.swap.views import condition_summary, verification_table

    name = profile.name if isinstance(profile, Profile) else profile
    plan = swap_plan(configure(profile=name, compute_missing=False))
    store = store or ResultStore()
    frames = []
    for donor_source, recipient_source in plan.pairs:
        for kind in plan.settings:
            handles = (ModelHandle(donor_source, device=plan.device), ModelHandle(recipient_source, device=plan.device))
            setting = plan.settings[kind]
            wanted = [Condition("baseline"), Condition("self"), *(Condition("swap", a, None) for a in plan.alphas)]
            for condition in wanted:
                key = condition_key(*handles, setting, condition, plan.seed)
                if not store.exists(key):
                    raise SwapResultMissing(
                        f"swap {handles[0].model_id} -> {handles[1].model_id} on {kind}: condition "
                        f"{condition.name!r} is not in the store {store.root}; run `make run PROFILE={name}` first.")
                frames.append(store.load(key))
    rows = pd.concat(frames, ignore_index=True)
    summary = condition_summary(rows, bootstrap=bootstrap)
    verification = verification_table(rows)
    return collapse_table(summary, verification)


def _p_above_chance(n_correct: int, n_items: int, chance: float) -> float:
    """One-sided exact binomial p-value of ``n_correct / n_items`` above ``chance`` (chance 0: 0 or 1)."""
    from helpers.analysis.intervals import binomial_test_vs_chance

    if chance <= 0.0:  # arithmetic exact match: any correct answer is above chance
        return 1.0 if n_correct == 0 else 0.0
    return binomial_test_vs_chance(n_correct, n_items, chance).pvalue_greater


def collapse_table(summary: pd.DataFrame, verification: pd.DataFrame, significance: float = 0.05) -> pd.DataFrame:
    """The dose-response rows of ``summary`` with the baseline, full swap, checks and collapse verdict."""
    pair_keys = ["donor", "recipient", "kind"]
    doses = summary[summary["condition_kind"] == "swap"]
    doses = doses[doses["layers"] == "all"].copy()
    baseline = summary[summary["condition_kind"] == "baseline"].set_index(pair_keys)["accuracy"]
    full = doses[doses["alpha"] == 1.0].set_index(pair_keys)
    base_rows = summary[summary["condition_kind"] == "baseline"].set_index(pair_keys)
    records = []
    for key, row in full.iterrows():
        p_value = _p_above_chance(int(row["n_correct"]), int(row["n_items"]), float(row["chance"]))
        base_above = bool(key in base_rows.index and _p_above_chance(
            int(base_rows.loc[key, "n_correct"]), int(base_rows.loc[key, "n_items"]), float(row["chance"])) < significance)
        records.append((*key, float(baseline.get(key, math.nan)), base_above, float(row["accuracy"]), p_value,
                        "complete" if p_value >= significance else "graceful"))
    verdicts = pd.DataFrame(records, columns=[*pair_keys, "baseline_accuracy", "baseline_above_chance",
                                              "full_swap_accuracy", "full_swap_p_above_chance", "collapse"])
    checks = verification.rename(columns={"self_max_abs_diff": "self_swap_max_diff",
                                          "alpha0_max_abs_diff": "alpha0_max_diff"})
    table = doses.merge(verdicts, on=pair_keys, how="left").merge(
        checks[[*pair_keys, "self_swap_max_diff", "alpha0_max_diff"]], on=pair_keys, how="left")
    columns = [*pair_keys, "alpha", "n_items", "accuracy", "accuracy_low", "accuracy_high", "chance",
               "baseline_accuracy", "baseline_above_chance", "full_swap_accuracy", "self_swap_max_diff", "alpha0_max_diff",
               "full_swap_p_above_chance", "collapse"]
    return table[columns].sort_values([*pair_keys, "alpha"], kind="stable").reset_index(drop=True)
