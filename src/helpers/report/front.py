"""The first page's top: the bottom line, the key figure, what this build computed, and stand-in labels.

Everything is computed when the book is built:

* :func:`key_figure_chart`: published MMLU-math accuracy (0-shot, full answer text, the study's
  format) of the study's Pythia and OPT models against total parameters, ±2 published standard
  errors, with the 25% of a uniform guess and the shortest-answer baseline on the same items;
* :func:`bottom_line`: one paragraph from the same numbers and the claims' verdicts;
* :func:`build_box`: what this build computed (profile, models, task settings, data) and whether
  the verification of the shipped results passed, with the number of requests re-scored
  (:func:`helpers.experiments.verify.verification_record`);
* :func:`stand_in_label`: what a chapter scored on a profile whose models are not Pythia/OPT, which
  :mod:`helpers.report.chapters` adds to the chapter's title and opening.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from helpers.analysis.baselines import baseline_table
from helpers.core.tasks.mmlu import CHANCE as MMLU_CHANCE
from helpers.experiments.config import load_profile
from helpers.render import plots
from helpers.render.charts import baseline_rule
from helpers.render.numbers import param_label, pct
from helpers.render.palette import colours_for

CHANCE = MMLU_CHANCE  # a uniform guess among MMLU's four letters
N_STDERR = 2
FIGURE_WIDTH, FIGURE_HEIGHT = 500, 200
VERDICT_ORDER = ("reproduced", "partly", "not reproduced", "inconclusive", "not judged")


def figure_points(mmlu: pd.DataFrame) -> pd.DataFrame:
    """The figure's rows from :func:`helpers.report.claims.evidence.published_mmlu_accuracies`."""
    points = mmlu[["family", "model", "params", "acc", "acc_stderr", "n"]].copy()
    points["low"] = points["acc"] - N_STDERR * points["acc_stderr"]
    points["high"] = points["acc"] + N_STDERR * points["acc_stderr"]
    points["parameters"] = [param_label(value) for value in points["params"]]
    points["family_label"] = points["family"].map({"pythia": "Pythia", "opt": "OPT"}).fillna(points["family"])
    return points


def key_figure_chart(points: pd.DataFrame, shortest: float) -> alt.LayerChart:
    """Accuracy against total parameters, one colour per family, chance and shortest-answer lines."""
    families = list(dict.fromkeys(points["family"]))
    colours = colours_for(families)
    labels = dict(zip(points["family"], points["family_label"]))
    colour = alt.Color(
        "family_label:N",
        title=None,
        sort=[labels[f] for f in families],
        scale=alt.Scale(domain=[labels[f] for f in families], range=[colours[f] for f in families]),
        legend=alt.Legend(orient="top", direction="horizontal", symbolType="circle"),
    )
    low, high = float(points["params"].min()) / 1.4, float(points["params"].max()) * 1.4
    x = alt.X(
        "params:Q",
        title="total parameters (log scale)",
        scale=alt.Scale(type="log", domain=[low, high], nice=False),
        axis=alt.Axis(
            labelExpr="replace(format(datum.value, '~s'), 'G', 'B')",
            grid=False,
            values=[m * 10.0**e for e in range(6, 13) for m in (1, 3) if low <= m * 10.0**e <= high],
        ),
    )
    y_scale = alt.Scale(
        domain=[
            min(float(points["low"].min()), CHANCE, shortest) - 0.01,
            max(float(points["high"].max()), CHANCE, shortest) + 0.01,
        ],
        nice=False,
        zero=False,
    )
    y = alt.Y("acc:Q", title="MMLU-math accuracy", axis=alt.Axis(format=".0%", tickCount=5), scale=y_scale)
    tooltip = [
        alt.Tooltip("model:N", title="model"),
        alt.Tooltip("parameters:N", title="total parameters"),
        alt.Tooltip("acc:Q", title="accuracy", format=".1%"),
        alt.Tooltip("acc_stderr:Q", title="standard error", format=".1%"),
        alt.Tooltip("n:Q", title="items", format=","),
    ]
    base = alt.Chart(points).encode(x=x, color=colour)
    lines = pd.DataFrame({"y": [CHANCE, shortest], "label": [f"chance {pct(CHANCE, 0)}", f"shortest {pct(shortest)}"]})
    rule = alt.Chart(lines)
    line_y = alt.Y("y:Q", scale=y_scale, title="MMLU-math accuracy")
    return alt.layer(
        baseline_rule(CHANCE, data=lines, scale=y_scale, title="MMLU-math accuracy"),
        baseline_rule(shortest, "shortest", data=lines, scale=y_scale, title="MMLU-math accuracy"),
        rule.mark_text(align="left", baseline="middle", dx=4, fontSize=11, color="#333333").encode(
            x=alt.value(FIGURE_WIDTH), y=line_y, text="label:N"
        ),
        base.mark_rule(strokeWidth=1.5).encode(
            y=alt.Y("low:Q", scale=y_scale, title="MMLU-math accuracy"), y2="high:Q"
        ),
        base.mark_line(opacity=0.7).encode(y=y, detail="family:N"),
        base.mark_point(filled=True, size=55, opacity=1).encode(y=y, tooltip=tooltip),
    ).properties(
        width=FIGURE_WIDTH,
        height=FIGURE_HEIGHT,
        description="Published MMLU-math accuracy of Pythia and OPT against total parameters",
    )


