"""One loopback rule for config validation (IMAP and SMTP) and for the connections."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportmail.storage import hosts, settings
from supportmail.storage.imap import login
from supportmail.storage.settings import ConfigError, load_settings
from supportmail.storage.settings import smtp as smtp_config


def test_every_layer_uses_the_one_rule() -> None:
    assert login.is_loopback is hosts.is_loopback
    assert settings.loading.is_loopback is hosts.is_loopback
    assert smtp_config.is_loopback is hosts.is_loopback


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("mail.localhost", True),
        ("::ffff:127.0.0.1", True),
        ("example.com", False),
        ("10.0.0.1", False),
        ("localhost.example.com", False),
    ],
)
def test_plaintext_config_accepted_exactly_for_loopback(
    tmp_path: Path, host: str, ok: bool
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'[accounts.a]\nhost = "{host}"\ntls = "none"\nusername = "u"\npassword_env = "X"\n',
        encoding="utf-8",
    )
    if ok:
        assert load_settings(config).accounts["a"].host == host
    else:
        with pytest.raises(ConfigError, match="only allowed to a loopback host"):
            load_settings(config)


def test_one_tag_kind_rule_for_storage_and_the_list() -> None:
    from supportmail.storage.tags import tag_kind
    from supportmail.tui import render

    assert render.tag_kind is tag_kind
    assert render.tag_kind("Team:Billing") == "team"


@pytest.mark.parametrize(
    ("keyword", "ok"),
    [("team:billing", True), ("$label1", True), ("a b", False), ("x]", False), ("(", False),
     ("", False), ("ü", False), ("a\x00", False), ("=e4", True)],
)  # fmt: skip
def test_one_keyword_rule_for_the_outbox_and_imap(keyword: str, ok: bool) -> None:
    from supportmail.storage.imap import ImapError
    from supportmail.storage.imap.syntax import check_keyword
    from supportmail.storage.tags import is_keyword_atom
    from supportmail.storage.user.records import UserDBError
    from supportmail.storage.user.tag_outbox import check_keyword as outbox_check

    assert is_keyword_atom(keyword) is ok
    outbox_check("\\Seen")  # the outbox also carries read marks
    with pytest.raises(UserDBError):
        outbox_check("\\")
    for check, error in ((check_keyword, ImapError), (outbox_check, UserDBError)):
        if ok:
            check(keyword)
        else:
            with pytest.raises(error):
                check(keyword)
