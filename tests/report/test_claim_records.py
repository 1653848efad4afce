"""Verdicts are records: every key number and detail line is rendered from a Part, none is parsed from text."""

from __future__ import annotations

import ast
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import helpers.report.claims as claims_package
from helpers.analysis.claims import wording
from helpers.analysis.claims import wording_knowledge as words
from helpers.analysis.claims.records import Part
from helpers.analysis.obsscaling import exclusion_text
from helpers.analysis.pythia_arithmetic import load_pythia_arithmetic
from helpers.analysis.verdicts import InferenceError
from helpers.experiments.published_pythia import claim4a
from helpers.experiments.swap.verdict import collapse_sentence, collapse_table
from helpers.infra.store import ResultStore, StoreStack
from helpers.report.claims.evidence import Evidence, FamilyRuns
from helpers.report.claims.knowledge import illustration_claim2
from helpers.report.claims.scaling import published_arithmetic_parts
from helpers.report.claims.swap import collapse_parts

CLAIMS_DIR = Path(claims_package.__file__).parent
SRC = CLAIMS_DIR.parents[1]
CLAIMS_CODE = (
    sorted(CLAIMS_DIR.glob("*.py"))
    + sorted((SRC / "analysis" / "claims").glob("*.py"))
    + [SRC / "experiments" / "beyond" / "claims.py", SRC / "experiments" / "published_pythia" / "claim4a.py"]
)
"""The claims' rules, records and words: the report's, the analysis layer's and the chapters' (claims 4a, 4c, 6, 7)."""
TEXT_CUTTERS = {"split", "rsplit", "partition", "rpartition"}  # (a task id losing its prefix is naming, not parsing)


def test_no_claims_code_cuts_a_string_apart():
    """A number read back out of a sentence (``detail.split("%, ")``) is what records replace: no claims module
    calls a string-cutting method at all."""
    found = []
    for path in CLAIMS_CODE:
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
    assert parts == claim4a.published_arithmetic_parts(load_pythia_arithmetic())  # the chapter's rule is the table's
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


def _rank_trend(label="OPT 2-digit addition", code="reproduced", peak=()):
    return Part(
        "rank_trend",
        label,
        code,
        ("facebook/opt-125m", "facebook/opt-66b"),
        0.0104,
        0.4986,
        0.127,
        0.037,
        0.216,
        test="exact Spearman",
        n=8,
        p=0.0107,
        extra=(("rho", 0.929), ("family", label.split()[0]), ("operation", "2-digit addition")) + peak,
    )


PYTHIA_PEAK = (
    ("peak", 0.795),
    ("peak_model", "EleutherAI/pythia-2.8b-deduped"),
    ("drop", -0.349),
    ("drop_low", -0.377),
    ("drop_high", -0.321),
    ("drop_p", 1e-9),
)
"""A rank_trend part's peak before the largest model and the drop after it (Pythia 2-digit addition's shape)."""


def test_rank_trend_line_and_key_by_hand():
    peak = PYTHIA_PEAK
    opt, pythia = _rank_trend(), _rank_trend("Pythia 2-digit addition", "inconclusive", peak)
    line = (
        "OPT 2-digit addition (8 models): 1.0% (opt-125m) → 49.9% (opt-66b), Spearman ρ = 0.93, exact Holm "
        "p = 0.011; slope +12.7 pts per decade [+3.7, +21.6] pts per decade (reproduced)"
    )
    assert wording.detail(opt) == line
    assert wording.detail(pythia).endswith(
        "(inconclusive); not monotone: peak 79.5% at pythia-2.8b-deduped, then -34.9 pts [-37.7, -32.1] pts to the "
        "largest (two-proportion test p < 0.001)"
    )
    assert wording.rank_trend_key([opt, pythia], "OPT 2-digit addition") == (
        "1 of 2 family × operation trends rise (exact Spearman, Holm); OPT 2-digit addition 1.0% → 49.9%; "
        "Pythia falls significantly after its peak at pythia-2.8b-deduped on some operations"
    )
    within_noise = _rank_trend("Pythia 2-digit addition", "reproduced", peak[:4] + (("drop_high", 0.002),) + peak[5:])
    assert wording.rank_trend_key([opt, within_noise], "OPT 2-digit addition") == (
        "2 of 2 family × operation trends rise (exact Spearman, Holm); OPT 2-digit addition 1.0% → 49.9%"
    )


