"""Tests of helpers.experiments.published_pythia: formatted tables and Altair charts on the real published data."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import vl_convert

from conftest import mark_types, spec_dicts
from helpers.analysis import pythia_arithmetic as pa
from helpers.experiments.published_pythia import charts as pc
from helpers.experiments.published_pythia import claim4a
from helpers.experiments.published_pythia import views as pv
from helpers.render import charts as rc
from helpers.render import palette


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return pa.load_pythia_arithmetic()


@pytest.fixture(scope="module")
def points(frame) -> pd.DataFrame:
    return pv.accuracy_points(frame)


# ------------------------------------------------------------------------------------ views


def test_format_params():
    assert pv.format_params(1_414_647_808) == "1.4B"
    assert pv.format_params(162_322_944) == "162M"
    assert pv.format_params(11_846_072_320) == "11.8B"
    with pytest.raises(pv.PublishedPythiaViewError):
        pv.format_params(0)


def test_format_percent_rounds_to_the_interval():
    assert pv.format_percent(0.0406, 0.02637, 0.05483) == "4.1% (2.6–5.5%)"
    assert pv.format_percent(0.4476, 0.3950, 0.5002) == "45% (40–50%)"
    assert pv.format_percent(0.0, 0.0, 0.000768) == "0.00% (0.00–0.08%)"
    assert pv.format_difference(0.0406, 0.0298, 0.0602) == "+4.1 pp (+3.0 to +6.0)"
    assert pv.format_p(0.0002) == "< 0.001" and pv.format_p(0.0361) == "0.036"


def test_accuracy_view(frame):
    table = pv.accuracy_view(frame)
    assert list(table.columns) == [
        "model",
        "parameters",
        "operation",
        "shots",
        "accuracy (95% CI, operands as clusters)",
        "naive 95% CI (Wilson, items independent)",
        "design effect",
    ]
    assert len(table) == 7 * 2 * 2
    assert {"1.4B", "162M", "11.8B"} <= set(table["parameters"])
    row = table[(table["model"] == "pythia-12b") & (table["operation"] == "addition") & (table["shots"] == 0)].iloc[0]
    assert row["accuracy (95% CI, operands as clusters)"] == "4.1% (2.6–5.5%)"
    assert float(row["design effect"]) > 1
    zero = table[(table["model"] == "pythia-160m") & (table["operation"] == "addition") & (table["shots"] == 0)]
    assert zero.iloc[0]["accuracy (95% CI, operands as clusters)"].endswith("(Wilson)")
    with pytest.raises(pv.PublishedPythiaViewError):
        pv.accuracy_view(frame, step=1)


def test_scale_change_and_trend_views(frame):
    change = pv.scale_change_view(frame, shots=(0, 16), n_resamples=999)
    assert len(change) == 4 and set(change["largest"]) == {"pythia-12b (11.8B)"}
    assert change["change [95% CI]"].str.startswith("+").all()
    trend = pv.scale_trend_view(frame, shots=(16,))
    assert list(trend["residual df"]) == [5, 5]
    assert trend["slope per 10× parameters (95% CI)"].str.endswith(")").all()


def test_fit_views(frame):
    coefficients = pv.fit_coefficients_view(frame, "multiplication")
    assert len(coefficients) == 4 and coefficients["term"].iloc[1] == "b1: log10 training compute"
    assert any(column.startswith("95% CI, quasi-binomial") for column in coefficients.columns)
    worst, held = pv.fit_failures_view(pa.where_fit_fails(frame, "addition", n_worst=3))
    assert len(worst) == 3 and list(held["shots"]) == list(pa.SHOTS)
    assert worst["model"].iloc[0] == "pythia-2.8b"


# ----------------------------------------------------------------------------------- charts


def _widths(spec) -> list:
    return [node["width"] for node in spec_dicts(spec) if isinstance(node.get("width"), (int, float))]


def _legends(spec) -> list:
    """Every legend of the chart's encodings (not the theme's ``config.legend``)."""
    return [node["legend"] for node in spec_dicts(spec, skip_keys=("config",)) if isinstance(node.get("legend"), dict)]


def _colour_scales(spec) -> list:
    """Every ``{domain, range}`` colour scale of the spec."""
    colours = [node["color"] for node in spec_dicts(spec) if isinstance(node.get("color"), dict)]
    scales = [colour["scale"] for colour in colours if isinstance(colour.get("scale"), dict)]
    return [scale for scale in scales if "range" in scale]


@pytest.fixture(scope="module")
def all_charts(frame, points):
    return {
        "params": pc.accuracy_vs_params_chart(points),
        "steps": pc.accuracy_vs_steps_chart(points, "multiplication"),
        "shots": pc.accuracy_vs_shots_chart(points),
        "fit": pc.fit_chart(pv.fit_curves(frame, "addition", n_points=20)),
        "compute": pc.compute_comparison_chart(pv.compute_comparison(frame, "addition", 16)),
        "compute_pythia": pc.compute_comparison_chart(pv.compute_comparison(frame, "addition", 16, family="pythia")),
    }


@pytest.mark.parametrize("name", ["params", "steps", "shots", "fit", "compute"])
def test_chart_has_data_marks_and_fits_the_column(all_charts, name):
    spec = all_charts[name].to_dict()
    assert spec.get("datasets") or spec.get("data")
    assert mark_types(spec)
    assert _widths(spec) and max(_widths(spec)) <= rc.PANEL_WIDTH
    assert "greedy generation" in json.dumps(spec.get("title", ""))
    assert vl_convert.vegalite_to_svg(spec).startswith("<svg")  # a valid Vega-Lite spec


@pytest.mark.parametrize("name", ["params", "steps", "shots", "fit", "compute", "compute_pythia"])
def test_rendered_chart_fits_the_book_column(all_charts, name):
    """Rendered by vl-convert in a wide font (the browser's on Linux), legend and titles included."""
    spec = all_charts[name].to_dict()
    width, _ = rc.rendered_size(spec)
    assert width <= rc.MAX_CHART_WIDTH, f"{name}: {width:.0f} px wide"
    # At most two panels side by side, legends below with at most three columns.
    assert spec.get("columns", 1) <= rc.MAX_FACET_COLUMNS and len(spec.get("hconcat", [])) <= rc.MAX_FACET_COLUMNS
    assert "column" not in spec.get("facet", {})  # a facet grid would not wrap: panels wrap at two columns
    for legend in _legends(spec):
        assert legend.get("orient") == "bottom" and legend.get("columns", 1) <= rc.LEGEND_COLUMNS, legend


def test_model_colours_are_fixed(points):
    small = points[points["size"].isin(["160m", "12b"])]
    spec = pc.accuracy_vs_shots_chart(small).to_dict()
    scale = json.dumps(spec)
    shades = palette.family_shades("pythia")  # light blue for 160m (not OPT's orange), dark blue for 12b
    small_colour, large_colour = shades["160m"], shades["12b"]
    assert f'"range": ["{small_colour}", "{large_colour}"]' in scale  # the same colours as in the full chart


def test_a_model_has_one_colour_in_every_chart(all_charts):
    expected = rc.model_colours(pa.PYTHIA_SIZES, pa.PYTHIA_SIZES)
    assert pc.MODEL_COLORS == expected and len(set(expected.values())) == len(expected)
    for name, chart in all_charts.items():
        for scale in _colour_scales(chart.to_dict()):
            if set(scale["domain"]) <= set(pa.PYTHIA_SIZES):  # a model scale (shots have their own)
                assert scale["range"] == [expected[size] for size in scale["domain"]], name
                assert len(set(scale["domain"])) == len(scale["domain"]), name  # each model once
                assert len(set(scale["range"])) == len(scale["range"]), name  # no two models share a colour
                assert not set(scale["range"]) & (set(palette.FAMILY_COLOURS.values()) - {palette.BLUE}), name


def test_axis_domains_fit_the_data(points):
    spec = pc.accuracy_vs_params_chart(points).to_dict()
    low, high = json.loads(json.dumps(spec["spec"]["layer"][0]["encoding"]["x"]["scale"]["domain"]))
    final = points[points["step"] == pa.FINAL_STEP]
    assert low < final["n_params"].min() < final["n_params"].max() < high
    assert high / low < 1.4 * final["n_params"].max() / final["n_params"].min()


def test_charts_reject_bad_input(points):
    with pytest.raises(pc.ChartInputError, match="lacks columns"):
        pc.accuracy_vs_params_chart(points.drop(columns="low"))
    with pytest.raises(pc.ChartInputError, match="no rows"):
        pc.accuracy_vs_steps_chart(points, "division")
    with pytest.raises(pc.ChartInputError):
        pc.compute_comparison_chart(pd.DataFrame())


def test_claim_4a_design_is_counted_from_the_bundled_files(frame):
    # SOURCES.md of reference/pythia_arithmetic: seven models, 160M (old name 125m) to 12B (13b), 100 first
    # operands x 50 items per (model, step, operation, shots); claim 4a compares 2 operations x shots 0 and 16.
    design = claim4a.published_design(frame)
    assert design == claim4a.PublishedDesign("160M", "12B", 143000, 100, 5000, 2, 2)


def test_claim_4a_design_refuses_cells_that_differ(frame):
    # one operand fewer in one compared cell: no single count describes the comparison
    cell = (frame["size"] == "1b") & (frame["operation"] == "addition") & (frame["shots"] == 16)
    short = frame.drop(frame.index[cell & (frame["operand"] == frame.loc[cell, "operand"].max())])
    with pytest.raises(pa.ArithmeticAnalysisError, match=r"operands \[99, 100\]"):
        claim4a.published_design(short)
    with pytest.raises(pa.ArithmeticAnalysisError, match=r"no rows at step 1 .*steps are \[13000, "):
        claim4a.published_design(frame, step=1)
