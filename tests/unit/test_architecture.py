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


# Underscored names of third-party objects that our code reaches on purpose, per file: each one
# is the library's internals, used where no public API does the job. Nothing else may be added
# without saying why here.
THIRD_PARTY_PRIVATE = {
    # The IMAP layer runs commands on imaplib's command layer under IMAPClient (IMAPClient cannot
    # express ``1:*`` and its parser is slow for bulk FETCH; see storage/imap/__init__.py):
    # ``IMAPClient._imap`` is that ``imaplib.IMAP4``; ``_command``/``_command_complete`` send a
    # command and wait for its tagged reply, ``_get_line`` reads one line (IDLE),
    # ``_new_tag``/``_get_response`` send a literal by hand (SETMETADATA).
    "storage/imap/core.py": {"_imap", "_command_complete"},
    "storage/imap/login.py": {"_imap"},
    "storage/imap/fetch.py": {"_command"},
    "storage/imap/idle.py": {"_get_line"},
    "storage/imap/metadata.py": {"_new_tag", "_get_response", "_command_complete"},
    # Textual: a key typed ahead goes to the widget focused now (``Widget._forward_event``, how
    # Textual itself hands an event to a widget; there is no public call that queues a key event
    # on another widget).
    "tui/app.py": {"_forward_event"},
}
# Not reached through another object, so not checked here: the Textual handlers our widgets
# override with Textual's own underscored names (``NoteEditor._on_key``/``_on_blur`` over
# TextArea's, ``ThreadList._on_focus``/``_on_blur``/``_on_click`` over Widget's) and
# ``NoteEditor._on_text_area_changed`` (Textual dispatches ``_on_<message>`` like ``on_<message>``).


def _is_self(node: ast.expr) -> bool:
    """``self``, ``cls`` or ``super()``: a class's own (or its family's) members."""
    if isinstance(node, ast.Name):
        return node.id in ("self", "cls")
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
    )


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


class _PrivateReach(ast.NodeVisitor):
    """``x._name`` where ``x`` is not ``self``/``cls``/``super()`` and no enclosing class defines
    ``_name`` (another instance of the same class may be reached), and imports of another
    module's ``_name`` (or of a private module)."""

    def __init__(self, allowed: set[str]) -> None:
        self.found: list[str] = []
        self._allowed = allowed
        self._owned: list[set[str]] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        owned = {n.name for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        owned |= {
            t.id
            for n in node.body
            for t in (n.targets if isinstance(n, ast.Assign) else [getattr(n, "target", None)])
            if isinstance(t, ast.Name)
        }
        owned |= {  # attributes its methods set on self
            n.attr
            for n in ast.walk(node)
            if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) and _is_self(n.value)
        }
        self._owned.append(owned)
        self.generic_visit(node)
        self._owned.pop()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if (
            _private(node.attr)
            and not _is_self(node.value)
            and not any(node.attr in owned for owned in self._owned)
            and node.attr not in self._allowed
        ):
            self.found.append(f"{node.lineno}: {ast.unparse(node)}")
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        if any(_private(part) for part in module.split(".") if part):
            self.found.append(f"{node.lineno}: from {module} import ...")
        for alias in node.names:
            if _private(alias.name):
                self.found.append(f"{node.lineno}: from {module} import {alias.name}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if any(_private(part) for part in alias.name.split(".")):
                self.found.append(f"{node.lineno}: import {alias.name}")


def test_modules_use_only_public_names_of_each_other() -> None:
    """A module uses another module's (or another class's) names only when they are public:
    storage, tui and keymaps never import an underscored name and never reach ``x._name`` of an
    object that is not their own class's (docs/architecture.md, "Public names"). The service's
    parts call only the public methods of ``Service``; the catalog sync calls ``ImapConnection``'s
    public operations; the mime modules share public helpers. Third-party internals: the
    commented ``THIRD_PARTY_PRIVATE`` above."""
    offenders = {}
    for package in ("storage", "tui", "keymaps"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            visitor = _PrivateReach(THIRD_PARTY_PRIVATE.get(name, set()))
            visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=name))
            if visitor.found:
                offenders[name] = visitor.found
    assert offenders == {}
    assert all((ROOT / name).is_file() for name in THIRD_PARTY_PRIVATE)
