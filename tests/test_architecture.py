"""The folders are the architecture: core imports no UI and no AWS SDK; sources import no UI."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

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
