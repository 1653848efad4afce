"""Build the Jupyter Book report for one profile (``python -m helpers html --profile ci``).

A build has four steps, each a function here so tests can run them on a copy of ``book/``:

1. :func:`write_experiment_placeholders`: ``_toc.yml`` always lists every experiment in
   the experiment registry (:data:`helpers.experiments.registry.EXPERIMENTS`). The runner puts executed
   notebooks in ``book/experiments/<name>.ipynb``;
   for each one missing, a placeholder page ``experiments/<name>.md`` says it has not been run
   (and is removed again once the notebook exists). The TOC therefore never depends on the
   profile, and cross-references to experiments always resolve.
2. :func:`write_generated`: the pages' generated includes in ``book/_generated/``
   (:mod:`helpers.report.pages`, :mod:`helpers.report.front`, :mod:`helpers.report.citation`): the
   bottom line, key figure and build box of the first page, the claims table, the provenance of the
   build, the published-reference summary and how to cite; the executed chapters are labelled when
   their models are stand-ins and their code folded (:mod:`helpers.report.chapters`).
3. :func:`helpers.render.plots.write_vega_bundle`: the shared chart library in ``book/_static/``.
4. :func:`build`: a per-profile copy of ``_config.yml`` with the profile banner
   (``html.announcement``, from the profile's ``description`` and ``findings``, :func:`profile_banner`), then
   ``jupyter-book build --builder html -W -n --keep-going``.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import yaml

from helpers.experiments.config import load_profile
from helpers.experiments.registry import EXPERIMENTS
from helpers.infra.files import atomic_write_text
from helpers.infra.paths import REPO_ROOT
from helpers.infra.profiles import Profile, ProfileError, profiles_file_env
from helpers.render import plots
from helpers.report import citation
from helpers.report.chapters import prepare_chapters
from helpers.report.front import front_pages
from helpers.report.methods_statistics import methods_pages
from helpers.report.obsscaling_page import obsscaling_models_markdown
from helpers.report.pages import claims_pages, models_markdown, provenance_markdown, published_summary

BOOK_DIR = REPO_ROOT / "book"
GENERATED_DIRNAME = "_generated"
PLACEHOLDER_MARKER = "<!-- helpers.report.book placeholder: safe to delete -->"


class UnknownProfileError(ValueError):
    """Raised for a profile name that the profiles file does not define."""


class BookBuildError(RuntimeError):
    """Raised when jupyter-book fails or does not produce ``index.html``."""


def check_profile(profile: str, profiles_file: str | Path | None = None) -> Profile:
    """The profile called ``profile`` in ``profiles_file`` (None: the run's,
    :func:`~helpers.infra.profiles.default_profiles_file`),
    else :class:`UnknownProfileError` naming the profiles the file defines."""
    try:
        return load_profile(profile, profiles_file)
    except ProfileError as error:
        raise UnknownProfileError(
            f"{str(error).rstrip('.')}; a book is built for a profile of that file (give "
            "--profiles-file for another file)."
        ) from None


def profile_banner(profile: Profile) -> str:
    """The banner at the top of every page: the profile's name, whether its numbers are findings, and
    the first sentence of its ``description`` in the profiles file."""
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z(])", " ".join(profile.description.split()), maxsplit=1)
    described = f": {html.escape(sentences[0])}" if sentences[0] else ""
    not_findings = "" if profile.findings else " (test profile: its numbers are not findings)"
    return f"Profile <b>{html.escape(profile.name)}</b>{not_findings}{described}"


# --- step 1: experiment pages -------------------------------------------------------------


def _placeholder_page(name: str, profile: str) -> str:
    """Markdown for an experiment that has not been executed for ``profile``."""
    title = EXPERIMENTS[name].title
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
        is_ours = placeholder.exists() and placeholder.read_text(encoding="utf-8").startswith(PLACEHOLDER_MARKER)
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


def write_generated(profile: str, book_dir: Path = BOOK_DIR) -> list[Path]:
    """Write the generated includes (claims, provenance, published) for ``profile``."""
    check_profile(profile)
    generated_dir = Path(book_dir) / GENERATED_DIRNAME
    generated_dir.mkdir(parents=True, exist_ok=True)
    from helpers.report.claims.table import claim_results

    results = claim_results(profile)  # judged once: the claims table and the bottom line share them
    pages = {
        **claims_pages(profile, results),
        "provenance.md": provenance_markdown(profile),
        "models.md": models_markdown(profile),
        "published.md": published_summary(profile),
        "obsscaling.md": obsscaling_models_markdown(),
        **methods_pages(),
        **front_pages(profile, results),
        "cite.md": citation.cite_markdown(),
    }
    written = []
    for filename, text in pages.items():
        path = generated_dir / filename
        atomic_write_text(path, f"<!-- generated by helpers.report.book; do not edit -->\n{text}")
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
    config.setdefault("html", {})["announcement"] = profile_banner(check_profile(profile))
    # Version and build date on every page; the copyright year is the build's, never a typed-in one.
    when = citation.build_date()
    config["html"]["extra_footer"] = citation.footer_html(profile, when)
    config["copyright"] = f"{when.year}"
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
    command = [
        sys.executable,
        "-c",
        "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
        "build",
        str(book_dir),
        "--builder",
        "html",
        "--config",
        str(config_path),
    ]
    if strict:
        command += ["-W", "-n", "--keep-going"]
    return command


def executed_profiles(book_dir: Path = BOOK_DIR) -> dict[str, str | None]:
    """``{experiment: profile}`` of the executed notebooks in ``book_dir/experiments`` (papermill's record)."""
    import nbformat

    found = {}
    for name in EXPERIMENTS:
        notebook = Path(book_dir) / "experiments" / f"{name}.ipynb"
        if notebook.is_file():
            parameters = nbformat.read(str(notebook), as_version=4).metadata.get("papermill", {}).get("parameters", {})
            found[name] = parameters.get("profile")
    return found


def check_notebook_profiles(profile: str, book_dir: Path = BOOK_DIR) -> None:
    """Refuse to publish notebooks executed with another profile under ``profile``'s banner (a notebook
    with no papermill record, executed by hand, cannot be checked and is let through)."""
    other = {name: ran for name, ran in executed_profiles(book_dir).items() if ran is not None and ran != profile}
    if other:
        listed = ", ".join(f"{name} (profile {ran!r})" for name, ran in other.items())
        first = next(iter(other))
        raise BookBuildError(
            f"the book is built for profile {profile!r}, but these notebooks were executed with another: {listed}. "
            f"Re-run them for this profile (`make notebook NB={first} PROFILE={profile}`, or `make book "
            f"PROFILE={profile}`), or build the HTML for theirs (`make html PROFILE={other[first]}`)."
        )


def failed_cells(notebook) -> list[str]:
    """Each code cell of an executed notebook that holds an error output (unless tagged
    ``raises-exception``), or that papermill marked as raising: ``"cell <index> (In [<count>])
    raised <ename>: <evalue>"`` (index counts every cell, papermill's injected ones included, as
    the executed file shows them)."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code":
            continue
        metadata = cell.get("metadata", {})
        errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
        if "raises-exception" in metadata.get("tags", []):  # an error shown on purpose (Jupyter Book's tag)
            errors = []
        if errors or metadata.get("papermill", {}).get("exception"):
            evalue = str(errors[0].get("evalue", "")).strip().splitlines() if errors else []
            what = (
                f"{errors[0].get('ename')}: {evalue[0] if evalue else ''}"
                if errors
                else "an exception (no error output kept)"
            )
            found.append(f"cell {index} (In [{cell.get('execution_count')}]) raised {what}")
    return found


def check_notebooks_succeeded(profile: str, book_dir: Path = BOOK_DIR) -> None:
    """Refuse to publish an executed notebook that failed: papermill recorded an exception in its
    metadata (``papermill.exception``), or a cell holds an error output (a notebook run by hand).
    The :class:`BookBuildError` names each notebook, its failing cells and how to re-run it."""
    import nbformat

    failed = {}
    for name in EXPERIMENTS:
        path = Path(book_dir) / "experiments" / f"{name}.ipynb"
        if not path.is_file():
            continue
        notebook = nbformat.read(str(path), as_version=4)
        cells = failed_cells(notebook)
        if notebook.metadata.get("papermill", {}).get("exception") or cells:
            failed[name] = f"{path} ({'; '.join(cells) or 'papermill recorded an exception'})"
    if failed:
        first = next(iter(failed))
        raise BookBuildError(
            f"these executed notebooks failed and are not published: {'; '.join(failed.values())}. Re-run them "
            f"(`make notebook NB={first} PROFILE={profile}` with parameters that work, or "
            f"`make book PROFILE={profile}` to re-execute every notebook with its defaults), then build again."
        )


def build(
    profile: str, book_dir: Path = BOOK_DIR, strict: bool = True, profiles_file: str | Path | None = None
) -> Path:
    """Prepare and build the HTML book for ``profile`` of ``profiles_file`` (None: the run's,
    :func:`~helpers.infra.profiles.default_profiles_file`); return the path of ``index.html``.

    Every step (claims evidence, model table, chapter labels, banner) reads that profiles file.

    Raises :class:`BookBuildError` when an executed notebook ran with another profile (its numbers
    would appear under this profile's banner), failed (:func:`check_notebooks_succeeded`) or
    jupyter-book fails.
    """
    with profiles_file_env(profiles_file):
        return _build(profile, Path(book_dir).resolve(), strict)


def _build(profile: str, book_dir: Path, strict: bool) -> Path:
    check_profile(profile)
    check_notebook_profiles(profile, book_dir)
    check_notebooks_succeeded(profile, book_dir)
    write_experiment_placeholders(profile, book_dir)
    prepare_chapters(profile, book_dir)
    write_generated(profile, book_dir)
    plots.write_vega_bundle(book_dir / "_static")
    config_path = write_profile_config(profile, book_dir)
    completed = subprocess.run(jupyter_book_command(book_dir, config_path, strict), cwd=book_dir)
    index = book_dir / "_build" / "html" / "index.html"
    if completed.returncode != 0:
        raise BookBuildError(
            f"jupyter-book build failed (exit {completed.returncode}) for profile {profile!r}; "
            f"the warnings above name each problem. Reports: {book_dir / '_build' / 'html' / 'reports'}."
        )
    if not index.exists():
        raise BookBuildError(f"jupyter-book reported success but {index} does not exist.")
    return index
