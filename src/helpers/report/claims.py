"""The claims table of the book: each claim of the reproduced study beside our measurement.

One row per claim (:data:`CLAIMS`), with the measured value, its interval, a verdict and the
**source the verdict rests on**. The rules:

* A claim about Pythia/OPT is judged only on Pythia/OPT numbers: our own runs of the
  ``paper`` or ``small`` profile's Pythia/OPT models when the results store holds them
  (``paper`` preferred), else the published lm-evaluation-harness results
  (:mod:`helpers.analysis.published`; MMLU-math 0-shot, Pythia 70m–12b and OPT 125m–30b, the study's
  range). The published data has no MMLU answer loss, no arithmetic and no swaps, so claims
  3–5 are "not judged" until a Pythia/OPT run is stored.
* The built profile's stand-in models (``offline``, ``ci``) only *illustrate* a claim, in a
  separate column; on ``ci`` (random weights) the illustration says the numbers are meaningless.
* Every verdict comes from an explicit rule (:func:`verdict_rules`), printed under the table.
  Every number is formatted from a computed value.

The stored rows are only read, never computed: a missing result is reported, not run.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from helpers.analysis import published as reference
from helpers.render.markdown import markdown_table
from helpers.experiments.evaluation import ModelHandle, default_stack, evaluation_code_version, result_key
from helpers.analysis.intervals import harness_stderr
from helpers.analysis.items import item_table
from helpers.infra.profiles import Profile, ProfileError, TaskSetting, load_profiles
from helpers.analysis.scaling import GapResult, confidence_competence_gap
from helpers.infra.store import PROVENANCE_FILE, ResultNotFoundError, StoreStack

CLAIMS = (
    "MMLU-math accuracy is flat at 19–20% across scale (Pythia/OPT 70M–30B).",
    "MMLU-math accuracy is below chance (25%).",
    "The loss on the MMLU-math answers falls 31% from the smallest to the largest model.",
    "Arithmetic improves with scale in both loss and accuracy.",
    "Swapping attention patterns between models makes accuracy collapse completely.",
)
"""The claims of the reproduced study, in table order (claim ids are 1-based positions)."""

CLAIMED_FLAT_BAND = (0.19, 0.20)  # claim 1: the accuracy band the study reports
CHANCE_ACCURACY = 0.25  # claim 2: four-way multiple choice
CLAIMED_LOSS_REDUCTION = 0.31  # claim 3: relative fall of the answer loss, smallest -> largest
N_STDERR = 2.0  # "significantly": beyond 2 standard errors
BOOTSTRAP = 1000  # paired item bootstrap for loss / accuracy changes (seed 0, 95%)
STUDY_MAX_PARAMS = 30e9  # the study's largest model (OPT-30B); OPT-66B is left out
JUDGING_PROFILES = ("paper", "small")  # profiles whose Pythia/OPT runs can judge a claim
PYTHIA_OPT_FAMILIES = ("pythia", "opt")
PUBLISHED_FAMILIES = ("pythia", "opt")  # standard Pythia (not deduped) and OPT
VERDICT_CODES = ("reproduced", "partly", "not reproduced", "different", "not judged")

NOT_JUDGED = "not judged: needs a run of Pythia/OPT (`make book PROFILE=small` or `paper`)"
NO_SWAP = "swap experiment not run for this profile"
SWAP_COLUMNS = ("donor", "recipient", "kind", "alpha", "accuracy", "accuracy_low",
                "accuracy_high", "chance")
"""Columns needed from ``helpers.experiments.swap.compute.swap_summary(profile, store=...)``: one row per
(donor, recipient, task kind, alpha); ``accuracy_low/high`` a 95% interval; ``chance`` the
task's chance accuracy (0 for arithmetic). An optional ``collapse`` column ("complete" or
"graceful") is the swap experiment's own verdict on the full swap and is used when present."""

TABLE_COLUMNS = ("claim", "measured", "interval", "verdict", "source",
                 "illustration (stand-in models, not a verdict)")


@dataclass(frozen=True)
class ClaimResult:
    """One row of the claims table, with the numbers behind its text in ``values``."""

    claim_id: int
    claim: str
    measured: str
    interval: str
    verdict: str
    verdict_code: str  # one of VERDICT_CODES
    source: str
    illustration: str
    values: dict[str, Any] = field(default_factory=dict)


