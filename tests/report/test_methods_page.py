"""The methods page's generated entries (``helpers.report.methods_page``): numbers computed, worked by hand."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.analysis.trend_simulation import simulate_flat_family
from helpers.core.tasks.arithmetic import FILES as ARITHMETIC_FILES
from helpers.core.tasks.mmlu import MATH_SUBJECTS
from helpers.render.numbers import about_percent, number_word, setting_billions
from helpers.report import methods_beyond
from helpers.report.methods_beyond import beyond_rules_section, beyond_rules_values
from helpers.report.methods_page import (
    METRICS,
    beyond_data_entry,
    families_paragraph,
    margins_entry,
    metrics_entries,
    standard_errors_entry,
    tasks_entries,
    trends_entry,
)
from helpers.report.methods_statistics import TEMPLATE, statistics_section, statistics_values


def test_standard_errors_of_three_made_up_subjects_by_hand():
    # sizes 10, 20, 40: Σ 1/n = 0.1 + 0.05 + 0.025 = 0.175; effective n = 3² / 0.175 = 51.43 -> "51".
    # SE at 25%: sqrt(0.25·0.75·0.175) / 3 = sqrt(0.0328125) / 3 = 0.060381 -> "6.04" points;
    # pooled over 70 items: sqrt(0.1875 / 70) = 0.051755 -> "5.18".
    text = standard_errors_entry(sizes=(10, 20, 40))
    assert "mean of 3 subject accuracies" in text and "/ 3²" in text
    assert "(70 items in `data/mmlu/test`)" in text
    assert "about 6.04\n  points at 25%, against 5.18 for a pooled proportion of 70 items" in text
    assert "3² / Σ 1/n_s = 51." in text
    assert "2,000 items per task" in text


def test_standard_errors_of_the_mmlu_test_set():
    # 57 subject files, 14,042 items (the MMLU test split); the effective n is smaller than the pooled n.
    text = standard_errors_entry()
    assert "mean of 57 subject accuracies" in text and "(14,042 items in" in text
    assert "Σ 1/n_s = 9,528." in text
    assert "(about 0.44\n  points at 25%, against 0.37 for a pooled proportion of 14,042 items)" in text


def test_the_trends_entry_simulates_at_the_margin_it_prints(monkeypatch):
    # the rates printed beside "±m point per decade" must be the rates of a simulation at m
    seen = []

    def spy(**kwargs):
        seen.append(kwargs["margin"])
        return simulate_flat_family(**kwargs)

    monkeypatch.setattr("helpers.report.methods_page.simulate_flat_family", spy)
    monkeypatch.setattr("helpers.report.methods_page.FLAT_MARGIN", 0.02)
    text = trends_entry(reps=20, seed=7)
    assert seen == [0.02] and "interval lies within ±2 point per decade" in text


def test_the_trends_entry_prints_the_simulations_rates_replicates_and_seed():
    result = simulate_flat_family(reps=200, seed=7)
    text = trends_entry(reps=200, seed=7)
    assert f"about {about_percent(result.item_clustered_rate)} of the time" in text
    assert f"this fit does so about {about_percent(result.model_level_rate)}" in text
    assert "(200 replicates of 1,064 items, seed 7;" in text
    assert "whose 8 models scatter 1.5 points" in text
    assert "fewer than three models: two models give a change" in text
    assert "90% interval lies within ±1 point per decade" in text and "its 95% interval excludes zero" in text


def test_the_page_rates_are_stable_in_the_seed():
    # The printed (rounded) rates must not hinge on the seed: at 1,000 replicates another seed prints the
    # same clustered rate, and a model-level rate within its Monte Carlo error (about ±0.6 points at 4%).
    rates = [simulate_flat_family(reps=1000, seed=seed) for seed in (19, 20)]
    assert {about_percent(r.item_clustered_rate) for r in rates} == {"20%"}
    assert {about_percent(r.model_level_rate) for r in rates} <= {"3%", "4%", "5%"}


@pytest.mark.parametrize(
    ("rate", "text"), [(0.208, "20%"), (0.038, "4%"), (0.0049, "0.5%"), (0.0, "0%"), (1.0, "100%")]
)
def test_about_percent_keeps_one_significant_figure(rate, text):
    assert about_percent(rate) == text


def test_about_percent_and_number_word_refuse_what_they_cannot_write():
    with pytest.raises(ValueError, match="rate in"):
        about_percent(1.5)
    with pytest.raises(ValueError, match="write larger counts as digits"):
        number_word(11)
    assert number_word(3) == "three"


def _made_up_published(n_pythia=100, n_opt=100):
    rows = [("pythia", f"p{i}", size, n_pythia, k) for i, (size, k) in enumerate([(1e8, 20), (1e9, 22), (1e10, 25)])]
    rows += [
        ("opt", f"o{i}", size, n_opt, k) for i, (size, k) in enumerate([(1e8, 21), (1e9, 20), (3e9, 24), (1e10, 26)])
    ]
    frame = pd.DataFrame(rows, columns=["family", "model", "params", "n", "k_acc"])
    frame["acc_stderr"] = np.sqrt(frame["k_acc"] / frame["n"] * (1 - frame["k_acc"] / frame["n"]) / frame["n"])
    return frame


def test_margins_of_a_made_up_published_table_by_hand():
    # 100 items at 20%: 1.96 · sqrt(0.2 · 0.8 / 100) = 1.96 · 0.04 = 0.0784 -> "± 7.8 points";
    # Pythia 100M to 10B: 2.0 decades, ± 1 point per decade -> "± 2.0 points"; 3 and 4 models -> "3–4".
    text = margins_entry(_made_up_published())
    assert "a 95% interval on its 100 items at 20% (± 7.8 points)" in text
    assert "19–20% ± 2 points" in text and "inside 17–22%" in text
    assert "over the 2.0 decades from Pythia-100M to 10B that is ± 2.0 points" in text
    assert "*Claim 3*: 31% ± 10 points" in text and "within 10 points of chance" in text
    assert "published data (3–4 models, 100 items each)" in text


def test_margins_refuse_models_on_different_item_counts():
    with pytest.raises(ValueError, match="share one item count"):
        margins_entry(_made_up_published(n_opt=50))


def test_margins_of_the_published_pythia_and_opt_data():
    text = margins_entry()
    assert "published data (7–8 models, 1,064 items each)" in text
    assert "2.2 decades from Pythia-70M to 12B" in text and "(± 2.4 points)" in text
    # the WLS slopes' standard errors are 0.63 (Pythia) and 0.64 (OPT) points per decade: TOST power at ±1 is 0
    assert "standard error is about 0.6 points\n  per decade" in text
    assert "flat at ±1 point per decade is at most\n  0%:" in text


def test_the_beyond_data_entry_counts_a_made_up_collection():
    bench = pd.DataFrame({"model": ["a/1", "a/2", "b/1"], "family": ["A", "A", "B"], "tokens": [1e12, np.nan, np.nan]})
    published = pd.DataFrame({"family": ["opt", "opt", "pythia"], "params": [1.25e8, 6.7e9, 1.2e10]})
    text = beyond_data_entry(bench, published, sizes=(10, 20))
    assert text.startswith("## Beyond Pythia and OPT: published results of 3 models\n")
    assert "`base_llm_benchmark_eval.csv`: 3 base models in 2 families" in text
    assert "empty for the 2 models whose tokens are unknown" in text
    assert "unweighted mean of the 2 subject accuracies" in text and "averaged over the 2 subjects" in text
    assert "OPT to\n  6.7B)" in text and "cannot answer is 25%." in text


def test_tasks_count_the_items_of_a_made_up_data_folder(tmp_path):
    # 2 questions in each of the five math subjects -> 10; 3 questions per arithmetic file; 2 MRPC pairs.
    (tmp_path / "mmlu" / "test").mkdir(parents=True)
    for subject in MATH_SUBJECTS:
        (tmp_path / "mmlu" / "test" / f"{subject}_test.csv").write_text("q,a,b,c,d,A\nq2,a,b,c,d,B\n")
    (tmp_path / "arithmetic").mkdir()
    for name in ARITHMETIC_FILES.values():
        (tmp_path / "arithmetic" / f"{name}.jsonl").write_text('{"context": "1", "completion": "2"}\n' * 3)
    (tmp_path / "mrpc").mkdir()
    header = "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
    (tmp_path / "mrpc" / "msr_paraphrase_test.txt").write_text(header + "1\t1\t2\ta\tb\n0\t3\t4\tc\td\n")
    text = tasks_entries(tmp_path)
    assert "The five mathematics subjects" in text and "high-school statistics; 10 test\n  questions)" in text
    assert "the four options\n  labelled A–D" in text
    assert "(3 questions each)" in text and "evaluated on the 2 labelled pairs" in text


def test_tasks_count_the_bundled_data():
    text = tasks_entries()
    assert "1,064 test\n  questions" in text and "(2,000 questions each)" in text and "the 1,725 labelled pairs" in text


def test_families_give_each_familys_size_range():
    published = pd.DataFrame({"family": ["pythia", "pythia", "opt", "opt"], "params": [7e7, 1.2e10, 1.25e8, 3e10]})
    text = families_paragraph(published)
    assert "(70M to 12B parameters" in text and "(125M to 30B)" in text
    with pytest.raises(ValueError, match="need published Pythia and OPT"):
        families_paragraph(published[published["family"] == "opt"])


# ----------------------------------------------------------------------------- no typed numbers in book/methods.md

METHODS_PAGE = Path(__file__).resolve().parents[2] / "book" / "methods.md"

# Words with a digit that the static page may hold, with the reason. Everything else must come from a generated
# include (helpers.report.methods_page).
NAMES = {
    # model, format and file names: labels, not results
    "SmolLM2-135M": "a model's name",
    "Qwen2.5-Coder": "a model's name",
    "0.5B": "part of the model name Qwen2.5-Coder 0.5B",
    "1.5B": "part of the model name Qwen2.5-Coder 1.5B",
    "OPT-66B": "a model's name (the sensitivity variant)",
    "RWKV-4": "a model family's name",
    "fp32": "a number format's name",
    "bf16": "a number format's name",
    "fp16": "a number format's name",
    "UTF-8": "an encoding's name",
    "log10": "the function's name",
    "claim-1": "a claim's label",
    "5-shot": "the published setting's label",
    "0-shot": "the study's setting's label",
    "0/1": "binary outcomes (the notation)",
    "1−α)·own": "the mixing formula (1−α)·own + α·donor",
    "1/SE²": "the weights' formula",
    "log10(step": "the axis' formula",
}
PHRASES = {
    "Gemma 3 270M": "a model's name",
    "rows 6, 7 and 4c": "the claims table's row labels",
    "method 10": "the name of Newcombe's hybrid score interval (his method 10)",
    "n − 2": "the residual degrees of freedom of a line (the formula)",
}
_LABELS = {"1", "2", "3", "4", "5", "6", "7", "4c"}  # claim numbers and row labels, only right after these words
_LABEL_WORDS = ("claim", "claims", "rows", "row", "Claim", "Claims", "and", ",")


def _static_words(text: str) -> list[tuple[int, str]]:
    """(line, word) for each word with a digit outside code spans, includes, citations and doc links."""
    text = re.sub(r"```\{include\}[^\n]*\n```", lambda m: "\n" * m.group().count("\n"), text)
    text = re.sub(r"\{(cite:[pt]|doc)\}`[^`]*`", "", text)
    text = re.sub(r"`[^`\n]*`", "", text)
    for phrase in PHRASES:
        text = text.replace(phrase, "")
    words = []
    for number, line in enumerate(text.splitlines(), 1):
        words += [(number, m.group().rstrip(".,;:)*")) for m in re.finditer(r"[^\s(*]*\d[^\s]*", line)]
    return words


def _typed(text: str) -> list[str]:
    typed = []
    for line, word in _static_words(text):
        before = text.splitlines()[line - 1].split(word)[0].split()
        is_label = word in _LABELS and before and before[-1].strip("*,") in _LABEL_WORDS
        if word not in NAMES | KEPT and not is_label:
            typed.append(f"line {line}: {word}")
    return typed


TEXTS = {
    "book/methods.md": lambda: METHODS_PAGE.read_text(encoding="utf-8"),
    "methods_statistics.TEMPLATE": lambda: TEMPLATE.template,
    "methods_beyond.TEMPLATE": lambda: methods_beyond.TEMPLATE.template,
    "methods_page.METRICS": lambda: METRICS.template,
}


@pytest.mark.parametrize("source", sorted(TEXTS))
def test_the_methods_page_types_no_number(source):
    # Two sections' prose lives in templates: their numbers must be placeholders too.
    text = TEXTS[source]()
    typed = _typed(text)
    assert not typed, "typed numbers in book/methods.md (generate them in helpers.report.methods_page):\n" + "\n".join(
        typed
    )


def test_the_digit_scan_sees_typed_numbers_and_skips_code_and_includes():
    text = "A `code 12` span, {cite:p}`a2020b`, and 1,064 items.\n```{include} _generated/x.md\n```\nAt 25%.\n"
    assert _static_words(text) == [(1, "1,064"), (4, "25%")]


# Kept on purpose: mathematics, the study's own words, and tolerances that live in the test suite (a page
# cannot import tests).
KEPT = {
    "0": "a slope or change of zero (mathematics, not a setting)",
    "1": "the residual scale's floor: a scale below 1 would claim less scatter than the items' own",
    "1–2B": "the study's own words, quoted as the claim's name (claim 7)",
    "1e-4": "the harness parity tolerance (nats) of tests/core/test_parity_lmeval.py and test_scoring.py",
    "1e-5": "the replay tolerance of the attention tests",
    "1,000+": "the replicates of the coverage simulation in tests/analysis/test_coverage.py",
}


def test_the_allow_lists_hold_no_stale_entry():
    # An entry whose number is gone from the page (generated now) must leave the list, so the list only shrinks.
    found = {word for text in TEXTS.values() for _, word in _static_words(text())}
    assert not set(NAMES | KEPT) - found


def test_the_metrics_list_states_the_letter_bias_level_of_alpha(monkeypatch):
    # ALPHA 0.05: the guesser must score within the accuracy's 95% interval; at 0.01 the page says 99%.
    assert "scores within its\n  95% interval and the letters" in metrics_entries()
    monkeypatch.setattr("helpers.report.methods_page.ALPHA", 0.01)
    assert "scores within its\n  99% interval" in metrics_entries() and "$" not in metrics_entries()


def test_the_statistics_settings_as_printed():
    # ALPHA 0.05, power 0.8, chance 1/4, band 19-20% ± 2, fall 31% ± 10, collapse 10 points, not below 25 - 2.
    values = statistics_values()
    assert (values["alpha"], values["confidence"], values["tost_level"], values["power"]) == ("5%", "95%", "90%", "80%")
    assert (values["chance"], values["pair_chance"], values["not_below"]) == ("25%", "50%", "23%")
    assert (values["band"], values["band_wide"]) == ("19–20%", "17–22%")
    assert (values["fall"], values["fall_margin"], values["collapse"]) == ("31%", "10", "10")
    assert (values["min_items"], values["spearman_max"], values["study_models"]) == ("20", "10", "15")
    assert (values["math_items"], values["first_step"]) == ("1,064", "1,000")
    assert (values["arith_small"], values["arith_large"]) == ("160M", "12B")  # Pythia's smallest and largest names
    assert values["math_subjects"] == "five"  # the five MMLU mathematics subjects


def test_the_statistics_section_fills_every_placeholder_and_holds_both_entries():
    text = statistics_section()
    assert "$" not in text and text.startswith("## Statistics\n")
    assert "Trends are slopes, and models are a sample too\n" in text and "Margins\n: *Level* (claim 1)" in text
    assert "The significance level is 5%." in text and "Fewer than 20 paired items" in text


def test_the_beyond_rules_as_printed():
    # judged: slope and level margins 2 points, level at 10^9, small models up to 2e9, lift 5 points above 25%,
    # gains from 1e9 with a 2-point margin; 2 families x 4 operations = 8 tests; 2,000 items per task.
    values = beyond_rules_values()
    assert (values["level_at"], values["small_max"], values["gain_min"]) == ("1B", "2B", "1B")
    assert (values["slope_margin"], values["level_margin"], values["gain_margin"]) == ("2", "2", "2")
    assert (values["clear"], values["lift"], values["chance"]) == ("30%", "5", "25%")
    assert (values["arith_models"], values["arith_tests"], values["arith_n"]) == ("8", "8", "2,000")
    assert values["peaks"] == "Pythia at 2.8B"
    # MIN_MODELS 3: "fewer than three models (two give a change)"; the one-sided test at 5% with 80% power
    assert (values["min_models"], values["min_change"], values["t_alpha"], values["t_power"]) == (
        "three",
        "two",
        "₀.₉₅",
        "₀.₈₀",
    )
    text = beyond_rules_section()
    assert "$" not in text and text.startswith("Trends across models\n")


def test_the_beyond_rules_of_a_made_up_claim_4c_table():
    table = pd.DataFrame(
        {
            "family": ["OPT", "Pythia", "OPT", "Pythia"],
            "n_models": [5, 5, 5, 5],
            "largest": ["o9", "p9", "o9", "p9"],
            "peak_model": ["o9", "p3", "o4", "p3"],
            "peak_params": [9e9, 2.8e9, 1.3e9, 2.8e9],
        }
    )
    values = beyond_rules_values(table)
    assert (values["arith_models"], values["arith_tests"]) == ("5", "4")
    assert values["peaks"] == "Pythia at 2.8B; OPT at 1.3B"
    with pytest.raises(ValueError, match="equally many models"):
        beyond_rules_values(table.assign(n_models=[5, 4, 5, 4]))
    assert setting_billions(2.8e9) == "2.8B"
