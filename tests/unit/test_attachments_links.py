"""Safe names and never-overwrite writes (``storage.safefiles``), links as (text, target)
(``storage.links``), and ``save`` / ``links`` in the demo (no server)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from supportmail.storage.links import html_links, text_links
from supportmail.storage.models import Link
from supportmail.storage.safefiles import NAME_MAX_BYTES, safe_filename, write_new
from supportmail.tui.cli import run


@pytest.mark.parametrize(
    ("name", "ctype", "expected"),
    [
        ("report.pdf", "application/pdf", "report.pdf"),
        ("../../etc/passwd", "", "_.._etc_passwd"),
        ("a/b\\c.txt", "text/plain", "a_b_c.txt"),
        ("..", "application/pdf", "attachment-1.pdf"),
        ("", "image/png", "attachment-1.png"),
        ("  .hidden  ", "", "hidden"),
        ("\x1b[2Jx.pdf", "", "_[2Jx.pdf"),
        ("\u202efdp.exe", "", "_fdp.exe"),
        ("new\nline.txt", "", "new_line.txt"),
        ("\x00\x01", "text/plain", "attachment-1.txt"),
    ],
)
def test_safe_filename(name: str, ctype: str, expected: str) -> None:
    assert safe_filename(name, ctype) == expected


def test_long_names_keep_their_extension() -> None:
    name = safe_filename("ü" * 300 + ".pdf")
    assert name.endswith(".pdf") and len(name.encode()) <= NAME_MAX_BYTES


def test_write_new_never_overwrites_nor_follows_links(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("mine")
    os.symlink(tmp_path / "elsewhere", tmp_path / "a (1).txt")
    path = write_new(tmp_path, "a.txt", b"new")
    assert path.name == "a (2).txt" and path.read_bytes() == b"new"
    assert (tmp_path / "a.txt").read_text() == "mine"
    assert not (tmp_path / "elsewhere").exists()
    with pytest.raises(ValueError):
        write_new(tmp_path, "../x", b"")


def test_html_links_pair_text_with_the_real_target() -> None:
    html = (
        '<p><a href="https://evil.example/x">https://bank.example</a> '
        '<a href="#top">top</a> <a href="javascript:alert(1)">js</a> '
        '<a href="mailto:help@acme.example">write &amp; ask</a> '
        '<a href="https://acme.example/\n  docs"><img alt="Docs"></a>'
        '<script>document.write("<a href=x>")</script>'
    )
    assert html_links(html) == [
        Link("https://bank.example", "https://evil.example/x"),
        Link("write & ask", "mailto:help@acme.example"),
        Link("Docs", "https://acme.example/docs"),
    ]
    assert html_links("<a href='https://x.example'>unclosed") == [
        Link("unclosed", "https://x.example")
    ]
    assert text_links("see www.acme.example/help, then https://a.example/b.") == [
        Link("www.acme.example/help", "https://www.acme.example/help"),
        Link("https://a.example/b", "https://a.example/b"),
    ]


def test_demo_save_and_links(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert run(["--data-dir", data, "--account", "demo", "threads", "--json"]) == 0
    import json

    threads = json.loads(capsys.readouterr().out)
    assert run(["--data-dir", data, "--account", "demo", "show", "--json", threads[0]["id"]]) == 0
    capsys.readouterr()
    from supportmail.storage.service import Service

    with Service.open_demo(tmp_path / "data") as service:
        with_files = next(
            t.id
            for t in service.list_threads()
            if any(m.attachments for m in service.thread(t.id).messages)
        )
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    argv = ["--data-dir", data, "--account", "demo", "save", with_files, "--dir", str(out_dir)]
    assert run(argv) == 0
    assert run(argv) == 0
    out = capsys.readouterr().out
    assert out.count("saved ") >= 2
    files = sorted(os.listdir(out_dir))
    assert len(files) >= 2 and any(" (1)" in f for f in files)
    assert all((out_dir / f).stat().st_size > 0 for f in files)


def test_viewer_from_mailcap_never_needs_a_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supportmail.tui import opener

    mailcap = tmp_path / "mailcap"
    mailcap.write_text(
        "# comment\n"
        "application/pdf; less %s; needsterminal\n"
        "application/pdf; cat %s | true\n"
        "application/pdf; true '%s'\n"
        "image/*; true --image %s\n"
    )
    monkeypatch.setenv("MAILCAPS", str(mailcap))
    target = tmp_path / "a b; rm -rf x.pdf"
    argv = opener.viewer_for(target, "application/pdf")
    assert argv is not None and argv[-1] == str(target) and argv[0] == "true"
    assert opener.viewer_for(target, "image/png") == ["true", "--image", str(target)]
