"""The rules of ``shared/ARCHITECTURE.md``, checked on the source with the standard library only.

Over every ``src/helpers/**/*.py``:

* no module longer than :data:`MAX_LINES` lines (modules read in one sitting);
* no import cycle between ``helpers`` modules (function-level imports included);
* no import from a layer above: cli > report > experiments > analysis > core > infra, render
  (infra and render side by side at the bottom, importing neither each other nor anything above);
* no torch / transformers in ``helpers.analysis``, ``helpers.render``, ``helpers.infra`` or an
  ``experiments/*/views.py`` / ``charts.py`` module: neither imported by the module itself (at
  module level or in a function), nor reached through the ``helpers`` modules it imports at
  module level (importing such a module would load torch).
* a chapter package (``helpers.experiments.<chapter>``, one per experiment notebook) imports only
  itself, the registry, ``config``, ``evaluation`` and the layers below (analysis, core, infra,
  render): never another chapter, nor another experiments module;
* an experiment notebook (``notebooks/<chapter>.ipynb``, code cells without ``%``/``!`` magics)
  imports only its own chapter package, ``helpers.experiments.{config,evaluation,registry}``, the
  layers below and third-party libraries;
* each experiment's code-version rule (``Experiment.code`` globs, hashed by
  :func:`helpers.infra.provenance.code_version` into every local results-store key) matches every
  module of the import closure of its fill-job module that can change a stored score (see
  :data:`NOT_SCORE_CODE` for what is left out and why), so an edit there recomputes the results.

Violations that exist and belong to someone else's files are listed in
:data:`KNOWN_VIOLATIONS`, each with a reason; the owner removes the entry with the fix (an entry
that no longer matches anything fails :func:`test_known_violations_are_current`).
"""

from __future__ import annotations

import ast
import json
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT_PACKAGE = "helpers"
MAX_LINES = 400
LAYER_RANK = {"cli": 5, "report": 4, "experiments": 3, "analysis": 2, "core": 1, "infra": 0, "render": 0}
TOP_MODULES = {"helpers", "helpers.__main__", "helpers.cli"}  # the cli layer
HEAVY = {"torch", "transformers"}
LIGHT_LAYERS = {"analysis", "render", "infra"}
LIGHT_EXPERIMENT_MODULES = {"views", "charts"}  # helpers.experiments.<name>.<views|charts>
NOTEBOOKS = SRC.parent / "notebooks"
CHAPTERS = frozenset(
    path.parent.name
    for path in (SRC / ROOT_PACKAGE / "experiments").glob("*/__init__.py")
    if (NOTEBOOKS / f"{path.parent.name}.ipynb").is_file()
)
"""The chapter packages: ``helpers.experiments.<name>`` with a notebook ``notebooks/<name>.ipynb``."""
LOWER_LAYERS = ("analysis", "core", "infra", "render")
SHARED_EXPERIMENT_MODULES = frozenset(
    {
        "helpers.experiments",
        "helpers.experiments.registry",
        "helpers.experiments.config",
        "helpers.experiments.evaluation",
        # the registry's own parts: the Experiment type, its parameter schema, and the behaviour the
        # scoring experiments share (their fill jobs and missing-work finder, given by evaluation/plan)
        "helpers.experiments.spec",
        "helpers.experiments.parameters",
        "helpers.experiments.evaluated",
        "helpers.experiments.plan",
        # what the chapters tell readers about the models: it reads core/models (torch), so not analysis
        "helpers.experiments.model_table",
        "helpers.experiments.model_description",
    }
)
"""What a chapter package or notebook may import from the experiments layer besides its own chapter."""
NOT_SCORE_CODE: dict[str, str] = {
    "helpers": "the package root: a docstring and __version__",
    "helpers.infra": "where and when rows are stored (paths, files, jobs, the store, provenance, profiles, the "
    "runner): it decides which settings run and where their rows go, and the settings are part of "
    "the result key, so it cannot change a stored score",
    "helpers.render": "drawing and tables, after the scores",
    "helpers.experiments.registry": "names the experiments and their code rules; computes nothing",
    "helpers.experiments.config": "validates the settings of a run once; the settings are part of the result key",
    "helpers.experiments.spec": "the Experiment record the registry holds; computes nothing",
    "helpers.experiments.parameters": "checks notebook parameters before a run; the settings are in the result key",
    "helpers.analysis.resampling": "checks a bootstrap resample count (reached through config); computes no score",
    "helpers.experiments.swap.settings": "the swap: section of a profile (checked and parsed as "
    "helpers.infra.profiles did before it moved to its experiment): it decides which settings run, and the "
    "settings are part of the result key",
}
"""Modules (and everything under them; ``helpers`` itself alone) left out of the code-version closure check,
with the reason.
A package ``__init__`` that holds only a docstring is left out too (it has no code to hash)."""