def _question_parts(slope_code="equivalent", at_floor=True):
    difference = Part(
        "trend_difference",
        "(a)",
        "not reproduced",
        ("RWKV-4", "Pythia-deduped"),
        estimate=0.006,
        low=-0.007,
        high=0.019,
        mde=0.01,
        extra=(
            ("names", ("RWKV-4", "Pythia")),
            ("n_first", 6),
            ("n_second", 8),
            ("slope_code", slope_code),
            ("level", -0.009),
            ("level_low", -0.019),
            ("level_high", 0.0),
            ("level_code", "equivalent"),
            ("level_first", 0.246),
            ("level_second", 0.256),
            ("at_floor", at_floor),
            ("margin", 0.02),
            ("level_at", 1e9),
            ("excluded", ()),
        ),
        level=0.90,
    )
    above = Part(
        "above_chance",
        "(b)",
        "not reproduced",
        ("Qwen/Qwen2-1.5B", ""),
        estimate=0.572,
        low=0.562,
        high=0.582,
        n=41,
        extra=(("n_above", 9), ("threshold", 0.25 + 0.05), ("max_params", 2e9), ("excluded", ())),
    )
    return difference, above


def test_question_lines_and_key_by_hand():
    difference, above = _question_parts()
    assert wording.detail(difference) == (
        "(a) RWKV-4 (6 Pile models) minus Pythia-deduped (8), letter-format MMLU: slope +0.6 pts per decade, 90% "
        "[-0.7, +1.9] pts per decade (equivalent); level at 1B -0.9 pts, 90% [-1.9, +0.0] pts (equivalent); fitted "
        "levels at 1B: RWKV-4 24.6%, Pythia 25.6% (both at the 25% floor: the same plateau is what (a) asks, but it "
        "cannot show that the two architectures would also agree off the floor); No model was left out."
    )
    assert wording.detail(above) == (
        "(b) 9 of 41 decoder-only models of at most 2B parameters are significantly above 30% (Holm); the highest, "
        "Qwen/Qwen2-1.5B, 57.2% [56.2%, 58.2%]; No model was left out."
    )
    assert wording.question_key(difference, above) == (
        "RWKV-4 − Pythia: slope +0.6 pts/decade, level -0.9 pts (both within ±2 pts); 9 of 41 decoder-only ≤ 2B "
        "models > 30%, best 57.2%"
    )
    different, _ = _question_parts("different", at_floor=False)
    assert "(different); level" in wording.detail(different)
    assert "floor" not in wording.detail(different)
    assert "(slope different, level equivalent against ±2 pts)" in wording.question_key(different, above)
    # the sizes are the records' own (the rules' LEVEL_AT and SMALL_MAX_PARAMS), not typed in the words
    extra = (("n_above", 9), ("threshold", 0.3), ("max_params", 3e9), ("excluded", ()))
    bigger = Part(**{**above.__dict__, "extra": extra})
    assert "of at most 3B parameters" in wording.detail(bigger)
    assert "decoder-only ≤ 3B models" in wording.question_key(difference, bigger)


def test_claim4c_key_and_details_are_rendered_from_its_records():
    """Claim 4c (published data): one rank-trend record per (family, operation) carrying the chapter's table
    numbers; the key's counts are counted here from the records."""
    from helpers.experiments.beyond import judged
    from helpers.report.claims.beyond import claim4c

    result = claim4c()
    table, excluded = judged.arithmetic_trends()
    parts = result.parts
    assert [p.kind for p in parts] == ["rank_trend"] * len(table) == ["rank_trend"] * 8
    assert [p.label for p in parts] == [f"{f} {o}" for f, o in zip(table["family"], table["operation"])]
    assert [p.estimate for p in parts] == pytest.approx(table["slope"].tolist())
    assert [p.p for p in parts] == pytest.approx(table["p_holm"].tolist())
    assert list(result.details) == wording.details(parts) + ([exclusion_text(excluded)] if excluded else [])
    n_up = sum(code == "reproduced" for code in table["code"])
    opt = table[(table["family"] == "OPT") & (table["operation"] == "2-digit addition")].iloc[0]
    assert result.key_number.startswith(
        f"{n_up} of 8 family × operation trends rise (exact Spearman, Holm); OPT 2-digit addition "
        f"{100 * opt['acc_smallest']:.1f}% → {100 * opt['acc_largest']:.1f}%"
    )
    assert result.verdict.reason == "; ".join(result.details)


