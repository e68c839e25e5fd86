"""docs/configuration.md's reference is the one the schema renders, and the schema is what the
loader validates with."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportmail.storage.settings import ConfigError, load_settings, schema
from supportmail.storage.settings.reference import SECTIONS, generated_part, main, render_reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_the_docs_hold_the_generated_reference() -> None:
    assert generated_part(DOC.read_text(encoding="utf-8")) == render_reference(), (
        "docs/configuration.md is out of date: run "
        "`python -m supportmail.storage.settings.reference --write`"
    )


def test_every_key_is_in_a_documented_section_once() -> None:
    sections = {s.name for s in SECTIONS}
    seen = [(key.section, key.name) for key in schema.SCHEMA]
    assert len(seen) == len(set(seen))
    assert {section for section, _ in seen} == sections
    rendered = render_reference()
    for key in schema.SCHEMA:
        assert f"| `{key.name}` |" in rendered
        assert key.meaning and "\n" not in key.meaning


@pytest.mark.parametrize(
    ("table", "key"),
    [("", "poll_seconds"), ("[accounts.a]\n", "port"), ("[accounts.a.smtp]\n", "port")],
)
def test_the_loader_uses_the_schema_words(tmp_path: Path, table: str, key: str) -> None:
    section = {"": schema.TOP, "[accounts.a]\n": schema.ACCOUNT}.get(table, schema.SMTP)
    entry = next(k for k in schema.SCHEMA if k.section == section and k.name == key)
    account = '[accounts.a]\nhost = "h"\nusername = "u"\npassword_env = "P"\n'
    text = {
        "": f'{key} = "x"\n{account}',
        "[accounts.a]\n": f'{account}{key} = "x"\n',
        "[accounts.a.smtp]\n": f'{account}[accounts.a.smtp]\nhost = "h"\n{key} = "x"\n',
    }[table]
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=f"must be {entry.expected}, got 'x'"):
        load_settings(path)


def test_an_unknown_key_is_one_the_schema_lacks(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("pol_seconds = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="did you mean 'poll_seconds'"):
        load_settings(path)


def test_the_command_prints_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out == render_reference()
    assert main(["--bogus"]) == 2


def test_write_replaces_only_the_generated_part(tmp_path: Path) -> None:
    from supportmail.storage.settings.reference import BEGIN, END

    path = tmp_path / "c.md"
    path.write_text(f"intro\n\n{BEGIN}\nstale\n{END}\n\nafter\n", encoding="utf-8")
    assert main(["--write", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith("intro\n") and text.endswith("after\n")
    assert generated_part(text) == render_reference()