LINE_EXCEPTIONS: dict[str, str] = {}
"""Modules that truly cannot be split, module -> reason (none so far)."""

KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}
"""Current violations in files this test's author does not own: (check, subject) -> reason.
Checks: lines, cycle, layer, heavy, heavy-transitive, chapter, notebook, code-version."""


# --------------------------------------------------------------------------- reading the tree


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    """``helpers`` module name -> file, for every ``src/helpers/**/*.py``."""
    return {_module_name(path): path for path in sorted((SRC / ROOT_PACKAGE).rglob("*.py"))}


def _collect_imports(tree: ast.AST) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement with whether it sits inside a function (lazy) or not."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append((child, in_function))
            lazy = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            visit(child, lazy)

    visit(tree, False)
    return found


def _internal(name: str) -> str | None:
    """The ``helpers`` module a dotted name refers to (longest existing prefix), else None."""
    modules = _modules()
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """Dotted names an import statement loads: a module, or ``module.name`` for a from-import."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = module.split(".")
        if _modules()[module].name != "__init__.py":
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    return [f"{prefix}.{alias.name}" for alias in node.names]


@cache
def _imports() -> dict[str, list[tuple[str, bool]]]:
    """module -> [(imported dotted name, lazy)]; a from-import resolves to a module when it names one."""
    result = {}
    for module, path in _modules().items():
        names = []
        for node, lazy in _collect_imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for name in _targets(module, node):
                internal = _internal(name)
                names.append((internal if internal is not None else name, lazy))
        result[module] = names
    return result


def _internal_edges(*, include_lazy: bool) -> dict[str, set[str]]:
    modules = _modules()
    return {
        module: {name for name, lazy in names if name in modules and name != module and (include_lazy or not lazy)}
        for module, names in _imports().items()
    }


def _layer(module: str) -> str:
    return "cli" if module in TOP_MODULES else module.split(".")[1]


def _must_stay_light(module: str) -> bool:
    parts = module.split(".")
    if _layer(module) in LIGHT_LAYERS:
        return True
    return len(parts) == 4 and parts[1] == "experiments" and parts[3] in LIGHT_EXPERIMENT_MODULES


def _report(check: str, violations: dict[str, str]) -> list[str]:
    """Violations not excused by :data:`KNOWN_VIOLATIONS`, as printable lines."""
    return [
        f"{subject}: {detail}"
        for subject, detail in sorted(violations.items())
        if (check, subject) not in KNOWN_VIOLATIONS
    ]


# --------------------------------------------------------------------------- the rules


def _long_modules() -> dict[str, str]:
    found = {}
    for module, path in _modules().items():
        n_lines = len(path.read_text(encoding="utf-8").splitlines())
        if n_lines > MAX_LINES and module not in LINE_EXCEPTIONS:
            found[module] = f"{n_lines} lines (limit {MAX_LINES}) in {path.relative_to(SRC.parent)}"
    return found


def _cycles() -> dict[str, str]:
    """Each strongly connected component of the import graph (all imports) as a cycle of modules."""
    edges = _internal_edges(include_lazy=True)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan, recursive: the graph has ~100 nodes
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(edges[node]):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            connect(module)
    found = {}
    for component in components:
        cycle = _one_cycle(component, edges)
        found[" -> ".join(cycle)] = f"import cycle among {len(component)} modules: {component}"
    return found


def _one_cycle(component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """A concrete cycle through the first module of a strongly connected component."""
    members, start = set(component), component[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:  # breadth-first: the shortest way back to start
        following = []
        for node in frontier:
            for other in sorted(edges[node] & members):
                if other == start:
                    return paths[node] + [start]
                if other not in paths:
                    paths[other] = paths[node] + [other]
                    following.append(other)
        frontier = following
    return component


def _upward_imports() -> dict[str, str]:
    found = {}
    edges = _internal_edges(include_lazy=True)
    for module, targets in edges.items():
        layer = _layer(module)
        for target in sorted(targets):
            other = _layer(target)
            if other != layer and LAYER_RANK[other] >= LAYER_RANK[layer]:
                found[f"{module} -> {target}"] = f"layer {layer} imports layer {other}"
    return found


def _heavy_imports() -> dict[str, str]:
    """Light modules importing torch/transformers themselves (module level or in a function)."""
    found = {}
    for module, names in _imports().items():
        if not _must_stay_light(module):
            continue
        for name, lazy in names:
            top = name.split(".")[0]
            if top in HEAVY:
                where = "in a function" if lazy else "at module level"
                found.setdefault(f"{module} -> {top}", f"imports {name} {where}")
    return found


def _loads_heavy_transitively() -> dict[str, str]:
    """Light modules whose module-level ``helpers`` imports (and their packages) load torch/transformers."""
    modules = _modules()
    direct_heavy = {
        module
        for module, names in _imports().items()
        if any(name.split(".")[0] in HEAVY and not lazy for name, lazy in names)
    }
    eager = _internal_edges(include_lazy=False)
    for module in list(eager):  # importing a.b.c runs a/__init__.py and a/b/__init__.py first
        for target in list(eager[module]):
            parts = target.split(".")
            eager[module].update(".".join(parts[:i]) for i in range(2, len(parts)) if ".".join(parts[:i]) in modules)
    found = {}
    for module in sorted(modules):
        if not _must_stay_light(module):
            continue
        paths = {module: [module]}
        frontier = [module]
        while frontier:
            following = []
            for node in frontier:
                for other in sorted(eager[node]):
                    if other not in paths:
                        paths[other] = paths[node] + [other]
                        following.append(other)
            frontier = following
        reached = sorted((len(path), name) for name, path in paths.items() if name in direct_heavy and name != module)
        if reached:
            path = paths[reached[0][1]]
            found[f"{module} => torch"] = "loads torch/transformers via " + " -> ".join(path)
    return found


def _is_allowed_for_chapter(target: str, chapter: str) -> bool:
    """Whether chapter ``chapter`` (its package or its notebook) may import the dotted name ``target``."""
    parts = target.split(".")
    if parts[0] != ROOT_PACKAGE:
        return True  # the standard library or a third-party package
    if len(parts) > 1 and parts[1] in LOWER_LAYERS:
        return True
    if target in SHARED_EXPERIMENT_MODULES:
        return True
    return len(parts) > 2 and parts[1] == "experiments" and parts[2] == chapter


def _chapter_of(module: str, chapters: frozenset[str] = CHAPTERS) -> str | None:
    parts = module.split(".")
    if len(parts) > 2 and parts[1] == "experiments" and parts[2] in chapters:
        return parts[2]
    return None


def _chapter_imports(imports: dict[str, list[tuple[str, bool]]], chapters: frozenset[str] = CHAPTERS) -> dict[str, str]:
    """Chapter-package modules importing another chapter or an experiments module beyond the shared ones.

    ``imports``: module -> [(imported dotted name, lazy)], as :func:`_imports` gives it (function-level
    imports count too: they run when the function does).
    """
    found = {}
    for module, names in imports.items():
        chapter = _chapter_of(module, chapters)
        if chapter is None:
            continue
        for name, lazy in names:
            if not _is_allowed_for_chapter(name, chapter):
                where = "in a function" if lazy else "at module level"
                found.setdefault(f"{module} -> {name}", f"chapter {chapter} imports {name} {where}")
    return found


def _notebook_code(notebook_json: str) -> str:
    """The code cells of a notebook as one module: ``%``/``!`` magic lines become ``pass`` (same indent)."""
    cells = []
    for cell in json.loads(notebook_json)["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        lines = source.splitlines()
        if lines and lines[0].lstrip().startswith("%%"):
            lines = lines[1:]  # a cell magic: the rest of the cell is the code it runs
        cells.append(
            "\n".join(
                line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
                for line in lines
            )
        )
    return "\n\n".join(cells) + "\n"


def _notebook_imports(notebooks: dict[str, str], chapters: frozenset[str] = CHAPTERS) -> dict[str, str]:
    """Notebooks importing another chapter, the report, the command line or an experiments module
    beyond the shared ones. ``notebooks``: chapter name -> the notebook's JSON text."""
    found = {}
    for chapter, notebook_json in sorted(notebooks.items()):
        tree = ast.parse(_notebook_code(notebook_json), f"notebooks/{chapter}.ipynb")
        for node, _ in _collect_imports(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                target = _internal(name) or name
                if not _is_allowed_for_chapter(target, chapter):
                    found.setdefault(
                        f"notebooks/{chapter}.ipynb -> {target}",
                        f"imports {target} (allowed: helpers.experiments.{chapter}, "
                        f"helpers.experiments.{{config,evaluation,registry}}, {', '.join(LOWER_LAYERS)})",
                    )
    return found


def _experiment_notebooks() -> dict[str, str]:
    return {chapter: (NOTEBOOKS / f"{chapter}.ipynb").read_text(encoding="utf-8") for chapter in sorted(CHAPTERS)}


def _docstring_only(module: str) -> bool:
    """A module whose body is at most a docstring (nothing to hash, nothing that runs)."""
    body = ast.parse(_modules()[module].read_text(encoding="utf-8")).body
    return all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)


