"""kill -9 through a parked tag edit's life: nothing is lost in any state.

A tag edit on a thread that another client expunged is *parked* by the next complete sync, and
pushed by the sync that sees the thread's messages again (``tests/integration/
test_parked_edits.py``). Here the real CLI (``tests/faults/die_at.py``) is SIGKILLed at each
step of that: as it parks the edit and right after, as it unparks it and right after, and as it
acknowledges the push. Each time the edit is in ``userdb.json`` in the state before or after
the step (or, killed at the acknowledgement, on the server and still in the outbox), and the
following plain syncs end as without a kill: parked while the thread is gone, on the server
and out of the outbox once it is back.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from supportmail.storage.service import Service
from supportmail.storage.settings import load_settings
from supportmail.storage.threads import thread_id
from tests.command import run_cli
from tests.faults.kill_rounds import ROOT, app_env
from tests.mailgen import support_mailbox

pytestmark = pytest.mark.dovecot

TAG = "team:billing"


def _cli(config: Path, data: Path, *args: str) -> str:
    code, out, err = run_cli(config, data, *args)
    assert code == 0, (code, out, err)
    return out


def _die_at(config: Path, data: Path, method: str, *args: str) -> None:
    argv = [sys.executable, "-m", "tests.faults.die_at", method, "1"]
    argv += ["--config", str(config), "--data-dir", str(data), *args]
    done = subprocess.run(
        argv, cwd=ROOT, env=app_env(), capture_output=True, text=True, timeout=120
    )
    if done.returncode != -signal.SIGKILL:
        pytest.fail(f"{method} was never called: exit {done.returncode}\n{done.stderr}")


def _edit_state(config: Path, data: Path) -> tuple[str, ...]:
    """How the edit is stored now: ``("pending",)``, ``("parked",)`` or ``()`` (gone)."""
    settings = load_settings(config)
    with Service.open(settings, settings.account(None), data) as service:
        edits = service.userdb.outbox(service.account, parked=None)
        assert all(e.keyword == TAG and e.add for e in edits), edits
        return tuple("parked" if e.parked is not None else "pending" for e in edits)


def _on_server(user: Any) -> bool:
    return any(TAG in flags for flags in user.flags("INBOX").values())


@pytest.mark.parametrize(
    ("step", "method", "state", "on_server"),
    [
        ("park", "UserDB.outbox_park", ("pending",), False),
        ("park", "UserDB.outbox_park+", ("parked",), False),
        ("return", "UserDB.outbox_unpark", ("parked",), False),
        ("return", "UserDB.outbox_unpark+", ("pending",), False),
        ("return", "UserDB.outbox_ack", ("pending",), True),
    ],
    ids=["before-park", "after-park", "before-unpark", "after-unpark", "before-ack"],
)
def test_kill9_at_each_step_of_a_parked_edit_loses_nothing(
    mail_user: Any,
    account_config: Path,
    tmp_path: Path,
    step: str,
    method: str,
    state: tuple[str, ...],
    on_server: bool,
) -> None:
    config, data = account_config, tmp_path / "data"
    messages = [m for m in support_mailbox(2, replies=False) if m.folder == "INBOX"]
    for m in messages:
        mail_user.append("INBOX", m.raw)
    _cli(config, data, "sync")
    gone = messages[0]
    _cli(config, data, "tag", thread_id(gone.message_id), f"+{TAG}")
    mail_user.expunge("INBOX", [min(mail_user.flags("INBOX"))])  # another client's session

    if step == "park":
        _die_at(config, data, method, "sync")
        assert _edit_state(config, data) == state
        assert "parked" in _cli(config, data, "sync") or state == ("parked",)
    else:
        assert "1 tag edit parked" in _cli(config, data, "sync")
    assert _edit_state(config, data) == ("parked",) and not _on_server(mail_user)

    mail_user.append("INBOX", gone.raw)  # the thread comes back
    if step == "return":
        _die_at(config, data, method, "sync")
        assert _edit_state(config, data) == state
        assert _on_server(mail_user) == on_server
    out = _cli(config, data, "sync")
    assert "pending" not in out, out
    assert _edit_state(config, data) == () and _on_server(mail_user)
    settings = load_settings(config)
    with Service.open(settings, settings.account(None), data) as service:
        threads = {t.root_message_id: t for t in service.list_threads(raw=True)}
        assert threads[gone.message_id].tags == (TAG,)
        assert service.pending_count() == 0 and service.parked_edits() == []
