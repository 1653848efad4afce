"""Power laws of the gold-answer loss against parameters, one family at a time.

``loss = a * N**(-alpha) + c`` is fitted by :func:`helpers.analysis.scaling.fit_power_law_items`
to the mean loss of each model of one family on one task kind: a family differs in size only,
so no fit ever mixes families (``STATISTICS.md`` rule 7). Three parameters need three distinct
sizes; a family with fewer gets a row that says so and no curve. Every fit reports its residual
degrees of freedom (models minus 3): with three models the curve passes through every point
(0 residual df), so its interval reflects item noise only, from the paired bootstrap over
items, and says nothing about whether a power law is the right shape. Parameters that end at a
bound of the optimisation are flagged (``PowerLawFit.at_bound``), and a parameter whose
bootstrap fits pile up at a bound gets no interval, with the reason (``PowerLawFit.note``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.analysis.resampling import check_resamples
from helpers.analysis.scaling import FitFailure, PowerLawFit, ScalingInputError, fit_power_law_items
from helpers.experiments.scaling.views import (
    LOSS_COLUMN,
    SIZE_BASES,
    ScalingViewError,
    family_groups,
    per_model,
)
from helpers.render.numbers import count_text, listing, number_interval
from helpers.render.tables import reader_table

MIN_FIT_MODELS = 3


@dataclass(frozen=True)
class FamilyFit:
    """The power law of one family on one task kind and size basis, or why there is none."""

    family: str
    kind: str
    size_basis: str  # a key of SIZE_BASES
    model_ids: tuple[str, ...]
    n_params: tuple[int, ...]
    n_items: int  # items per model (the largest count if they differ)
    paired: bool
    status: str  # "fitted" or "not fitted: <reason>"
    fit: PowerLawFit | None = field(default=None, repr=False)

    @property
    def n_sizes(self) -> int:
        return len(set(self.n_params))

    @property
    def residual_df(self) -> int:
        """Distinct sizes minus the 3 fitted parameters (negative: no fit possible)."""
        return self.fit.dof if self.fit is not None else self.n_sizes - 3

    @property
    def at_bound(self) -> tuple[str, ...]:
        """Parameters of the point fit at a bound of the optimisation (``PowerLawFit.at_bound``)."""
        return tuple(self.fit.at_bound) if self.fit is not None else ()


def fit_families(
    items: pd.DataFrame,
    families: Mapping[str, Sequence[str]],
    *,
    size_bases: Sequence[str] = tuple(SIZE_BASES),
    bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> list[FamilyFit]:
    """Fit ``loss = a N^-alpha + c`` per family, task kind and size basis.

    The bootstrap resamples items, paired when every model scored the same items. A family with
    fewer than :data:`MIN_FIT_MODELS` distinct sizes, or whose point fit fails, gets a
    :class:`FamilyFit` with ``fit=None`` and the reason in ``status``.
    """
    unknown = [basis for basis in size_bases if basis not in SIZE_BASES]
    if unknown or not size_bases:
        raise ScalingViewError(f"size_bases={list(size_bases)!r}: choose from {list(SIZE_BASES)}.")
    check_resamples(bootstrap, error=ScalingViewError)
    fits = []
    for family, kind, frame, model_ids in family_groups(items, families):
        losses, paired = per_model(frame, model_ids, LOSS_COLUMN)
        n_items = max(values.size for values in losses)
        for basis in size_bases:
            sizes = frame.groupby("model_id")[SIZE_BASES[basis]].first()[model_ids].to_numpy(dtype=np.int64)
            common = dict(
                family=family,
                kind=kind,
                size_basis=basis,
                model_ids=tuple(model_ids),
                n_params=tuple(int(s) for s in sizes),
                n_items=n_items,
                paired=paired,
            )
            n_sizes = np.unique(sizes).size
            if n_sizes < MIN_FIT_MODELS:
                reason = (
                    f"not fitted: {count_text(n_sizes, 'model size')} in this family; "
                    f"a 3-parameter law needs {MIN_FIT_MODELS}"
                )
                fits.append(FamilyFit(**common, status=reason))
                continue
            try:
                fit = fit_power_law_items(sizes, losses, paired=paired, bootstrap=bootstrap, seed=seed, level=level)
            except (FitFailure, ScalingInputError) as error:
                fits.append(FamilyFit(**common, status=f"not fitted: {error}"))
                continue
            fits.append(FamilyFit(**common, status="fitted", fit=fit))
    return fits


def fits_table(fits: Sequence[FamilyFit]) -> pd.DataFrame:
    """One row per :class:`FamilyFit`: ``a, alpha, c`` with ``_low``/``_high`` ends (NaN if unfitted).

    Also ``n_models, residual_df, at_bound`` (comma-separated names, "" when none) and
    ``interval_note`` (how the interval was made and what it cannot say).
    """
    records = []
    for family_fit in fits:
        record = {
            "family": family_fit.family,
            "kind": family_fit.kind,
            "size_basis": family_fit.size_basis,
            "n_models": family_fit.n_sizes,
            "n_items": family_fit.n_items,
            "paired": family_fit.paired,
            "status": family_fit.status,
        }
        if family_fit.fit is not None:
            record.update(family_fit.fit.to_dict())
        else:
            record.update({f"{name}{end}": math.nan for name in ("a", "alpha", "c") for end in ("", "_low", "_high")})
            record.update(n_bootstrap=0, n_failed=0, note="")
        record.update(
            residual_df=family_fit.residual_df,
            at_bound=", ".join(family_fit.at_bound),
            interval_note=interval_note(family_fit),
        )
        records.append(record)
    return pd.DataFrame.from_records(records).drop(columns=["dof"], errors="ignore")


def interval_note(family_fit: FamilyFit) -> str:
    """How the fit's interval was made, in a few words (the full reasons: ``PowerLawFit.note``)."""
    if family_fit.fit is None:
        return "no fit"
    fit = family_fit.fit
    if fit.n_bootstrap == 0:
        return "no interval (fit_bootstrap = 0)"
    resampling = "paired item bootstrap" if family_fit.paired else "item bootstrap per model"
    parts = [f"{resampling}, {fit.n_bootstrap} refits" + (f" ({fit.n_failed} failed)" if fit.n_failed else "")]
    if family_fit.residual_df == 0:
        parts.append("item noise only")
    missing = [name for name in ("a", "alpha", "c") if math.isnan(getattr(fit, f"{name}_interval")[0])]
    if missing:
        parts.append(f"no interval for {', '.join(missing)} (the refits sit at a bound)")
    return "; ".join(parts)


