"""Downloads beside every table (issue 22 §5): the chapters' markdown tables (reader_table, the model
table) and every DataFrame or Styler a notebook shows carry a CSV link whose data are the table's rows."""

from __future__ import annotations

import base64
import io
import re

import pandas as pd
import pytest

from helpers.render import tables
from helpers.render.tables import DOWNLOAD_CLASS, csv_filename, dataframe_html, with_download

LINK = re.compile(r'<p class="cc-download"><a download="([^"]+)" href="data:text/csv;charset=utf-8;base64,([^"]+)"')


def _downloads(text: str) -> list[tuple[str, pd.DataFrame]]:
    """Every CSV download in ``text``: (file name, its rows)."""
    return [
        (name, pd.read_csv(io.StringIO(base64.b64decode(data).decode("utf-8")))) for name, data in LINK.findall(text)
    ]


def _pipe_tables(text: str) -> int:
    """Pipe tables in markdown: header separator lines."""
    return len(re.findall(r"^\|(?:---\|)+$", text, flags=re.M))


def test_csv_filename_is_a_plain_slug():
    assert csv_filename("Loss against size (nats)") == "loss-against-size-nats.csv"
    assert csv_filename("!!!") == "table.csv" and csv_filename("", "chart-data") == "chart-data.csv"


def test_with_download_puts_the_rows_below_the_table():
    table = pd.DataFrame({"model": ["a", "b"], "accuracy": ["25%", "31%"]})
    text = with_download("| model | accuracy |\n|---|---|\n| a | 25% |\n| b | 31% |", table, "acc.csv")
    assert text.index("| b | 31% |") < text.index(DOWNLOAD_CLASS)
    [(name, rows)] = _downloads(text)
    assert name == "acc.csv" and rows.to_dict("list") == {"model": ["a", "b"], "accuracy": ["25%", "31%"]}


def test_every_scaling_table_has_its_download():
    from helpers.experiments.scaling import views as sv

    items = pd.DataFrame(
        {
            "model_id": ["a"] * 4 + ["b"] * 4,
            "task": "mmlu:x",
            "kind": "knowledge",
            "item_id": [f"x/{i}" for i in range(4)] * 2,
            "n_choices": 4,
            "correct": [True, False, False, True] * 2,
            "gold_nll_per_token": [1.0, 2.0, 3.0, 2.0] * 2,
            "n_params_total": [70_000_000] * 4 + [160_000_000] * 4,
            "n_params_nonembedding": [35_000_000] * 4 + [80_000_000] * 4,
        }
    )
    summary = sv.model_summary(items, {"one": ["a", "b"]}, bootstrap=0)
    for text in (sv.counts_markdown(summary), sv.summary_markdown(summary)):
        downloads = _downloads(text)
        assert _pipe_tables(text) == len(downloads) == 1
        assert len(downloads[0][1]) == 2  # one row per model, as the table shows
    summary_rows = _downloads(sv.summary_markdown(summary))[0][1]
    assert "50% [15%, 85%]" in summary_rows.to_string()  # the cells as shown: 2 of 4, Wilson 15-85%


def test_a_long_table_keeps_its_download_outside_the_folded_part():
    from helpers.render.tables import reader_table

    text = reader_table(pd.DataFrame({"a": range(20)}), {"a": "A"}, filename="long.csv")
    assert text.startswith("<details>") and text.index("</details>") < text.index(DOWNLOAD_CLASS)
    [(name, rows)] = _downloads(text)
    assert name == "long.csv" and rows["A"].tolist() == list(range(20))
    assert reader_table(pd.DataFrame({"a": []}), {"a": "A"}) == "(no rows)"


def test_the_model_table_downloads_exact_parameter_counts():
    from helpers.experiments.model_table import model_table_markdown

    table = pd.DataFrame(
        {
            "model": ["pythia-70m"],
            "families": ["pythia"],
            "parameters": ["70M"],
            "n_params": [70_426_624.0],
            "training": ["Pile"],
            "weights": ["fp16"],
            "source": ["hub"],
            "model_id": ["EleutherAI/pythia-70m"],
        }
    )
    [(name, rows)] = _downloads(model_table_markdown(table))
    assert name == "models.csv" and rows["n_params"].tolist() == [70_426_624.0]


def test_a_displayed_dataframe_or_styler_carries_its_download_with_its_index():
    frame = pd.DataFrame({"accuracy": [0.25, 0.5]}, index=pd.Index(["a", "b"], name="model"))
    html = dataframe_html(frame)
    assert html.startswith(frame._repr_html_())
    [(name, rows)] = _downloads(html)
    assert name == "model-accuracy.csv" and rows.to_dict("list") == {"model": ["a", "b"], "accuracy": [0.25, 0.5]}
    styled = dataframe_html(frame.reset_index().style.hide(axis="index"))
    [(_, styled_rows)] = _downloads(styled)
    assert styled_rows.columns.tolist() == ["model", "accuracy"]  # a hidden RangeIndex is not a column
    assert dataframe_html(pd.DataFrame()) == pd.DataFrame()._repr_html_()


def test_enable_makes_the_kernel_show_every_dataframe_with_its_download():
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        assert tables.enable()
        formatted, _ = shell.display_formatter.format(pd.DataFrame({"x": [1, 2]}))
        assert DOWNLOAD_CLASS in formatted["text/html"] and _downloads(formatted["text/html"])[0][1]["x"].tolist() == [
            1,
            2,
        ]
    finally:
        from pandas.io.formats.style import Styler

        formatter = shell.display_formatter.formatters["text/html"]
        for kind in (pd.DataFrame, Styler):
            formatter.pop(kind, None)
        InteractiveShell.clear_instance()


def test_require_columns_names_the_caller_the_missing_columns_and_the_fix():
    from helpers.render.tables import require_columns

    class ViewError(ValueError):
        pass

    require_columns(pd.DataFrame({"a": [], "b": []}), ["a", "b"], "view", "pass x", ViewError)  # empty is fine
    with pytest.raises(ViewError, match=r"^view: the table lacks columns \['c'\]; pass x\.$"):
        require_columns(pd.DataFrame({"a": [1]}), ["a", "c"], "view", "pass x", ViewError)
    with pytest.raises(ViewError, match=r"^view needs a DataFrame; got list; pass x\.$"):
        require_columns([1, 2], ["a"], "view", "pass x", ViewError)


def test_require_listed_refuses_one_string_and_names_what_is_absent():
    from helpers.render.tables import require_listed

    assert require_listed(("b", "a"), {"a", "b", "c"}, "kinds", "score them") == ["b", "a"]
    with pytest.raises(ValueError, match=r"^kinds='ab': pass a list, e.g. \['ab'\]\.$"):
        require_listed("ab", {"a", "b"}, "kinds", "score them")  # a string is not a list of its letters
    with pytest.raises(
        ValueError, match=r"^kinds: \['z'\] are not in the table \(it has \['a', 'b'\]\); score them\.$"
    ):
        require_listed(["a", "z"], {"b", "a"}, "kinds", "score them")


def test_a_reader_table_names_the_columns_it_lacks():
    from helpers.render.tables import reader_table

    with pytest.raises(ValueError, match=r"reader_table: the table lacks columns \['b'\]; it has \['a'\]"):
        reader_table(pd.DataFrame({"a": [1]}), {"a": "A", "b": "B"})
    assert reader_table(pd.DataFrame({"a": []}), {"a": "A"}) == "(no rows)"
