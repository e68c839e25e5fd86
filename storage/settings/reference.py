"""The configuration reference, generated from the schema: ``render_reference()`` gives the
Markdown that docs/configuration.md holds between its two marker lines (a test keeps them equal).

``python -m supportmail.storage.settings.reference`` prints it; ``--write [PATH]`` puts it into
the file (default docs/configuration.md), keeping the hand-written text around the markers.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from supportmail.storage.settings.schema import ACCOUNT, SCHEMA, SMTP, TOP

__all__ = ["BEGIN", "END", "SECTIONS", "Section", "generated_part", "main", "render_reference"]

BEGIN = "<!-- BEGIN GENERATED: python -m supportmail.storage.settings.reference --write -->"
END = "<!-- END GENERATED -->"
DEFAULT_PATH = Path("docs/configuration.md")


@dataclass(frozen=True)
class Section:
    """A table of the config file, as the reference introduces it."""

    name: str
    title: str
    intro: str
    notes: str = ""


SECTIONS = (
    Section(TOP, "Top level", "Keys outside any table."),
    Section(
        ACCOUNT,
        "`[accounts.NAME]`",
        "One table per mailbox.",
        "Exactly one of `password_command`, `password_keyring = true` and `password_env` must be"
        " set. The app never writes a password anywhere, and no error message contains one: a"
        " failing `password_command` is reported with its exit status only, never its output.",
    ),
    Section(
        SMTP,
        "`[accounts.NAME.smtp]`",
        "The SMTP server an account's replies and forwards go through.",
    ),
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_reference() -> str:
    """The generated Markdown: one table per section, one row per schema key."""
    lines: list[str] = []
    for section in SECTIONS:
        lines += [f"### {section.title}", "", section.intro, ""]
        lines += ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
        for key in SCHEMA:
            if key.section == section.name:
                cells = (f"`{key.name}`", key.type, key.default, key.meaning)
                lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
        if section.notes:
            lines += [section.notes, ""]
    return "\n".join(lines)


def generated_part(document: str) -> str:
    """The text between the marker lines of ``document`` (ValueError when they are missing)."""
    start = document.index(BEGIN) + len(BEGIN)
    return document[start : document.index(END, start)].strip("\n") + "\n"


def _write(path: Path) -> None:
    document = path.read_text(encoding="utf-8")
    head = document[: document.index(BEGIN) + len(BEGIN)]
    tail = document[document.index(END, len(head)) :]
    path.write_text(f"{head}\n\n{render_reference()}\n{tail}", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--write"]:
        _write(Path(args[1]) if len(args) > 1 else DEFAULT_PATH)
        return 0
    if args:
        sys.stderr.write(
            "usage: python -m supportmail.storage.settings.reference [--write [PATH]]\n"
        )
        return 2
    sys.stdout.write(render_reference())
    return 0


if __name__ == "__main__":
    sys.exit(main())
