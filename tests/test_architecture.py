"""The folders are the architecture: core imports no UI and no AWS SDK; sources import no UI."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import flowtui

PACKAGE_ROOT = Path(flowtui.__file__).parent
FORBIDDEN = {
    "core": {"textual", "rich", "boto3", "botocore", "flowtui.ui", "flowtui.sources"},
    "sources": {"textual", "rich", "flowtui.ui"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _violations(folder: str) -> list[str]:
    found = []
    for path in sorted((PACKAGE_ROOT / folder).rglob("*.py")):
        for name in _imports(path):
            for banned in FORBIDDEN[folder]:
                if name == banned or name.startswith(banned + "."):
                    found.append(f"{path.relative_to(PACKAGE_ROOT)} imports {name}")
    return found


def test_core_imports_neither_ui_nor_aws_sdk() -> None:
    assert _violations("core") == []


def test_sources_import_no_ui() -> None:
    assert _violations("sources") == []


def test_importing_all_of_core_loads_no_ui_or_sdk_at_runtime() -> None:
    modules = [
        f"flowtui.core.{info.name}" for info in pkgutil.iter_modules([str(PACKAGE_ROOT / "core")])
    ]
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'textual', 'rich', 'boto3', 'botocore'})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolved_imports(path: Path, known: set[str]) -> set[str]:
    """Every flowtui module `path` imports, relative or absolute, at any depth of the file.

    Imports under `if TYPE_CHECKING:` count too: a cycle hidden from the interpreter is still
    a cycle for the reader.
    """
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                if candidate in known:
                    found.add(candidate)
                elif base in known:
                    found.add(base)
    found.discard(name)
    return found


def _import_cycles() -> list[list[str]]:
    """Strongly connected components of more than one module in flowtui's import graph."""
    paths = {_module_name(path): path for path in PACKAGE_ROOT.rglob("*.py")}
    graph = {name: _resolved_imports(path, set(paths)) for name, path in paths.items()}
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        for target in graph[node]:
            if target not in order:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], order[target])
        if low[node] == order[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(graph):
        if name not in order:
            visit(name)
    return cycles


def test_no_import_cycles_anywhere_in_flowtui() -> None:
    assert _import_cycles() == []


def test_the_cycle_check_sees_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "flowtui"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from flowtui import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from flowtui.a import x\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE_ROOT", package)
    assert _import_cycles() == [["flowtui.a", "flowtui.b"]]


LONG_MODULE_LINES = 600


def test_long_modules_say_why_they_are_long() -> None:
    """A module past 600 lines states why in its docstring ("Why one module: ...")."""
    unexplained = []
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        text = path.read_text()
        if text.count("\n") > LONG_MODULE_LINES:
            docstring = ast.get_docstring(ast.parse(text)) or ""
            if "Why one module:" not in docstring:
                unexplained.append(str(path.relative_to(PACKAGE_ROOT)))
    assert unexplained == []


def test_product_package_holds_no_test_data() -> None:
    names = {path.stem for path in PACKAGE_ROOT.rglob("*.py")}
    assert not names & {"sample_data", "screenshots", "fixtures"}