def _affects_scores(module: str, docstring_only=_docstring_only) -> bool:
    if module in NOT_SCORE_CODE or any(
        module.startswith(prefix + ".") for prefix in NOT_SCORE_CODE if prefix != ROOT_PACKAGE
    ):  # the root entry is the root module alone
        return False
    return not docstring_only(module)


def _import_closure(start: str, edges: dict[str, set[str]]) -> set[str]:
    """``start`` and every ``helpers`` module it imports, transitively (function-level imports and the
    packages whose ``__init__`` runs on the way included)."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts)) if ".".join(parts[:i]) in edges]
        todo += sorted(edges.get(module, ()))
    return seen


def _uncovered_score_modules(
    start: str, covered: set[str], edges: dict[str, set[str]], docstring_only=_docstring_only
) -> list[str]:
    """Modules of ``start``'s import closure that can change a score but no code glob matches (sorted)."""
    closure = _import_closure(start, edges)
    return sorted(m for m in closure if m not in covered and _affects_scores(m, docstring_only))


def _fill_job_modules(experiment) -> list[str]:
    """The module(s) whose functions the workers run for an experiment's fill jobs on the ci profile
    (each job names its ``"module:function"``; the experiment object's own ``fill_jobs`` only builds them)."""
    from helpers.experiments.config import load_profile

    if experiment.fill_jobs is None:
        return []
    return sorted({job.function.split(":")[0] for job in experiment.fill_jobs(load_profile("ci"))})


