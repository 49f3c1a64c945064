"""The house rules of the package, checked on its source (nothing is imported or run).

- Arrows point one way: a module imports only from its own part of the package
  or from parts below it in the data flow (``LAYERS``), and no set of modules
  imports each other in a cycle.
- Imports of the package's own modules sit at the top of a module (a
  function-local import would hide an arrow from readers and from this test).
- No module imports another module's private (``_name``) names.
- No module over 800 lines, no function over 100.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "automata_probe"
#: The parts of the package in data-flow order (DESIGN.md); each may import the ones before it.
LAYERS = ("errors", "_version", "_lazy", "progress", "automata", "algebra", "data", "models", "probing", "extraction", "compare",
          "experiments", "viz", "cli")
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 100


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _target(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not MODULES[module].name == "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str) -> list[tuple[str, ast.ImportFrom | ast.Import, bool]]:
    """(imported package module, node, at the top) for each import of the package's own modules."""
    tree = ast.parse(MODULES[module].read_text())
    top = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = _target(module, node)
            names = [f"{base}.{a.name}" for a in node.names]
            targets = [n for n in names if n in MODULES] or ([base] if base in MODULES else [])
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names if a.name in MODULES]
        else:
            continue
        for t in targets:
            if t.split(".")[0] == "automata_probe":
                found.append((t, node, id(node) in top))
    return found


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return len(LAYERS)  # the package root re-exports; nothing inside imports it
    return LAYERS.index(parts[1])


def test_every_part_of_the_package_has_a_layer():
    assert {m.split(".")[1] for m in MODULES if m.count(".") >= 1} <= set(LAYERS) | {"__main__"}


def test_arrows_point_down_the_data_flow():
    upward = [
        f"{m} -> {t}"
        for m in MODULES
        for t, _, _ in _imports(m)
        if _layer(t) > _layer(m)
    ]
    assert upward == []


def test_no_import_cycle():
    graph = {m: {t for t, _, _ in _imports(m) if t != m} for m in MODULES}
    # a package's __init__ re-exports its modules: an edge from a module to
    # its own package is one to the names it re-exports, so follow it
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycles.append(path[path.index(t):] + [t] if t in path else [m, t])
            elif t not in state:
                visit(t, path + [t])
        state[m] = 2

    for m in sorted(MODULES):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_package_imports_sit_at_the_top_of_a_module():
    local = [f"{m}: line {node.lineno} imports {t}" for m in MODULES for t, node, top in _imports(m) if not top]
    assert local == []


def test_no_module_imports_another_modules_private_names():
    private = []
    for m in MODULES:
        for t, node, _ in _imports(m):
            if isinstance(node, ast.ImportFrom) and t != m:
                private += [f"{m} imports {a.name} from {t}" for a in node.names if a.name.startswith("_")
                            and a.name not in ("__version__",)]
    assert private == []


def test_modules_and_functions_are_short():
    long = []
    for m, path in MODULES.items():
        text = path.read_text()
        n = text.count("\n")
        if n > MAX_MODULE_LINES:
            long.append(f"{m}: {n} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = node.end_lineno - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    long.append(f"{m}.{node.name}: {size} lines")
    assert long == []
