"""Fast tests of helpers.core.tasks: counts, hand-checked golds and prompts, invariants, errors.

Golden values were read by hand from the raw files in data/ (quoted in the comments), not
taken from the code under test. Byte-level parity with lm-evaluation-harness's own requests
is in test_tasks_lmeval_parity.py.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
import yaml

from helpers.core.requests import Request
from helpers.core.tasks import TaskError, build_items, list_tasks
from helpers.infra.paths import DATA_DIR

HSM = "high_school_mathematics"
# data/mmlu/test/high_school_mathematics_test.csv, row 0 (answer D)
HSM_Q0 = (
    "If a pentagon P with vertices at (– 2, – 4), (– 4, 1), (–1, 4), (2, 4), and (3, 0) "
    "is reflected across the line y = x to get a new pentagon, P’, then one of the "
    "vertices of P’ is"
)
HSM_Q0_CHOICES = ("(0, – 3)", "(4, 1)", "(2, 2)", "(– 4, –2)")
# data/mmlu/dev/high_school_mathematics_dev.csv, row 0 (answer B)
HSM_DEV0 = (
    "Joe was in charge of lights for a dance. The red light blinks every two seconds, "
    "the yellow light every three seconds, and the blue light every five seconds. If "
    "we include the very beginning and very end of the dance, how many times during a "
    "seven minute dance will all the lights come on at the same time? (Assume that all "
    "three lights blink simultaneously at the very beginning of the dance.)"
)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def contexts(item) -> set[str]:
    return {r.context for r in item.requests}


# ---------------------------------------------------------------- counts
@pytest.mark.parametrize(
    ("subject", "n"),
    [
        ("abstract_algebra", 100),
        ("college_mathematics", 100),
        ("elementary_mathematics", 378),
        (HSM, 270),
        ("high_school_statistics", 216),
    ],
)
def test_mmlu_math_test_counts(subject: str, n: int) -> None:
    assert len(build_items(f"mmlu:{subject}")) == n
    assert len(build_items(f"mmlu_fulltext:{subject}")) == n


def test_mmlu_math_group_counts_and_limit_per_subject() -> None:
    assert len(build_items("mmlu_math")) == 1064
    items = build_items("mmlu_math", limit=3)
    assert len(items) == 15
    assert [i.item_id for i in items[:4]] == [
        "abstract_algebra/0",
        "abstract_algebra/1",
        "abstract_algebra/2",
        "college_mathematics/0",
    ]
    assert {i.meta["group"] for i in items} == {"mmlu_math"}
    assert items[0].task == "mmlu:abstract_algebra"


def test_mmlu_dev_has_five_shots_per_subject() -> None:
    for subject in ("abstract_algebra", "college_mathematics", "elementary_mathematics", HSM, "high_school_statistics"):
        item = build_items(f"mmlu:{subject}", shots=5, limit=1)[0]
        assert item.meta["fewshot_rows"] == [0, 1, 2, 3, 4]
        with pytest.raises(TaskError, match="only 5"):
            build_items(f"mmlu:{subject}", shots=6, limit=1)


def test_arithmetic_counts() -> None:
    assert len(build_items("arithmetic")) == 20_000
    for name in ("arithmetic_6da", "arithmetic_6ds", "arithmetic_sod"):
        assert len(build_items(name)) == 2000
    assert {i.task for i in build_items("arithmetic", limit=1)} == {
        "arithmetic_1dc",
        "arithmetic_2da",
        "arithmetic_2dm",
        "arithmetic_2ds",
        "arithmetic_3da",
        "arithmetic_3ds",
        "arithmetic_4da",
        "arithmetic_4ds",
        "arithmetic_5da",
        "arithmetic_5ds",
    }


def test_mrpc_counts() -> None:
    items = build_items("mrpc")
    assert len(items) == 1725
    assert sum(i.gold for i in items) == 1147


def test_qqp_sample_labels() -> None:
    items = build_items("qqp_sample")
    assert [i.gold for i in items] == [0, 0, 1, 0, 0, 1, 1, 1, 0]
    assert all(i.meta["tests_only"] for i in items)


def test_list_tasks() -> None:
    names = list_tasks()
    assert (
        len(names) == len(set(names)) == 4 + 57 + 57 + 13 + 3
    )  # 4 groups: mmlu_math, mmlu_math_fulltext, arithmetic, arithmetic_core
    assert {
        "mmlu_math",
        "mmlu:anatomy",
        "mmlu_fulltext:virology",
        "arithmetic_sod",
        "mrpc",
        "qqp",
        "qqp_sample",
    } <= set(names)


# ---------------------------------------------------------------- golds read by hand
@pytest.mark.parametrize(
    ("task", "row", "gold"),
    [
        (f"mmlu:{HSM}", 0, 3),
        (f"mmlu:{HSM}", 1, 2),
        (f"mmlu:{HSM}", 2, 0),  # D, C, A
        ("mmlu:abstract_algebra", 0, 1),  # "Find the degree ... sqrt(18)) over Q.",0,4,2,6,B
        ("mmlu:abstract_algebra", 1, 2),  # "Let p = (1, 2, 5, 4)(2, 3) in S_5 ...",8,2,24,120,C
        ("mmlu:high_school_statistics", 215, 3),  # last row: ...,Influential point,D
    ],
)
def test_mmlu_gold(task: str, row: int, gold: int) -> None:
    item = build_items(task)[row]
    assert item.item_id.endswith(f"/{row}")
    assert item.gold == gold and item.meta["gold_letter"] == "ABCD"[gold]


@pytest.mark.parametrize(
    ("task", "question", "answer"),
    [
        ("arithmetic_2dm", "Question: What is 95 times 45?\nAnswer:", " 4275"),
        ("arithmetic_5ds", "Question: What is 40649 minus 78746?\nAnswer:", " -38097"),
        ("arithmetic_1dc", "Question: What is (9 + 8) * 2?\nAnswer:", " 34"),
        ("arithmetic_sod", "Question: What is the sum of the digits of the number 8606?\nAnswer:", " 20"),
    ],
)
def test_arithmetic_first_rows(task: str, question: str, answer: str) -> None:
    item = build_items(task, limit=1)[0]
    assert item.requests == (Request(question, answer),)
    assert item.gold == 0 and not item.is_multiple_choice


def test_mrpc_golds() -> None:
    items = build_items("mrpc")
    assert items[0].gold == 1 and items[0].meta["ids"] == ("1089874", "1089925")  # line 2
    assert items[-1].gold == 1 and items[-1].meta["ids"] == ("2136244", "2136052")


# ---------------------------------------------------------------- prompts byte for byte
def test_mmlu_letter_prompt_zero_and_one_shot() -> None:
    question = HSM_Q0 + "\nA. (0, – 3)\nB. (4, 1)\nC. (2, 2)\nD. (– 4, –2)\nAnswer:"
    description = "The following are multiple choice questions (with answers) about high school mathematics.\n\n"
    zero = build_items(f"mmlu:{HSM}", limit=1)[0]
    assert [(r.context, r.continuation) for r in zero.requests] == [
        (description + question, c) for c in (" A", " B", " C", " D")
    ]
    one = build_items(f"mmlu:{HSM}", shots=1, limit=1)[0]
    example = HSM_DEV0 + "\nA. 3\nB. 15\nC. 6\nD. 5\nAnswer: B\n\n"
    assert contexts(one) == {description + example + question}


def test_mmlu_description_matches_every_harness_yaml() -> None:
    lm_eval_tasks = pytest.importorskip("lm_eval.tasks")
    folder = Path(lm_eval_tasks.__file__).parent / "mmlu" / "default"
    subjects = [n.split(":", 1)[1] for n in list_tasks() if n.startswith("mmlu:")]
    for subject in subjects:
        config = yaml.safe_load((folder / f"mmlu_{subject}.yaml").read_text())
        item = build_items(f"mmlu:{subject}", limit=1)[0]
        assert item.requests[0].context.startswith(config["description"]), subject


def test_mmlu_fulltext_prompt() -> None:
    item = build_items(f"mmlu_fulltext:{HSM}", limit=1)[0]
    expected = "Question: " + HSM_Q0 + "\nChoices:\nA. (0, – 3)\nB. (4, 1)\nC. (2, 2)\nD. (– 4, –2)\nAnswer:"
    assert contexts(item) == {expected}
    assert [r.continuation for r in item.requests] == [" " + c for c in HSM_Q0_CHOICES]
    assert item.gold == 3


def test_mmlu_fulltext_fewshot_follows_v03_procedure() -> None:
    """Re-derive the v0.3 draw: Random(42) shuffles the 270 test docs, then per doc (in
    shuffled order) samples shots+1 of the 29 val docs; test row 0 keeps the first 2."""
    rnd = random.Random(42)
    order = list(range(270))
    rnd.shuffle(order)
    drawn = {}
    for row in order:
        drawn[row] = rnd.sample(range(29), 3)[:2]  # val and test share no question here
    item = build_items(f"mmlu_fulltext:{HSM}", shots=2, limit=1)[0]
    assert item.meta["fewshot_rows"] == drawn[0]
    # each example: the val row's query + " " + its gold answer text + blank line
    val_first = (
        "Question: Exits on a highway are numbered consecutively from 1 to 50. The "
        "distance from exit 41 to exit 50 is 100 km. If each exit is at least 6 km "
        "from the next exit, what is the longest possible distance, in kilometers, "
        "between exit 47 and exit 48?\nChoices:\nA. 52\nB. 51\nC. 50\nD. 49\n"
        "Answer: 52\n\n"
    )
    with_row0 = [i for i in build_items(f"mmlu_fulltext:{HSM}", shots=2) if 0 in i.meta["fewshot_rows"]]
    assert with_row0, "val row 0 should be drawn for some test question"
    assert all(val_first in i.requests[0].context for i in with_row0)
    assert not item.requests[0].context.startswith("The following")


def test_arithmetic_prompt_and_fewshot_invariants() -> None:
    # data/arithmetic/two_digit_addition.jsonl line 1:
    # {"context": "\n\nQ: What is 98 plus 45?\n\nA:", "completion": " 143"}; lm-eval's
    # process_docs turns it into "Question: ...\nAnswer:" (tasks/arithmetic/utils.py).
    item = build_items("arithmetic_2da", limit=1)[0]
    assert (item.requests[0].context, item.requests[0].continuation) == (
        "Question: What is 98 plus 45?\nAnswer:",
        " 143",
    )
    shot_items = build_items("arithmetic_2da", shots=3, limit=50)
    for index, shot_item in enumerate(shot_items):
        context = shot_item.requests[0].context
        assert context.count("Question: ") == 4 and context.count("\n\n") == 3
        assert index not in shot_item.meta["fewshot_rows"]
    same = build_items("arithmetic_2da", shots=3, limit=50)
    other = build_items("arithmetic_2da", shots=3, limit=50, seed=7)
    assert same == shot_items and other != shot_items


def test_pair_prompts() -> None:
    mrpc = build_items("mrpc", limit=1)[0]
    assert contexts(mrpc) == {
        "Sentence 1: PCCW's chief operating officer, Mike Butcher, and Alex Arena, the chief "
        "financial officer, will report directly to Mr So.\nSentence 2: Current Chief "
        "Operating Officer Mike Butcher and Group Chief Financial Officer Alex Arena will "
        "report to So.\nQuestion: Do both sentences mean the same thing?\nAnswer:"
    }
    assert [r.continuation for r in mrpc.requests] == [" no", " yes"]
    qqp = build_items("qqp_sample", limit=1)[0]
    assert contexts(qqp) == {
        "Question 1: Why are African-Americans so beautiful?\nQuestion 2: Why are hispanics "
        "so beautiful?\nQuestion: Do both questions ask the same thing?\nAnswer:"
    }
    assert qqp.choice_labels == ("no", "yes") and qqp.gold == 0
    two = build_items("mrpc", shots=2, limit=1)[0].requests[0].context
    assert two.count("Sentence 1: ") == 3 and two.endswith(mrpc.requests[0].context)


# ---------------------------------------------------------------- errors
def test_unknown_task_and_subject() -> None:
    with pytest.raises(TaskError, match=r"unknown task 'arithmetc'.*'arithmetic'"):
        build_items("arithmetc")
    with pytest.raises(TaskError, match=r"'high_school_math'.*'mmlu:high_school_mathematics'"):
        build_items("mmlu:high_school_math")
    with pytest.raises(TaskError, match="mmlu_fulltext:college_mathematics"):
        build_items("mmlu_fulltext:colege_mathematics")


@pytest.mark.parametrize("kwargs", [{"shots": -1}, {"limit": 0}, {"shots": 1.5}, {"seed": "x"}])
def test_bad_settings(kwargs: dict) -> None:
    with pytest.raises(TaskError, match=next(iter(kwargs))):
        build_items("arithmetic_2da", **kwargs)


def _mmlu_copy(tmp_path: Path) -> Path:
    for split in ("dev", "val", "test"):
        (tmp_path / split).mkdir()
        shutil.copy(DATA_DIR / "mmlu" / split / f"{HSM}_{split}.csv", tmp_path / split)
    return tmp_path


def test_malformed_mmlu_rows_name_file_and_line(tmp_path: Path) -> None:
    folder = _mmlu_copy(tmp_path)
    test_csv = folder / "test" / f"{HSM}_test.csv"
    rows = test_csv.read_text(encoding="utf-8").splitlines(keepends=True)
    test_csv.write_text("".join(rows[:2]) + "only,three,fields\n" + "".join(rows[2:]), encoding="utf-8")
    with pytest.raises(TaskError, match=rf"{test_csv}: line 3: expected 6 fields, found 3"):
        build_items(f"mmlu:{HSM}", path=folder)
    test_csv.write_text('"q",a,b,c,d,E\n', encoding="utf-8")
    with pytest.raises(TaskError, match=r"line 1: answer 'E'"):
        build_items(f"mmlu:{HSM}", path=folder)
    (folder / "test" / f"{HSM}_test.csv").unlink()
    with pytest.raises(TaskError, match="does not exist"):
        build_items(f"mmlu:{HSM}", path=folder)


def test_malformed_arithmetic_and_mrpc(tmp_path: Path) -> None:
    bad = tmp_path / "two_digit_addition.jsonl"
    bad.write_text(
        '{"context": "\\n\\nQ: What is 1 plus 1?\\n\\nA:", "completion": " 2"}\n{"context": 3}\n', encoding="utf-8"
    )
    with pytest.raises(TaskError, match=rf"{bad}: line 2"):
        build_items("arithmetic_2da", path=bad)
    folder = tmp_path / "mrpc"
    folder.mkdir()
    test_txt = folder / "msr_paraphrase_test.txt"
    test_txt.write_text(
        "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\tA.\tB.\n2\t3\t4\tC.\tD.\n", encoding="utf-8"
    )
    with pytest.raises(TaskError, match=rf"{test_txt}: line 3: label '2'"):
        build_items("mrpc", path=folder)


def test_qqp_needs_path_offline_and_reads_glue_tsv(tmp_path: Path) -> None:
    with pytest.raises(TaskError) as err:
        build_items("qqp")
    assert "path=" in str(err.value) and "'mrpc'" in str(err.value)
    dev = tmp_path / "dev.tsv"  # the bundled sample is CRLF, like some GLUE copies
    shutil.copy(DATA_DIR / "qqp" / "dev_sample_first9rows.tsv", dev)
    items = build_items("qqp", path=tmp_path, limit=4)
    assert [i.gold for i in items] == [0, 0, 1, 0] and items[0].meta["ids"][0] == "201359"
    assert not items[0].requests[0].context.endswith("\r")
    with pytest.raises(TaskError, match="train.tsv"):
        build_items("qqp", path=dev, shots=1)