def _code_version_gaps() -> dict[str, str]:
    """Per experiment with fill jobs, the score-affecting modules its ``code`` globs miss."""
    from helpers.experiments.registry import EXPERIMENTS  # light: paths and provenance only
    from helpers.infra.provenance import PACKAGE_DIR, code_files

    edges = _internal_edges(include_lazy=True)
    found = {}
    for experiment in EXPERIMENTS.values():
        starts = _fill_job_modules(experiment)
        if not starts:
            continue
        package_dir = Path(PACKAGE_DIR).resolve()
        files = code_files(tuple(experiment.code), package_dir) if experiment.code else []
        covered = {_module_name(SRC / ROOT_PACKAGE / path.relative_to(package_dir)) for path in files}
        for start in starts:
            for module in _uncovered_score_modules(start, covered, edges):
                found.setdefault(
                    f"{experiment.name}: {module}",
                    f"imported (transitively) by its fill jobs in {start} but matched by none of its "
                    f"code globs {tuple(experiment.code)}: an edit there would not recompute its results",
                )
    return found


# --------------------------------------------------------------------------- the tests


def test_the_tree_is_found():
    modules = _modules()
    assert "helpers.cli" in modules and "helpers.analysis.metrics" in modules, sorted(modules)[:10]
    assert all(_layer(module) in LAYER_RANK for module in modules), sorted(
        module for module in modules if _layer(module) not in LAYER_RANK
    )


