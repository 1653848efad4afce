"""The evidence the claims are judged on, gathered once: published Pythia/OPT results and stored runs.

Only Pythia/OPT numbers judge a claim: the published lm-evaluation-harness results
(``data/reference``: MMLU-math in the study's format, 0-shot full answer text, hendrycksTest v0;
Pythia deduped v0 arithmetic by free generation), or runs of a Pythia/OPT profile (``small``,
``paper``) found in the store, whether computed by our engine or imported from
lm-evaluation-harness. Runs of other profiles (the offline stand-ins) are *illustrations*: the
same rules applied to other models, labelled as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from helpers.analysis.items import item_table
from helpers.analysis.metrics import MetricError
from helpers.analysis.published import load_published, mmlu_math_summary
from helpers.experiments.config import load_profiles
from helpers.infra.profiles import PROFILES_FILE, Profile
from helpers.infra.store import ResultNotFoundError, StoreStack

JUDGING_PROFILES = ("paper", "small")
"""Profiles whose Pythia/OPT runs can judge a claim, the larger first."""
PYTHIA_OPT_FAMILIES = ("pythia", "opt")
STUDY_MAX_PARAMS = 30e9  # the study's largest model (OPT-30B): OPT-66B is left out
MMLU_CHANCE = 0.25


@dataclass(frozen=True)
class FamilyRuns:
    """Item tables of one family's stored runs on one task kind, smallest model first."""

    profile: str
    family: str
    kind: str
    shots: int
    task: str
    tables: tuple[pd.DataFrame, ...]  # helpers.analysis.items.item_table output, one per model

    @property
    def models(self) -> list[str]:
        return [str(table["model_id"].iloc[0]) for table in self.tables]


def mmlu_math_counts(published: pd.DataFrame, shots: int, families, max_params: float) -> pd.DataFrame:
    """Published MMLU-math of ``families`` up to ``max_params``, at ``shots``, one row per (model, checkpoint) of
    :func:`~helpers.analysis.published.mmlu_math_summary`: ``family, model, params, n, k_acc, acc, acc_stderr,
    k_norm, acc_norm, acc_norm_stderr``. ``k`` is exact: each subject's accuracy times its item count is an
    integer, and the pooled accuracy is their size-weighted mean."""
    summary = mmlu_math_summary(published, shots=shots)
    summary = summary[summary["family"].isin(list(families)) & (summary["params"] <= max_params)]
    n = summary["n_items"].astype(int)
    return pd.DataFrame(
        {
            "family": summary["family"],
            "model": summary["model"],
            "params": summary["params"].astype(float),
            "n": n,
            "k_acc": np.rint(summary["acc"] * n).astype(int),
            "acc": summary["acc"],
            "acc_stderr": summary["acc_stderr"],
            "k_norm": np.rint(summary["acc_norm"] * n).astype(int),
            "acc_norm": summary["acc_norm"],
            "acc_norm_stderr": summary["acc_norm_stderr"],
        }
    )


def published_mmlu_accuracies(published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Published MMLU-math 0-shot (full answer text) of the study's Pythia and OPT models.

    One row per model (Pythia 70m-12b, OPT 125m-30b; each model once): ``family, model, params,
    n, k_acc, acc, acc_stderr, k_norm, acc_norm`` (:func:`mmlu_math_counts`).
    """
    published = published if published is not None else load_published()
    columns = ["family", "model", "params", "n", "k_acc", "acc", "acc_stderr", "k_norm", "acc_norm"]
    counts = mmlu_math_counts(published, 0, PYTHIA_OPT_FAMILIES, STUDY_MAX_PARAMS)[columns]
    return counts.drop_duplicates("model").reset_index(drop=True)


def mmlu_fulltext_items():
    """The 1,064 MMLU-math test items in the full-answer-text format (choice texts and gold)."""
    from helpers.core.tasks import build_items

    items = build_items("mmlu_math_fulltext", shots=0)
    return [[request.continuation for request in item.requests] for item in items], [item.gold for item in items]


def run_and_judging_profiles() -> dict[str, Profile]:
    """The run's profiles (its profiles file, :func:`~helpers.infra.profiles.default_profiles_file`) and the
    project's :data:`JUDGING_PROFILES` (from ``data/profiles.yml`` when the run's file lacks them): a book
    built from a custom profiles file still judges the claims on the project's Pythia/OPT runs."""
    project = load_profiles(PROFILES_FILE)
    return {**{name: project[name] for name in JUDGING_PROFILES if name in project}, **load_profiles()}


