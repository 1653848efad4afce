"""helpers.experiments.task_contrast.charts: valid Vega-Lite (compiled to SVG by vl-convert) that fits the
book's column, with interval bars, chance lines, fixed family colours and no line across families."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import vl_convert

from helpers.experiments.task_contrast import chain as cch
from helpers.experiments.task_contrast import charts as cc
from helpers.experiments.task_contrast import formats as cf
from helpers.experiments.task_contrast import letters as cl
from helpers.experiments.task_contrast import views as cv
from helpers.render import charts as render_charts
from helpers.render import palette, plots
from helpers.render.plots import OKABE_ITO

SIZES = {"p-1": 10, "p-2": 100, "p-3": 1000, "o-1": 20, "o-2": 200}
FAMILIES = {"pythia": ["p-1", "p-2", "p-3"], "opt": ["o-1", "o-2"]}
DOMAIN = palette.palette_domain(FAMILIES, palette.PUBLISHED_FAMILIES)


@pytest.fixture(autouse=True, scope="module")
def theme():
    plots.enable()


def synthetic_items() -> pd.DataFrame:
    """5 models in 2 families x (letter MMLU, full-text MMLU, arithmetic, paraphrase), 12 items each."""
    rng = np.random.default_rng(0)
    frames = []
    for kind, n_choices in (("knowledge", 4), ("knowledge_fulltext", 4), ("procedure", 1), ("pattern", 2)):
        for model_id, size in SIZES.items():
            n_items = 12
            frame = pd.DataFrame(
                {
                    "model_id": model_id,
                    "task": "arithmetic_2da" if kind == "procedure" else kind,
                    "kind": kind,
                    "item_id": [f"{kind}/{i}" for i in range(n_items)],
                    "n_params_total": size * 10,
                    "n_params_nonembedding": size,
                    "n_choices": n_choices,
                    "gold": np.arange(n_items) % max(n_choices, 1),
                    "predicted": rng.integers(0, max(n_choices, 1), n_items),
                    "gold_nll_per_token": rng.uniform(0.5, 3.0, n_items),
                    "log_p_vocab_correct": -rng.uniform(0.5, 3.0, n_items),
                }
            )
            frame["correct"] = frame["predicted"] == frame["gold"]
            frame["correct_norm"] = rng.random(n_items) < 0.3
            frame["p_vocab_correct"] = np.exp(frame["log_p_vocab_correct"])
            frame["greedy_token_fraction"] = rng.random(n_items) if n_choices == 1 else np.nan
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def built():
    items = synthetic_items()
    published = pd.DataFrame(
        {
            "family": ["opt", "opt", "bloom"],
            "model": ["opt-125m", "opt-350m", "bloom-560m"],
            "params": [125_000_000, 350_000_000, 559_000_000],
            "n_items": 1064,
            "acc": [0.22, 0.24, 0.21],
            "acc_stderr": 0.01,
            "acc_norm": [0.26, 0.27, 0.25],
            "acc_norm_stderr": 0.01,
        }
    )
    side = cv.side_by_side(items, FAMILIES, bootstrap=200)
    return {
        "side_by_side": cc.side_by_side_chart(side, palette=DOMAIN),
        "chain": cc.chain_chart(cch.chain_correlations(items, FAMILIES, bootstrap=200), palette=DOMAIN),
        "letter": cc.letter_chart(cl.letter_shares(items)),
        "format": cc.format_chart(cf.format_comparison(items, FAMILIES)),
        "published": cc.published_chart(cf.published_formats(published), palette=DOMAIN),
        "arithmetic": cc.arithmetic_chart(cf.arithmetic_metric_view(items, FAMILIES, bootstrap=200), palette=DOMAIN),
    }


def _marks(spec) -> list[str]:
    """Every mark type in a (nested) spec (the theme's ``config`` holds mark defaults, not marks)."""
    from conftest import mark_types

    return mark_types(spec, skip_keys=("config",))


def _line_layers(spec) -> list[dict]:
    layers = spec.get("spec", spec).get("layer", [])
    return [
        layer
        for layer in layers
        if (layer["mark"] if isinstance(layer["mark"], str) else layer["mark"]["type"]) in ("line", "area")
    ]


def _width(chart) -> float:
    svg = vl_convert.vegalite_to_svg(chart.to_dict())
    return float(re.search(r'<svg[^>]*?width="([\d.]+)"', svg).group(1))


@pytest.mark.parametrize("name", ["side_by_side", "chain", "letter", "format", "published", "arithmetic"])
def test_chart_compiles_fits_the_column_and_has_interval_bars(built, name):
    spec = built[name].to_dict()
    svg = vl_convert.vegalite_to_svg(spec)
    assert svg.startswith("<svg") and "<path" in svg
    assert _width(built[name]) <= render_charts.MAX_CHART_WIDTH
    assert spec.get("columns", 1) <= 2 and "row" not in spec.get("facet", {})
    if name != "letter":  # the letter chart shows shares, not estimates
        assert "errorbar" in _marks(spec)
    if name in ("side_by_side", "format", "published", "chain"):
        assert "rule" in _marks(spec)  # chance line (or the zero line of the correlation chart)


@pytest.mark.parametrize("name", ["side_by_side", "arithmetic"])
def test_lines_join_only_models_of_one_family_with_fixed_colours(built, name):
    spec = built[name].to_dict()
    for layer in _line_layers(spec):
        encoding = layer["encoding"]
        assert "family" in {encoding.get("color", {}).get("field"), encoding.get("detail", {}).get("field")}
    scale = _line_layers(spec)[0]["encoding"]["color"]["scale"]
    assert scale == {"domain": ["pythia", "opt"], "range": [OKABE_ITO[0], OKABE_ITO[1]]}


def test_published_lines_stay_within_a_family_panel(built):
    spec = built["published"].to_dict()
    assert spec["facet"]["field"] == "family" and spec["columns"] == 2  # one family per panel
    assert all(layer["encoding"]["detail"]["field"] == "metric" for layer in _line_layers(spec))


def test_side_by_side_chart_panels_and_chance_filter(built):
    spec = built["side_by_side"].to_dict()
    svg = vl_convert.vegalite_to_svg(spec)
    assert f"{cv.KIND_LABELS['knowledge']} · accuracy" in svg
    assert "isValid(datum.chance)" in json.dumps(spec)  # loss and arithmetic rows draw no chance line


def test_chain_chart_says_when_there_is_nothing_to_draw():
    empty = pd.DataFrame(
        {
            "family": ["a"],
            "kind_label": ["k"],
            "metric_label": ["accuracy"],
            "level": ["per item"],
            "correlation": [np.nan],
            "correlation_low": [np.nan],
            "correlation_high": [np.nan],
        }
    )
    chart = cc.chain_chart(empty)
    assert "No family has three or more models" in json.dumps(chart.to_dict())
    assert _width(chart) <= render_charts.MAX_CHART_WIDTH


def test_builders_reject_wrong_tables():
    with pytest.raises(cc.ChartInputError, match="loss"):
        cc.side_by_side_chart(pd.DataFrame({"accuracy": [0.5]}))
    with pytest.raises(cc.ChartInputError, match="DataFrame"):
        cc.letter_chart([1, 2, 3])


def test_side_by_side_draws_the_majority_baseline_of_unbalanced_labels():
    """Issue 22: paraphrase gold labels 9 of 12 "1": the accuracy panel draws always-"1" (75%) beside 50%."""
    import json

    items = synthetic_items()
    pattern = items["kind"] == "pattern"
    items.loc[pattern, "gold"] = (items.loc[pattern, "item_id"].str.split("/").str[1].astype(int) < 9).astype(int)
    side = cv.side_by_side(items, FAMILIES, bootstrap=0)
    assert side.loc[side["kind"] == "pattern", "majority"].tolist() == [pytest.approx(0.75)] * len(SIZES)
    assert side.loc[side["kind"] == "procedure", "majority"].isna().all()
    spec = json.dumps(cc.side_by_side_chart(side, palette=DOMAIN).to_dict())
    assert '"field": "majority"' in spec and "isValid(datum.majority)" in spec
