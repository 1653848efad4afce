"""helpers.experiments.scaling.{charts, published_charts}: the specs fit the book's column, keep one
colour per family from a fixed ordered domain, join points only within a family and fit their axes."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import vl_convert

from helpers.experiments.scaling import charts
from helpers.experiments.scaling import published_charts as pc
from helpers.render import charts as render_charts
from helpers.render import palette, plots
from helpers.render.plots import OKABE_ITO

KINDS = ("knowledge_fulltext", "knowledge", "procedure", "pattern")


@pytest.fixture(autouse=True, scope="module")
def theme():
    plots.enable()  # the report's theme: fonts and sizes the widths below are measured with


def _summary(families=(("pythia", (70e6, 160e6, 410e6)), ("opt", (125e6, 350e6)))):
    """A model_summary-shaped table: every family on every kind (arithmetic without chance)."""
    rows = []
    for family, sizes in families:
        for size in sizes:
            for kind in KINDS:
                rows.append(
                    {
                        "family": family,
                        "model_id": f"{family}-{size:.0f}",
                        "kind": kind,
                        "n_params_total": int(size),
                        "n_params_nonembedding": int(size) // 2,
                        "n_items": 40,
                        "n_correct": 10,
                        "accuracy": 0.25,
                        "accuracy_low": 0.14,
                        "accuracy_high": 0.4,
                        "loss": 2.0 - np.log10(size) / 10,
                        "loss_low": 1.5,
                        "loss_high": 2.5,
                        "chance": np.nan if kind == "procedure" else 0.25,
                    }
                )
    return pd.DataFrame(rows)


def _width(chart) -> float:
    svg = vl_convert.vegalite_to_svg(chart.to_dict())
    return float(re.search(r'<svg[^>]*?width="([\d.]+)"', svg).group(1))


def _layers(spec):
    return spec.get("spec", spec)["layer"]


def _mark(layer):
    return layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]


def _lines_group_by_family(spec) -> bool:
    """Every line/area layer groups its points by family (colour or detail): no line joins two families."""
    for layer in _layers(spec):
        if _mark(layer) in ("line", "area"):
            encoding = layer["encoding"]
            fields = {encoding.get(channel, {}).get("field") for channel in ("color", "detail")}
            if "family" not in fields:
                return False
    return True


def _charts(summary, curves, palette_domain):
    from helpers.experiments.scaling import published as sp

    return {
        "loss": charts.scale_chart(summary, "loss", palette=palette_domain),
        "accuracy": charts.scale_chart(summary, "accuracy", palette=palette_domain),
        "fit": charts.fit_chart(summary, curves, palette=palette_domain),
        "mmlu": pc.published_mmlu_chart(sp.published_mmlu_table(), palette=palette_domain),
        "lambada": pc.lambada_chart(sp.published_lambada_table(), palette=palette_domain),
        "steps": pc.training_steps_chart(sp.published_training_table(), palette=palette_domain),
    }


@pytest.fixture(scope="module")
def built():
    summary = _summary()
    curves = pd.DataFrame(
        {
            "family": "pythia",
            "kind": "knowledge",
            "size_basis": "total",
            "n_params": [70e6, 410e6],
            "loss": [1.2, 1.1],
            "loss_low": [1.1, 1.0],
            "loss_high": [1.3, 1.2],
        }
    )
    domain = palette.palette_domain(["pythia", "opt"], palette.PUBLISHED_FAMILIES)
    return _charts(summary, curves, domain)


@pytest.mark.parametrize("name", ["loss", "accuracy", "fit", "mmlu", "lambada", "steps"])
def test_every_chart_fits_the_column_and_joins_points_only_within_a_family(built, name):
    spec = built[name].to_dict()
    assert _width(built[name]) <= render_charts.MAX_CHART_WIDTH
    assert spec.get("columns", 1) <= 2 and "row" not in spec.get("facet", {})
    assert _lines_group_by_family(spec)


def test_colour_domain_is_fixed_by_the_palette_not_the_data():
    summary = _summary((("opt", (125e6, 350e6)),))  # only OPT present
    spec = charts.scale_chart(summary, "loss", palette=["pythia", "opt", "bloom"]).to_dict()
    scale = _layers(spec)[2]["encoding"]["color"]["scale"]
    assert scale == {"domain": ["opt"], "range": [OKABE_ITO[1]]}  # opt keeps its colour with pythia absent
    both = charts.scale_chart(_summary(), "loss", palette=["opt", "pythia"]).to_dict()
    scale = _layers(both)[2]["encoding"]["color"]["scale"]
    # a named family keeps its one colour (helpers.render.palette) whatever order the chapter lists it in
    assert scale == {"domain": ["opt", "pythia"], "range": [OKABE_ITO[1], OKABE_ITO[0]]}


def test_axis_domain_fits_the_data():
    spec = charts.scale_chart(_summary(), "accuracy").to_dict()
    x_scale = _layers(spec)[2]["encoding"]["x"]["scale"]
    assert x_scale["type"] == "log" and x_scale["nice"] is False
    assert x_scale["domain"] == pytest.approx([70e6 / render_charts.AXIS_PADDING, 410e6 * render_charts.AXIS_PADDING])
    assert x_scale["domain"][1] < 1e9  # no axis to 10G for models below 1G


def test_accuracy_panels_have_chance_and_intervals():
    layers = _layers(charts.scale_chart(_summary(), "accuracy").to_dict())
    assert [_mark(layer) for layer in layers] == ["line", "rule", "point", "rule"]
    assert (layers[1]["encoding"]["y"]["field"], layers[1]["encoding"]["y2"]["field"]) == (
        "accuracy_low",
        "accuracy_high",
    )
    assert layers[3]["transform"] == [{"filter": "isValid(datum.chance)"}]
    assert [_mark(layer) for layer in _layers(charts.scale_chart(_summary(), "loss").to_dict())] == [
        "line",
        "rule",
        "point",
    ]


def test_builders_reject_bad_input():
    with pytest.raises(charts.ChartInputError, match="'brier'"):
        charts.scale_chart(_summary(), "brier")
    with pytest.raises(charts.ChartInputError, match="loss_low"):
        charts.scale_chart(_summary().drop(columns="loss_low"), "loss")
    with pytest.raises(charts.ChartInputError, match="fit_curves"):
        charts.fit_chart(_summary(), pd.DataFrame({"family": []}))