def profiles_file_of(name: str):
    """The file :func:`run_and_judging_profiles` takes profile ``name`` from: the run's when it defines it,
    else the project's ``data/profiles.yml``."""
    from helpers.infra.profiles import default_profiles_file

    run_file = default_profiles_file()
    return run_file if name in load_profiles(run_file) else PROFILES_FILE


@dataclass
class Evidence:
    """Everything the claims table reads, each piece loaded on first use."""

    profile_name: str
    stack: StoreStack | None = None
    published: pd.DataFrame | None = None
    profiles: dict[str, Profile] = field(default_factory=run_and_judging_profiles)

    def __post_init__(self) -> None:
        if self.profile_name not in self.profiles:
            from helpers.infra.profiles import ProfileError

            raise ProfileError(
                f"Unknown profile {self.profile_name!r}; defined in the profiles file: {', '.join(self.profiles)}."
            )
        self._runs: dict[tuple[str, str, bool], list[FamilyRuns]] = {}
        self.problems: list[str] = []  # stored runs that could not be used, and why

    @property
    def profile(self) -> Profile:
        return self.profiles[self.profile_name]

    @cached_property
    def mmlu(self) -> pd.DataFrame:
        return published_mmlu_accuracies(self.published)

    @cached_property
    def fulltext_items(self) -> tuple[list[list[str]], list[int]]:
        return mmlu_fulltext_items()

    @cached_property
    def pythia_arithmetic(self) -> pd.DataFrame:
        from helpers.analysis.pythia_arithmetic import load_pythia_arithmetic

        return load_pythia_arithmetic(published=self.published)

    def runs(self, profile_name: str, kind: str, *, pythia_opt_only: bool) -> list[FamilyRuns]:
        """Stored runs of ``profile_name`` on task kind ``kind``, per family with 1+ model stored."""
        key = (profile_name, kind, pythia_opt_only)
        if key not in self._runs:
            self._runs[key] = self._load_runs(self.profiles[profile_name], kind, pythia_opt_only)
        return self._runs[key]

    def _load_runs(self, profile: Profile, kind: str, pythia_opt_only: bool) -> list[FamilyRuns]:
        from helpers.experiments.evaluation import ModelHandle, load_stored

        setting = profile.tasks.get(kind)
        if setting is None:
            return []
        found = []
        for family, sources in profile.families.items():
            if pythia_opt_only and family not in PYTHIA_OPT_FAMILIES:
                continue
            tables = []
            for source in sources:
                try:
                    rows = load_stored(ModelHandle(source), setting, stack=self.stack)
                except ResultNotFoundError:
                    continue
                if not len(rows):
                    continue
                try:
                    tables.append(item_table(rows))
                except MetricError as error:  # NaN log-probabilities, malformed rows: say so, judge without it
                    self.problems.append(f"{source} on {kind} (profile `{profile.name}`) left out: {error}")
            if tables:
                found.append(FamilyRuns(profile.name, family, kind, setting.shots, setting.task, tuple(tables)))
        return found

    def judging_runs(self, kind: str, minimum: int = 2) -> list[FamilyRuns]:
        """Pythia/OPT runs on ``kind`` of the first judging profile with a family of ``minimum``+ models."""
        for name in JUDGING_PROFILES:
            found = [runs for runs in self.runs(name, kind, pythia_opt_only=True) if len(runs.tables) >= minimum]
            if found:
                return found
        return []

    def illustration_runs(self, kind: str, minimum: int = 2) -> list[FamilyRuns]:
        """This profile's own runs on ``kind`` (stand-ins when it is not a Pythia/OPT profile)."""
        if self.profile_name in JUDGING_PROFILES:
            return []
        return [
            runs for runs in self.runs(self.profile_name, kind, pythia_opt_only=False) if len(runs.tables) >= minimum
        ]
