"""The layer rule, enforced: storage is UI-free; the UI reaches mail and files only via the service.

Two guards: the import-linter contracts in pyproject.toml (run here and by `lint-imports` in the
test command), and an AST scan that also catches the stdlib `sqlite3` in the UI.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN_IN_TUI = {"imapclient", "tinydb", "sqlite3", "imaplib", "socket", "ssl"}
FORBIDDEN_IN_STORAGE = {"textual", "rich", "supportmail.tui"}


def _package(module: str) -> str:
    """The top-level name an import reaches: ``supportmail.tui`` for our own packages."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "supportmail" else parts[0]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(_package(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(_package(node.module))
    return found


def test_tui_never_imports_mail_or_file_backends() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & FORBIDDEN_IN_TUI)
        for p in (ROOT / "tui").rglob("*.py")
        if _imports(p) & FORBIDDEN_IN_TUI
    }
    assert offenders == {}


def test_storage_never_imports_the_ui() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & FORBIDDEN_IN_STORAGE)
        for p in (ROOT / "storage").rglob("*.py")
        if _imports(p) & FORBIDDEN_IN_STORAGE
    }
    assert offenders == {}


def test_import_linter_contracts_hold() -> None:
    exe = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(exe)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_the_tui_fakes_are_type_checked_against_the_service_api() -> None:
    """mypy (``[tool.mypy] files``) checks the TUI's test doubles and ``tests/tui/typecheck.py``,
    which holds them and ``Service`` to ``storage.service.api``: a fake cannot drift."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    checked = set(config["tool"]["mypy"]["files"])
    fakes = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "tests" / "tui").glob("*.py")
        if "fake" in p.stem or p.name == "typecheck.py"
    }
    assert "tests/tui/typecheck.py" in fakes and fakes <= checked
    text = (ROOT / "tests" / "tui" / "typecheck.py").read_text(encoding="utf-8")
    assert "-> ServiceApi" in text and "def fake_service(service: FakeService)" in text


class _PrivateReach(ast.NodeVisitor):
    """``x._name`` where ``x`` is not ``self``/``cls`` and no enclosing class defines ``_name``,
    and imports of another service module's ``_name``."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self._owned: list[set[str]] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        owned = {n.name for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        owned |= {
            t.id
            for n in node.body
            for t in (n.targets if isinstance(n, ast.Assign) else [getattr(n, "target", None)])
            if isinstance(t, ast.Name)
        }
        self._owned.append(owned)
        self.generic_visit(node)
        self._owned.pop()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        private = node.attr.startswith("_") and not node.attr.startswith("__")
        on_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
        if private and not on_self and not any(node.attr in owned for owned in self._owned):
            self.found.append(f"{node.lineno}: {ast.unparse(node)}")
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if (node.module or "").startswith("supportmail.storage.service"):
            for alias in node.names:
                if alias.name.startswith("_"):
                    self.found.append(f"{node.lineno}: import {node.module}.{alias.name}")


def test_service_parts_use_only_public_names_of_each_other() -> None:
    """A helper of the service (answering, drafting, delivery, tag_catalog, ...) calls only the
    public methods of ``Service`` and of the other parts (docs/architecture.md, "The service")."""
    offenders = {}
    for path in sorted((ROOT / "storage" / "service").glob("*.py")):
        visitor = _PrivateReach()
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if visitor.found:
            offenders[path.name] = visitor.found
    assert offenders == {}
