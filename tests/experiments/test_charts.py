"""helpers.render.charts: the Vega-Lite specs carry the intended marks, encodings, scales and data rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.experiments.scaling import charts


def _summary():
    """A model_summary-shaped table: one family, two models, two kinds (one without chance)."""
    rows = []
    for model, total in (("m1", 1_000), ("m2", 10_000)):
        for kind, chance in (("knowledge", 0.25), ("procedure", np.nan)):
            rows.append({"family": "fam", "model_id": model, "kind": kind, "n_params_total": total,
                         "n_params_nonembedding": total // 2, "n_items": 4, "n_correct": 1, "accuracy": 0.25,
                         "accuracy_low": 0.05, "accuracy_high": 0.7, "loss": 2.0, "loss_low": 1.5,
                         "loss_high": 2.5, "chance": chance})
    return pd.DataFrame(rows)


def _layers(spec):
    """The layer specs of a (possibly facetted) chart's dict."""
    inner = spec.get("spec", spec)
    return inner["layer"]


def _mark(layer):
    return layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]


def _data_rows(spec):
    (rows,) = spec["datasets"].values()
    return rows


def test_scale_chart_accuracy_has_intervals_chance_log_x_and_facets():
    spec = charts.scale_chart(_summary(), "accuracy").to_dict()
    assert spec["facet"]["row"]["field"] == "size_basis" and spec["facet"]["column"]["field"] == "kind"
    layers = _layers(spec)
    assert [_mark(layer) for layer in layers] == ["line", "rule", "point", "rule"]
    interval = layers[1]["encoding"]
    assert (interval["y"]["field"], interval["y2"]["field"]) == ("accuracy_low", "accuracy_high")
    assert layers[2]["encoding"]["x"]["scale"]["type"] == "log"
    assert layers[2]["encoding"]["color"]["field"] == "family"
    chance = layers[3]
    assert chance["encoding"]["y"] == {"aggregate": "mean", "field": "chance", "type": "quantitative"}
    assert chance["transform"] == [{"filter": "isValid(datum.chance)"}]
    rows = _data_rows(spec)
    assert len(rows) == 2 * len(_summary())  # one row per size basis
    assert {row["size_basis"] for row in rows} == {"total", "non-embedding"}
    assert sorted({row["n_params"] for row in rows}) == [500, 1_000, 5_000, 10_000]


def test_scale_chart_loss_has_no_chance_line_and_rejects_bad_metric():
    layers = _layers(charts.scale_chart(_summary(), "loss").to_dict())
    assert [_mark(layer) for layer in layers] == ["line", "rule", "point"]
    assert layers[2]["encoding"]["y"]["field"] == "loss"
    with pytest.raises(charts.ChartInputError, match="'brier'"):
        charts.scale_chart(_summary(), "brier")
    with pytest.raises(charts.ChartInputError, match="loss_low"):
        charts.scale_chart(_summary().drop(columns="loss_low"), "loss")


def test_fit_chart_layers_measured_points_and_fitted_curves():
    curves = pd.DataFrame({"family": "fam", "kind": "knowledge", "size_basis": "total",
                           "n_params": [1_000.0, 10_000.0], "loss": [2.0, 1.8], "loss_low": [1.9, 1.7],
                           "loss_high": [2.1, 1.9]})
    spec = charts.fit_chart(_summary(), curves).to_dict()
    layers = _layers(spec)
    assert [_mark(layer) for layer in layers] == ["area", "line", "rule", "point"]
    filters = [layer["transform"][0]["filter"] for layer in layers]
    assert filters == ["(datum.layer === 'fit')"] * 2 + ["(datum.layer === 'measured')"] * 2
    rows = _data_rows(spec)
    assert sum(row["layer"] == "fit" for row in rows) == 2
    assert sum(row["layer"] == "measured" for row in rows) == 2 * len(_summary())
    with pytest.raises(charts.ChartInputError, match="fit_curves"):
        charts.fit_chart(_summary(), curves.drop(columns="loss_low"))


def test_published_charts():
    mmlu = pd.DataFrame({"family": ["pythia", "opt"], "model": ["pythia-70m", "opt-125m"],
                         "params": [70_426_624, 125_000_000], "setting": "0-shot acc", "value": [0.21, 0.22],
                         "stderr": 0.01, "low": [0.19, 0.2], "high": [0.23, 0.24], "chance": 0.25})
    spec = charts.published_mmlu_chart(mmlu).to_dict()
    assert spec["facet"]["field"] == "setting" and spec["columns"] == 2
    assert [_mark(layer) for layer in _layers(spec)] == ["line", "rule", "point", "rule"]
    assert len(_data_rows(spec)) == 2

    lambada = pd.DataFrame({"family": ["pythia", "pythia"], "model": ["pythia-70m", "pythia-12b"],
                            "params": [70e6, 12e9], "ppl": [142.4, 3.9], "ppl_low": [130.0, 3.5],
                            "ppl_high": [154.0, 4.3]})
    spec = charts.lambada_chart(lambada).to_dict()
    point = _layers(spec)[2]["encoding"]
    assert point["x"]["scale"]["type"] == "log" and point["y"]["scale"]["type"] == "log"
    assert _layers(spec)[1]["encoding"]["y2"]["field"] == "ppl_high"

    training = pd.DataFrame({"family": "pythia", "model": "pythia-2.8b", "params": 2_775_208_960, "size": "2.8b",
                             "step": [1000, 143000], "value": [0.2, 0.22], "low": [0.18, 0.2], "high": [0.22, 0.24],
                             "suspect": [True, False], "chance": 0.25})
    spec = charts.training_steps_chart(training).to_dict()
    layers = _layers(spec)
    assert [_mark(layer) for layer in layers] == ["area", "line", "point", "rule"]
    assert layers[1]["encoding"]["x"] | {"axis": None} == {"field": "step", "type": "quantitative",
                                                           "scale": {"type": "log"}, "title": "training step",
                                                           "axis": None}
    assert layers[2]["mark"]["shape"] == "cross" and layers[2]["transform"] == [{"filter": "datum.suspect"}]
    with pytest.raises(charts.ChartInputError, match="empty"):
        charts.lambada_chart(lambada.iloc[:0])
