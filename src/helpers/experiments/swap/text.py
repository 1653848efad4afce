"""Sentences for the swap chapter, generated from the tables they describe (never typed in)."""

from __future__ import annotations

import pandas as pd

from helpers.analysis.baselines import is_near_constant
from helpers.experiments.swap.verdict import collapse_sentence
from helpers.experiments.swap.views import short_name
from helpers.render.numbers import pct as _pct
from helpers.render.numbers import signed


def profile_note(config) -> str:
    """What the models of this run are: not findings (ci), stand-ins (offline), or Pythia/OPT."""
    name = config.profile.name
    if not config.findings:
        return (
            f"**Profile `{name}`: random-weight models; these numbers are not findings.** They show that every "
            "step runs; conclusions about Pythia/OPT come from a Pythia/OPT profile."
        )
    if name == "offline":
        return (
            f"**Profile `{name}`: stand-in models** (Qwen2.5-Coder, installed from PyPI, not Pythia/OPT). The "
            "claims table judges the study's claim only on Pythia/OPT runs; these numbers illustrate the method."
        )
    return f"Profile `{name}`: {config.profile.description}"


def verification_sentence(verification: pd.DataFrame, tolerance: float = 1e-4) -> str:
    """Whether injecting the recipient's own pattern and alpha = 0 reproduce the recipient alone."""
    worst = max(float(verification["self_max_abs_diff"].max()), float(verification["alpha0_max_abs_diff"].max()))
    if bool(verification["passes"].all()):
        return (
            f"Both checks pass for every pair and task kind: the largest difference from the recipient alone is "
            f"{worst:.1e} nats (tolerance {tolerance:g}), so any effect below comes from the pattern, not the "
            "machinery."
        )
    failing = verification[~verification["passes"]]
    return (
        f"**The checks fail** for {len(failing)} (pair, task kind): the largest difference is {worst:.1e} nats; "
        "the swap results below are not interpretable until this is fixed."
    )


def balance_clause(group: pd.DataFrame, where: str) -> str:
    """The majority baseline of these items and the settings (``where`` column) with a near-constant answerer.

    Said before anything about a fall or a rise ('' for exact-match tasks or rows without answers).
    """
    clauses = []
    majority = group["majority"].dropna() if "majority" in group.columns else pd.Series(dtype=float)
    if len(majority) and float(majority.max()) > float(group["chance"].max()):
        clauses.append(f"always giving the most common gold answer scores {_pct(float(majority.max()))}")
    if "top_share" in group.columns:
        constant = group[[is_near_constant(share) for share in group["top_share"]]]
        if len(constant):
            name = "α =" if where == "alpha" else where
            at = ", ".join(
                f'"{answer}" on {100 * share:.0f}% at {name} {float(value):g}'
                for answer, share, value in zip(constant["top_answer"], constant["top_share"], constant[where])
            )
            clauses.append(f"a near-constant answerer ({at})")
    return f" ({'; '.join(clauses)})" if clauses else ""


def dose_sentences(doses: pd.DataFrame) -> list[str]:
    """Per (pair, kind): accuracy at each alpha and whether it falls gradually or at once."""
    sentences = []
    for (pair, kind), group in doses.groupby(["pair", "kind"], sort=False):
        group = group.sort_values("alpha")
        values = ", ".join(f"{_pct(a)} at α = {alpha:g}" for alpha, a in zip(group["alpha"], group["accuracy"]))
        start, end = float(group["accuracy"].iloc[0]), float(group["accuracy"].iloc[-1])
        middle = group[(group["alpha"] > 0) & (group["alpha"] < 1)]
        shape = ""
        if len(middle) and start > end:
            half = float(middle.iloc[(middle["alpha"] - 0.5).abs().argmin()]["accuracy"])
            lost = (start - half) / (start - end)
            shape = f"; at α ≈ 0.5 it has lost {100 * lost:.0f}% of the full drop" + (
                " (most of it at once)"
                if lost > 0.75
                else " (almost all of it after α = 0.5)"
                if lost < 0.25
                else " (gradually)"
                if lost < 0.6
                else ""
            )
        sentences.append(f"{pair}, {kind}: {values}{balance_clause(group, 'alpha')}{shape}.")
    return sentences


def layer_sentences(per_layer: pd.DataFrame) -> list[str]:
    """Per (pair, kind): which single-layer swap moves accuracy most."""
    sentences = []
    for (pair, kind), group in per_layer.groupby(["pair", "kind"], sort=False):
        change = group["accuracy"] - group["baseline_accuracy"]
        worst = group.loc[change.idxmin()]
        layers = ", ".join(str(layer) for layer in group["layer"])
        sentences.append(
            f"{pair}, {kind} (layers {layers}){balance_clause(group, 'layer')}: the largest change from one layer is "
            f"{signed(100 * float(change.min()))} points at layer {int(worst['layer'])} "
            f"({_pct(worst['baseline_accuracy'])} → {_pct(worst['accuracy'])})."
        )
    return sentences


def collapse_sentences(collapse: pd.DataFrame) -> list[str]:
    """The collapse verdict per (pair, kind): :func:`helpers.experiments.swap.verdict.collapse_sentence`."""
    return [collapse_sentence(row) for row in collapse.itertuples()]


def collapse_note(config) -> str:
    """Above the collapse table: on stand-in or random models it illustrates the rule, it is not evidence."""
    if config.findings and config.profile.name != "offline":
        return ""
    models = "random-weight models" if not config.findings else "stand-in models (not Pythia/OPT)"
    return (
        f"*These are {models}: the table shows how the rule reads a swap; it is not evidence for or "
        "against claim 5, which the claims table judges only on Pythia/OPT runs.*"
    )


def summary_markdown(config, verification: pd.DataFrame, collapse: pd.DataFrame) -> str:
    """The chapter's summary: the run, the checks, and each (pair, kind)'s collapse verdict."""
    pairs = ", ".join(f"{short_name(d)} → {short_name(r)}" for d, r in config_pairs(config))
    counts = collapse["collapse"].value_counts().to_dict()
    tally = ", ".join(
        f"{counts[code]} {code}" for code in ("complete", "not complete", "inconclusive") if code in counts
    )
    lines = [
        profile_note(config),
        "",
        f"Pairs: {pairs}. Verdicts over {len(collapse)} (pair, task kind): {tally or 'none'}.",
        "",
        verification_sentence(verification),
        "",
        *[f"- {sentence}" for sentence in collapse_sentences(collapse)],
    ]
    return "\n".join(lines)


def config_pairs(config) -> list[tuple[str, str]]:
    from helpers.experiments.swap.plan import swap_plan

    return list(swap_plan(config).pairs)
