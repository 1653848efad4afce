"""Sentences of the task-contrast chapter, generated from the tables they describe.

Each function takes the table of one section and says what it shows, naming the test and its
family of tests, and uses no qualifier its numbers do not meet. :func:`contrast_summary`
assembles the chapter's Summary, saying first when the profile's numbers are not findings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from helpers.analysis.inference import rejects
from helpers.experiments.task_contrast.chain import MIN_MODELS
from helpers.experiments.task_contrast.letters import VERDICTS
from helpers.experiments.task_contrast.views import POSITIONS
from helpers.render.numbers import count_text, listing, number, pct, signed


def side_sentences(positions: pd.DataFrame) -> list[str]:
    """Per task kind: how many models are below / above chance (exact, Holm), or any item right."""
    sentences = []
    for kind_label, part in positions.groupby("kind_label", sort=False):
        n = len(part)
        if int(part["n_tests"].iloc[0]) == 0:
            right = part[part["position"] == POSITIONS[3]]
            best = part["accuracy"].max()
            sentences.append(
                f"{kind_label}: {len(right)} of {count_text(n, 'model')} get any item right by exact "
                f"match (best {pct(best, 1)}); there is no chance level to test against."
            )
            continue
        below = part[part["position"] == POSITIONS[0]]["model"].tolist()
        above = part[part["position"] == POSITIONS[1]]["model"].tolist()
        chance = pct(part["chance"].iloc[0], 0)
        detail = []
        if below:
            detail.append(f"below: {listing(below)}")
        if above:
            detail.append(f"above: {listing(above)}")
        sentences.append(
            f"{kind_label}: {len(below)} of {count_text(n, 'model')} significantly below {chance} and "
            f"{len(above)} above"
            + (f" ({'; '.join(detail)})" if detail else "")
            + f" (exact two-sided binomial tests, Holm across the {n} models)."
        )
    return sentences


def majority_sentence(majority: pd.DataFrame) -> str:
    """The majority label's share of the paraphrase items actually scored, beside 50%."""
    if majority.empty:
        return "The paraphrase task was not scored."
    shares = majority["majority_share"].round(4).unique()
    label = majority["majority_label"].iloc[0]
    share_text = pct(shares[0], 1) if len(shares) == 1 else f"{pct(shares.min(), 1)} to {pct(shares.max(), 1)}"
    return (
        f"On the paraphrase items each model scored ({listing(sorted({f'{n:,}' for n in majority['n_items']}))} "
        f'items), the majority label "{label}" is {share_text} of them: always answering it scores that much, '
        f"against 50% for a uniform guess; model accuracies run from {pct(majority['accuracy'].min(), 1)} to "
        f"{pct(majority['accuracy'].max(), 1)}."
    )


def smallest_exact_p(n_models: int) -> float:
    """The smallest two-sided exact Spearman p-value with ``n_models`` distinct sizes: ``2 / n!``."""
    return min(1.0, 2.0 / math.factorial(n_models))


def chain_sentences(chain: pd.DataFrame) -> list[str]:
    """What the within-family correlations can say, and which metrics moved with scale."""
    if chain.empty or chain["correlation"].isna().all():
        return [
            f"No family has {MIN_MODELS} or more models, so no correlation with size is computed "
            "(a correlation across families would mix architecture and training data with size)."
        ]
    sentences = []
    means = chain[(chain["level"] == "model means") & chain["correlation"].notna()]
    n_tests = int(chain["n_tests"].iloc[0])
    for family, part in means.groupby("family", sort=False):
        n_models = int(part["n_models"].iloc[0])
        floor = smallest_exact_p(n_models)
        significant = part[rejects(part["p_holm"], 0.05)]
        text = (
            f"Within {family} ({count_text(n_models, 'model')}), the smallest possible exact two-sided p-value "
            f"of a model-means correlation is {number(floor, 3)}"
        )
        if floor >= 0.05:
            text += ", so no correlation can be significant at 5% with this many models"
        elif significant.empty:
            text += f"; none of its correlations is significant after Holm across the {n_tests} tests"
        else:
            text += f"; significant after Holm across the {n_tests} tests: " + listing(
                [
                    f"{row.metric_label} on {row.kind_label} (rho {signed(row.correlation, 2)})"
                    for row in significant.itertuples(index=False)
                ]
            )
        sentences.append(text + ".")
    skipped = chain[chain["correlation"].isna() & (chain["note"] != "")]["note"].drop_duplicates().tolist()
    if skipped:
        sentences.append("Not computed: " + "; ".join(skipped) + ".")
    return sentences