def test_modules_are_at_most_400_lines():
    offenders = _report("lines", _long_modules())
    assert not offenders, "modules over the line limit (split them by purpose):\n" + "\n".join(offenders)


def test_no_import_cycles():
    offenders = _report("cycle", _cycles())
    assert not offenders, "import cycles:\n" + "\n".join(offenders)


def test_no_imports_from_a_higher_layer():
    offenders = _report("layer", _upward_imports())
    assert not offenders, (
        "imports from a layer above (cli > report > experiments > analysis > core > infra, render):\n"
        + "\n".join(offenders)
    )


def test_light_modules_do_not_import_torch_or_transformers():
    offenders = _report("heavy", _heavy_imports())
    assert not offenders, (
        "analysis, render, infra and experiments/*/{views,charts} must not import torch or transformers:\n"
        + "\n".join(offenders)
    )


def test_light_modules_do_not_load_torch_through_helpers():
    offenders = _report("heavy-transitive", _loads_heavy_transitively())
    assert not offenders, "light modules that load torch through a module-level helpers import:\n" + "\n".join(
        offenders
    )


def test_known_violations_are_current():
    current = {
        "lines": _long_modules(),
        "cycle": _cycles(),
        "layer": _upward_imports(),
        "heavy": _heavy_imports(),
        "heavy-transitive": _loads_heavy_transitively(),
        "chapter": _chapter_imports(_imports()),
        "notebook": _notebook_imports(_experiment_notebooks()),
        "code-version": _code_version_gaps(),
    }
    stale = [f"{check}: {subject}" for check, subject in KNOWN_VIOLATIONS if subject not in current.get(check, {})]
    assert not stale, "fixed (remove from KNOWN_VIOLATIONS in tests/test_architecture.py):\n" + "\n".join(stale)


def test_chapter_packages_import_only_shared_experiment_modules_and_lower_layers():
    assert {"scaling", "swap"} <= CHAPTERS, sorted(CHAPTERS)
    offenders = _report("chapter", _chapter_imports(_imports()))
    assert not offenders, (
        "a chapter package imports only itself, helpers.experiments.{registry,config,evaluation} and "
        "analysis/core/infra/render:\n" + "\n".join(offenders)
    )


def test_notebooks_import_only_their_own_chapter_and_lower_layers():
    notebooks = _experiment_notebooks()
    assert set(notebooks) == set(CHAPTERS)
    offenders = _report("notebook", _notebook_imports(notebooks))
    assert not offenders, "notebook imports outside its chapter and the layers below:\n" + "\n".join(offenders)


