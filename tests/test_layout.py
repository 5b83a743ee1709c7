"""The package's shape: no import cycles, no module using another module's private names.

Both tests read the source with :mod:`ast` (nothing is imported), so they are fast and
offline. Every ``import`` counts, also those inside functions: a lazy import hides a
cycle from Python but not from a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "frontline"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    is_package = MODULES[module].name == "__init__.py"
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str):
    """(imported module, names taken from it) for every import in ``module``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "frontline":
                    yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            if target.split(".")[0] != "frontline":
                continue
            plain = []
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if submodule in MODULES:
                    yield submodule, []
                else:
                    plain.append(alias.name)
            if plain:
                yield target, plain


def _graph() -> dict[str, set[str]]:
    return {m: {t for t, _ in _imports(m) if t in MODULES and t != m} for m in MODULES}


def test_the_walk_sees_the_package():
    graph = _graph()
    assert {"frontline.history", "frontline.io.readers", "frontline.cli.main"} <= set(graph)
    assert "frontline.io.readers" in graph["frontline.history"]


def test_no_import_cycles():
    graph = _graph()
    cycles, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_no_module_imports_another_modules_private_names():
    crossings = []
    for module in MODULES:
        for target, names in _imports(module):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and target != module:
                crossings.append(f"{module} imports {', '.join(private)} from {target}")
        text = MODULES[module].read_text(encoding="utf-8")
        for other in MODULES:
            short = other.rsplit(".", 1)[-1]
            if other not in (module, "frontline") and f"{short}._" in text:
                for line in text.splitlines():
                    code = line.split("#")[0]
                    if f" {short}._" in code or f"({short}._" in code:
                        if f"{short}.__" not in code:
                            crossings.append(f"{module}: {line.strip()}")
    assert not crossings, "private names used across modules:\n" + "\n".join(crossings)
