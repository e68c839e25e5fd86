"""Installed, the code is one import package: ``supportmail.tui``, ``.storage`` and ``.keymaps``.

The repository keeps ``tui/``, ``storage/`` and ``keymaps/`` at its top level; pyproject.toml maps
them under ``supportmail`` (setuptools' ``package-dir``) and lists every package. These tests keep
that list complete and check that no generic top-level name (``storage``, ``tui``) is installed.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("tui", "storage", "keymaps")
DATA_FOLDERS = ("storage.demo.data", "tui.styles")
"""Folders of data files (TOML, TCSS), listed as packages so setuptools ships them."""


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def _setuptools() -> dict[str, object]:
    tool = _pyproject()["tool"]
    assert isinstance(tool, dict)
    section = tool["setuptools"]
    assert isinstance(section, dict)
    return section


def test_every_package_folder_is_listed() -> None:
    on_disk = {
        "supportmail." + ".".join(init.parent.relative_to(ROOT).parts)
        for folder in FOLDERS
        for init in (ROOT / folder).rglob("__init__.py")
        if "__pycache__" not in init.parts
    } | {f"supportmail.{data}" for data in DATA_FOLDERS}
    listed = set(_setuptools()["packages"])  # type: ignore[call-overload]
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert listed - on_disk == set(), "these listed packages have no folder"


def test_the_folders_map_under_one_import_package() -> None:
    assert _setuptools()["package-dir"] == {f"supportmail.{name}": name for name in FOLDERS}
    scripts = _pyproject()["project"]["scripts"]  # type: ignore[index]
    assert scripts == {"supportmail": "supportmail.tui.launch:main"}


def test_no_generic_top_level_name_is_importable_outside_the_repository(tmp_path: Path) -> None:
    probe = (
        "import importlib.util, sys\n"
        "found = [n for n in ('storage', 'tui', 'keymaps') if importlib.util.find_spec(n)]\n"
        "import supportmail.storage.service, supportmail.tui.launch, supportmail.keymaps\n"
        "print(','.join(found))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_nothing_imports_the_folders_by_their_bare_names() -> None:
    """From the repository root ``tui`` would import a second copy of ``supportmail.tui``."""
    bare = re.compile(r"""^\s*["']?(from|import) (storage|tui|keymaps)\b""", re.M)
    offenders = [
        str(path.relative_to(ROOT))
        for folder in (*FOLDERS, "tests", "scripts")
        for path in (ROOT / folder).rglob("*.py")
        if bare.search(path.read_text("utf-8"))
    ]
    assert offenders == []


def test_every_module_says_what_it_holds_and_stays_small() -> None:
    """Issue 14's rule: each module opens with a docstring; none grows past 500 lines."""
    missing: list[str] = []
    large: dict[str, int] = {}
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text("utf-8")
            if not ast.get_docstring(ast.parse(text)):
                missing.append(str(path.relative_to(ROOT)))
            if (lines := text.count("\n")) > 500:
                large[str(path.relative_to(ROOT))] = lines
    assert missing == []
    assert large == {}
