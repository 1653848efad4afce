"""MMLU (Hendrycks et al., 2021) as log-likelihood items, in two prompt formats.

**Letter format** = lm-evaluation-harness 0.4.13 task ``mmlu_<subject>`` (``mmlu/default``)::

    The following are multiple choice questions (with answers) about <subject words>.\\n\\n
    [<dev example> Answer: <letter>\\n\\n] x shots     # first `shots` rows of the dev split
    <question.strip()>\\nA. <a>\\nB. <b>\\nC. <c>\\nD. <d>\\nAnswer:

and the four continuations ``" A" .. " D"``. Few-shot examples are the first rows of the
dev split in file order (sampler ``first_n``); no randomness.

**Full-text format** = the old harness task ``hendrycksTest-<subject>`` VERSION 0 (v0.3.0),
which the published Pythia/OPT MMLU numbers use (data/reference/SOURCES.md, caveat 2)::

    [Question: <q>\\nChoices:\\nA. <a>\\n...D. <d>\\nAnswer: <gold text>\\n\\n] x shots
    Question: <q>\\nChoices:\\nA. <a>\\nB. <b>\\nC. <c>\\nD. <d>\\nAnswer:

no description, question not stripped, continuations ``" " + choice text``. Few-shot examples
are drawn at random from the subject's *val* split by the v0.3 evaluator: one
``random.Random(42)`` first shuffles the whole test split, then, walking the shuffled order,
draws ``rnd.sample(val, shots + 1)`` per question, drops the question itself if drawn and
keeps the first ``shots``. We replay that walk over the full test split (so every question
gets the examples a full v0.3 run gave it) and return items in file order; ``limit`` then
keeps the first N rows of the file (v0.3's own ``--limit`` took the first N *shuffled* docs).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from helpers.core.requests import Item
from helpers.core.tasks._io import TaskError, choice_item, display_path, fewshot_prefix, read_csv_rows, require_file

LETTERS = ("A", "B", "C", "D")
CHANCE = 1 / len(LETTERS)
"""Accuracy of a uniform guess among the four answer letters (0.25): the one home of MMLU's chance level."""
MATH_SUBJECTS = (
    "abstract_algebra",
    "college_mathematics",
    "elementary_mathematics",
    "high_school_mathematics",
    "high_school_statistics",
)
SUBJECTS = (
    "abstract_algebra",
    "anatomy",
    "astronomy",
    "business_ethics",
    "clinical_knowledge",
    "college_biology",
    "college_chemistry",
    "college_computer_science",
    "college_mathematics",
    "college_medicine",
    "college_physics",
    "computer_security",
    "conceptual_physics",
    "econometrics",
    "electrical_engineering",
    "elementary_mathematics",
    "formal_logic",
    "global_facts",
    "high_school_biology",
    "high_school_chemistry",
    "high_school_computer_science",
    "high_school_european_history",
    "high_school_geography",
    "high_school_government_and_politics",
    "high_school_macroeconomics",
    "high_school_mathematics",
    "high_school_microeconomics",
    "high_school_physics",
    "high_school_psychology",
    "high_school_statistics",
    "high_school_us_history",
    "high_school_world_history",
    "human_aging",
    "human_sexuality",
    "international_law",
    "jurisprudence",
    "logical_fallacies",
    "machine_learning",
    "management",
    "marketing",
    "medical_genetics",
    "miscellaneous",
    "moral_disputes",
    "moral_scenarios",
    "nutrition",
    "philosophy",
    "prehistory",
    "professional_accounting",
    "professional_law",
    "professional_medicine",
    "professional_psychology",
    "public_relations",
    "security_studies",
    "sociology",
    "us_foreign_policy",
    "virology",
    "world_religions",
)
FULLTEXT_SEED = 42  # hard-coded in the v0.3 evaluator (random.Random(); rnd.seed(42))


@dataclass(frozen=True)
class MmluRow:
    """One CSV row: ``row`` is the 0-based data row index, ``line`` the 1-based file line."""

    row: int
    line: int
    question: str
    choices: tuple[str, str, str, str]
    answer: str  # gold letter "A".."D"

    @property
    def gold(self) -> int:
        return LETTERS.index(self.answer)


def load_split(subject: str, split: str, data_dir: Path) -> list[MmluRow]:
    """Read ``<data_dir>/<split>/<subject>_<split>.csv`` (headerless question,A,B,C,D,answer)."""
    path = require_file(data_dir / split / f"{subject}_{split}.csv", f"MMLU {subject} {split}")
    rows = []
    for index, (line, fields) in enumerate(read_csv_rows(path, n_fields=6)):
        if fields[5] not in LETTERS:
            raise TaskError(f"{path}: line {line}: answer {fields[5]!r} is not one of A/B/C/D. Fix that row.")
        rows.append(MmluRow(index, line, fields[0], tuple(fields[1:5]), fields[5]))
    return rows


