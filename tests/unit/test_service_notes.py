"""``Service.note_file``: the note as a private temp file for an outside editor, saved back once."""

from __future__ import annotations

import shutil
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportmail.storage.service import Service, ServiceError

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo mailbox loaded once; each test opens its own copy."""
    root = tmp_path_factory.mktemp("demo")
    Service.open_demo(root, now=NOW).close()
    return root


@pytest.fixture
def service(template: Path, tmp_path: Path) -> Iterator[Service]:
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    with Service.open_demo(tmp_path, now=NOW) as service:
        yield service


@pytest.fixture
def saves(service: Service, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every ``set_note`` call (they still happen)."""
    calls: list[tuple[str, str]] = []
    original = service.set_note

    def recording(ref: str, text: str) -> None:
        calls.append((ref, text))
        original(ref, text)

    monkeypatch.setattr(service, "set_note", recording)
    return calls


def _with_note(service: Service) -> str:
    return next(s.id for s in service.list_threads() if s.has_note)


def _without_note(service: Service) -> str:
    return next(s.id for s in service.list_threads() if not s.has_note)


def _leftovers(service: Service) -> list[Path]:
    return sorted(service.data_dir.glob("*.txt"))


def test_the_file_is_private_and_holds_the_note(service: Service) -> None:
    thread = _with_note(service)
    note = service.note(thread)
    assert note and not note.endswith("\n")
    with service.note_file(thread) as path:
        assert path.parent == service.data_dir
        assert path.suffix == ".txt"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text(encoding="utf-8") == note + "\n"  # whole lines for >> and editors
    assert not path.exists()
    assert _leftovers(service) == []


def test_an_appended_line_is_saved(service: Service) -> None:
    thread = _with_note(service)
    note = service.note(thread)
    with service.note_file(thread) as path, path.open("a", encoding="utf-8") as handle:
        handle.write("Refund sent on Tuesday.\n")
    assert service.note(thread) == f"{note}\nRefund sent on Tuesday."
    assert not path.exists()


def test_unchanged_text_is_not_written(service: Service, saves: list[tuple[str, str]]) -> None:
    thread = _with_note(service)
    with service.note_file(thread):
        pass
    assert saves == []
    with service.note_file(_without_note(service)) as path:
        assert path.read_text(encoding="utf-8") == ""
    assert saves == []


def test_an_error_inside_saves_nothing_and_removes_the_file(
    service: Service, saves: list[tuple[str, str]]
) -> None:
    thread = _with_note(service)
    note = service.note(thread)
    with pytest.raises(RuntimeError), service.note_file(thread) as path:
        path.write_text("half-written", encoding="utf-8")
        raise RuntimeError("the editor crashed")
    assert saves == []
    assert service.note(thread) == note
    assert not path.exists()


def test_a_thread_without_a_note_gets_one(service: Service) -> None:
    thread = _without_note(service)
    assert service.note(thread) is None
    with service.note_file(thread) as path:
        path.write_text("Asked for the invoice number.\n", encoding="utf-8")
    assert service.note(thread) == "Asked for the invoice number."
    assert any(s.has_note for s in service.list_threads() if s.id == thread)


def test_an_emptied_file_clears_the_note(service: Service) -> None:
    thread = _with_note(service)
    with service.note_file(thread) as path:
        path.write_text("", encoding="utf-8")
    assert service.note(thread) is None


def test_undecodable_bytes_are_replaced(service: Service) -> None:
    thread = _without_note(service)
    with service.note_file(thread) as path:
        path.write_bytes("Müller ".encode() + b"\xff\xfe bytes\n")
    assert service.note(thread) == "Müller \ufffd\ufffd bytes"


def test_a_note_ending_in_a_newline_is_kept_as_it_is(service: Service) -> None:
    thread = _without_note(service)
    service.set_note(thread, "two lines\nand a break\n")
    with service.note_file(thread) as path:
        assert path.read_text(encoding="utf-8") == "two lines\nand a break\n"
    assert service.note(thread) == "two lines\nand a break\n"
    with service.note_file(thread) as path:
        path.write_text("two lines\nand a break\nthird\n", encoding="utf-8")
    assert service.note(thread) == "two lines\nand a break\nthird\n"


def test_an_unknown_thread_fails_before_any_file_exists(service: Service) -> None:
    with pytest.raises(ServiceError, match="no thread matches"):
        service.note_file("0000000000zz")
    assert _leftovers(service) == []
