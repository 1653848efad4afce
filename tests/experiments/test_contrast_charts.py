"""Tests of helpers.experiments.task_contrast.charts: each builder gives a valid Vega-Lite spec (compiled to SVG by
vl-convert) with interval bars and, where accuracy is shown, the chance line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import vl_convert

from helpers.experiments.task_contrast import charts as cc
from helpers.experiments.task_contrast import views as cv

SIZES = {"m-small": 10, "m-mid": 100, "m-large": 1000}
FAMILIES = {"fam": list(SIZES)}


def synthetic_items() -> pd.DataFrame:
    """3 models x (letter MMLU, full-text MMLU, arithmetic), 8 items each, deterministic values."""
    rng = np.random.default_rng(0)
    frames = []
    for kind, n_choices in (("knowledge", 4), ("knowledge_fulltext", 4), ("procedure", 1)):
        for model_id, size in SIZES.items():
            n_items = 8
            frame = pd.DataFrame({
                "model_id": model_id, "task": kind, "kind": kind,
                "item_id": [f"{kind}/{i}" for i in range(n_items)],
                "n_params_total": size * 10, "n_params_nonembedding": size, "n_choices": n_choices,
                "gold": np.arange(n_items) % 4, "predicted": rng.integers(0, 4, n_items),
                "gold_nll_per_token": rng.uniform(0.5, 3.0, n_items),
                "log_p_vocab_correct": -rng.uniform(0.5, 3.0, n_items),
            })
            frame["correct"] = frame["predicted"] == frame["gold"]
            frame["correct_norm"] = rng.random(n_items) < 0.3
            frame["p_vocab_correct"] = np.exp(frame["log_p_vocab_correct"])
            frame["greedy_token_fraction"] = rng.random(n_items) if n_choices == 1 else np.nan
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def charts() -> dict[str, object]:
    items = synthetic_items()
    published = pd.DataFrame({"family": ["opt", "opt"], "model": ["opt-125m", "opt-350m"],
                              "params": [125_000_000, 350_000_000], "acc": [0.22, 0.24],
                              "acc_stderr": [0.01, 0.01], "acc_norm": [0.26, 0.27], "acc_norm_stderr": [0.01, 0.01]})
    return {
        "side_by_side": cc.side_by_side_chart(cv.side_by_side(items, FAMILIES, ["knowledge", "procedure"],
                                                              bootstrap=200)),
        "chain": cc.chain_chart(cv.chain_correlations(items, bootstrap=200)),
        "letter": cc.letter_chart(cv.letter_shares(items)),
        "format": cc.format_chart(cv.format_comparison(items, FAMILIES)),
        "published": cc.published_chart(cv.published_formats(published)),
        "arithmetic": cc.arithmetic_chart(cv.arithmetic_metric_view(items, FAMILIES, bootstrap=200)),
    }


@pytest.fixture(scope="module")
def built_charts():
    return charts()


def _marks(spec) -> list[str]:
    """Every mark type in a (nested) spec (the theme's ``config`` holds mark defaults, not marks)."""
    found = []
    if isinstance(spec, dict):
        mark = spec.get("mark")
        if mark is not None:
            found.append(mark if isinstance(mark, str) else mark["type"])
        for key, value in spec.items():
            if key != "config":
                found.extend(_marks(value))
    elif isinstance(spec, list):
        for value in spec:
            found.extend(_marks(value))
    return found


@pytest.mark.parametrize("name", ["side_by_side", "chain", "letter", "format", "published", "arithmetic"])
def test_chart_compiles_to_svg_with_interval_bars(built_charts, name):
    spec = built_charts[name].to_dict()
    svg = vl_convert.vegalite_to_svg(spec)
    assert svg.startswith("<svg") and "<path" in svg
    marks = _marks(spec)
    if name != "letter":  # the letter chart shows shares, not estimates
        assert "errorbar" in marks
    if name in ("side_by_side", "format", "published", "letter", "chain"):
        assert "rule" in marks  # chance line (or the zero line of the correlation chart)


def test_side_by_side_chart_panels_and_chance_filter(built_charts):
    spec = built_charts["side_by_side"].to_dict()
    svg = vl_convert.vegalite_to_svg(spec)
    assert cv.KIND_LABELS["knowledge"] in svg and cv.KIND_LABELS["procedure"] in svg
    assert "isValid(datum.chance)" in json.dumps(spec)  # arithmetic rows (NaN chance) draw no line


def test_builders_reject_wrong_tables():
    with pytest.raises(cc.ChartInputError, match="loss"):
        cc.side_by_side_chart(pd.DataFrame({"accuracy": [0.5]}))
    with pytest.raises(cc.ChartInputError, match="empty"):
        cc.chain_chart(pd.DataFrame(columns=["kind_label", "metric_label", "level", "correlation",
                                             "correlation_low", "correlation_high"]))
    with pytest.raises(cc.ChartInputError, match="DataFrame"):
        cc.letter_chart([1, 2, 3])
