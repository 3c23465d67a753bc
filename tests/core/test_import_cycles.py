"""spec2x's modules import each other without cycles (imports inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import spec2x

ROOT = Path(spec2x.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = ["spec2x", *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The innermost spec2x module that ``name`` (a module or a name in one) lives in."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _targets(module: str, is_package: bool, node: ast.AST, modules: dict[str, Path]) -> set[str]:
    """The spec2x modules one import statement loads (``from . import x``: the module x)."""
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".")[: None if is_package else -1]
            base = base[: len(base) - node.level + 1]
            source = ".".join([*base, *([node.module] if node.module else [])])
        else:
            source = node.module or ""
        names = [
            f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names
        ]
    found = {_known(n, modules) for n in names}
    return {m for m in found if m is not None and m != module}


def _is_type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
    return name == "TYPE_CHECKING"


def _import_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every import statement that can run: at top level, in functions; not under TYPE_CHECKING."""
    found, todo = [], [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        todo += [c for c in ast.iter_child_nodes(node) if not _is_type_checking(c)]
    return found


def import_graph() -> dict[str, set[str]]:
    """spec2x module -> the spec2x modules it imports (at top level or inside functions)."""
    modules = _modules()
    graph = {}
    for module, path in modules.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = set().union(
            *(_targets(module, is_package, node, modules) for node in _import_nodes(tree))
        )
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            nxt = next(edges, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycle_finder_sees_a_cycle_through_a_function_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_graph_counts_imports_inside_functions_not_typing_ones() -> None:
    graph = import_graph()
    # spec2x/__init__.py imports its public names under TYPE_CHECKING only (lazily at run time)
    assert "spec2x.pipeline" not in graph["spec2x"]
    # spec2x.io.info imports spec2x.slits inside a function only
    assert "spec2x.slits" in graph["spec2x.io.info"]
    assert "spec2x.io.fits_products" in graph["spec2x.io.fits"]


def test_no_import_cycles_in_spec2x() -> None:
    assert cycles(import_graph()) == []
