"""The two packages' shape: the reader's library never imports the toolchain, no import cycle,
lazy imports are deliberate, dependencies are declared, and aebook's API is listed once."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import pytest

import aebook

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("aebook", "booktools")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, int, bool]]:
    """``(imported module, line, inside a function)`` for every import of ``name``'s file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.stem == "__init__" else name.rsplit(".", 1)[0]
    nested = {
        id(node)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(fn)
    }
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno, id(node) in nested) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
                if not node.module:  # from . import a, b
                    out += [
                        (f"{base}.{a.name}", node.lineno, id(node) in nested) for a in node.names
                    ]
                    continue
            else:
                target = node.module or ""
            out.append((target, node.lineno, id(node) in nested))
    return out


def _project_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target, _, _ in _imports(name, path):
            while target and target not in MODULES:
                target = target.rsplit(".", 1)[0] if "." in target else ""
            if target and target != name and target.split(".")[0] in PACKAGES:
                graph[name].add(target)
    return graph


def test_the_library_never_imports_the_toolchain() -> None:
    graph = _project_graph()
    wrong = {m: sorted(t for t in ts if t.startswith("booktools")) for m, ts in graph.items()}
    wrong = {m: ts for m, ts in wrong.items() if m.startswith("aebook") and ts}
    assert not wrong, f"the reader's library imports the toolchain: {wrong}"


def test_no_import_cycle() -> None:
    graph = _project_graph()
    graph = {m: {t for t in ts if t not in PACKAGES} for m, ts in graph.items()}  # __init__
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt) :] + [nxt] if nxt in trail else [node, nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_every_import_inside_a_function_says_why() -> None:
    """Imports belong at the top; one inside a function is deliberately lazy and says so."""
    unexplained = []
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for target, line, inside in _imports(name, path):
            if not inside:
                continue
            here, above = lines[line - 1], lines[line - 2]
            if "lazy" not in here and "lazy" not in above:
                unexplained.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not unexplained, "say why with a `# lazy: ...` comment:\n" + "\n".join(unexplained)


#: Imported by the library but not declared on purpose, and why.
UNDECLARED = {
    "tensorflow": "never a dependency: installing the library in Colab must not replace it",
    "IPython": "only inside a kernel, which brings it; outside, record() does nothing",
}
#: Import names that differ from the distribution's name.
DISTRIBUTIONS = {"sklearn": "scikit-learn", "PIL": "pillow", "yaml": "pyyaml"}


def _declared(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~ \[;]", r, maxsplit=1)[0].lower() for r in requirements}


def _third_party(package: str) -> set[str]:
    found = set()
    for name, path in MODULES.items():
        if name.split(".")[0] != package:
            continue
        for target, _, _ in _imports(name, path):
            top = target.split(".")[0]
            if top and top not in sys.stdlib_module_names and top not in PACKAGES:
                found.add(top)
    return found


def test_dependencies_are_declared() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    library = _declared(pyproject["project"]["dependencies"])
    toolchain = _declared(pyproject["dependency-groups"]["toolchain"])
    for package, declared in (("aebook", library), ("booktools", library | toolchain)):
        for module in sorted(_third_party(package)):
            if package == "aebook" and module in UNDECLARED:
                continue
            dist = DISTRIBUTIONS.get(module, module).lower()
            assert dist in declared, f"{package} imports {module}, not declared in pyproject"
    assert pyproject["tool"]["setuptools"]["packages"] == ["aebook"], (
        "the installed package (what the Colab cell installs) is the library alone"
    )


def test_the_api_is_listed_once() -> None:
    """``_API`` is the list; ``__all__`` follows from it, and the TYPE_CHECKING imports that
    type checkers read name exactly the same things."""
    api = aebook._API  # noqa: SLF001 - the list under test
    assert aebook.__all__ == ["__version__", *api]
    tree = ast.parse((ROOT / "aebook" / "__init__.py").read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.dump(n))
    typed = {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert typed == api, "the TYPE_CHECKING imports differ from _API"
    for name, module in api.items():
        assert getattr(aebook, name) is getattr(getattr(aebook, module), name)


# Where ``Any`` may appear besides a module-level alias that names a third-party boundary
# (``KerasModel = Any``, ``Json = Any``): each with the reason it cannot be narrower.
ANY_ALLOWED = {
    # PEP 562 module __getattr__ returns whichever public name is asked for
    ("aebook", "__getattr__"),
    # record()'s "not given" sentinel must fit both a str and a number parameter
    ("aebook.glue", "_MISSING"),
}


def _any_uses(path: Path) -> list[tuple[int, str]]:
    """``(line, where)`` for every use of ``Any`` outside a module-level alias definition."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    uses = []
    for top in tree.body:
        if isinstance(top, ast.ImportFrom):
            continue
        aliased = isinstance(top, ast.Assign) and all(isinstance(t, ast.Name) for t in top.targets)
        where = ""
        if isinstance(top, ast.FunctionDef | ast.ClassDef):
            where = top.name
        elif isinstance(top, ast.AnnAssign) and isinstance(top.target, ast.Name):
            where = top.target.id
        for node in ast.walk(top):
            if isinstance(node, ast.Name) and node.id == "Any" and not aliased:
                uses.append((node.lineno, where))
    return uses


def test_any_only_names_a_third_party_boundary() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} (in {where or 'module level'})"
        for name, path in MODULES.items()
        for line, where in _any_uses(path)
        if (name, where) not in ANY_ALLOWED
    ]
    assert not offenders, (
        "`Any` outside a boundary alias; give the precise type, or name the boundary with a "
        "module-level alias and a comment (see booktools/jsontypes.py):\n" + "\n".join(offenders)
    )


def test_the_any_check_sees_a_stray_any(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import Any\nOk = Any\n\n\ndef f(x: Any) -> int:\n    return 1\n",
        encoding="utf-8",
    )
    assert _any_uses(source) == [(5, "f")]