def verdict_rules() -> list[str]:
    """The rule behind each claim's verdict, in words built from the same constants."""
    low, high = CLAIMED_FLAT_BAND
    return [
        f"Claim 1: reproduced if every model's accuracy lies within {_pct(low, 0)}–{_pct(high, 0)}"
        f" ± {N_STDERR:g} standard errors; otherwise not reproduced, with the range measured.",
        f"Claim 2: a model is significantly below chance when (accuracy − {_pct(CHANCE_ACCURACY, 0)})"
        f" / stderr < −{N_STDERR:g}. Reproduced if more than half the models are, partly if some"
        " are, not reproduced if none is.",
        "Claim 3: relative fall of the mean per-token loss of the correct answer from the"
        f" smallest to the largest model of each family, with a {BOOTSTRAP}-replicate paired item"
        f" bootstrap 95% interval. Reproduced if every family's interval covers"
        f" {_pct(CLAIMED_LOSS_REDUCTION, 0)}; otherwise different, with the values.",
        "Claim 4: in each family, the smallest-to-largest change of arithmetic loss and exact-match"
        " accuracy (paired bootstrap 95% intervals). A family improves in both when the loss"
        " reduction's interval and the accuracy change's interval lie above 0. Reproduced if"
        " every family does, partly if some family improves in one or both, not reproduced"
        " otherwise.",
        "Claim 5: a (pair, task) is testable when the unswapped recipient (alpha 0) is above"
        " chance (interval low end > chance). It collapses when the full swap (alpha 1) is not"
        " significantly above chance: the swap experiment's `collapse` verdict (exact binomial"
        " test, p ≥ 0.05), or, without it, the interval's low end at or below chance. Reproduced"
        " if every testable case collapses, partly if some do, not reproduced if none does.",
        "Claims are judged on Pythia/OPT numbers only: our stored runs of profile `paper` (else"
        " `small`) when present, otherwise the published lm-evaluation-harness results. Stand-in"
        " models only illustrate.",
    ]


# ------------------------------------------------------------------------------ formatting


def _pct(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f}%"


def _pct_interval(low: float, high: float, digits: int = 1) -> str:
    return f"[{100 * low:.{digits}f}, {100 * high:.{digits}f}]%"


def _signed(value: float, digits: int = 1) -> str:
    """``-0.31`` -> ``−31.0``, ``0.05`` -> ``+5.0`` (percent, true minus sign)."""
    return f"{100 * value:+.{digits}f}".replace("-", "−")


def _loss_change(gap: GapResult) -> str:
    """The relative loss change small -> large with its interval: ``−31.0% [−32.6, −29.5]``."""
    low, high = gap.relative_loss_reduction_interval
    return f"{_signed(-gap.relative_loss_reduction)}% [{_signed(-high)}, {_signed(-low)}]"


def _model_name(source: str) -> str:
    """``random:pythia-70m`` -> ``pythia-70m``, ``offline:smollm2-135m`` -> ``smollm2-135m``."""
    return source.split(":", 1)[1] if ":" in source and not source.startswith("/") else source


def _illustration_label(profile: Profile) -> str:
    if not profile.findings:
        return (f"Random-weight models (profile `{profile.name}`): meaningless numbers that only"
                " test the pipeline. ")
    return f"Stand-in models (profile `{profile.name}`), not Pythia/OPT: "


# ------------------------------------------------------------------------- stored runs


