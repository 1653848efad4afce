"""The book's generated pages: the claims table, the provenance of the build, the published reference.

Each function returns MyST markdown computed from the data when the book is built; the book
includes them from ``book/_generated/``. Nothing here states a number that was not computed.
"""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.analysis.inference import chance_family
from helpers.analysis.published import (
    MMLU_MATH_SIZES,
    SUSPECT_MAX_STEP,
    SUSPECT_MODELS,
    fold_change,
    lambada_summary,
    load_published,
    mmlu_math_summary,
)
from helpers.core.tasks.mmlu import CHANCE as MMLU_CHANCE
from helpers.experiments.config import load_profile
from helpers.infra.paths import REPO_ROOT
from helpers.infra.provenance import COMPUTE_PACKAGES, package_versions
from helpers.render.markdown import markdown_table, table_directive

PROVENANCE_PACKAGES = (
    *COMPUTE_PACKAGES,
    "altair",
    "vl-convert-python",
    "papermill",
    "jupyter-book",
    "sphinx",
    "myst-nb",
)


def claims_pages(profile: str, results=None) -> dict[str, str]:
    """The first page's generated parts: ``findings.md`` (one sentence per claim), ``claims.md``
    (the compact table) and ``claims_details.md`` (how each verdict was decided)."""
    from helpers.report.claims.table import claims_markdown_parts

    parts = claims_markdown_parts(profile, results=results)
    return {"findings.md": parts["findings"] + "\n", "claims.md": parts["table"], "claims_details.md": parts["details"]}


def models_markdown(profile: str) -> str:
    """The models of the build's profile: size, instruct or base, the weights they were made from."""
    from helpers.experiments.config import configure
    from helpers.experiments.model_table import model_table, model_table_markdown, profile_note
    from helpers.experiments.registry import model_list_experiments

    config = configure(profile, None, {}, experiment=model_list_experiments()[0])  # they share the model list
    table = model_table(config)
    return f"{profile_note(config.profile, table)}\n\n{model_table_markdown(table)}\n{unstored_note(config)}"


def unstored_note(config) -> str:
    """A sentence naming the profile's models that have no stored results ("" when none): a build
    reading shipped results leaves them out of its chapters (:func:`helpers.experiments.plan.book_models`)."""
    from helpers.experiments.plan import unstored_models

    lacking = unstored_models(config)
    if not lacking or len(lacking) == len(config.models):
        return ""
    named = "; ".join(f"`{source}` ({', '.join(kinds)})" for source, kinds in lacking.items())
    return (
        f"\n**Not in this build's chapters:** {named}: their results were neither shipped nor computed "
        f"when the book was built. `make run PROFILE={config.profile.name}` computes them.\n"
    )


def claims_markdown(profile: str) -> str:
    """The whole claims section (findings, table, details) of the book built with ``profile``."""
    from helpers.report.claims import claims_table

    return claims_table(profile)


def _git(*args: str) -> str:
    """Output of a read-only git command in the repository, or ``"unknown"``."""
    try:
        completed = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return completed.stdout.strip()


