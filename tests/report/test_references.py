"""Every chapter cites from references.bib, and no bibliography entry is left uncited."""

from __future__ import annotations

import re

from helpers.infra.paths import REPO_ROOT

CITE = re.compile(r"\{cite:[a-z]+\}`([^`]+)`")


def _bib_keys() -> set[str]:
    return set(re.findall(r"^@\w+\{([^,\s]+),", (REPO_ROOT / "book" / "references.bib").read_text(), flags=re.M))


def _cited() -> set[str]:
    sources = [
        *(REPO_ROOT / "book").glob("*.md"),
        *(REPO_ROOT / "notebooks").glob("*.ipynb"),
        *(REPO_ROOT / "src" / "helpers").rglob("*.py"),
    ]
    keys: set[str] = set()
    for path in sources:
        for group in CITE.findall(path.read_text(encoding="utf-8")):
            keys |= {key.strip() for key in group.split(",")}
    return keys


def test_every_cited_key_is_in_the_bibliography():
    assert _cited() - _bib_keys() == set()


def test_no_bibliography_entry_is_left_uncited():
    assert _bib_keys() - _cited() == set()