def key_figure_markdown(points: pd.DataFrame, shortest: float) -> str:
    """The figure as a raw HTML block (drawn by the book's shared Vega bundle) and its caption."""
    spec = key_figure_chart(points, shortest).to_dict()
    spec["config"] = {**plots.theme_config()["config"], **spec.get("config", {})}
    n_items = int(points["n"].iloc[0])
    caption = (
        f"**Figure.** Published MMLU-math accuracy of the study's {len(points)} Pythia and OPT models against "
        f"their total parameters (lm-evaluation-harness hendrycksTest v0: 0-shot, the full answer text scored; "
        f"{n_items:,} items), ±{N_STDERR} standard errors. Dashed: a uniform guess (25%); dotted: always "
        f"picking the shortest answer on the same items. Computed by this build from "
        f"`data/reference/lm_eval_published.csv.gz`."
    )
    return (
        f'```{{raw}} html\n<div class="cc-key-figure">\n{plots.chart_html(spec)}\n</div>\n```\n\n'
        f'<p class="cc-figure-caption">{_inline(caption)}</p>\n'
    )


def _inline(text: str) -> str:
    """The caption's markdown bold and code as HTML (it sits in raw HTML)."""
    import re

    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def verdict_summary(results) -> str:
    """``"2 reproduced (claims 1, 2), 1 partly (3) and 3 not judged (4a, 4b, 5)"``."""
    groups: dict[str, list[str]] = {}
    for result in results:
        groups.setdefault(result.verdict_word, []).append(result.claim_id)
    order = [code for code in VERDICT_ORDER if code in groups] + [c for c in groups if c not in VERDICT_ORDER]
    parts = [
        f"{len(groups[code])} {code} ({'claim' if len(groups[code]) == 1 else 'claims'} {', '.join(groups[code])})"
        for code in order
    ]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def stand_in_label(profile_name: str) -> tuple[str, str] | None:
    """``(title suffix, opening sentence)`` when the profile's models are not Pythia/OPT; None when they are."""
    profile = load_profile(profile_name)
    sources = profile.models
    if all(source.startswith("random:") for source in sources):
        return (
            "(random-weight test models)",
            f"This chapter shows randomly initialised models (profile `{profile.name}`): its numbers test the "
            "code and are not findings about Pythia or OPT.",
        )
    stand_ins = [source.removeprefix("offline:") for source in sources if source.startswith("offline:")]
    if stand_ins:
        return (
            "(stand-in models)",
            f"This chapter shows stand-in models, not Pythia or OPT: {', '.join(stand_ins)} (profile "
            f"`{profile.name}`). They illustrate the method; claims about Pythia and OPT rest on Pythia/OPT "
            "numbers only.",
        )
    return None