def provenance_markdown(profile: str) -> str:
    """Profile, code version, platform and package versions of this build."""
    commit = _git("rev-parse", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    code_version = commit if not dirty else f"{commit} (with uncommitted changes)"
    facts = [
        ("Profile", f"`{profile}`"),
        ("Code version (git)", f"`{code_version}`"),
        ("Built (UTC)", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")),
        ("Python", platform.python_version()),
        ("Platform", platform.platform()),
    ]
    versions = package_versions(PROVENANCE_PACKAGES)
    facts += [(f"`{name}`", version or "not installed") for name, version in versions.items()]
    return table_directive("Environment of this build", "provenance-table", markdown_table(("Item", "Value"), facts))


def _format_params(params: int) -> str:
    """A parameter count for a table: ``70M``, ``1.4B``, ``11.8B``."""
    return f"{params / 1e9:.1f}B" if params >= 1e9 else f"{params / 1e6:.0f}M"


def _value_pm(value: float, stderr: float) -> str:
    if pd.isna(value):
        return "—"
    return f"{value:.4f} ± {stderr:.4f}"


def _mmlu_math_table(df: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """The MMLU-math pipe table (0-shot and, for Pythia, 5-shot) and the merged summary."""
    zero = mmlu_math_summary(df, shots=0)
    five = mmlu_math_summary(df, shots=5)[["model", "acc", "acc_stderr", "acc_norm", "acc_norm_stderr"]]
    merged = zero.merge(five, on="model", how="left", suffixes=("", "_5"), validate="one_to_one")
    rows = [
        (
            row.family,
            row.model,
            _format_params(int(row.params)),
            _value_pm(row.acc, row.acc_stderr),
            _value_pm(row.acc_norm, row.acc_norm_stderr),
            _value_pm(row.acc_5, row.acc_stderr_5),
            _value_pm(row.acc_norm_5, row.acc_norm_stderr_5),
        )
        for row in merged.itertuples(index=False)
    ]
    header = ("family", "model", "parameters", "0-shot acc", "0-shot acc_norm", "5-shot acc", "5-shot acc_norm")
    return markdown_table(header, rows), merged


def _chance_table(df: pd.DataFrame, chance: float) -> str:
    """Per family and setting: models significantly below / above ``chance`` (exact binomial,
    two-sided, Holm across the family's models, each model once) and the rest."""
    rows = []
    for shots in sorted(int(value) for value in df["num_fewshot"].unique()):
        summary = mmlu_math_summary(df, shots=shots).drop_duplicates("model")
        for metric in ("acc", "acc_norm"):
            for family, group in summary.groupby("family", sort=False):
                table = pd.DataFrame(
                    {
                        "model": group["model"],
                        "n": group["n_items"].astype(int),
                        "k": np.rint(group[metric] * group["n_items"]).astype(int),
                    }
                )
                tested = chance_family(table, chance, "two-sided")
                below = int((tested["significant"] & (tested["estimate"] < chance)).sum())
                above = int((tested["significant"] & (tested["estimate"] > chance)).sum())
                rows.append((family, f"{shots}-shot {metric}", len(group), len(group) - below - above, below, above))
    header = (
        "family",
        "setting",
        "models",
        f"not distinguishable from {chance:g}",
        "significantly below",
        "significantly above",
    )
    return markdown_table(header, rows)


def our_runs_beside_published(profile: str) -> str:
    """Our MMLU-math accuracy beside the published one, where a stored run has the same format
    (0-shot, full answer text) on the same Pythia/OPT model; otherwise a sentence saying there is none."""
    from helpers.report.claims.evidence import Evidence

    evidence = Evidence(profile)
    runs = evidence.judging_runs("knowledge_fulltext", minimum=1)
    runs = [r for r in runs if r.shots == 0]
    if not runs:
        return (
            f"This build (profile `{profile}`) has no stored Pythia/OPT run in the published format (MMLU-math, "
            "0-shot, full answer text), so no number of ours is set beside these. With hub access, "
            "`make run PROFILE=small` (or `paper`), or lm-evaluation-harness samples imported with "
            "`make import-lm-eval`, adds that comparison to this page.\n"
        )
    published = evidence.mmlu.set_index("model")
    rows = []
    for family_runs in runs:
        for table in family_runs.tables:
            model = str(table["model_id"].iloc[0]).rsplit("/", 1)[-1]
            ours = float(table["correct"].mean())
            theirs = published["acc"].get(model, float("nan"))
            rows.append(
                (
                    family_runs.family,
                    model,
                    len(table),
                    f"{100 * ours:.1f}%",
                    "—" if theirs != theirs else f"{100 * theirs:.1f}%",
                )
            )
    return table_directive(
        "Our MMLU-math accuracy beside the published one (0-shot, full answer text)",
        "ours-vs-published-table",
        markdown_table(("family", "model", "items", "ours", "published"), rows),
    )


def _lambada_table(df: pd.DataFrame) -> str:
    """Per family and shots: perplexity smallest -> largest model and the fold change."""
    rows = []
    for shots in sorted(int(value) for value in df["num_fewshot"].unique()):
        summary = lambada_summary(df, shots=shots)
        for family in summary["family"].unique():
            change = fold_change(summary, str(family), "ppl")
            accuracy = fold_change(summary, str(family), "acc")
            rows.append(
                (
                    family,
                    f"{shots}-shot",
                    f"{change.smallest_model}: {change.smallest_value:.3f}",
                    f"{change.largest_model}: {change.largest_value:.3f}",
                    f"{change.ratio:.1f}×",
                    f"{accuracy.smallest_value:.4f} → {accuracy.largest_value:.4f}",
                )
            )
    header = (
        "family",
        "setting",
        "smallest model: ppl",
        "largest model: ppl",
        "fold change of ppl",
        "acc smallest → largest",
    )
    return markdown_table(header, rows)


def published_summary(profile: str, path: str | Path | None = None) -> str:
    """MyST markdown for the book's "Published reference" page, computed from the table.

    The MMLU-math summary (every family; 0-shot acc/acc_norm ± stderr, 5-shot for Pythia),
    the chance check counts, the LAMBADA fold changes and the format caveats. The numbers do
    not depend on ``profile``, which is named on the page and must be a profile of
    ``data/profiles.yml`` (:class:`helpers.infra.profiles.ProfileError` otherwise).
    """
    load_profile(profile)
    df = load_published(path)
    mmlu_table, merged = _mmlu_math_table(df)
    chance = MMLU_CHANCE
    n_items = sum(MMLU_MATH_SIZES.values())
    subjects = ", ".join(
        f"{task.split('-', 1)[1].replace('_', ' ')} ({size})" for task, size in MMLU_MATH_SIZES.items()
    )
    n_models = len(merged)
    zero_shot_range = f"{merged['acc'].min():.4f} and {merged['acc'].max():.4f}"
    suspect = " and ".join(f"`{model}`" for model in SUSPECT_MODELS)
    opt_sizes = ", ".join(_format_params(int(p)) for p in sorted(df.loc[df["family"] == "opt", "params"].unique()))
    return f"""
These numbers are computed when the book is built, from `data/reference/lm_eval_published.csv.gz`;
its provenance, licence and checks are in `data/reference/SOURCES.md`. They do not depend on the
build profile (`{profile}`): they are the reference that our own runs of Pythia and OPT are set
against.

## MMLU mathematics

Accuracy on the five MMLU mathematics subjects, {subjects}: N = {n_items} questions, at the final
checkpoint of each model. Each value is the size-weighted mean over the subjects; ± is the combined
standard error √(Σ (nᵢ·seᵢ)²) / N, treating the subjects as independent. Over the {n_models} models,
0-shot accuracy lies between {zero_shot_range}; chance is {chance:g} for four choices.
Five-shot results exist for Pythia only.

{
        table_directive(
            "Published MMLU-math accuracy (lm-evaluation-harness hendrycksTest v0)",
            "published-mmlu-math-table",
            mmlu_table,
        )
    }
## Comparison with chance

A model counts as significantly below (above) chance by an exact two-sided binomial test against
{chance:g} on its {n_items:,} items (the published accuracy of each subject times its item count is an
exact count), Holm-corrected across the models of its family, each model counted once. The claims
table's one-sided test and the length-aware baselines are on the first page.

{
        table_directive(
            "Published MMLU-math accuracy against chance, by family",
            "published-chance-table",
            _chance_table(df, chance),
        )
    }
## Our numbers beside these

{our_runs_beside_published(profile)}
## LAMBADA

For contrast with MMLU mathematics: LAMBADA (OpenAI) perplexity and accuracy of each family's
smallest and largest model. The fold change is the smallest model's perplexity divided by the
largest one's.

{
        table_directive(
            "Published LAMBADA perplexity, smallest and largest model of each family",
            "published-lambada-table",
            _lambada_table(df),
        )
    }
## Caveats

- **MMLU format.** These are lm-evaluation-harness `hendrycksTest-*` results of task version 0:
  the full answer text is scored by log-likelihood, not the answer letter, and `acc_norm` divides
  the log-likelihood by the answer's length in characters. They are not one-to-one comparable with
  today's letter-scored MMLU; our `knowledge_fulltext` task kind reproduces the old format.
  Five-shot examples come from the validation split, not the dev split.
- **Pythia 2.8B checkpoints.** The results of {suspect} are identical or near-identical up to
  step {SUSPECT_MAX_STEP}, so those rows are suspect for comparisons over training; the final
  checkpoints shown above are not affected.
- **Parameter counts.** Pythia counts are exact totals; OPT counts ({opt_sizes}) are nominal,
  read from the model names; BLOOM counts were computed from the published architectures.
- **LAMBADA perplexity** is exp(mean negative log-likelihood of the target word), not a per-token
  perplexity.
"""