def format_sentences(tests: pd.DataFrame, published: pd.DataFrame | None = None) -> list[str]:
    """Per-character normalisation against summed log-likelihood: our paired tests, the published gap."""
    sentences = []
    if tests is not None and len(tests):
        higher = tests[tests["direction"] == "acc_norm higher"]["model"].tolist()
        lower = tests[tests["direction"] == "acc_norm lower"]["model"].tolist()
        sentences.append(
            f"On our full-text items, acc_norm is significantly higher than acc for {len(higher)} and "
            f"lower for {len(lower)} of {count_text(len(tests), 'model')} (exact McNemar test on the "
            f"same items, Holm across the {len(tests)} models)"
            + (f": higher for {listing(higher)}" if higher else "")
            + "."
        )
    if published is not None and len(published):
        wide = published.pivot_table(index="model", columns="metric", values="value", sort=False)
        gap = (wide["acc_norm"] - wide["acc"]) * 100
        sentences.append(
            f"In the published results, acc_norm minus acc runs from {signed(gap.min())} to "
            f"{signed(gap.max())} points across {count_text(len(gap), 'model')} and is positive for "
            f"{int((gap > 0).sum())} (no per-item data, so no paired test)."
        )
    return sentences


def arithmetic_sentences(arithmetic: pd.DataFrame) -> list[str]:
    """Per family, smallest to largest model: exact match, digits correct and loss, with what moved."""
    pooled = arithmetic[arithmetic["task"] == "all"] if (arithmetic["task"] == "all").any() else arithmetic
    sentences = []
    for family, part in pooled.groupby("family", sort=False):
        models = part.sort_values("n_params", kind="stable")["model"].drop_duplicates().tolist()
        if len(models) < 2:
            sentences.append(f"{family} has one model ({models[0]}): no change with size to describe.")
            continue
        small, large = models[0], models[-1]
        values = part.drop_duplicates(["model", "metric"]).set_index(["model", "metric"])["value"]
        overlap = part.drop_duplicates(["model", "metric"]).set_index(["model", "metric"])
        moved = []
        for metric, label, fmt in (
            ("correct", "exact match", "pct"),
            ("greedy_token_fraction", "digits correct", "pct"),
            ("gold_nll_per_token", "loss per token", "num"),
        ):
            if (small, metric) not in values.index or (large, metric) not in values.index:
                moved.append(f"{label}: not available (no per-token data in imported rows)")
                continue
            a, b = values[(small, metric)], values[(large, metric)]
            text = f"{pct(a, 1)} → {pct(b, 1)}" if fmt == "pct" else f"{number(a)} → {number(b)} nats"
            disjoint = (overlap.loc[(large, metric), "low"] > overlap.loc[(small, metric), "high"]) or (
                overlap.loc[(large, metric), "high"] < overlap.loc[(small, metric), "low"]
            )
            moved.append(f"{label} {text}" + (" (intervals do not overlap)" if disjoint else ""))
        sentences.append(f"{family}, {small} → {large}: " + "; ".join(moved) + ".")
    return sentences


def contrast_summary(
    profile,
    *,
    positions: pd.DataFrame,
    majority: pd.DataFrame,
    chain: pd.DataFrame,
    diagnosis: pd.DataFrame | None,
    tests: pd.DataFrame | None,
    published: pd.DataFrame | None,
    arithmetic: pd.DataFrame | None,
    caveats: Sequence[str] = (),
) -> str:
    """The Summary section as Markdown bullets, every one generated from a table above it.

    ``caveats``: sentences about the models that qualify every comparison (e.g.
    :func:`helpers.experiments.model_table.quantization_confounds`), placed first.
    """
    bullets = list(caveats)
    if not profile.findings:
        bullets.insert(
            0,
            f"Profile {profile.name}: random-weight models. Every number from our own runs below "
            "exercises the analysis and is not a finding; only the published results are.",
        )
    bullets.extend(side_sentences(positions))
    bullets.append(majority_sentence(majority))
    bullets.extend(chain_sentences(chain))
    if diagnosis is not None and len(diagnosis):
        below = diagnosis[diagnosis["verdict"] != VERDICTS[0]]
        explained = below[below["verdict"] == VERDICTS[1]]
        bullets.append(
            f"Letter format: {len(below)} of {count_text(len(diagnosis), 'model')} significantly below "
            f"chance (Holm), {len(explained)} of them consistent with letter bias."
        )
    bullets.extend(format_sentences(tests, published))
    if arithmetic is not None and len(arithmetic):
        bullets.extend(arithmetic_sentences(arithmetic))
    return "\n".join(f"- {bullet}" for bullet in bullets)