class StoredRuns:
    """Read-only access to stored rows of a (model source, task setting), whatever the dtype.

    The key :func:`helpers.experiments.evaluation.load_stored` uses is tried first (this machine's default
    dtype);
    a run made elsewhere (e.g. bf16 on a GPU) is found by its key fields in the store's list.
    """

    def __init__(self, stack: StoreStack | None = None):
        self.stack = stack if stack is not None else default_stack()
        self.store = self.stack.local
        self._listing: pd.DataFrame | None = None
        self._code_version = evaluation_code_version()  # hashed once: the same for every lookup

    def _list(self) -> pd.DataFrame:
        if self._listing is None:
            self._listing = self.store.list()
        return self._listing

    def rows(self, source: str, setting: TaskSetting) -> pd.DataFrame | None:
        """The stored per-request rows, or ``None`` when this run was never stored."""
        plain = result_key(ModelHandle(source), setting)
        try:  # what helpers.experiments.evaluation.load_stored does, without re-hashing the code version
            return self.stack.load(plain, self._code_version).assign(kind=setting.kind)
        except ResultNotFoundError:
            pass
        key_fields = self.stack.local_fields(plain, self._code_version)
        wanted = {name: value for name, value in key_fields.items() if name not in ("dtype", "seed")}
        listing = self._list()
        if listing.empty:
            return None
        matches = listing[listing["complete"].astype(bool)]
        for name, value in wanted.items():
            column = f"key_fields.{name}"
            if column not in matches:
                return None
            matches = matches[matches[column].map(lambda found, value=value: _same(found, value))]
        if matches.empty:
            return None
        # The listing's flattened columns may turn ints into floats (which hash differently):
        # load with the exact key fields recorded in the provenance file.
        record = json.loads((Path(matches.iloc[0]["path"]) / PROVENANCE_FILE).read_text(encoding="utf-8"))
        return self.store.load(record["key_fields"]).assign(kind=setting.kind)

    def items_by_family(self, profile: Profile, kind: str,
                        families: Sequence[str] | None = None) -> dict[str, list[pd.DataFrame]]:
        """Per family (smallest model first), the item tables of the stored models on ``kind``."""
        setting = profile.tasks.get(kind)
        found: dict[str, list[pd.DataFrame]] = {}
        if setting is None:
            return found
        for family, sources in profile.families.items():
            if families is not None and family not in families:
                continue
            tables = []
            for source in sources:
                rows = self.rows(source, setting)
                if rows is not None and len(rows):
                    tables.append(item_table(rows).assign(source=source))
            if tables:
                found[family] = tables
        return found


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _same(found: Any, wanted: Any) -> bool:
    if _missing(wanted):
        return _missing(found)
    if _missing(found):
        return False
    return found == wanted


# ---------------------------------------------------------------------------- evidence


