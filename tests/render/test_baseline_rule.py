"""helpers.render.charts.baseline_rule: the one chance / majority line every chart draws.

The rule's position is checked where a reader sees it: rendered to SVG (vl-convert, offline) on a
100 px high axis from 0 to 1, a line at 0.25 sits 75 px from the top."""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import pytest
import vl_convert

from helpers.core.tasks.mmlu import CHANCE
from helpers.render.charts import BASELINE_STYLES, ChartInputError, baseline_rule

HEIGHT = 100
SCALE = alt.Scale(domain=[0, 1])


def _points(**columns) -> pd.DataFrame:
    return pd.DataFrame({"x": [1.0, 2.0, 3.0], "accuracy": [0.2, 0.5, 0.9], **columns})


def _chart(rule: alt.Chart, data: pd.DataFrame) -> alt.LayerChart:
    points = alt.Chart().mark_point().encode(x="x:Q", y=alt.Y("accuracy:Q", scale=SCALE))
    return alt.layer(points, rule, data=data).properties(width=100, height=HEIGHT)


def _rule_layer(spec: dict) -> dict:
    rules = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    assert len(rules) == 1, spec["layer"]
    return rules[0]


def _rule_offsets(chart: alt.TopLevelMixin) -> list[float]:
    """Pixel offsets (from the top of the plot) of the horizontal rules vl-convert draws."""
    svg = vl_convert.vegalite_to_svg(chart.to_dict())
    marks = re.findall(r'class="mark-rule role-mark[^"]*"[^>]*>(.*?)</g>', svg, flags=re.S)
    return [round(float(y), 3) for block in marks for y in re.findall(r"translate\([\d.]+,([\d.]+)\)", block)]


def test_a_number_draws_one_rule_at_that_value_with_its_label():
    chart = _chart(baseline_rule(CHANCE, scale=SCALE), _points())
    rule = _rule_layer(chart.to_dict())
    assert rule["mark"]["strokeDash"] == [5, 4] and rule["mark"]["color"] == "#666666"
    assert rule["encoding"]["tooltip"][0]["title"] == "chance"
    assert rule["transform"] == [{"calculate": "0.25", "as": "chance_level"}]
    assert _rule_offsets(chart) == [HEIGHT * (1 - 0.25)]


def test_a_column_draws_its_mean_and_skips_rows_without_one():
    data = _points(chance=[0.5, 0.5, None], majority=[0.7, 0.7, 0.7])
    chance = _chart(baseline_rule("chance", scale=SCALE), data)
    assert _rule_offsets(chance) == [HEIGHT * (1 - 0.5)]
    assert _rule_layer(chance.to_dict())["transform"] == [{"filter": "isValid(datum.chance)"}]
    majority = _chart(baseline_rule("majority", "majority", scale=SCALE), data)
    rule = _rule_layer(majority.to_dict())
    assert rule["encoding"]["tooltip"][0]["title"] == "majority baseline"
    assert rule["mark"]["color"] == BASELINE_STYLES["majority"]["color"] == "#D55E00"
    assert _rule_offsets(majority) == [pytest.approx(HEIGHT * (1 - 0.7))]


def test_a_vertical_rule_and_a_custom_label():
    rule = baseline_rule(0.5, axis="x", label="a coin flip").to_dict()
    assert rule["encoding"]["x"]["field"] == "chance_level" and rule["encoding"]["x"]["aggregate"] == "mean"
    assert "y" not in rule["encoding"]
    assert rule["encoding"]["tooltip"][0]["title"] == "a coin flip"


@pytest.mark.parametrize(
    ("value", "options", "message"),
    [
        (0.25, {"kind": "median"}, "kind='median'"),
        (0.25, {"axis": "z"}, "axis='z'"),
        (None, {}, "value=None"),
        (float("nan"), {}, "value=nan"),
        (True, {}, "value=True"),
    ],
)
def test_bad_arguments_name_the_value_and_the_fix(value, options, message):
    with pytest.raises(ChartInputError, match=re.escape(message)):
        baseline_rule(value, **options)


def test_every_chapter_chart_draws_chance_through_baseline_rule():
    """The scaling chapter's accuracy panels: the rule is the chance line at the table's chance value."""
    from helpers.experiments.scaling import charts

    summary = pd.DataFrame(
        [
            {
                "family": "pythia",
                "model_id": f"m{i}",
                "kind": "knowledge",
                "n_params_total": size,
                "n_params_nonembedding": size // 2,
                "n_items": 40,
                "n_correct": 10,
                "accuracy": 0.3,
                "accuracy_low": 0.2,
                "accuracy_high": 0.4,
                "loss": 2.0,
                "loss_low": 1.5,
                "loss_high": 2.5,
                "chance": CHANCE,
            }
            for i, size in enumerate((70_000_000, 160_000_000))
        ]
    )
    spec = charts.scale_chart(summary, "accuracy").to_dict()
    rules = [
        layer
        for layer in spec["spec"]["layer"]
        if layer["mark"]["type"] == "rule" and layer["encoding"].get("tooltip", [{}])[0].get("title") == "chance"
    ]
    assert len(rules) == 1 and rules[0]["encoding"]["y"]["field"] == "chance"
