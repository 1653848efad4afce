"""The results store owns its on-disk layout: no module outside ``helpers.infra.store`` names shard
files, imports the store's layout modules, or globs, renames, replaces or moves a path that comes
from a store (``store.path(...)``, ``store.root``, or a name assigned from one)."""

from __future__ import annotations

import ast
import textwrap

from helpers.infra.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "src" / "helpers"
STORE = PACKAGE / "infra" / "store"
LAYOUT_MODULES = ("helpers.infra.store.shards", "helpers.infra.store.record")
PATH_OPERATIONS = {"glob", "rglob", "rename", "replace", "iterdir"}
MOVING_FUNCTIONS = {"move", "rmtree", "copytree", "rename", "replace"}  # shutil.* / os.*
STORE_MARKS = (".path(", ".root")


def _is_store_derived(node: ast.AST, derived: set[str]) -> bool:
    segment = ast.unparse(node)
    if any(mark in segment for mark in STORE_MARKS):
        return True
    return any(isinstance(name, ast.Name) and name.id in derived for name in ast.walk(node))


def layout_uses(source: str) -> list[str]:
    """Each place in ``source`` that touches the store's layout, as ``"line N: what"``."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "shard-" in node.value:
            found.append(f"line {node.lineno}: names shard files ({node.value!r})")
        if isinstance(node, ast.ImportFrom) and node.module in LAYOUT_MODULES:
            found.append(f"line {node.lineno}: imports {node.module}")
    for function in [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]:
        assignments = [node for node in ast.walk(function) if isinstance(node, ast.Assign)]
        derived: set[str] = set()
        while True:  # names assigned from a store path, or from such a name, until nothing new
            found_now = {
                target.id
                for node in assignments
                if _is_store_derived(node.value, derived)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            if found_now <= derived:
                break
            derived |= found_now
        for node in ast.walk(function):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            receiver, name = node.func.value, node.func.attr
            if name in PATH_OPERATIONS and _is_store_derived(receiver, derived):
                found.append(f"line {node.lineno}: .{name}() on a store path")
            if (
                isinstance(receiver, ast.Name)
                and receiver.id in {"shutil", "os"}
                and name in MOVING_FUNCTIONS
                and any(_is_store_derived(arg, derived) for arg in node.args)
            ):
                found.append(f"line {node.lineno}: {receiver.id}.{name}() of a store path")
    return found


def test_no_module_outside_the_store_touches_its_layout():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if STORE in path.parents:
            continue
        uses = layout_uses(path.read_text(encoding="utf-8"))
        if uses:
            offenders[str(path.relative_to(PACKAGE))] = uses
    assert not offenders, f"move these into helpers.infra.store as store operations: {offenders}"


def test_the_check_catches_what_seal_and_ship_used_to_do():
    """The shapes of the code this check replaced (experiments/seal.py and ship.py before the
    store offered seal and ship) are each found."""
    old = textwrap.dedent("""
        import shutil
        from pathlib import Path
        from helpers.infra.store.shards import plan_shards

        def shard_digests(directory):
            return {path.name: sha(path) for path in sorted(directory.glob("shard-*.parquet"))}

        def write_shipped(shipped, staging, key):
            target = shipped.path(key)
            old = target.with_name(target.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            if target.exists():
                target.rename(old)
            Path(staging.path(key)).rename(target)
            shutil.rmtree(staging.root, ignore_errors=True)
    """)
    uses = layout_uses(old)
    assert any("names shard files" in use for use in uses)
    assert any("imports helpers.infra.store.shards" in use for use in uses)
    assert sum(".rename() on a store path" in use for use in uses) == 2
    assert sum("shutil.rmtree() of a store path" in use for use in uses) == 2


def test_the_check_leaves_other_paths_alone():
    source = textwrap.dedent("""
        def data_fingerprint(path):
            target = Path(path)
            return sorted(target.rglob("*"))

        def write(temp, path):
            os.replace(temp, path)
    """)
    assert layout_uses(source) == []


def test_seal_and_ship_are_the_stores_operations():
    assert not (PACKAGE / "experiments" / "seal.py").exists()
    ship = ast.parse((PACKAGE / "experiments" / "ship.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(ship) if isinstance(node, ast.Import) for alias in node.names}
    assert not imported & {"shutil", "json", "os"}
