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

Violations that exist and belong to someone else's files are listed in
:data:`KNOWN_VIOLATIONS`, each with a reason; the owner removes the entry with the fix (an entry
that no longer matches anything fails :func:`test_known_violations_are_current`).
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT_PACKAGE = "helpers"
MAX_LINES = 400
LAYER_RANK = {"cli": 5, "report": 4, "experiments": 3, "analysis": 2, "core": 1, "infra": 0, "render": 0}
TOP_MODULES = {"helpers", "helpers.__main__", "helpers.cli"}  # the cli layer
HEAVY = {"torch", "transformers"}
LIGHT_LAYERS = {"analysis", "render", "infra"}
LIGHT_EXPERIMENT_MODULES = {"views", "charts"}  # helpers.experiments.<name>.<views|charts>

LINE_EXCEPTIONS: dict[str, str] = {}
"""Modules that truly cannot be split, module -> reason (none so far)."""

KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}
"""Current violations in files this test's author does not own: (check, subject) -> reason."""


# --------------------------------------------------------------------------- reading the tree


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@lru_cache(maxsize=None)
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


@lru_cache(maxsize=None)
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
    return [f"{subject}: {detail}" for subject, detail in sorted(violations.items())
            if (check, subject) not in KNOWN_VIOLATIONS]


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
    direct_heavy = {module for module, names in _imports().items()
                    if any(name.split(".")[0] in HEAVY and not lazy for name, lazy in names)}
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


# --------------------------------------------------------------------------- the tests


def test_the_tree_is_found():
    modules = _modules()
    assert "helpers.cli" in modules and "helpers.analysis.metrics" in modules, sorted(modules)[:10]
    assert all(_layer(module) in LAYER_RANK for module in modules), sorted(
        module for module in modules if _layer(module) not in LAYER_RANK)


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
        offenders)


def test_known_violations_are_current():
    current = {
        "lines": _long_modules(), "cycle": _cycles(), "layer": _upward_imports(),
        "heavy": _heavy_imports(), "heavy-transitive": _loads_heavy_transitively(),
    }
    stale = [f"{check}: {subject}" for check, subject in KNOWN_VIOLATIONS
             if subject not in current.get(check, {})]
    assert not stale, "fixed (remove from KNOWN_VIOLATIONS in tests/test_architecture.py):\n" + "\n".join(stale)