def test_claim6_key_and_details_are_rendered_from_its_records():
    """Claim 6 (published data): a trend-difference record (a) and an above-chance record (b) carrying the
    chapter's numbers; the key is rebuilt here from the records by hand."""
    from helpers.experiments.beyond import judged
    from helpers.report.claims.beyond import claim6

    result = claim6()
    difference, above = result.parts
    pile = judged.rwkv_vs_pythia()
    small, _ = judged.small_above_chance()
    assert (difference.kind, above.kind) == ("trend_difference", "above_chance")
    assert difference.estimate == pytest.approx(pile["slope"].estimate)
    assert difference.get("level") == pytest.approx(pile["level"].estimate)
    assert above.get("n_above") == int(small["clearly_above"].sum()) and above.n == len(small)
    assert above.estimate == pytest.approx(small["mmlu"].max())
    both = difference.get("slope_code") == difference.get("level_code") == "equivalent"
    assert result.key_number.startswith(f"RWKV-4 − Pythia: slope {100 * difference.estimate:+.1f} pts/decade")
    assert result.key_number.endswith(
        f"{above.get('n_above')} of {above.n} decoder-only ≤ 2B models > 30%, best {100 * above.estimate:.1f}%"
    )
    assert ("both within ±2 pts" in result.key_number) == both
    assert result.details == tuple(wording.details(result.parts))
    assert result.verdict.reason == f"{result.details[0]}. {result.details[1]}."
    assert result.verdict_word == {"not reproduced": "not supported", "reproduced": "supported"}.get(
        result.verdict.code, result.verdict.code
    )


# ----------------------------------------------------------------------------- claims 1 and 2 (MMLU-math)


def _trend_level(**extra) -> Part:
    fields = {
        "level_low": 0.206,
        "level_high": 0.246,
        "shape": "inconclusive",
        "trend": "inconclusive",
        "level": "inconclusive",
        "power": 0.004,
        "profile": None,
    }
    fields.update(extra)
    return Part(
        "trend_level",
        "pythia",
        "inconclusive",
        ("pythia-70m", "pythia-12b"),
        estimate=0.014,
        low=-0.001,
        high=0.0304,
        test="WLS",
        n=8,
        mde=0.021,
        extra=tuple(fields.items()),
    )


def test_trend_level_line_key_and_stand_in_line_by_hand():
    part = _trend_level()
    assert wording.detail(part) == (
        "pythia: slope +1.4 pts per decade, 95% [-0.1, +3.0] pts (inconclusive; WLS, 8 models); power to call a "
        "truly flat family flat: 0%, MDE 2.1 pts/decade; level 20.6%–24.6% (level inconclusive, trend inconclusive)"
    )
    assert wording.detail(part, judged=False).endswith("level 20.6%–24.6% (the level undecided against 17–22%)")
    assert words.trend_level_key([part, part]) == (
        "slope per decade: pythia +1.4 pts/decade [-0.1, +3.0] pts, levels 20.6%–24.6%; "
        "pythia +1.4 pts/decade [-0.1, +3.0] pts, levels 20.6%–24.6%"
    )
    assert words.no_trend_reason(part) is None


def test_a_two_model_family_renders_its_change_and_why_there_is_no_trend():
    change = {"power": None, "change": -0.1, "change_low": -0.309, "change_high": 0.116}
    independent = _trend_level(**change, profile="ci")
    assert wording.detail(independent).startswith(
        "pythia: no trend from two models; change pythia-70m → pythia-12b -10.0 pts [-30.9, +11.6] pts (Newcombe 95%); "
        "level 20.6%–24.6%"
    )
    assert wording.detail(independent).endswith("[profile `ci`]")
    paired = _trend_level(**change, paired_n=20, mcnemar_p=0.625)
    assert "(paired by item, 20 items, Newcombe 95%, exact McNemar p = 0.625); level" in wording.detail(paired)
    assert words.no_trend_reason(paired) == "pythia has 8 model sizes: no trend from fewer than 3"
    # the key number gives the change too, never a slope through two points
    assert words.trend_level_key([independent, _trend_level()]) == (
        "per family: pythia change -10.0 pts [-30.9, +11.6] pts (two models, no slope), levels 20.6%–24.6%; "
        "pythia +1.4 pts/decade [-0.1, +3.0] pts, levels 20.6%–24.6%"
    )


