"""The layers point one way: cli -> pipeline -> feature packages -> store -> models/errors.

SQL is written only in slr/store/; no module imports another that (directly or not) imports it
back; protocol/ and store/ import no feature package; only cli/ imports click; an import inside a
function says why it is there.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parent.parent / "slr"
SQL_METHODS = {"execute", "executemany", "executescript"}
# What each lower layer may import from slr (besides itself).
ALLOWED = {
    "models": set(),
    "errors": set(),
    "cells": set(),
    "normalize": {"models", "errors"},
    "protocol": {"models", "errors", "normalize"},
    "store": {"models", "errors", "__init__"},
    # full texts: read, matched and attached through the store and the one status resolver
    "fulltext": {"models", "errors", "normalize", "protocol", "store", "screening"},
}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = modules()


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imported(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The slr modules an import statement names."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".")
            if MODULES[module].name != "__init__.py":
                package = package[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, base] if base else package)
        names = [base] + [f"{base}.{alias.name}" for alias in node.names]
    found = []
    for name in names:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name.startswith("slr"):
            found.append(name)
    return found


def statements(module: str) -> list[tuple[ast.AST, bool]]:
    """Every import statement of a module, and whether it sits inside a function."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    inner = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
    }
    return [
        (node, id(node) in inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]


def test_sql_is_written_only_in_the_store() -> None:
    offenders = []
    for module, path in MODULES.items():
        if layer(module) == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_METHODS
            ):
                offenders.append(f"{module}:{node.lineno}")
    assert offenders == []


def test_no_import_cycles() -> None:
    graph = nx.DiGraph()
    for module in MODULES:
        graph.add_node(module)
        for node, _inner in statements(module):
            for target in imported(module, node):  # type: ignore[arg-type]
                # a package's __init__ re-exporting its own modules is not a cycle
                if target != module and not module.startswith(f"{target}."):
                    graph.add_edge(module, target)
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == []


def test_lower_layers_import_no_feature_package() -> None:
    offenders = []
    for module in MODULES:
        allowed = ALLOWED.get(layer(module))
        if allowed is None:
            continue
        for node, _inner in statements(module):
            for target in imported(module, node):  # type: ignore[arg-type]
                if layer(target) not in allowed | {layer(module)}:
                    offenders.append(f"{module} imports {target}")
    assert offenders == []


def test_only_the_cli_imports_click() -> None:
    offenders = [
        f"{module}:{node.lineno}"
        for module in MODULES
        if layer(module) != "cli"
        for node, _inner in statements(module)
        if any(
            alias.name.split(".")[0] == "click"
            for alias in getattr(node, "names", [])
            if isinstance(node, ast.Import)
        )
        or (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "click")
    ]
    assert offenders == []


def test_an_import_inside_a_function_says_why() -> None:
    silent = []
    for module, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node, inner in statements(module):
            if not inner:
                continue
            number = node.lineno - 1  # type: ignore[attr-defined]
            line = lines[number]
            # a comment on the line, or above the block of imports it belongs to
            while "#" not in lines[number] and lines[number - 1].strip().startswith(
                ("import ", "from ")
            ):
                number -= 1
            if "#" not in lines[number] and not lines[number - 1].strip().startswith("#"):
                silent.append(f"{module}:{node.lineno}: {line.strip()}")  # type: ignore[attr-defined]
    assert silent == []
