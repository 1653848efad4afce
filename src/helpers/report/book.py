"""Build the Jupyter Book report for one profile: ``python -m helpers.report.book build --profile ci``.

A build has four steps, each a function here so tests can run them on a copy of ``book/``:

1. :func:`write_experiment_placeholders`: ``_toc.yml`` always lists every experiment in
   :data:`EXPERIMENTS`. The runner puts executed notebooks in ``book/experiments/<name>.ipynb``;
   for each one missing, a placeholder page ``experiments/<name>.md`` says it has not been run
   (and is removed again once the notebook exists). The TOC therefore never depends on the
   profile, and cross-references to experiments always resolve.
2. :func:`write_generated`: the pages' generated includes in ``book/_generated/``: the claims
   table (from ``helpers.report.claims.claims_table(profile)`` when that module exists), the
   provenance of the build, and the published-reference summary.
3. :func:`helpers.render.plots.write_vega_bundle`: the shared chart library in ``book/_static/``.
4. :func:`build`: a per-profile copy of ``_config.yml`` with the profile banner
   (``html.announcement``), then ``jupyter-book build --builder html -W -n --keep-going``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.metadata
import inspect
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

import yaml

from helpers.render import plots
from helpers.infra.paths import DATA_DIR, REPO_ROOT

BOOK_DIR = REPO_ROOT / "book"
EXPERIMENTS = ("scaling", "task_contrast", "swap")
"""Experiment notebooks, in TOC order (``book/experiments/<name>.ipynb``)."""
GENERATED_DIRNAME = "_generated"
PLACEHOLDER_MARKER = "<!-- helpers.report.book placeholder: safe to delete -->"

PROFILE_BANNERS = {
    "ci": (
        "Profile <b>ci</b>: randomly initialised models of the real shapes. "
        "These numbers test the pipeline; they are not findings."
    ),
    "offline": (
        "Profile <b>offline</b>: small pretrained models installed from PyPI, "
        "not the paper's Pythia and OPT lists."
    ),
    "small": "Profile <b>small</b>: Pythia 70M to 410M and OPT 125M to 350M.",
    "paper": "Profile <b>paper</b>: Pythia 70M to 12B and OPT 125M to 30B, as in the paper.",
}
"""The banner shown at the top of every page, by profile."""

PROVENANCE_PACKAGES = (
    "torch", "transformers", "datasets", "lm_eval", "numpy", "pandas", "scipy",
    "statsmodels", "altair", "vl-convert-python", "papermill", "jupyter-book", "sphinx",
    "myst-nb",
)


class UnknownProfileError(ValueError):
    """Raised for a profile name that has no banner (and so no known meaning)."""


class BookBuildError(RuntimeError):
    """Raised when jupyter-book fails or does not produce ``index.html``."""


def check_profile(profile: str) -> str:
    """Return ``profile`` if it is known, else raise :class:`UnknownProfileError`."""
    if profile not in PROFILE_BANNERS:
        raise UnknownProfileError(
            f"Unknown profile {profile!r}; choose one of {', '.join(PROFILE_BANNERS)} "
            "(or add it to helpers.report.book.PROFILE_BANNERS with a banner saying what it is)."
        )
    return profile


# --- step 1: experiment pages -------------------------------------------------------------


def _placeholder_page(name: str, profile: str) -> str:
    """Markdown for an experiment that has not been executed for ``profile``."""
    title = name.replace("_", " ").capitalize()
    return f"""{PLACEHOLDER_MARKER}
# {title} (not yet run)

