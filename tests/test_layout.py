"""The package's shape: no import cycles, no module using another module's private names.

The layout tests read the source with :mod:`ast` (nothing is imported), so they are fast
and offline; the type-hint tests at the end import the package. Every ``import`` counts,
also those inside functions: a lazy import hides a cycle from Python but not from a reader.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import typing
from pathlib import Path

import click

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


# ------------------------------------------------------------------ type hints
# These import the package (the tests above do not): a hint is checked the way a type
# checker or an IDE reads it, names imported under ``if TYPE_CHECKING:`` included.

SKIPPED_PARAMETERS = {"self", "cls"}


def _signatures(obj, name):
    """``(qualified name, function)`` for a function, or a class's own public methods,
    ``__init__`` and properties (inherited ones are checked where they are defined).
    """
    if inspect.isfunction(obj):
        yield name, obj
    elif inspect.isclass(obj):
        for attr, member in vars(obj).items():
            if attr.startswith("_") and attr != "__init__":
                continue
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            elif isinstance(member, property):
                member = member.fget
            if inspect.isfunction(member):
                yield f"{name}.{attr}", member


def _missing_hints(function) -> list[str]:
    signature = inspect.signature(function)
    missing = [
        p.name for p in signature.parameters.values()
        if p.name not in SKIPPED_PARAMETERS
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        and p.annotation is p.empty
    ]
    if signature.return_annotation is signature.empty:
        missing.append("return")
    return missing


@functools.cache
def _type_checking_names(module_name: str) -> dict:
    """The names a module imports under ``if TYPE_CHECKING:`` (absent at run time)."""
    module = importlib.import_module(module_name)
    tree = ast.parse(inspect.getsource(module))
    names: dict = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
                "TYPE_CHECKING", "typing.TYPE_CHECKING"):
            exec(compile(ast.Module(body=node.body, type_ignores=[]),  # noqa: S102
                         module.__file__, "exec"), names)
    names.pop("__builtins__", None)
    return names


#: The namespaces the names not at the top level are used from, one a stage.
STAGE_NAMESPACES = ("frontline.io", "frontline.viz", "frontline.compare",
                    "frontline.boundaries", "frontline.sources.archive")


def _public_api():
    import frontline

    for name in frontline.__all__:
        yield from _signatures(getattr(frontline, name), name)
    for module_name in STAGE_NAMESPACES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            yield from _signatures(getattr(module, name), f"{module_name}.{name}")


def test_the_top_level_api_is_small_and_sorted():
    import frontline

    assert len(frontline.__all__) <= 32
    assert frontline.__all__ == sorted(frontline.__all__)
    assert len(set(frontline.__all__)) == len(frontline.__all__)
    for name in frontline.__all__:
        assert hasattr(frontline, name), name
    assert {"load", "change", "monthly_gains", "History", "FrontlineError"} <= set(
        frontline.__all__)


def test_the_stage_namespaces_export_what_left_the_top_level():
    import frontline

    moved = {
        "frontline.io": ["read_area_table", "read_deepstate", "read_isw_geojson",
                         "read_isw_zip", "read_topojson"],
        "frontline.viz": ["explore_layers", "plot_axis_series", "plot_monthly_gains",
                          "plot_pokrovsk", "plot_source_comparison",
                          "plot_source_difference", "plot_totals"],
        "frontline.compare": ["axis_series", "compare_sources", "controlled_totals",
                              "held_by_date", "map_snapshots", "reproduce_published",
                              "source_difference", "source_differences"],
        "frontline.boundaries": ["area_from_spec", "find_town", "find_unit", "load_towns",
                                 "load_ukraine", "load_units"],
        "frontline.sources.archive": ["import_paths"],
    }
    assert set(moved) == set(STAGE_NAMESPACES)
    for module_name, names in moved.items():
        module = importlib.import_module(module_name)
        assert set(names) <= set(module.__all__), module_name
        for name in names:
            assert callable(getattr(module, name)), f"{module_name}.{name}"
            assert name not in frontline.__all__
    for package in ("frontline.io", "frontline.viz"):
        exported = importlib.import_module(package).__all__
        assert exported == sorted(exported), package


def _module_apis():
    """Every function and class in the ``__all__`` of every module but the CLI's (its
    commands are click callbacks: :func:`_cli_callbacks` checks them).
    """
    for module_name in MODULES:
        if module_name.startswith("frontline.cli") or module_name == "frontline":
            continue
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if getattr(obj, "__module__", None) == module_name:
                yield from _signatures(obj, f"{module_name}.{name}")


def _check_hints(functions) -> list[str]:
    problems = []
    for qualname, function in functions:
        missing = _missing_hints(function)
        if missing:
            problems.append(f"{qualname}: no hint on {', '.join(missing)}")
            continue
        try:
            typing.get_type_hints(function,
                                  localns=_type_checking_names(function.__module__))
        except Exception as err:  # noqa: BLE001 - any failure to resolve is the finding
            problems.append(f"{qualname}: hints do not resolve ({type(err).__name__}: {err})")
    return problems


def test_every_public_name_has_type_hints():
    functions = list(_public_api())
    names = {q for q, _ in functions}
    # the walk reaches functions, methods, properties and classmethods
    assert {"load", "change", "History.union", "History.sources", "History.from_frame",
            "Change.to_frame", "frontline.viz.plot_pokrovsk",
            "frontline.io.read_isw_zip"} <= names
    problems = _check_hints(functions)
    assert not problems, "public signatures without type hints:\n" + "\n".join(problems)


def test_every_module_api_has_type_hints():
    functions = list(_module_apis())
    assert len(functions) > 100
    problems = _check_hints(functions)
    assert not problems, "module API signatures without type hints:\n" + "\n".join(problems)


def test_hint_check_finds_a_missing_or_broken_hint():
    def unhinted(history, /, *, source: str = "isw"):
        return source

    def broken(history: NoSuchType) -> None:  # noqa: F821 - the name is the point
        return None

    def hinted(self, history: str, *args: int, **kwargs: str) -> None:
        return None

    assert _missing_hints(unhinted) == ["history", "return"]
    assert _missing_hints(hinted) == []
    problems = _check_hints([("unhinted", unhinted), ("broken", broken), ("hinted", hinted)])
    assert problems[0] == "unhinted: no hint on history, return"
    assert problems[1].startswith("broken: hints do not resolve (NameError")
    assert len(problems) == 2


# ------------------------------------------------------------------ CLI callbacks


def _cli_commands(command, path="frontline"):
    """``(command path, click command)`` for the group and every command below it."""
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _cli_commands(sub, f"{path} {name}")


def _click_hint(param, value) -> str:
    """The hint for what click hands a callback for ``param`` (``value``: what it hands
    with nothing on the command line)."""
    if getattr(param, "multiple", False) or param.nargs == -1:
        return "tuple[str, ...]"
    base = {"integer": "int", "integer range": "int", "float": "float",
            "float range": "float", "boolean": "bool"}.get(param.type.name, "str")
    return base if value is not None or param.required else f"{base} | None"


def _cli_hint_problems(commands) -> list[str]:
    """Every callback whose hints are missing or do not resolve (:func:`_check_hints`),
    or say other than what click hands it (``ctx``: ``click.Context``; returns ``None``).
    """
    callbacks = [(path, c.callback) for path, c in commands if c.callback is not None]
    problems = _check_hints(callbacks)
    for path, command in commands:
        if command.callback is None:
            continue
        given = command.make_context(path, [], resilient_parsing=True).params
        params = {p.name: p for p in command.params}
        signature = inspect.signature(command.callback)  # through the decorators' wrappers
        for name, parameter in signature.parameters.items():
            expected = ("click.Context" if name == "ctx" else
                        _click_hint(params[name], given[name]) if name in params else None)
            hint = parameter.annotation
            if hint is not parameter.empty and expected is not None and hint != expected:
                problems.append(f"{path}: {name} is {hint}, click gives {expected}")
        if signature.return_annotation not in ("None", signature.empty):
            problems.append(f"{path}: returns {signature.return_annotation}, not None")
    return problems


def test_every_cli_callback_has_type_hints():
    from frontline.cli import cli

    commands = list(_cli_commands(cli))
    callbacks = [(path, c.callback) for path, c in commands if c.callback is not None]
    assert len(callbacks) == len(commands) > 20
    # every command of every module in frontline/cli, and the group itself
    assert {"frontline", "frontline monthly", "frontline snapshot isw", "frontline charts",
            "frontline cache status", "frontline units"} <= {p for p, _ in callbacks}
    assert {inspect.unwrap(f).__module__ for _, f in callbacks} == {
        m for m in MODULES if m.startswith("frontline.cli.")}
    problems = _cli_hint_problems(commands)
    assert not problems, "CLI callbacks without the right hints:\n" + "\n".join(problems)


def test_cli_hint_check_finds_a_missing_or_wrong_hint():
    @click.command()
    @click.option("--date", default=None)
    @click.option("--days", type=click.IntRange(0), default=3)
    @click.option("--flag", is_flag=True)
    @click.option("--name", "names", multiple=True)
    @click.pass_context
    def good(ctx: click.Context, date: str | None, days: int, flag: bool,
             names: tuple[str, ...]) -> None:
        pass

    @click.command()
    @click.option("--days", type=click.IntRange(0), default=3)
    @click.pass_context
    def unhinted(ctx, days: int):
        pass

    @click.command()
    @click.option("--date", default=None)
    @click.option("--days", type=click.IntRange(0), default=3)
    @click.option("--name", "names", multiple=True)
    @click.pass_context
    def wrong(ctx: click.Context, date: str, days: str, names: str) -> bool:
        return True

    assert _cli_hint_problems([("good", good)]) == []
    assert _cli_hint_problems([("unhinted", unhinted)]) == ["unhinted: no hint on ctx, return"]
    assert _cli_hint_problems([("wrong", wrong)]) == [
        "wrong: date is str, click gives str | None", "wrong: days is str, click gives int",
        "wrong: names is str, click gives tuple[str, ...]", "wrong: returns bool, not None"]