def _model(label, family, accuracy, significant, norm_significant=False, p=0.01) -> Part:
    return Part(
        "below_chance",
        label,
        "reproduced" if significant else "inconclusive",
        estimate=accuracy,
        n=1064,
        p=p,
        extra=(
            ("family", family),
            ("chance", 0.25),
            ("significant", significant),
            ("low_one_sided", accuracy - 0.02),
            ("norm", 0.26),
            ("norm_p", 1.0),
            ("norm_significant", norm_significant),
        ),
    )


def test_below_chance_lines_key_and_reason_by_hand():
    parts = [
        _model("pythia-70m", "pythia", 0.213, True),
        _model("pythia-12b", "pythia", 0.246, False, p=0.4),
        _model("opt-125m", "opt", 0.212, True),
        Part("baseline", "shortest answer", "not judged", estimate=0.216, low=0.192, high=0.241, n=1064),
        Part("baseline", "always D", "not judged", estimate=0.306, low=0.279, high=0.335, n=1064),
    ]
    assert words.chance_details(parts) == [
        "pythia: 1 of 2 models significantly below 25% in acc (pythia-70m 21.3%); 0 of 2 in acc_norm",
        "opt: 1 of 1 models significantly below 25% in acc (opt-125m 21.2%); 0 of 1 in acc_norm",
        "baseline shortest answer: 21.6% [19.2%, 24.1%]",
        "baseline always D: 30.6% [27.9%, 33.5%]",
    ]
    assert words.chance_key(parts, artefact=False) == (
        "2 of 3 models below 25% in acc (Holm over 3: pythia 1, opt 1), 0 in acc_norm; "
        "shortest-answer baseline 21.6% [19.2%, 24.1%]"
    )
    assert words.chance_reason(parts, artefact=True).endswith(
        "scores 21.6% [19.2%, 24.1%] on the same items, below 25%"
    )
    assert wording.detail(parts[1]) == "pythia-12b: acc 24.6% (Holm p = 0.400), acc_norm 26.0% (Holm p = 1.000)"


def test_claim2_family_codes_and_the_scoring_artefact_by_hand():
    from helpers.report.claims.below_chance import family_codes, scoring_artefact

    shortest = Part("baseline", "shortest answer", "not judged", estimate=0.216, low=0.192, high=0.241)
    parts = [
        _model("a", "pythia", 0.21, True),
        _model("b", "pythia", 0.22, False),  # lower bound 20%: below 23%, so "not below" is not shown
        _model("c", "opt", 0.20, True),
        _model("d", "rwkv", 0.27, False),  # lower bound 25%: at or above 23%
        shortest,
    ]
    assert family_codes(parts) == ["partly", "reproduced", "not reproduced"]
    assert scoring_artefact(parts)
    assert not scoring_artefact([*parts[:4], Part("baseline", "shortest answer", "not judged", low=0.2, high=0.26)])
    assert not scoring_artefact([_model("a", "pythia", 0.21, True, norm_significant=True), shortest])


def test_claims_1_and_2_key_numbers_and_reasons_are_rendered_from_their_records(tmp_path, monkeypatch):
    """Claims 1 and 2 on the published results (no stored run): key, reason and details come from the parts."""
    from helpers.report.claims.below_chance import scoring_artefact
    from helpers.report.claims.knowledge import claim1, claim2

    monkeypatch.setenv("CC_RESULTS", str(tmp_path / "results"))
    monkeypatch.setattr("helpers.experiments.evaluation.SHIPPED_RESULTS_DIR", tmp_path / "no-shipped")
    evidence = Evidence("offline", stack=StoreStack(ResultStore(tmp_path / "results")))
    one, two = claim1(evidence), claim2(evidence)
    assert [(p.kind, p.label, p.n) for p in one.parts] == [("trend_level", "pythia", 8), ("trend_level", "opt", 7)]
    assert one.key_number == words.trend_level_key(one.parts)
    assert one.verdict.reason == "; ".join(wording.details(one.parts))
    assert list(one.details[:2]) == wording.details(one.parts)
    models = [p for p in two.parts if p.kind == "below_chance"]
    assert len(models) == 15 and sum(p.get("significant") for p in models) == 3  # Holm over the 15 (test_claims)
    assert two.key_number == words.chance_key(two.parts, scoring_artefact(two.parts))
    assert two.key_number.endswith(": a scoring artefact")
    assert two.verdict.reason == words.chance_reason(two.parts, True)
    for part in one.parts:  # the level range is the models' accuracies; the slope lies in its interval
        assert part.get("level_low") <= part.get("level_high") and part.low <= part.estimate <= part.high
    for part in models:
        assert part.low <= part.estimate <= part.high and part.get("chance") == 0.25


