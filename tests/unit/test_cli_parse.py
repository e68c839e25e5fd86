"""The command line without the whole parser: ``parse_args`` reads the terminal UI's options
alone (without argparse) and hands everything else to ``build_parser``, with the same result or
the same error; the command table imports each command family's module when one of its commands
is first used."""

from __future__ import annotations

import argparse

import pytest

from supportmail.tui.cli.commandline import parse_args
from supportmail.tui.cli.main import COMMANDS, FAMILIES, CommandTable
from supportmail.tui.cli.output import UsageError
from supportmail.tui.cli.parser import build_parser


def _commands_of(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:  # argparse lists subcommands nowhere else
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    raise AssertionError("no subcommands")


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--config", "x.toml"],
        ["--config=x.toml", "--data-dir", "d", "--account", "a", "--debug"],
        ["--debug", "--config", "a.toml", "--config", "b.toml"],  # the last one counts
        ["--config=", "--account=x=y"],
        ["--data-dir", "--config"],  # a value that looks like an option: argparse's call
        ["--config", "x", "--", "threads"],
        ["-h"],
        ["--version"],
        ["--conf", "x.toml"],  # an abbreviation, as argparse allows
        ["threads", "--json"],
        ["--config", "x.toml", "threads", "--limit", "3"],
        ["demo", "--reset"],
        ["--account", "demo", "show", "ab12"],
    ],
)
def test_the_same_namespace_as_the_whole_parser(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    def read(parse: object) -> object:
        try:
            return vars(parse(argv))  # type: ignore[operator]
        except SystemExit as done:  # --help, --version: the same words, the same exit
            return (done.code, capsys.readouterr())
        except UsageError as error:
            return str(error)

    assert read(parse_args) == read(build_parser().parse_args)


@pytest.mark.parametrize(
    "argv", [["--bogus"], ["--config"], ["--d", "x"], ["nosuchcommand"], ["--config", "x", "-x"]]
)
def test_the_same_error_as_the_whole_parser(argv: list[str]) -> None:
    with pytest.raises(UsageError) as whole:
        build_parser().parse_args(argv)
    with pytest.raises(UsageError) as quick:
        parse_args(argv)
    assert str(quick.value) == str(whole.value)


def test_every_command_has_a_function_and_no_more() -> None:
    names = {name for _table, names in FAMILIES.values() for name in names}
    assert names == _commands_of(build_parser()) - {"demo"}
    table = CommandTable()
    for name in sorted(names):
        assert callable(table[name])
    assert set(table) == names
    with pytest.raises(KeyError):
        table["demo"]


def test_a_family_lists_exactly_its_table() -> None:
    import importlib

    for module, (table, names) in FAMILIES.items():
        loaded = getattr(importlib.import_module(f"supportmail.tui.cli.{module}"), table)
        assert set(loaded) == set(names), module


def test_the_shared_table_still_takes_a_replacement(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(*_args: object) -> int:
        return 7

    monkeypatch.setitem(COMMANDS, "voice", fake)
    assert COMMANDS["voice"] is fake
    monkeypatch.undo()
    assert COMMANDS["voice"] is not fake


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--config="], "--config"),  # the window's line (the scanner's)
        (["--data-dir", "", "--account", "demo"], "--data-dir"),
        (["--account", "demo", "--data-dir=", "threads"], "--data-dir"),  # the whole parser's
        (["--config", "", "tags", "--parked"], "--config"),
    ],
)
def test_an_empty_path_is_one_line_and_exit_2(
    argv: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--config="$CFG"`` with the variable unset: said, where it opened the default config
    (or data directory) as if the option were absent."""
    from supportmail.tui.cli import run

    assert run(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"supportmail: error: {option}: an empty path (leave the option out for the default)\n"
    )
