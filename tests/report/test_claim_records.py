"""Verdicts are records: every key number and detail line is rendered from a Part, none is parsed from text."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import helpers.report.claims as claims_package
from helpers.analysis.verdicts import InferenceError
from helpers.experiments.swap.verdict import collapse_sentence, collapse_table
from helpers.infra.store import ResultStore, StoreStack
from helpers.report.claims import wording
from helpers.report.claims.evidence import Evidence
from helpers.report.claims.records import Part
from helpers.report.claims.scaling import published_arithmetic_parts
from helpers.report.claims.swap import collapse_parts

CLAIMS_DIR = Path(claims_package.__file__).parent
TEXT_CUTTERS = {"split", "rsplit", "partition", "rpartition"}  # (a task id losing its prefix is naming, not parsing)


def test_no_claims_code_cuts_a_string_apart():
    """A number read back out of a sentence (``detail.split("%, ")``) is what records replace: no claims module
    calls a string-cutting method at all."""
    found = []
    for path in sorted(CLAIMS_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TEXT_CUTTERS:
                found.append(f"{path.name}:{node.lineno} .{node.func.attr}(")
    assert not found, f"claims code parses text: {found}"


def test_a_part_refuses_an_unknown_kind_code_or_unit():
    with pytest.raises(InferenceError, match="Part.kind 'guess'"):
        Part("guess", "x", "reproduced")
    with pytest.raises(InferenceError, match="Part.code 'yes'"):
        Part("mcnemar", "x", "yes")
    with pytest.raises(InferenceError, match="Part.unit 'percent'"):
        Part("mcnemar", "x", "reproduced", unit="percent")


def test_mcnemar_line_and_key_by_hand():
    part = Part(
        "mcnemar",
        "pythia arithmetic_2da",
        "reproduced",
        ("pythia-70m", "pythia-410m"),
        0.0,
        0.3,
        0.3,
        0.26,
        0.34,
        test="exact McNemar",
        n=500,
        p=0.0004,
    )
    assert wording.detail(part) == (
        "pythia arithmetic_2da (pythia-70m → pythia-410m, 500 items): 0.0% → 30.0%, "
        "+30.0 pts [+26.0, +34.0] pts, exact McNemar Holm p < 0.001"
    )
    other = Part("mcnemar", "opt arithmetic_3ds", "inconclusive", estimate=-0.0004, why="5 items, too few", n=5, p=0.5)
    assert wording.accuracy_key([part, other], runs=True) == (
        "largest vs smallest model: pythia arithmetic_2da +30.0 pts; opt arithmetic_3ds +0.0 pts"
    )
    assert wording.detail(other).endswith("Holm p = 0.500 (5 items, too few)")


def test_wilcoxon_key_is_the_first_line_without_its_test():
    part = Part(
        "wilcoxon",
        "pythia arithmetic_2da",
        "reproduced",
        ("a", "b"),
        3.0,
        1.0333,
        -1.9667,
        -1.971,
        -1.963,
        "nats per token",
        "Wilcoxon signed-rank",
        500,
        1e-9,
    )
    assert wording.loss_key([part]) == (
        "pythia arithmetic_2da: loss 3.000 → 1.033 nats/token, change -1.967 [-1.971, -1.963]"
    )
    assert wording.detail(part) == wording.loss_key([part]) + ", Wilcoxon Holm p < 0.001"
    broken = Part("no_test", "opt", "inconclusive", extra=(("missing", "test"),), note="losses[3] = nan")
    assert (
        wording.loss_key([broken, part]) == "opt: losses contain NaN or infinite values, so no test (losses[3] = nan)"
    )


def test_published_arithmetic_key_is_rendered_from_its_records(tmp_path, monkeypatch):
    """Claim 4a on the published Pythia arithmetic: the key lists each (operation, shots) change in points,
    formatted here by hand from the records' estimates, and each detail starts with its label and models."""
    monkeypatch.setenv("CC_RESULTS", str(tmp_path / "results"))
    monkeypatch.setattr("helpers.experiments.evaluation.SHIPPED_RESULTS_DIR", tmp_path / "no-shipped")
    parts = published_arithmetic_parts(Evidence("offline", stack=StoreStack(ResultStore(tmp_path / "results"))))
    assert [p.label for p in parts] == [
        "addition, 0-shot",
        "addition, 16-shot",
        "multiplication, 0-shot",
        "multiplication, 16-shot",
    ]
    by_hand = "; ".join(f"{p.label} {'+' if p.estimate >= 0 else '-'}{abs(100 * p.estimate):.1f} pts" for p in parts)
    assert wording.accuracy_key(parts, runs=False) == "12B vs 160M: " + by_hand
    for part in parts:
        assert math.isclose(part.estimate, part.after - part.before, abs_tol=1e-12)
        assert part.low <= part.estimate <= part.high
        assert wording.detail(part).startswith(f"{part.label} ({part.models[0]} → {part.models[1]}): ")


def _swap_items(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for donor, recipient in (("EleutherAI/pythia-160m", "facebook/opt-125m"), ("facebook/opt-125m", "x/y")):
        for condition, share in (("baseline", 0.9), ("swap a=1", 0.2)):
            correct = rng.random(n) < share
            rows += [
                {
                    "donor": donor,
                    "recipient": recipient,
                    "kind": "knowledge",
                    "task": "t",
                    "n_choices": 4,
                    "condition": condition,
                    "item_id": f"i{k}",
                    "correct": bool(c),
                    "gold": k % 4,
                    "predicted": k % 4 if c else (k + 1) % 4,
                }
                for k, c in enumerate(correct)
            ]
    return pd.DataFrame(rows)


def test_swap_key_and_lines_are_the_records_of_the_collapse_table():
    items = _swap_items()
    parts = collapse_parts(items)
    table = collapse_table(items)
    assert [wording.detail(p) for p in parts] == [collapse_sentence(row) for row in table.itertuples()]
    assert wording.swap_key(parts) == "pythia-160m → opt-125m, knowledge"
    assert wording.detail(parts[0]).startswith(wording.swap_key(parts) + " (40 items)")
    assert [p.estimate for p in parts] == pytest.approx(table["drop"].tolist())
    assert wording.swap_key([]) == "—"


def test_claim7_key_and_details_are_rendered_from_its_slope_records():
    """Claim 7 (published data): one slope record per (format, family), 90% intervals; the key lists each
    record's label, format and slope, formatted here by hand."""
    from helpers.report.claims.beyond import claim7

    result = claim7(None)
    parts = result.parts
    assert [(p.kind, p.level) for p in parts] == [("slope", 0.90)] * 4
    assert [(p.label, p.get("format_name")) for p in parts] == [
        ("Pythia", "letter"),
        ("OPT", "letter"),
        ("Pythia", "full answer text"),
        ("OPT", "full answer text"),
    ]

    def signed(value):
        return f"{'+' if round(100 * value, 1) >= 0 else '-'}{abs(100 * value):.1f}"

    by_hand = "; ".join(
        f"{p.label}, {p.get('format_name')}: {signed(p.estimate)} pts per decade, 90% "
        f"[{signed(p.low)}, {signed(p.high)}] pts"
        for p in parts
    )
    assert result.key_number == by_hand
    assert list(result.details) == wording.details(parts)
    assert all(p.low <= p.estimate <= p.high for p in parts)