RULE_MODULES = ("knowledge.py", "below_chance.py")


def test_claims_1_and_2_rules_write_no_sentence():
    """The rules of claims 1 and 2 compute records; every f-string (a number made text) lives in wording."""
    found = [
        f"{name}:{node.lineno}"
        for name in RULE_MODULES
        for node in ast.walk(ast.parse((CLAIMS_DIR / name).read_text()))
        if isinstance(node, ast.JoinedStr)
    ]
    assert not found, f"f-strings in claims rules: {found}"


@pytest.mark.parametrize("profile", ["ci", "offline"])
def test_every_judged_claim_has_its_parts(profile):
    from helpers.report.claims import claim_results

    judged = [r for r in claim_results(profile) if r.verdict.code != "not judged"]
    assert {"1", "2", "4c", "6"} <= {r.claim_id for r in judged}
    assert [r.claim_id for r in judged if not r.parts] == []


def test_peak_drop_line_by_hand():
    """The beyond chapter's list under claim 4c, rendered from a rank_trend part's peak and drop."""
    from helpers.analysis.claims.wording_trends import peak_drop_line

    peak = PYTHIA_PEAK
    part = _rank_trend("Pythia 2-digit addition", "reproduced", peak)
    assert peak_drop_line(part) == (
        "Pythia 2-digit addition: peak 79.5% at pythia-2.8b-deduped, then -34.9 pts [-37.7, -32.1] to opt-66b "
        "(two-proportion test p < 0.001): the curve is not monotone; the rank test above does not smooth that away."
    )
    noise = (("drop", -0.019), ("drop_low", -0.040), ("drop_high", 0.002), ("drop_p", 0.073))
    noisy = _rank_trend("Pythia 3-digit addition", "reproduced", peak[:2] + noise)
    assert peak_drop_line(noisy).endswith(
        "then -1.9 pts [-4.0, +0.2] to opt-66b (two-proportion test p = 0.073): a fall within sampling noise."
    )
    assert peak_drop_line(_rank_trend()) is None  # no peak before the largest model


def test_claim_2_illustration_shows_only_the_study_format_0_shot():
    # its words say "full text, 0-shot": a 5-shot run of the same kind must not be counted among the models shown
    def table(model, k, n=40):
        return pd.DataFrame({"model_id": model, "correct": [True] * k + [False] * (n - k), "correct_norm": False})

    runs = [
        FamilyRuns("offline", "smollm2", "knowledge_fulltext", 0, "mmlu", (table("zero-shot-model", 2),)),
        FamilyRuns("offline", "smollm2", "knowledge_fulltext", 5, "mmlu", (table("five-shot-model", 30),)),
    ]
    evidence = SimpleNamespace(illustration_runs=lambda kind, minimum=2: runs if minimum <= 1 else [])
    text = illustration_claim2(evidence)
    assert "Holm across the 1 model" in text and "zero-shot-model: acc 5.0%" in text
    assert "five-shot-model" not in text


def test_claim_1_referee_and_test_words_name_their_settings():
    # the checkpoint line's step range and the TOST margin come from the caller's values, not typed words
    assert words.checkpoint_axis_line([], 1000, 143000) == []
    line = words.checkpoint_axis_line(["pythia-70m: +0.1 pts"], 2000, 99000)[0]
    assert line.startswith("checkpoint axis (published Pythia, 0-shot acc, steps 2,000 to 99,000; ")
    assert "TOST ±1 pt/decade" in words.trend_level_test()  # FLAT_MARGIN 0.01
