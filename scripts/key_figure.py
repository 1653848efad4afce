"""Regenerate the README's key figure, ``docs/key_figure.png``: published MMLU-math accuracy against parameters.

The data are the published lm-evaluation-harness results bundled in ``data/reference/``
(:mod:`helpers.analysis.published`; MMLU is harness ``hendrycksTest`` v0, the full answer text scored),
MMLU-math being its five mathematics subjects pooled by size (1,064 items). One panel per setting
(0-shot for every family, 5-shot for the Pythia families; ``acc`` and ``acc_norm``), one colour per
family (the book's fixed family colours, :func:`helpers.render.charts.model_colour_scale`), bars of
±2 published standard errors, chance (25%) dashed. The legend names each family once.

It renders offline with vl-convert (no browser, no network)::

    python scripts/key_figure.py                   # writes docs/key_figure.png
    python scripts/key_figure.py --output /tmp/figure.png --scale 1
"""

from __future__ import annotations

import argparse
import math
import struct
import sys
from pathlib import Path

import altair as alt
import pandas as pd

from helpers.analysis import published as reference
from helpers.infra.paths import REPO_ROOT
from helpers.render.charts import FAMILY_ORDER, model_colour_scale
from helpers.render.plots import theme_config

OUTPUT = REPO_ROOT / "docs" / "key_figure.png"
MAX_PNG_WIDTH = 900
"""Widest the PNG may be (px): it must read well in the README without being scaled down much."""
SCALE = 1.25
PANEL_WIDTH, PANEL_HEIGHT = 290, 170
CHANCE = 0.25
N_STDERR = 2
FONT = "Liberation Sans, DejaVu Sans, sans-serif"
SETTINGS = ((0, "acc"), (0, "acc_norm"), (5, "acc"), (5, "acc_norm"))


def mmlu_math_points(published: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (model, setting): ``family, model, params, setting, value, low, high`` (±2 stderr)."""
    table = reference.load_published() if published is None else published
    frames = []
    for shots, metric in SETTINGS:
        summary = reference.mmlu_math_summary(table, shots=shots)
        value, stderr = summary[metric].astype(float), summary[f"{metric}_stderr"].astype(float)
        frames.append(
            pd.DataFrame(
                {
                    "family": summary["family"].astype(str),
                    "model": summary["model"].astype(str),
                    "params": summary["params"].astype(float),
                    "setting": f"{shots}-shot {metric}",
                    "value": value,
                    "low": value - N_STDERR * stderr,
                    "high": value + N_STDERR * stderr,
                }
            )
        )
    points = pd.concat(frames, ignore_index=True).dropna(subset=["value"])
    if points.empty:
        raise ValueError("no published MMLU-math rows: is data/reference/ complete?")
    return points


def _log_domain(values: pd.Series, pad: float = 1.35) -> list[float]:
    return [float(values.min()) / pad, float(values.max()) * pad]


def _params_ticks(low: float, high: float) -> list[float]:
    return [
        m * 10.0**e
        for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
        for m in (1, 3)
        if low <= m * 10.0**e <= high
    ]


def key_figure(points: pd.DataFrame) -> alt.FacetChart:
    """The figure: one panel per setting (two per row), families coloured, each named once in the legend."""
    families = [family for family in FAMILY_ORDER if family in set(points["family"])]
    families += sorted(set(points["family"]) - set(families))
    colour = alt.Color(
        "family:N",
        title="family",
        sort=families,
        scale=model_colour_scale(families, FAMILY_ORDER),
        legend=alt.Legend(
            orient="bottom",
            direction="horizontal",
            columns=len(families),
            labelLimit=0,
            symbolOpacity=1,
            symbolType="circle",
        ),
    )
    low, high = _log_domain(points["params"])
    x = alt.X(
        "params:Q",
        title="parameters (log scale)",
        scale=alt.Scale(type="log", domain=[low, high], nice=False),
        axis=alt.Axis(
            values=_params_ticks(low, high), grid=False, labelExpr="replace(format(datum.value, '~s'), 'G', 'B')"
        ),
    )
    y_low = min(float(points["low"].min()), CHANCE) - 0.01
    y_high = max(float(points["high"].max()), CHANCE) + 0.01
    y = alt.Y(
        "value:Q",
        title="MMLU-math accuracy",
        scale=alt.Scale(domain=[y_low, y_high], nice=False),
        axis=alt.Axis(format="%", tickCount=5),
    )
    base = alt.Chart().encode(x=x, color=colour)
    layers = [
        base.mark_line(opacity=0.6).encode(y=y, detail="family:N"),
        base.mark_rule(opacity=0.8).encode(y="low:Q", y2="high:Q"),
        base.mark_point(filled=True, size=45, opacity=1).encode(
            y=y,
            tooltip=[
                "model:N",
                alt.Tooltip("params:Q", format=",.0f"),
                "setting:N",
                alt.Tooltip("value:Q", format=".3f"),
            ],
        ),
        alt.Chart().mark_rule(color="#555555", strokeDash=[5, 4], strokeWidth=1.5).encode(y=alt.datum(CHANCE)),
    ]
    settings = [
        f"{shots}-shot {metric}" for shots, metric in SETTINGS if f"{shots}-shot {metric}" in set(points["setting"])
    ]
    return (
        alt.layer(*layers, data=points)
        .properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
        .facet(
            facet=alt.Facet("setting:N", title=None, sort=settings, header=alt.Header(labelFontWeight=600)),
            columns=2,
            spacing={"row": 28, "column": 18},
        )
        .properties(
            title=alt.Title(
                "Published MMLU-math accuracy against parameters",
                subtitle=[
                    "lm-evaluation-harness hendrycksTest v0 (full answer text), 5 subjects pooled (1,064 items)",
                    "5-shot: Pythia families only. Bars: ±2 standard errors; dashed: chance (25%)",
                ],
            )
        )
    )


def figure_spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec in the book's theme, on white, in fonts vl-convert finds here."""
    spec = chart.to_dict()
    spec["config"] = {**spec.get("config", {}), **theme_config()["config"], "font": FONT, "background": "white"}
    spec["config"]["title"] = {**spec["config"]["title"], "subtitleFontSize": 12, "subtitleColor": "#444444"}
    return spec


def legend_entries(spec: dict) -> list[str]:
    """The labels of the colour legend (the colour scale's domain)."""
    return list(spec["spec"]["layer"][0]["encoding"]["color"]["scale"]["domain"])


def png_size(png: bytes) -> tuple[int, int]:
    """``(width, height)`` from the PNG header."""
    return struct.unpack(">II", png[16:24])


def render(output: Path = OUTPUT, scale: float = SCALE) -> tuple[int, int]:
    """Build the figure from the published data and write it as PNG; return its size in px."""
    import vl_convert

    spec = figure_spec(key_figure(mmlu_math_points()))
    entries = legend_entries(spec)
    if len(entries) != len(set(entries)):
        raise ValueError(f"legend entries repeat: {entries}")
    png = vl_convert.vegalite_to_png(spec, scale=scale)
    width, height = png_size(png)
    if width > MAX_PNG_WIDTH:
        raise ValueError(f"the figure is {width} px wide; at most {MAX_PNG_WIDTH}: lower --scale or the panel width")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(png)
    return width, height


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"PNG to write (default {OUTPUT})")
    parser.add_argument("--scale", type=float, default=SCALE, help=f"pixel scale of the PNG (default {SCALE})")
    args = parser.parse_args(argv)
    width, height = render(args.output, args.scale)
    print(f"wrote {args.output} ({width} x {height} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