def bottom_line(profile_name: str, points: pd.DataFrame, shortest: float, results) -> str:
    """One paragraph: what the published Pythia/OPT numbers show, the verdicts, what this build's models are."""
    counts = points["family_label"].value_counts()
    families = " and ".join(f"{counts[label]} {label}" for label in dict.fromkeys(points["family_label"]))
    smallest, largest = param_label(points["params"].min()), param_label(points["params"].max())
    label = stand_in_label(profile_name)
    own = (
        ""
        if label is None
        else " This build's own models are "
        + ("random-weight test models" if "random" in label[0] else "stand-ins")
        + f" (profile `{profile_name}`): their chapters illustrate the method and judge no claim."
    )
    return (
        f"**Bottom line.** In the published lm-evaluation-harness results for the study's {families} models "
        f"({smallest} to {largest} total parameters), MMLU-math accuracy (0-shot, full answer text, "
        f"{int(points['n'].iloc[0]):,} items) lies between {pct(points['acc'].min())} and "
        f"{pct(points['acc'].max())} at every size, against {pct(CHANCE, 0)} for a uniform guess and "
        f"{pct(shortest)} for always picking the shortest answer. Across the claims table's {len(results)} rows "
        f"(the study's claims, its open question and its engineering conclusion), this build finds "
        f"{verdict_summary(results)}.{own}\n"
    )


def build_box(profile_name: str, verification: dict | None, commit: str) -> str:
    """A short admonition: profile, models and task settings computed, data, verification and its count."""
    profile = load_profile(profile_name)
    settings = ", ".join(
        f"{kind} ({setting.task}, {setting.shots}-shot, "
        f"{'all items' if setting.limit is None else f'{setting.limit} per subject or file'})"
        for kind, setting in profile.tasks.items()
    )
    if verification is not None and verification.get("passed"):
        same = verification.get("commit") == commit
        verified = (
            f"**Verification passed:** {verification['requests']:,} shipped requests re-scored with the "
            f"current code agreed (seed {verification['seed']}, {verification['when']} UTC"
            + ("" if same else f", at commit `{str(verification.get('commit'))[:10]}`, not this build's")
            + ")."
        )
    else:
        verified = (
            f"**Verification:** none recorded for profile `{profile_name}`: `make book` re-scores a sample of "
            "the shipped results before it builds; a profile that ships none computes every score itself."
        )
    return (
        f":::{{admonition}} What this build computed\n:class: note cc-build-box\n"
        f"Every number, table, chart and verdict of this book (profile `{profile_name}`, code `{commit[:10]}`) was "
        f"computed by this build from: the scores of {len(profile.models)} models "
        f"({', '.join(f'`{m}`' for m in profile.models)}) on {settings}, read from the shipped results in "
        "`data/results` where they exist and otherwise scored by this build; the task data in `data/`; and the "
        "published lm-evaluation-harness results in `data/reference`. "
        f"{verified}\n:::\n"
    )


def front_pages(profile_name: str, results=None) -> dict[str, str]:
    """``bottom_line.md``, ``key_figure.md`` and ``build.md`` for the first page of ``profile_name``."""
    from helpers.experiments.verify import verification_record
    from helpers.report.claims.evidence import Evidence
    from helpers.report.claims.table import CLAIM_RULES
    from helpers.report.pages import _git

    evidence = Evidence(profile_name)
    if results is None:
        results = [rule(evidence) for rule in CLAIM_RULES]
    baselines = baseline_table(*evidence.fulltext_items)
    shortest = float(baselines.loc[baselines["baseline"] == "shortest answer", "accuracy"].iloc[0])
    points = figure_points(evidence.mmlu)
    return {
        "bottom_line.md": bottom_line(profile_name, points, shortest, results),
        "key_figure.md": key_figure_markdown(points, shortest),
        "build.md": build_box(profile_name, verification_record(profile_name), _git("rev-parse", "HEAD")),
    }