def _letter_text(row: MmluRow) -> str:
    """lm-eval ``doc_to_text`` of ``mmlu/default``."""
    lines = [row.question.strip()] + [f"{k}. {c}" for k, c in zip(LETTERS, row.choices)]
    return "\n".join(lines) + "\nAnswer:"


def _fulltext_text(row: MmluRow) -> str:
    """v0 ``hendrycksTest`` query: question as-is, then ``Choices:`` and the lettered list."""
    choices = "".join(f"{k}. {c}\n" for k, c in zip(LETTERS, row.choices))
    return f"Question: {row.question}\nChoices:\n{choices}Answer:"


def description(subject: str) -> str:
    """The letter format's description line (lm-eval ``description`` of ``mmlu_<subject>``)."""
    return f"The following are multiple choice questions (with answers) about {subject.replace('_', ' ')}.\n\n"


def _meta(
    subject: str, row: MmluRow, fmt: str, shots: int, shot_rows: list[int], shot_split: str, data_dir: Path
) -> dict:
    return {
        "subject": subject,
        "format": fmt,
        "split": "test",
        "row": row.row,
        "line": row.line,
        "gold_letter": row.answer,
        "shots": shots,
        "fewshot_split": shot_split,
        "fewshot_rows": shot_rows,
        "source": display_path(data_dir / "test" / f"{subject}_test.csv"),
    }


def letter_items(task: str, subject: str, *, shots: int, limit: int | None, data_dir: Path) -> list[Item]:
    """Items of ``mmlu:<subject>`` (letter format), first ``limit`` test rows."""
    test_rows = load_split(subject, "test", data_dir)[:limit]
    dev_rows = load_split(subject, "dev", data_dir) if shots else []
    if shots > len(dev_rows) and shots:
        raise TaskError(
            f"{task}: shots={shots} but the dev split has only {len(dev_rows)} examples; use shots <= {len(dev_rows)}."
        )
    examples = dev_rows[:shots]
    prefix = description(subject) + fewshot_prefix(
        [(_letter_text(r), r.answer) for r in examples], target_delimiter=" "
    )
    items = []
    for row in test_rows:
        context = prefix + _letter_text(row)
        meta = _meta(subject, row, "letter", shots, [r.row for r in examples], "dev", data_dir)
        items.append(choice_item(task, f"{subject}/{row.row}", context, LETTERS, row.gold, meta))
    return items


def _v0_same(a: MmluRow, b: MmluRow) -> bool:
    """v0 compared processed docs {query, choices, gold} with ``!=``."""
    return (a.question, a.choices, a.answer) == (b.question, b.choices, b.answer)


def fulltext_items(task: str, subject: str, *, shots: int, limit: int | None, seed: int, data_dir: Path) -> list[Item]:
    """Items of ``mmlu_fulltext:<subject>`` (v0 ``hendrycksTest``), first ``limit`` test rows."""
    test_rows = load_split(subject, "test", data_dir)
    val_rows = load_split(subject, "val", data_dir) if shots else []
    if shots and shots + 1 > len(val_rows):
        raise TaskError(
            f"{task}: shots={shots} needs {shots + 1} val examples to draw from "
            f"but the val split has {len(val_rows)}; use shots <= {len(val_rows) - 1}."
        )
    rnd = random.Random(seed)
    shuffled = list(test_rows)
    rnd.shuffle(shuffled)  # the v0.3 evaluator shuffles the test docs with the same rnd
    examples_of: dict[int, list[MmluRow]] = {}
    for row in shuffled:
        if shots:
            drawn = rnd.sample(val_rows, shots + 1)
            examples_of[row.row] = [x for x in drawn if not _v0_same(x, row)][:shots]
        else:
            examples_of[row.row] = []
    items = []
    for row in test_rows[:limit]:
        examples = examples_of[row.row]
        prefix = fewshot_prefix([(_fulltext_text(r), r.choices[r.gold]) for r in examples], target_delimiter=" ")
        context = prefix + _fulltext_text(row)
        meta = {
            **_meta(subject, row, "fulltext", shots, [r.row for r in examples], "val", data_dir),
            "fewshot_seed": seed,
        }
        items.append(choice_item(task, f"{subject}/{row.row}", context, row.choices, row.gold, meta, labels=LETTERS))
    return items
