"""How to cite the report: version, build date, BibTeX and the footer, from one set of facts.

The project version is ``[project] version`` of ``pyproject.toml``; title, authors, release date
and repository come from ``CITATION.cff`` (which GitHub's "Cite this repository" and citation
managers read) and ``.zenodo.json`` mirrors them (a test checks that the three agree). The build
date is the time of the build (or ``$SOURCE_DATE_EPOCH`` for a reproducible build): the footer's
year comes from it, never from a year typed into ``_config.yml``.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from pathlib import Path

import yaml

from helpers.infra.paths import REPO_ROOT

PYPROJECT = REPO_ROOT / "pyproject.toml"
CITATION_CFF = REPO_ROOT / "CITATION.cff"
ZENODO_JSON = REPO_ROOT / ".zenodo.json"
BIBTEX_KEY = "capability_ceilings_report"


class CitationError(ValueError):
    """The citation metadata is missing a field or disagrees between files."""


def project_version(pyproject: Path = PYPROJECT) -> str:
    """``[project] version`` of ``pyproject.toml`` (the one version of the project)."""
    text = Path(pyproject).read_text(encoding="utf-8")
    project = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    match = re.search(r'^version\s*=\s*"([^"]+)"', project.group(1), re.M) if project else None
    if match is None:
        raise CitationError(f'{pyproject} has no [project] version = "..."')
    return match.group(1)


def build_date() -> dt.datetime:
    """When this build runs (UTC), or ``$SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc)


def citation(path: Path = CITATION_CFF) -> dict:
    """``CITATION.cff`` as a dict, checked for the fields a citation needs."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    missing = [key for key in ("title", "authors", "version", "date-released", "repository-code") if not data.get(key)]
    if missing:
        raise CitationError(f"{path} lacks {', '.join(missing)}")
    return data


def author_names(data: dict) -> list[str]:
    """Authors as BibTeX writes them: ``Family, Given`` for persons, ``{Entity}`` for an entity."""
    names = []
    for author in data["authors"]:
        if author.get("family-names"):
            names.append(f"{author['family-names']}, {author.get('given-names', '')}".strip(", "))
        else:
            names.append("{" + author["name"] + "}")
    return names


def bibtex_entry(data: dict | None = None) -> str:
    """A BibTeX ``@software`` entry of the report: title, authors, version, year, URL."""
    data = citation() if data is None else data
    released = str(data["date-released"])
    fields = [
        ("title", "{" + data["title"] + "}"),
        ("author", " and ".join(author_names(data))),
        ("version", data["version"]),
        ("year", released[:4]),
        ("month", released[5:7]),
        ("url", data.get("url") or data["repository-code"]),
    ]
    if data.get("doi"):
        fields.append(("doi", data["doi"]))
    body = ",\n".join(f"  {name:<8}= {{{value}}}" for name, value in fields)
    return f"@software{{{BIBTEX_KEY},\n{body}\n}}"


def cite_markdown(data: dict | None = None) -> str:
    """The first page's "How to cite" text: the BibTeX entry and where the metadata lives."""
    data = citation() if data is None else data
    return (
        f"Cite version {data['version']} of this report (released {data['date-released']}) with the entry below; "
        'the same metadata is in `CITATION.cff` (GitHub\'s "Cite this repository", Zotero, cffconvert) and '
        "`.zenodo.json` (a DOI for each release), and cite the paper it reproduces, "
        "{cite:t}`marin2025ceilings`.\n\n"
        f"```bibtex\n{bibtex_entry(data)}\n```\n"
    )


def footer_html(profile: str, when: dt.datetime, version: str | None = None) -> str:
    """The footer on every page: project version, build date and profile."""
    version = project_version() if version is None else version
    return (
        f'<p class="cc-build-footer">capability-ceilings <span class="cc-version">v{html.escape(version)}</span>'
        f" · built {when:%Y-%m-%d %H:%M} UTC · profile {html.escape(profile)}</p>"
    )
