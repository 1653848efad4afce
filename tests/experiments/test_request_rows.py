"""The one layout of a stored per-request row (helpers.experiments.evaluation.request_rows), shared by
the evaluation and the swap (which adds its condition's columns)."""

from __future__ import annotations

import pandas as pd

from helpers.core.attention.lockstep import Condition
from helpers.core.requests import Item, Request, Score
from helpers.experiments.evaluation import ROW_COLUMNS, request_rows
from helpers.experiments.swap.compute import SWAP_ROW_COLUMNS, _rows


def _items():
    return [
        Item(
            task="t",
            item_id="a",
            requests=(Request("Q:", " x"), Request("Q:", " y")),
            gold=1,
            choice_labels=("X", "Y"),
            meta={"subject": "s"},
        )
    ]


def test_request_rows_are_the_row_columns_in_order():
    scores = [Score(-1.0, False, 1, (-1.0,), (False,)), Score(-0.25, True, 1, (-0.25,), (True,))]
    records = request_rows(_items(), scores, model_id="m", kind="k", n_params=(10, 4))
    assert [list(record) for record in records] == [ROW_COLUMNS, ROW_COLUMNS]
    assert [(r["choice"], r["label"], r["is_gold"], r["logprob"], r["token_is_greedy"]) for r in records] == [
        (0, "X", False, -1.0, [False]),
        (1, "Y", True, -0.25, [True]),
    ]


def test_a_swap_row_is_a_request_row_plus_the_condition_columns():
    class Loaded:
        model_id, n_params_total, n_params_nonembedding = "m", 10, 4

    scores = [Score(-1.0, False, 1, (-1.0,), (False,)), Score(-0.25, True, 1, (-0.25,), (True,))]
    setting = type("Setting", (), {"kind": "k"})()
    counts = {name: 0 for name in SWAP_ROW_COLUMNS[5:]}
    table = _rows(_items(), scores, setting, Loaded, "donor", Condition("swap", alpha=0.5), counts)
    plain = pd.DataFrame(request_rows(_items(), scores, model_id="m", kind="k", n_params=(10, 4)), columns=ROW_COLUMNS)
    assert list(table.columns) == ROW_COLUMNS + SWAP_ROW_COLUMNS
    pd.testing.assert_frame_equal(table[ROW_COLUMNS], plain)
    assert table[["condition", "alpha", "layers"]].values.tolist() == [["swap a=0.5", 0.5, "all"]] * 2