def fit_curves(fits: Sequence[FamilyFit], n_points: int = 50) -> pd.DataFrame:
    """Fitted loss and its pointwise bootstrap band on a log grid spanning each family's sizes.

    Columns ``family, kind, size_basis, n_params, loss, loss_low, loss_high``; unfitted entries
    contribute no rows.
    """
    if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 2:
        raise ScalingViewError(f"n_points={n_points!r}: need an integer >= 2.")
    frames = []
    for family_fit in fits:
        if family_fit.fit is None:
            continue
        grid = np.geomspace(min(family_fit.n_params), max(family_fit.n_params), n_points)  # [n_points]
        low, high = family_fit.fit.predict_interval(grid)
        frames.append(
            pd.DataFrame(
                {
                    "family": family_fit.family,
                    "kind": family_fit.kind,
                    "size_basis": family_fit.size_basis,
                    "n_params": grid,
                    "loss": family_fit.fit.predict(grid),
                    "loss_low": low,
                    "loss_high": high,
                }
            )
        )
    columns = ["family", "kind", "size_basis", "n_params", "loss", "loss_low", "loss_high"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


# ----------------------------------------------------------------------------- for readers


def fits_markdown(table: pd.DataFrame, labels: Mapping[str, str] | None = None) -> str:
    """:func:`fits_table` for readers: fitted rows with intervals, residual df and bound flags."""
    fitted = table[table["status"] == "fitted"]
    if fitted.empty:
        return "(no family has three model sizes: nothing is fitted)"
    frame = pd.DataFrame(
        {
            "family": fitted["family"],
            "kind": [(labels or {}).get(k, k) for k in fitted["kind"]],
            "basis": fitted["size_basis"],
            "models": fitted["n_models"].astype(str),
            "df": fitted["residual_df"].astype(str),
            "alpha": [
                number_interval(v, lo, hi, most=3)
                for v, lo, hi in zip(fitted["alpha"], fitted["alpha_low"], fitted["alpha_high"])
            ],
            "c": [
                number_interval(v, lo, hi, most=3) for v, lo, hi in zip(fitted["c"], fitted["c_low"], fitted["c_high"])
            ],
            "bound": [flag or "none" for flag in fitted["at_bound"]],
            "note": fitted["interval_note"],
        }
    )
    return reader_table(
        frame,
        {
            "family": "family",
            "kind": "task kind",
            "basis": "size basis",
            "models": "models",
            "df": "residual df",
            "alpha": "alpha [95%]",
            "c": "c, nats/token [95%]",
            "bound": "at a bound",
            "note": "interval",
        },
        filename="scaling-fits.csv",
    )


def fit_sentences(table: pd.DataFrame, labels: Mapping[str, str] | None = None) -> list[str]:
    """Sentences on what was fitted and what was not, generated from :func:`fits_table`."""
    if table.empty:
        return ["No family was scored, so nothing was fitted."]
    sentences = []
    total = table[table["size_basis"] == table["size_basis"].iloc[0]]
    fitted = total[total["status"] == "fitted"]
    skipped = total[total["status"] != "fitted"].drop_duplicates("family")
    if len(fitted):
        dfs = sorted(set(fitted["residual_df"]))
        df_text = listing([str(df) for df in dfs])
        sentences.append(
            f"A power law was fitted for {count_text(fitted['family'].nunique(), 'family')} "
            f"({listing(list(dict.fromkeys(fitted['family'])))}) on "
            f"{count_text(len(fitted), 'task kind')} in all, with {df_text} residual degrees of freedom"
            + (
                "; with 0 the curve passes through every point and its interval is item noise only."
                if 0 in dfs
                else "."
            )
        )
        bounded = fitted[fitted["at_bound"] != ""]
        if len(bounded):
            sentences.append(
                "Parameters at a bound of the fit: "
                + "; ".join(
                    f"{row.family}, {(labels or {}).get(row.kind, row.kind)}: {row.at_bound}"
                    for row in bounded.itertuples(index=False)
                )
                + "."
            )
    if len(skipped):
        sentences.append(
            "Not fitted: "
            + "; ".join(
                f"{row.family} ({row.status.removeprefix('not fitted: ')})" for row in skipped.itertuples(index=False)
            )
            + "."
        )
    return sentences


def no_fit_sentence(table: pd.DataFrame) -> str | None:
    """The one sentence shown instead of the fit chart when no family was fitted (None when one was).

    A chart of fits with no fit in it would only repeat the measured points: the chapter says why
    there is none (for instance a family of two sizes where the power law needs three).
    """
    if not table.empty and (table["status"] == "fitted").any():
        return None
    if table.empty:
        return "No power law is drawn: no family was scored."
    skipped = table.drop_duplicates("family")
    return (
        "No power law is drawn: no family could be fitted ("
        + "; ".join(
            f"{row.family}: {row.status.removeprefix('not fitted: ')}" for row in skipped.itertuples(index=False)
        )
        + "), and the measured losses are in the charts above."
    )