def published_study_accuracies(published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Published MMLU-math 0-shot accuracy of the study's models (Pythia 70m–12b, OPT 125m–30b).

    Columns ``family, model, params, acc, acc_stderr`` (size-weighted over the 5 subjects).
    """
    published = reference.load_published() if published is None else published
    summary = reference.mmlu_math_summary(published, shots=0)
    chosen = summary["family"].isin(PUBLISHED_FAMILIES) & (summary["params"] <= STUDY_MAX_PARAMS)
    return summary.loc[chosen, ["family", "model", "params", "acc", "acc_stderr"]].reset_index(drop=True)


def run_accuracies(items_by_family: dict[str, list[pd.DataFrame]]) -> pd.DataFrame:
    """Accuracy and harness stderr per stored model, same columns as the published table."""
    records = []
    for family, tables in items_by_family.items():
        for table in tables:
            n_items, n_correct = len(table), int(table["correct"].sum())
            records.append({
                "family": family, "model": _model_name(str(table["source"].iloc[0])),
                "params": int(table["n_params_total"].iloc[0]), "acc": n_correct / n_items,
                "acc_stderr": harness_stderr(n_correct, n_items) if n_items >= 2 else math.nan,
                "n_items": n_items,
            })
    return pd.DataFrame(records, columns=["family", "model", "params", "acc", "acc_stderr", "n_items"])


def family_gaps(items_by_family: dict[str, list[pd.DataFrame]]) -> dict[str, tuple[str, str, GapResult]]:
    """Per family with 2+ stored models: (smallest, largest, paired change smallest -> largest)."""
    gaps = {}
    for family, tables in items_by_family.items():
        if len(tables) < 2:
            continue
        ordered = sorted(tables, key=lambda table: int(table["n_params_total"].iloc[0]))
        small, large = ordered[0], ordered[-1]
        paired = small.merge(large, on=["task", "item_id"], suffixes=("_small", "_large"))
        if len(paired) < 2:
            continue
        gap = confidence_competence_gap(
            paired["gold_nll_per_token_small"], paired["gold_nll_per_token_large"],
            paired["correct_small"].astype(float), paired["correct_large"].astype(float),
            paired=True, bootstrap=BOOTSTRAP, seed=0,
        )
        gaps[family] = (_model_name(str(small["source"].iloc[0])),
                        _model_name(str(large["source"].iloc[0])), gap)
    return gaps


# ----------------------------------------------------------------------------- judging


@dataclass(frozen=True)
class Judgement:
    measured: str
    interval: str
    verdict: str
    verdict_code: str
    values: dict[str, Any] = field(default_factory=dict)


def judge_flat(accuracies: pd.DataFrame) -> Judgement:
    """Claim 1 from one accuracy per model (``acc``, ``acc_stderr``)."""
    low_band, high_band = CLAIMED_FLAT_BAND
    margin = N_STDERR * accuracies["acc_stderr"]
    inside = (accuracies["acc"] + margin >= low_band) & (accuracies["acc"] - margin <= high_band)
    lowest = accuracies.loc[accuracies["acc"].idxmin()]
    highest = accuracies.loc[accuracies["acc"].idxmax()]
    n_models, n_outside = len(accuracies), int((~inside).sum())
    measured = f"accuracy {_pct(lowest['acc'])}–{_pct(highest['acc'])} over {n_models} models"
    interval = "; ".join(
        f"{label} {row['model']}: {_pct(row['acc'])} ± {_pct(N_STDERR * row['acc_stderr'])}"
        for label, row in (("lowest", lowest), ("highest", highest)))
    if n_outside == 0:
        verdict, code = (f"reproduced: every model within {_pct(low_band, 0)}–{_pct(high_band, 0)}"
                         f" ± {N_STDERR:g} stderr"), "reproduced"
    else:
        verdict, code = (f"not reproduced: accuracy ranges {_pct(lowest['acc'])}–{_pct(highest['acc'])}"
                         f" ({n_outside} of {n_models} models outside {_pct(low_band, 0)}–"
                         f"{_pct(high_band, 0)} ± {N_STDERR:g} stderr)"), "not reproduced"
    values = {"acc_min": float(lowest["acc"]), "acc_max": float(highest["acc"]),
              "model_min": str(lowest["model"]), "model_max": str(highest["model"]),
              "n_models": n_models, "n_outside": n_outside}
    return Judgement(measured, interval, verdict, code, values)


def judge_below_chance(accuracies: pd.DataFrame) -> Judgement:
    """Claim 2 from one accuracy per model (:func:`helpers.analysis.published.chance_check` rule)."""
    checked = reference.chance_check(accuracies, chance=CHANCE_ACCURACY, n_stderr=N_STDERR)
    below = checked["z_vs_chance"] < -N_STDERR
    above = checked["z_vs_chance"] > N_STDERR
    n_models, n_below, n_above = len(checked), int(below.sum()), int(above.sum())
    measured = (f"{n_below} of {n_models} models significantly below {_pct(CHANCE_ACCURACY, 0)},"
                f" {n_above} above, {n_models - n_below - n_above} within ± {N_STDERR:g} stderr")
    z_low, z_high = checked["z_vs_chance"].min(), checked["z_vs_chance"].max()
    interval = f"z vs chance from {z_low:.2f} to {z_high:.2f}"
    if n_below > n_models / 2:
        code = "reproduced"
    elif n_below > 0:
        code = "partly"
    else:
        code = "not reproduced"
    verdict = f"{code}: {n_below} of {n_models} models significantly below chance"
    values = {"n_models": n_models, "n_below": n_below, "n_above": n_above,
              "models_below": sorted(checked.loc[below, "model"].astype(str))}
    return Judgement(measured, interval, verdict, code, values)


def _family_loss_text(family: str, small: str, large: str, gap: GapResult) -> str:
    return f"{family}: {small} → {large}, loss {_loss_change(gap)} ({gap.n_items_small} items)"


def judge_loss_reduction(gaps: dict[str, tuple[str, str, GapResult]]) -> Judgement:
    """Claim 3 from per-family paired changes (relative fall of the answer loss)."""
    covers = {family: gap.relative_loss_reduction_interval[0] <= CLAIMED_LOSS_REDUCTION
              <= gap.relative_loss_reduction_interval[1] for family, (_, _, gap) in gaps.items()}
    measured = "; ".join(f"{family}: loss {_signed(-gap.relative_loss_reduction)}%"
                         for family, (_, _, gap) in gaps.items())
    interval = "; ".join(_family_loss_text(family, *entry) for family, entry in gaps.items())
    if all(covers.values()):
        verdict, code = (f"reproduced: every family's interval covers {_pct(CLAIMED_LOSS_REDUCTION, 0)}",
                         "reproduced")
    else:
        verdict, code = "different: " + interval, "different"
    values = {family: gap.relative_loss_reduction for family, (_, _, gap) in gaps.items()}
    return Judgement(measured, interval, verdict, code, {"reduction": values, "covers": covers})


def _improves(gap: GapResult) -> tuple[bool, bool]:
    """(loss falls, accuracy rises), each with its 95% interval above 0."""
    return (gap.relative_loss_reduction_interval[0] > 0,
            gap.absolute_accuracy_change_interval[0] > 0)


def _family_arithmetic_text(family: str, small: str, large: str, gap: GapResult) -> str:
    acc_low, acc_high = gap.absolute_accuracy_change_interval
    return (_family_loss_text(family, small, large, gap)
            + f", accuracy {_pct(gap.accuracy_small)} → {_pct(gap.accuracy_large)}"
              f" ({_signed(gap.absolute_accuracy_change)} pp"
              f" [{_signed(acc_low)}, {_signed(acc_high)}])")


def judge_arithmetic(gaps: dict[str, tuple[str, str, GapResult]]) -> Judgement:
    """Claim 4 from per-family paired changes on arithmetic."""
    improves = {family: _improves(gap) for family, (_, _, gap) in gaps.items()}
    both = [family for family, (loss, acc) in improves.items() if loss and acc]
    some = [family for family, (loss, acc) in improves.items() if loss or acc]
    measured = "; ".join(
        f"{family}: loss {_signed(-gap.relative_loss_reduction)}%, accuracy"
        f" {_signed(gap.absolute_accuracy_change)} pp" for family, (_, _, gap) in gaps.items())
    interval = "; ".join(_family_arithmetic_text(family, *entry) for family, entry in gaps.items())
    if len(both) == len(gaps):
        code = "reproduced"
    elif some:
        code = "partly"
    else:
        code = "not reproduced"
    verdict = (f"{code}: both improve in {len(both)} of {len(gaps)} families"
               + (f" ({', '.join(both)})" if both else ""))
    return Judgement(measured, interval, verdict, code,
                     {"improves": improves, "both": both})


def judge_swap(summary: pd.DataFrame) -> Judgement | None:
    """Claim 5 from a swap summary (:data:`SWAP_COLUMNS`); ``None`` if nothing is testable."""
    cases = []
    for (donor, recipient, kind), group in summary.groupby(["donor", "recipient", "kind"], sort=False):
        unswapped = group[group["alpha"] == 0.0]
        swapped = group[group["alpha"] == 1.0]
        if unswapped.empty or swapped.empty:
            continue
        base, full = unswapped.iloc[0], swapped.iloc[0]
        if not base["accuracy_low"] > base["chance"]:
            continue  # nothing to collapse: the recipient alone is at chance
        if "collapse" in group.columns:  # the swap experiment's own verdict (exact binomial test)
            collapsed = str(full["collapse"]) == "complete"
        else:
            collapsed = bool(full["accuracy_low"] <= full["chance"])
        cases.append((f"{_model_name(str(donor))} → {_model_name(str(recipient))} {kind}:"
                      f" {_pct(base['accuracy'])} → {_pct(full['accuracy'])}"
                      f" {_pct_interval(full['accuracy_low'], full['accuracy_high'])}"
                      f" (chance {_pct(full['chance'])})", collapsed))
    if not cases:
        return None
    n_collapsed = sum(collapsed for _, collapsed in cases)
    code = ("reproduced" if n_collapsed == len(cases) else "partly" if n_collapsed
            else "not reproduced")
    measured = f"{n_collapsed} of {len(cases)} testable (pair, task) collapse to chance at alpha 1"
    interval = "; ".join(text for text, _ in cases)
    return Judgement(measured, interval, f"{code}: {measured}", code,
                     {"n_cases": len(cases), "n_collapsed": n_collapsed})


# ------------------------------------------------------------------------------ sources


def _run_source(profile: Profile, kind: str, n_models: int) -> str:
    setting = profile.tasks[kind]
    limit = "all items" if setting.limit is None else f"limit {setting.limit}"
    return (f"our runs, profile `{profile.name}`: {n_models} Pythia/OPT models, task"
            f" `{setting.task}` {setting.shots}-shot, {limit}")


PUBLISHED_SOURCE = (
    "published lm-evaluation-harness results (EleutherAI/pythia `evals/`; see"
    " `data/reference/SOURCES.md`): MMLU-math 0-shot, hendrycksTest v0 full-text scoring,"
    " final checkpoints, Pythia 70m–12b and OPT 125m–30b"
)


def swap_summary_for(profile_name: str, stack: StoreStack | None = None) -> pd.DataFrame | str:
    """The swap summary of ``profile_name`` (:func:`helpers.experiments.swap.verdict.swap_summary`),
    or why there is none: no swap section, or results never computed. Any other error is a bug
    and propagates (a green book must not hide it)."""
    from helpers.experiments.config import configure
    from helpers.experiments.swap.plan import swap_plan
    from helpers.experiments.swap.verdict import swap_summary

    config = configure(profile_name, experiment="swap", overrides={"compute_missing": False})
    if config.profile.swap is None:
        return NO_SWAP
    try:
        summary = swap_summary(swap_plan(config), stack=stack)
    except ResultNotFoundError:
        return f"{NO_SWAP} (not computed; run `make run PROFILE={profile_name}`)"
    return summary if not summary.empty else NO_SWAP


# -------------------------------------------------------------------------- the claims


class _Evidence:
    """The stored runs behind the table, each looked up once."""

    def __init__(self, profiles: dict[str, Profile], profile_name: str, runs: StoredRuns):
        if profile_name not in profiles:
            raise ProfileError(f"Unknown profile {profile_name!r}; defined in data/profiles.yml: "
                               f"{', '.join(profiles)}.")
        self.profiles = profiles
        self.profile = profiles[profile_name]
        self.runs = runs
        self._cache: dict[tuple[str, str], dict[str, list[pd.DataFrame]]] = {}

    def items(self, profile: Profile, kind: str, pythia_opt_only: bool) -> dict[str, list[pd.DataFrame]]:
        key = (profile.name, kind)
        if key not in self._cache:
            families = PYTHIA_OPT_FAMILIES if pythia_opt_only else None
            self._cache[key] = self.runs.items_by_family(profile, kind, families)
        return self._cache[key]

    def judging_runs(self, kind: str, minimum_per_family: int) -> tuple[Profile, dict] | None:
        """The first profile of :data:`JUDGING_PROFILES` with 2+ stored Pythia/OPT models on
        ``kind`` (counting only families with ``minimum_per_family`` of them), or ``None``."""
        for name in JUDGING_PROFILES:
            profile = self.profiles[name]
            found = {family: tables for family, tables in self.items(profile, kind, True).items()
                     if len(tables) >= minimum_per_family}
            if sum(len(tables) for tables in found.values()) >= 2:
                return profile, found
        return None

    def illustration(self, kind: str, render: Callable[[dict], str | None],
                     judged_by: Profile | None) -> str:
        if judged_by is not None and judged_by.name == self.profile.name:
            return "— (this profile's own Pythia/OPT runs give the verdict)"
        found = self.items(self.profile, kind, False)
        text = render(found) if found else None
        if text is None:
            return (f"no stored runs of profile `{self.profile.name}` on `{kind}`"
                    f" (run `make run PROFILE={self.profile.name}`)")
        return _illustration_label(self.profile) + text


def _accuracy_illustration(found: dict) -> str | None:
    accuracies = run_accuracies(found).dropna(subset=["acc_stderr"])
    if accuracies.empty:
        return None
    flat, chance = judge_flat(accuracies), judge_below_chance(accuracies)
    return f"{flat.measured}; {chance.measured}"


def _loss_illustration(found: dict) -> str | None:
    gaps = family_gaps(found)
    return "; ".join(_family_loss_text(family, *entry) for family, entry in gaps.items()) or None


def _arithmetic_illustration(found: dict) -> str | None:
    gaps = family_gaps(found)
    return "; ".join(_family_arithmetic_text(family, *entry) for family, entry in gaps.items()) or None


def _result(claim_id: int, judgement: Judgement | None, source: str, illustration: str) -> ClaimResult:
    claim = CLAIMS[claim_id - 1]
    if judgement is None:
        return ClaimResult(claim_id, claim, "—", "—", NOT_JUDGED, "not judged", source, illustration)
    return ClaimResult(claim_id, claim, judgement.measured, judgement.interval, judgement.verdict,
                       judgement.verdict_code, source, illustration, dict(judgement.values))


def _knowledge_claims(evidence: _Evidence, published: pd.DataFrame | None) -> list[ClaimResult]:
    """Claims 1 and 2: own Pythia/OPT runs if stored, else the published results."""
    judging = evidence.judging_runs("knowledge", minimum_per_family=1)
    if judging is not None:
        profile, found = judging
        accuracies = run_accuracies(found).dropna(subset=["acc_stderr"])  # 1-item runs: no stderr
        source = _run_source(profile, "knowledge", len(accuracies))
    else:
        profile, accuracies, source = None, published_study_accuracies(published), PUBLISHED_SOURCE
    illustration = evidence.illustration("knowledge", _accuracy_illustration, profile)
    return [_result(1, judge_flat(accuracies), source, illustration),
            _result(2, judge_below_chance(accuracies), source, illustration)]


def _scaling_claim(evidence: _Evidence, claim_id: int, kind: str,
                   judge: Callable[[dict], Judgement], render: Callable[[dict], str | None]) -> ClaimResult:
    """Claims 3 and 4: paired smallest -> largest changes of own Pythia/OPT runs."""
    judging = evidence.judging_runs(kind, minimum_per_family=2)
    gaps = family_gaps(judging[1]) if judging is not None else {}
    if not gaps:
        return _result(claim_id, None, f"no stored Pythia/OPT run on `{kind}`; the published"
                       " results have no answer loss or arithmetic",
                       evidence.illustration(kind, render, None))
    profile = judging[0]
    n_models = sum(len(tables) for tables in judging[1].values())
    return _result(claim_id, judge(gaps), _run_source(profile, kind, n_models),
                   evidence.illustration(kind, render, profile))


def _swap_claim(evidence: _Evidence) -> ClaimResult:
    """Claim 5: the swap experiment's summary of a Pythia/OPT profile, if stored."""
    judged, judged_by = None, None
    source = "no swap result of a Pythia/OPT profile; the published results have no swaps"
    for name in JUDGING_PROFILES:
        summary = swap_summary_for(name, evidence.runs.stack)
        judged = judge_swap(summary) if isinstance(summary, pd.DataFrame) else None
        if judged is not None:
            judged_by, source = name, f"our swap experiment, profile `{name}`"
            break
    if judged_by == evidence.profile.name:
        illustration = "— (this profile's own Pythia/OPT runs give the verdict)"
    else:
        own = swap_summary_for(evidence.profile.name, evidence.runs.stack)
        if isinstance(own, str):
            illustration = own
        else:
            shown = judge_swap(own)
            illustration = _illustration_label(evidence.profile) + (
                shown.interval if shown is not None
                else "no (pair, task) whose unswapped recipient is above chance")
    return _result(5, judged, source, illustration)


def claim_results(profile: str, *, stack: StoreStack | None = None,
                  published: pd.DataFrame | None = None) -> list[ClaimResult]:
    """One :class:`ClaimResult` per claim of :data:`CLAIMS`, for the book built with ``profile``.

    ``store`` defaults to the project's results store; ``published`` to
    :func:`helpers.analysis.published.load_published` (raises
    :class:`helpers.infra.profiles.ProfileError` for an unknown profile).
    """
    evidence = _Evidence(load_profiles(), profile, StoredRuns(stack))
    return [
        *_knowledge_claims(evidence, published),
        _scaling_claim(evidence, 3, "knowledge", judge_loss_reduction, _loss_illustration),
        _scaling_claim(evidence, 4, "procedure", judge_arithmetic, _arithmetic_illustration),
        _swap_claim(evidence),
    ]


def claims_frame(profile: str, *, stack: StoreStack | None = None,
                 published: pd.DataFrame | None = None) -> pd.DataFrame:
    """The claims table as a DataFrame with columns :data:`TABLE_COLUMNS`."""
    results = claim_results(profile, stack=stack, published=published)
    return pd.DataFrame(
        [(r.claim, r.measured, r.interval, r.verdict, r.source, r.illustration) for r in results],
        columns=list(TABLE_COLUMNS))


def claims_table(profile: str, *, stack: StoreStack | None = None) -> str:
    """MyST markdown for the book: the claims table (label ``claims-table``) and the rules."""
    frame = claims_frame(profile, stack=stack)
    table = markdown_table(list(frame.columns), [list(row) for row in frame.itertuples(index=False)])
    rules = "\n".join(f"- {rule}" for rule in verdict_rules())
    return (f":::{{table}} Claims of the study and our results (profile {profile})\n"
            f":name: claims-table\n\n{table}\n:::\n\n"
            f"How each verdict is decided (the rules are code in `helpers.report.claims`):\n\n{rules}\n")
