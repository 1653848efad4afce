"""Tables and sentences of the scaling chapter, generated from the numbers they describe.

Nothing here states a result it was not given: every sentence is built from a table of
:mod:`~helpers.experiments.scaling.published`, :mod:`~helpers.experiments.scaling.changes` or
:mod:`~helpers.experiments.scaling.fits`, names its test and the family of tests it was
corrected over, and uses a qualifier ("by an order of magnitude", "flat", "below chance") only
when the numbers meet it. :func:`scaling_summary` assembles the chapter's Summary, saying first
when the profile's own numbers are not findings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from helpers.experiments.scaling.changes import changes_summary
from helpers.experiments.scaling.fits import fit_sentences
from helpers.experiments.scaling.published import MMLU_CHANCE, POSITIONS
from helpers.render.numbers import count_text, listing, param_label, pct, pct_interval, points_interval, ratio_text
from helpers.render.tables import reader_table

ORDER_OF_MAGNITUDE = 10.0


# ----------------------------------------------------------------------------- chance


def _setting(chance: pd.DataFrame, shots: int, metric: str) -> pd.DataFrame:
    return chance[(chance["shots"] == shots) & (chance["metric"] == metric)]


def chance_markdown(chance: pd.DataFrame, shots: int = 0) -> str:
    """One row per model: acc and acc_norm with exact intervals and their position vs 25%."""
    acc, norm = _setting(chance, shots, "acc"), _setting(chance, shots, "acc_norm").set_index("model")
    if acc.empty:
        return f"(no published {shots}-shot results)"

    def cell(value, low, high, position, p_holm):
        mark = {"below chance": "below", "above chance": "above"}.get(position, "n.s.")
        return (
            f"{pct_interval(value, low, high)} {mark} (Holm p {p_holm:.3f})"
            if p_holm >= 0.001
            else f"{pct_interval(value, low, high)} {mark} (Holm p < 0.001)"
        )

    frame = pd.DataFrame(
        {
            "family": acc["family"],
            "model": [f"`{m}`" for m in acc["model"]],
            "parameters": [param_label(p) for p in acc["params"]],
            "acc": [cell(r.value, r.low, r.high, r.position, r.p_holm) for r in acc.itertuples(index=False)],
            "acc_norm": [cell(*norm.loc[m, ["value", "low", "high", "position", "p_holm"]]) for m in acc["model"]],
        }
    )
    return reader_table(
        frame,
        {
            "family": "family",
            "model": "model",
            "parameters": "parameters",
            "acc": f"{shots}-shot acc [95% exact] vs 25%",
            "acc_norm": f"{shots}-shot acc_norm [95% exact] vs 25%",
        },
        summary=f"Show all {len(frame)} models ({shots}-shot)",
        filename=f"scaling-chance-{shots}-shot.csv",
    )


def baselines_markdown(baselines: pd.DataFrame) -> str:
    """The length-aware baselines (:func:`~helpers.experiments.scaling.published.published_baselines`) for readers."""
    frame = pd.DataFrame(
        {
            "baseline": baselines["baseline"],
            "accuracy": [
                pct(a, 1) if b == "uniform guess" else pct_interval(a, lo, hi)
                for b, a, lo, hi in zip(
                    baselines["baseline"], baselines["accuracy"], baselines["low"], baselines["high"]
                )
            ],
            "note": baselines["note"],
        }
    )
    return reader_table(
        frame,
        {"baseline": "baseline", "accuracy": "accuracy [95% Wilson]", "note": "rule"},
        filename="scaling-baselines.csv",
    )


def _models_text(rows: pd.DataFrame) -> str:
    return listing([f"{row.model} {pct(row.value, 1)}" for row in rows.itertuples(index=False)])


def chance_sentences(chance: pd.DataFrame, baselines: pd.DataFrame | None = None, shots: int = 0) -> list[str]:
    """What the published results say about "below chance", in the words their tests support."""
    acc, norm = _setting(chance, shots, "acc"), _setting(chance, shots, "acc_norm")
    if acc.empty:
        return [f"There are no published {shots}-shot MMLU-math results to test."]
    below, above = acc[acc["position"] == POSITIONS[0]], acc[acc["position"] == POSITIONS[1]]
    norm_below, norm_above = norm[norm["position"] == POSITIONS[0]], norm[norm["position"] == POSITIONS[1]]
    families = acc.groupby("family", sort=False).size()
    family_text = listing([f"{family} ({count})" for family, count in families.items()])
    sentences = [
        f"In the published {shots}-shot MMLU-math results ({count_text(len(acc), 'model')}, "
        f"{acc['n'].iloc[0]:,} items each), {len(below)} {'is' if len(below) == 1 else 'are'} significantly "
        f"below 25% in acc" + (f" ({_models_text(below)})" if len(below) else "") + f" and {len(above)} above; "
        f"in acc_norm, {len(norm_below)} below and {len(norm_above)} above. Each model is one exact two-sided "
        f"binomial test, Holm-corrected across the models of its family: {family_text}."
    ]
    if baselines is not None and len(baselines):
        shortest = baselines[baselines["baseline"] == "shortest answer"]
        letter = baselines[baselines["baseline"].str.startswith("always")]
        if len(shortest):
            row = shortest.iloc[0]
            sentence = (
                f"On the same items, always choosing the shortest answer scores "
                f"{pct_interval(row['accuracy'], row['low'], row['high'])}"
            )
            if len(letter):
                other = letter.iloc[0]
                sentence += f" and {other['baseline']} {pct_interval(other['accuracy'], other['low'], other['high'])}"
            sentences.append(sentence + ", beside the 25% of a uniform guess.")
            if len(below) and not len(norm_below) and row["high"] < MMLU_CHANCE:
                sentences.append(
                    "No model is below chance once each answer's log-likelihood is normalised by its "
                    "length (acc_norm), and a rule that only looks at answer length scores below 25%: "
                    "the below-chance acc scores are what full-text scoring's length bias predicts, "
                    "not evidence of anti-knowledge."
                )
    return sentences


# ----------------------------------------------------------------------------- trend


def trend_sentence(trends: pd.DataFrame) -> str:
    """Per family: slope per decade with its interval and whether it is flat, rising or inconclusive."""
    if trends.empty:
        return "No published family was tested for a trend."
    parts = []
    for row in trends.itertuples(index=False):
        detail = f"{row.residual_df} residual df" if row.residual_df is not None else "no interval"
        extra = (
            f"; smallest detectable slope {100 * row.mde:.1f} pts"
            if row.shape == "inconclusive" and row.mde == row.mde
            else ""
        )
        parts.append(
            f"{row.family} {points_interval(row.slope, row.low, row.high)} per decade ({row.shape}, {detail}{extra})"
        )
    flat = int((trends["shape"] == "flat").sum())
    margin = 100 * trends["margin"].iloc[0]
    return (
        f"Published {trends['setting'].iloc[0]} against log10(parameters), one family at a time (weighted "
        f'least squares, t interval): {"; ".join(parts)}. "Flat" needs the 90% interval within ±{margin:g} '
        f"pt per decade: {flat} of {count_text(len(trends), 'family')} "
        f"{'meets' if flat == 1 else 'meet'} it."
    )


# ----------------------------------------------------------------------------- LAMBADA


def lambada_markdown(folds: pd.DataFrame) -> str:
    """:func:`~helpers.experiments.scaling.published.lambada_fold_changes` for readers."""
    frame = pd.DataFrame(
        {
            "family": folds["family"],
            "models": [
                f"`{small}` ({param_label(small_n)}) → `{large}` ({param_label(large_n)})"
                for small, small_n, large, large_n in zip(
                    folds["smallest_model"], folds["smallest_params"], folds["largest_model"], folds["largest_params"]
                )
            ],
            "ppl": [f"{a:.1f} → {b:.1f}" for a, b in zip(folds["smallest_ppl"], folds["largest_ppl"])],
            "fold": [ratio_text(r) for r in folds["fold_change"]],
        }
    )
    return reader_table(
        frame,
        {"family": "family", "models": "smallest → largest", "ppl": "perplexity", "fold": "fold change"},
        filename="scaling-lambada.csv",
    )


def lambada_sentence(folds: pd.DataFrame) -> str:
    """How much published LAMBADA perplexity falls per family; "order of magnitude" only if every fold is >= 10."""
    if folds.empty:
        return "There are no published LAMBADA results."
    falling = folds[folds["fold_change"] > 1]
    rising = folds[folds["fold_change"] <= 1]
    parts = [
        f"{row.family} {ratio_text(row.fold_change)} ({param_label(row.smallest_params)} → "
        f"{param_label(row.largest_params)})"
        for row in falling.itertuples(index=False)
    ]
    sentence = ""
    if len(falling):
        low, high = falling["fold_change"].min(), falling["fold_change"].max()
        if low >= ORDER_OF_MAGNITUDE:
            qualifier = "by an order of magnitude or more in every family"
        elif high < ORDER_OF_MAGNITUDE:
            qualifier = f"by {ratio_text(low)} to {ratio_text(high)}, less than tenfold in every family"
        else:
            tenfold = falling[falling["fold_change"] >= ORDER_OF_MAGNITUDE]["family"].tolist()
            qualifier = f"by {ratio_text(low)} to {ratio_text(high)} (tenfold or more only for {listing(tenfold)})"
        subject = "every family" if rising.empty else listing(falling["family"].tolist())
        sentence = (
            f"Published LAMBADA perplexity of the target word falls from the smallest to the largest model "
            f"of {subject}, {qualifier}: {'; '.join(parts)}."
        )
    if len(rising):
        sentence += (" " if sentence else "") + "It does not fall for " + listing(rising["family"].tolist()) + "."
    return sentence


# ----------------------------------------------------------------------------- the chapter's summary


def scaling_summary(
    profile,
    *,
    changes: pd.DataFrame,
    fit_table: pd.DataFrame,
    chance: pd.DataFrame,
    baselines: pd.DataFrame | None,
    trends: pd.DataFrame,
    folds: pd.DataFrame,
    labels: Mapping[str, str] | None = None,
    caveats: Sequence[str] = (),
) -> str:
    """The Summary section as Markdown bullets, every one generated from a table above it.

    ``profile``: :class:`~helpers.infra.profiles.Profile` (``config.profile``); when its
    ``findings`` is False the bullets on our own measurements say they are not findings.
    ``caveats``: sentences about the models that qualify every comparison (e.g.
    :func:`helpers.experiments.model_table.quantization_confounds`), placed after them.
    """
    ours = (
        "Our runs"
        if profile.findings
        else (f"Our runs (profile {profile.name}: random-weight models, so these are not findings)")
    )
    counted = changes_summary(changes)
    bullets = [f"{ours}: {counted[0].lower()}{counted[1:]}", *caveats]
    bullets.extend(fit_sentences(fit_table, labels))
    bullets.append(trend_sentence(trends))
    bullets.extend(chance_sentences(chance, baselines))
    bullets.append(lambada_sentence(folds))
    return "\n".join(f"- {bullet}" for bullet in bullets)
