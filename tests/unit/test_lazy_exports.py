"""Packages that re-export their names lazily (``storage.lazy``): every exported name resolves
to what its module defines, and the terminal UI's start-up imports none of the IMAP stack or
the MIME body parser (the warm first screen needs neither; see docs/development.md)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types
from pathlib import Path

import pytest

from supportmail.storage.lazy import lazy_exports

LAZY_PACKAGES = (
    "supportmail.storage.imap",
    "supportmail.storage.insight",
    "supportmail.storage.mime",
    "supportmail.storage.models",
    "supportmail.storage.threads",
)


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_every_exported_name_resolves(name: str) -> None:
    package = importlib.import_module(name)
    for export in package.__all__:
        value = getattr(package, export)
        assert not isinstance(value, types.ModuleType), f"{name}.{export} is a module"
    with pytest.raises(AttributeError):
        package.no_such_name  # noqa: B018


def test_a_name_may_not_be_a_module_name() -> None:
    with pytest.raises(ValueError, match="digest"):
        lazy_exports("supportmail.storage.insight", {"digest": "digest"})


def test_start_up_imports_no_imap_and_no_body_parser(tmp_path: Path) -> None:
    """What ``supportmail`` imports before its first frame: the CLI, the service (opened), the
    app. IMAPClient, the IMAP connection and the body parser come with the first sync, the
    report values and code with the first report; the commands' modules never (the UI's
    command line is read without them), replies and the shared tag catalog with the first sync,
    the note editor (a ``TextArea``) just after the first frame; kept quotes, activity, the
    catalog's values and a note list's entries with their first use. Measured on a data dir
    opened once before (a new one seeds its catalog)."""
    config = tmp_path / "config.toml"
    config.write_text('[accounts.a]\nhost = "127.0.0.1"\nusername = "u"\npassword_env = "X"\n')
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from supportmail.tui.cli import run\n"
        "from supportmail.tui.cli.commandline import parse_args\n"
        "assert parse_args(['--config', sys.argv[1]]).command is None\n"
        "from supportmail.storage.service import Service\n"
        "from supportmail.storage.settings import load_settings\n"
        "import supportmail.tui.app\n"
        "settings = load_settings(Path(sys.argv[1]))\n"
        "Service.open(settings, settings.account(None), Path(sys.argv[2])).close()\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", probe, str(config), str(tmp_path / "data")],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    loaded = set(done.stdout.split())
    unwanted = {
        "imapclient",
        "imaplib",
        "supportmail.storage.imap.connection",
        "supportmail.storage.mime.body",
        "supportmail.storage.models.reports",
        "supportmail.storage.insight.voice",
        "supportmail.tui.cli.threads",
        "supportmail.tui.cli.answer",
        "supportmail.tui.cli.digest",
        "supportmail.storage.service.replying",
        "supportmail.storage.service.tag_catalog",
        "supportmail.storage.user.mail_outbox",
        "supportmail.tui.widgets.note_editor",
        "textual.widgets._text_area",
        "supportmail.storage.models.syncing",
        "supportmail.tui.render_body",
        "supportmail.tui.screens.answer",
        "supportmail.storage.threads.jwz",
        "supportmail.storage.threads.subjects",
        "supportmail.storage.serversearch",
        "supportmail.storage.models.messages",
        "supportmail.storage.models.tags",
        "supportmail.tui.commands",
        "supportmail.storage.settings.smtp",
        "supportmail.storage.user.catalog",
        "supportmail.storage.user.journal_rows",
        "supportmail.storage.service.note_entry",
        "supportmail.storage.service.parked_edit",
        "supportmail.storage.mime.values",
        "supportmail.storage.insight.people",
        "supportmail.tui.cli.parser",
        "argparse",
    }
    assert loaded & unwanted == set()