def test_code_version_rules_cover_the_import_closure_of_the_fill_jobs():
    offenders = _report("code-version", _code_version_gaps())
    assert not offenders, (
        "add a glob to the experiment's code rule in helpers/experiments/registry.py (or, for a module that "
        "cannot change a score, to NOT_SCORE_CODE here with the reason):\n" + "\n".join(offenders)
    )


# --------------------------------------------------------------------------- the checkers can fail


def test_the_chapter_rule_flags_another_chapter_and_another_experiments_module():
    imports = {
        "helpers.experiments.scaling.views": [
            ("helpers.experiments.swap.views", False),
            ("helpers.analysis.metrics", False),
            ("helpers.experiments.registry", True),
            ("helpers.experiments.scaling.display", False),
            ("pandas", False),
            ("helpers.experiments.ship", True),
            ("helpers.report.book", False),
        ],
        "helpers.experiments.ship": [("helpers.experiments.swap.compute", False)],  # not a chapter: not checked
    }
    found = _chapter_imports(imports, frozenset({"scaling", "swap"}))
    assert sorted(found) == [
        "helpers.experiments.scaling.views -> helpers.experiments.ship",
        "helpers.experiments.scaling.views -> helpers.experiments.swap.views",
        "helpers.experiments.scaling.views -> helpers.report.book",
    ]
    assert found["helpers.experiments.scaling.views -> helpers.experiments.ship"].endswith("in a function")


def test_the_notebook_rule_flags_other_chapters_and_skips_magics():
    cells = [
        {"cell_type": "markdown", "source": ["import helpers.report.book\n"]},  # prose, not code
        {
            "cell_type": "code",
            "source": [
                "%matplotlib inline\n",
                "!ls\n",
                "import numpy as np\n",
                "from helpers.experiments.scaling import changes\n",
            ],
        },
        {"cell_type": "code", "source": "if True:\n    %time x = 1\nfrom helpers.experiments import swap\n"},
        {
            "cell_type": "code",
            "source": [
                "%%time\n",
                "from helpers.analysis import metrics\n",
                "import helpers.experiments.task_contrast.views as tv\n",
            ],
        },
        {
            "cell_type": "code",
            "source": ["from helpers.experiments.registry import EXPERIMENTS\n", "from helpers.cli import main\n"],
        },
    ]
    notebook = json.dumps({"cells": cells})
    found = _notebook_imports({"scaling": notebook}, frozenset({"scaling", "swap", "task_contrast"}))
    assert sorted(found) == [
        "notebooks/scaling.ipynb -> helpers.cli",
        "notebooks/scaling.ipynb -> helpers.experiments.swap",
        "notebooks/scaling.ipynb -> helpers.experiments.task_contrast.views",
    ]


def test_the_code_version_rule_flags_an_unmatched_module_of_the_closure():
    edges = {
        "helpers": set(),
        "helpers.core": set(),
        "helpers.experiments": set(),
        "helpers.experiments.evaluation": {"helpers.core.scoring", "helpers.infra.paths"},
        "helpers.core.scoring": {"helpers.core.models", "helpers.render.plots"},
        "helpers.core.models": {"helpers.core.tokens"},  # reached in two steps
        "helpers.core.tokens": set(),
        "helpers.infra.paths": set(),
        "helpers.render.plots": set(),
    }
    docstring_only = {"helpers", "helpers.core", "helpers.experiments"}.__contains__
    covered = {"helpers.experiments.evaluation", "helpers.core.scoring", "helpers.core.models"}
    assert _import_closure("helpers.experiments.evaluation", edges) == set(edges)
    assert _uncovered_score_modules("helpers.experiments.evaluation", covered, edges, docstring_only) == [
        "helpers.core.tokens"
    ]  # infra and render are left out; package docstrings have no code
    assert (
        _uncovered_score_modules(
            "helpers.experiments.evaluation", covered | {"helpers.core.tokens"}, edges, docstring_only
        )
        == []
    )
