"""Usage mistakes exit 2 with one line; --version; a --config that does not exist is named; a
terminal whose encoding is not UTF-8 still gets its output."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from supportmail.tui import cli


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.run(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        (["+team:"], "needs a name after 'team:'"),
        ([], "nothing to do"),
        (["+category:" + "x" * 60], "too long"),
        (["+$Junk"], "starts with '$'"),
        (["team:billing"], "expected +TAG or -TAG"),
    ],
)
def test_bad_tag_edits_are_usage_mistakes(
    capsys: pytest.CaptureFixture[str], edits: list[str], message: str
) -> None:
    thread = cli.run(["--account", "demo", "threads", "--limit", "1", "--json"])
    assert thread == 0
    tid = capsys.readouterr().out.split('"id": "')[1][:12]
    code, _, err = _run(capsys, "--account", "demo", "tag", tid, *edits)
    assert code == 2
    assert err.count("\n") == 1 and message in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.run(["--version"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("supportmail ") and out.count("\n") == 1


def test_a_missing_config_file_is_named_as_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.toml"
    code, _, err = _run(capsys, "--config", str(missing), "threads")
    assert code == 2
    assert err.startswith(f"supportmail: config error: {missing}: no such file: write one")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["threads", "--limit", "99999999999999999999999"],
        ["day", "--limit", "99999999999999999999999"],
    ],
)
def test_a_huge_number_is_a_usage_mistake(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, _, err = _run(capsys, "--account", "demo", *argv)
    assert code == 2
    assert err.count("\n") == 1 and "at most 1000000000" in err


def test_a_data_dir_that_is_a_file_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    in_the_way = tmp_path / "data"
    in_the_way.write_text("not a directory")
    for data_dir in (in_the_way, in_the_way / "sub"):
        code, _, err = _run(
            capsys, "--data-dir", str(data_dir), "--account", "demo", "threads", "--limit", "1"
        )
        assert code == 1
        assert err == (
            f"supportmail: cannot use the data directory {data_dir / 'demo'}: "
            f"{in_the_way} is not a directory\n"
        )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--since", "today", "--until", "yesterday"], "--until 'yesterday'"),
        (["responses", "--since", "today", "--until", "yesterday"], "--until 'yesterday'"),
        (["report", "--since", "9999-01-01"], "now"),
        (["bugs", "--since", "9999-01-01"], "now"),
        (["digest", "--since", "9999-01-01"], "now"),
        (["voice", "--since", "9999-01-01"], "now"),
        (["responses", "--since", "9999-01-01"], "now"),
    ],
)
def test_a_report_window_that_ends_before_it_starts_is_a_usage_mistake(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = _run(capsys, "--account", "demo", *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert f"--since '{argv[2]}' is not before {message}: nothing to report" in err


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("", "--to: give the address to forward to"),
        ("   ", "--to: give the address to forward to"),
        ("not an address", "--to: 'not' is not an e-mail address"),
    ],
)
def test_a_blank_or_malformed_forward_address_is_a_usage_mistake(
    capsys: pytest.CaptureFixture[str], to: str, message: str
) -> None:
    """Said before any editor opens (a blank --to opened $EDITOR, then kept a draft with no
    recipient; a malformed one was a runtime failure, exit 1)."""
    code, out, err = _run(capsys, "--account", "demo", "forward", "ffffffff", "--to", to)
    assert code == 2 and out == ""
    assert err.startswith(f"supportmail: error: {message}")
    assert err.count("\n") == 1


def test_a_terminal_that_is_not_utf8_gets_question_marks_and_ascii_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LANG=de_DE.ISO-8859-1 or PYTHONIOENCODING=ascii: every command printing a '●' or a CJK
    name failed with 'unexpected error: 'latin-1' codec can't encode character'."""
    for encoding in ("latin-1", "ascii"):
        raw = io.BytesIO()
        stdout = io.TextIOWrapper(raw, encoding=encoding, newline="\n")
        monkeypatch.setattr(sys, "stdout", stdout)
        assert cli.run(["--account", "demo", "threads", "--limit", "40"]) == 0
        assert cli.run(["--account", "demo", "threads", "--limit", "40", "--json"]) == 0
        stdout.flush()
        table, document = raw.getvalue().decode(encoding).split("\n[", 1)
        assert "?" in table  # the unread dot
        threads = json.loads("[" + document)
        assert any(not t["participants"][0]["name"].isascii() for t in threads)