```{{warning}}
The notebook `notebooks/{name}.ipynb` has not been executed for profile `{profile}`, so this
page has no results. Run `make run PROFILE={profile}` (or `make book PROFILE={profile}`), which
writes the executed notebook to `book/experiments/{name}.ipynb`, then rebuild the book.
```
"""


def write_experiment_placeholders(profile: str, book_dir: Path = BOOK_DIR) -> list[str]:
    """Write placeholder pages for missing experiment notebooks; return the missing names.

    A placeholder is removed once its notebook exists (two files with the same stem would be
    ambiguous to the TOC). Only files carrying :data:`PLACEHOLDER_MARKER` are ever written
    over or deleted; a hand-written ``<name>.md`` counts as the experiment's page.
    """
    experiments_dir = Path(book_dir) / "experiments"
    experiments_dir.mkdir(parents=True, exist_ok=True)
    missing = []
    for name in EXPERIMENTS:
        notebook = experiments_dir / f"{name}.ipynb"
        placeholder = experiments_dir / f"{name}.md"
        is_ours = placeholder.exists() and placeholder.read_text(
            encoding="utf-8").startswith(PLACEHOLDER_MARKER)
        if notebook.exists():
            if is_ours:
                placeholder.unlink()
            continue
        if placeholder.exists() and not is_ours:
            continue  # a hand-written page for this experiment: leave it alone
        missing.append(name)
        placeholder.write_text(_placeholder_page(name, profile), encoding="utf-8")
    return missing


# --- step 2: generated includes -----------------------------------------------------------


def _markdown_cell(value: Any) -> str:
    """One table cell: text with pipes escaped and newlines flattened."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub/MyST pipe table."""
    if not header:
        raise ValueError("A table needs at least one column; got an empty header.")
    for row in rows:
        if len(row) != len(header):
            raise ValueError(
                f"Row {list(row)!r} has {len(row)} cells but the header has {len(header)}: "
                f"{list(header)!r}. Give every row one value per column."
            )
    lines = [
        "| " + " | ".join(_markdown_cell(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(_markdown_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _table_directive(caption: str, name: str, table: str) -> str:
    """Wrap a pipe table in a MyST ``{table}`` directive so it has a caption and a label."""
    return f":::{{table}} {caption}\n:name: {name}\n\n{table}\n:::\n"


PLACEHOLDER_CLAIMS = (
    ("Knowledge (MMLU mathematics): accuracy stays flat with scale while loss falls",
     "scaling"),
    ("Procedure (arithmetic): accuracy and loss improve together with scale", "task_contrast"),
    ("Pattern matching (QQP/MRPC) behaves like knowledge, not like procedure", "task_contrast"),
    ("Swapping attention patterns between models collapses accuracy", "swap"),
)


def claims_markdown(profile: str) -> str:
    """The claims table: ``helpers.report.claims.claims_table(profile)`` if available, else a
    clearly labelled "not yet computed" table with one row per claim.

    ``claims_table`` may return a pandas DataFrame (its columns become the table's) or a
    markdown string that is used as is.
    """
    try:
        claims_module = importlib.import_module("helpers.report.claims")
    except ModuleNotFoundError as error:
        if error.name != "helpers.report.claims":
            raise
        claims_module = None
    claims_table = getattr(claims_module, "claims_table", None)
    if claims_table is None:
        rows = [(claim, "not yet computed", f"{{doc}}`experiments/{name}`")
                for claim, name in PLACEHOLDER_CLAIMS]
        table = markdown_table(("Claim from the paper", "Our result", "Where"), rows)
        note = (
            "```{note}\nNot yet computed: `helpers.report.claims` is not available in this build, "
            "so this table only lists the claims under test.\n```\n\n"
        )
        return note + _table_directive("Claims under test (not yet computed)",
                                       "claims-table", table)
    accepts_profile = "profile" in inspect.signature(claims_table).parameters
    table = claims_table(profile=profile) if accepts_profile else claims_table()
    if isinstance(table, str):
        return table
    header = [str(column) for column in table.columns]
    rows = [list(row) for row in table.itertuples(index=False)]
    return _table_directive(f"Claims and our results (profile {profile})", "claims-table",
                            markdown_table(header, rows))


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _git(*args: str) -> str:
    """Output of a read-only git command in the repository, or ``"unknown"``."""
    try:
        completed = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True,
                                   text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return completed.stdout.strip()


def provenance_markdown(profile: str) -> str:
    """Profile, code version, platform and package versions of this build."""
    commit = _git("rev-parse", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    code_version = commit if not dirty else f"{commit} (with uncommitted changes)"
    facts = [
        ("Profile", f"`{profile}`"),
        ("Code version (git)", f"`{code_version}`"),
        ("Built (UTC)", dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")),
        ("Python", platform.python_version()),
        ("Platform", platform.platform()),
    ]
    facts += [(f"`{name}`", _package_version(name)) for name in PROVENANCE_PACKAGES]
    return _table_directive("Environment of this build", "provenance-table",
                            markdown_table(("Item", "Value"), facts))


def published_markdown(profile: str) -> str:
    """Summary of the published reference table: ``helpers.analysis.published.published_summary``
    when that module exists, else a listing of the file with a "not yet compared" note."""
    try:
        reference_module = importlib.import_module("helpers.analysis.published")
    except ModuleNotFoundError as error:
        if error.name != "helpers.analysis.published":
            raise
        reference_module = None
    summary = getattr(reference_module, "published_summary", None)
    if summary is not None:
        return summary(profile=profile)
    csv_path = DATA_DIR / "reference" / "lm_eval_published.csv.gz"
    state = "present" if csv_path.exists() else "missing"
    return (
        "```{note}\nNot yet compared: no comparison of our results with the published ones "
        f"has been computed for profile `{profile}`. The reference table "
        f"`data/reference/{csv_path.name}` is {state}.\n```\n"
    )


def write_generated(profile: str, book_dir: Path = BOOK_DIR) -> list[Path]:
    """Write the generated includes (claims, provenance, published) for ``profile``."""
    check_profile(profile)
    generated_dir = Path(book_dir) / GENERATED_DIRNAME
    generated_dir.mkdir(parents=True, exist_ok=True)
    pages = {
        "claims.md": claims_markdown(profile),
        "provenance.md": provenance_markdown(profile),
        "published.md": published_markdown(profile),
    }
    written = []
    for filename, text in pages.items():
        path = generated_dir / filename
        path.write_text(f"<!-- generated by helpers.report.book; do not edit -->\n{text}",
                        encoding="utf-8")
        written.append(path)
    return written


# --- step 4: build ------------------------------------------------------------------------


def write_profile_config(profile: str, book_dir: Path = BOOK_DIR) -> Path:
    """Copy ``_config.yml`` to ``_generated/_config.yml`` with the profile banner set.

    ``jupyter-book build --config`` then reads the copy; Sphinx still resolves source paths
    (``references.bib``, ``_static``) against the book folder itself.
    """
    book_dir = Path(book_dir)
    config = yaml.safe_load((book_dir / "_config.yml").read_text(encoding="utf-8"))
    config.setdefault("html", {})["announcement"] = PROFILE_BANNERS[check_profile(profile)]
    # Jupyter Book resolves local extension folders against the config file's folder.
    local_extensions = config.get("sphinx", {}).get("local_extensions") or {}
    for extension, folder in local_extensions.items():
        local_extensions[extension] = str((book_dir / folder).resolve())
    config_path = book_dir / GENERATED_DIRNAME / "_config.yml"
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(
        "# generated by helpers.report.book from ../_config.yml; do not edit\n"
        + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return config_path


def jupyter_book_command(book_dir: Path, config_path: Path, strict: bool) -> list[str]:
    """The ``jupyter-book build`` command line (``-W -n --keep-going`` when strict)."""
    command = [sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; "
               "sys.exit(main())", "build", str(book_dir),
               "--builder", "html", "--config", str(config_path)]
    if strict:
        command += ["-W", "-n", "--keep-going"]
    return command


def build(profile: str, book_dir: Path = BOOK_DIR, strict: bool = True) -> Path:
    """Prepare and build the HTML book for ``profile``; return the path of ``index.html``."""
    book_dir = Path(book_dir).resolve()
    check_profile(profile)
    write_experiment_placeholders(profile, book_dir)
    write_generated(profile, book_dir)
    plots.write_vega_bundle(book_dir / "_static")
    config_path = write_profile_config(profile, book_dir)
    completed = subprocess.run(jupyter_book_command(book_dir, config_path, strict),
                               cwd=book_dir)
    index = book_dir / "_build" / "html" / "index.html"
    if completed.returncode != 0:
        raise BookBuildError(
            f"jupyter-book build failed (exit {completed.returncode}) for profile {profile!r}; "
            f"the warnings above name each problem. Reports: {book_dir / '_build' / 'html' / 'reports'}."
        )
    if not index.exists():
        raise BookBuildError(f"jupyter-book reported success but {index} does not exist.")
    return index


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m helpers.report.book build --profile PROFILE [--no-strict]``."""
    parser = argparse.ArgumentParser(prog="python -m helpers.report.book", description=__doc__.split("\n")[0])
    subcommands = parser.add_subparsers(dest="command", required=True)
    build_parser = subcommands.add_parser("build", help="build the HTML report")
    build_parser.add_argument("--profile", required=True, choices=sorted(PROFILE_BANNERS))
    build_parser.add_argument("--book-dir", type=Path, default=BOOK_DIR)
    build_parser.add_argument(
        "--strict", action=argparse.BooleanOptionalAction, default=True,
        help="warnings are errors, nitpicky cross-references (default: on)",
    )
    args = parser.parse_args(argv)
    index = build(args.profile, args.book_dir, strict=args.strict)
    print(index)
    return 0


if __name__ == "__main__":
    sys.exit(main())
