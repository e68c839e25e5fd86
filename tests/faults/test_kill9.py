"""kill -9 rounds: the real CLI and the real TUI are SIGKILLed at random moments during sync and
during tagging, against the test Dovecot, at least 200 rounds each (bounded in time).

Afterwards (after syncing until clean) every edit the user saw applied is on the server and in
the cache, the outbox is empty, ``userdb.json`` loads with TinyDB and was never found damaged,
the cache holds each server message once with the server's flags and its thread rows are what a
rebuild makes, and nothing is duplicated. Between rounds, every 25 rounds, every confirmed edit
must be in the outbox or on the server.

* **CLI loop** (150 threads, INBOX + Sent): each round runs ``sync``, ``tag THREAD +T -T
  [--push]``, ``note`` or ``read``/``unread`` and SIGKILLs it after a random delay (mostly in the
  window after the interpreter start-up, where the command does its work; sometimes never). An
  edit is *seen applied* when the command printed its confirmation line before the kill (stdout
  is unbuffered, and the line is printed after the durable write). Between rounds a teammate
  changes its own keywords, new threads arrive, the user deletes the cache, or a plain sync runs.
* **TUI loop** (40 threads): each round launches the TUI in tmux and either SIGKILLs it at a
  random moment of its start-up sync, or waits for the sync, moves to a random thread, toggles
  one or two shortcut tags and SIGKILLs it right after the chip appears or a moment later. An
  edit is *seen applied* when the side panel shows it. One kill per launch.

The seed is printed (``KILL9_SEED=N`` replays the same choices; the timing is the machine's).
The last tests replay, at an exact moment, kills the rounds hit by chance: each one reproduces a
product bug named in ``KNOWN_BUGS`` and is expected to fail while the name is listed there
(``xfail(strict=True)``); while listed, the loops step around that bug and count what they left
out in their figures.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from supportmail.storage.service import USERDB_FILE
from supportmail.storage.tags import encode_keyword
from tests.command import supportmail_argv
from tests.dovecot import MailUser
from tests.faults.kill_rounds import (
    ROOT,
    Intents,
    Mailbox,
    Screen,
    TmuxApp,
    Verdict,
    account_dir,
    app_env,
    cache_order,
    check_durable,
    check_final,
    complete_threads,
    delete_cache,
    load_userdb,
    run_until_killed,
    tmux_binary,
    userdb_problem,
    wait_open,
    write_config,
)
from tests.faults.proxy import Fault, FaultProxy

pytestmark = pytest.mark.dovecot

KNOWN_BUGS: frozenset[str] = frozenset()
"""Product bugs these rounds found; the exact-kill tests replay each one and are expected to fail
while it is listed here. Remove a name once its bug is fixed: its tests must then pass, and the
loops stop stepping around it.

* ``thread rows``: thread roots and thread rows are written in transactions of their own after
  the message rows; a kill in between leaves them stale or missing for good. While listed, the
  loops count such rows (``stale thread rows``) and rebuild them before checking what
  ``threads --json`` shows.
* ``partial thread``: an edit of a thread the cache knows only in part (a rebuild interrupted
  before every folder was fetched, or messages never threaded) is pushed to that part, leaves
  the outbox, and a removed tag comes back with the rest. While listed (or ``thread rows`` is),
  the loops edit only threads the cache knows completely, and delete the cache only when the
  outbox is empty.
* ``tui store``: the TUI shows an edit at once but stores it only when it gets the service
  lock, which a sync or a body fetch holds while it waits for the server. While listed, the TUI
  loop tags only when nothing waits for the server (after the start-up sync, once the thread's
  bodies show, each push finished before the next edit) and, when the chip shows before the
  outbox has the edit, waits for the write before it kills (``chips shown before the outbox
  write`` counts those)."""
MEMBERSHIP_BUGS = bool(KNOWN_BUGS & {"thread rows", "partial thread"})


CLI_ROUNDS, CLI_SECONDS = 200, 150.0
TUI_ROUNDS, TUI_SECONDS = 200, 240.0
# At least this many rounds however slow the machine: the time budget only stops extra rounds.
TUI_MIN_ROUNDS = 100
CHECK_EVERY = 25
"""Rounds between two mid-way checks (confirmed edits are in the outbox or on the server)."""
WAIT = 20.0
"""Longest wait for one thing on the TUI's screen."""
POLL = 0.01
"""Seconds between two captures of the TUI's screen (each one is a tmux process)."""
MY_TAGS = ("team:web", "team:mobile", "category:bug", "category:billing", "dark-mode")
TAGGED = re.compile(
    r"^[0-9a-f]{12}: .*\((pushed|\d+ edit\(s\) pending until the next sync)\)$", re.M
)
NOTE_SAVED = re.compile(r"^note (saved|cleared)", re.M)
MARKED = re.compile(r"^marked (read|unread) \(", re.M)
REFUSED = "no thread matches"
"""The one failure a round may cause on purpose: tagging a thread the cache lacks (deleted)."""
DAMAGED = "was damaged"


def _seed() -> int:
    value = os.environ.get("KILL9_SEED")
    return int(value) if value else random.SystemRandom().randrange(2**31)


def _cli(config: Path, data: Path, *args: str) -> str:
    """Run the CLI to the end; it must succeed."""
    out = run_until_killed(supportmail_argv(config, data, *args), None)
    assert out.returncode == 0, f"{args}: exit {out.returncode}\n{out.stderr}"
    assert DAMAGED not in out.stderr, out.stderr
    return out.stdout


def _sync_until_clean(config: Path, data: Path) -> None:
    """Plain syncs until the outbox is empty (at most 3)."""
    for _ in range(3):
        _cli(config, data, "sync")
        if not _outbox(data):
            return


def _threads_json(config: Path, data: Path) -> list[Any]:
    listed: list[Any] = json.loads(_cli(config, data, "threads", "--json"))
    return listed


def _final_check(box: Mailbox, config: Path, data: Path, intents: Intents) -> Verdict:
    _sync_until_clean(config, data)
    return check_final(
        box,
        data,
        intents,
        lambda: _threads_json(config, data),
        repair_thread_rows="thread rows" in KNOWN_BUGS,
    )


def _outbox(data: Path) -> list[dict[str, Any]]:
    return load_userdb(data).get("outbox", [])


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {WAIT:.0f} s")
        time.sleep(0.002)


def _delete_cache(data: Path, tally: Counter[str]) -> None:
    """The user deletes the cache (while ``partial thread`` is known: only with no edit pending,
    see ``KNOWN_BUGS``)."""
    if MEMBERSHIP_BUGS and (account_dir(data) / USERDB_FILE).exists() and _outbox(data):
        tally["cache deletions put off: edits pending (known bug)"] += 1
        return
    delete_cache(data)
    tally["cache deleted"] += 1


def _stored(data: Path, root: str, tag: str, add: bool, since: float) -> bool:
    """Whether the TUI has stored the edit: it is the newest outbox entry of that thread and
    keyword, or (pushed and gone from the outbox already) in the activity log since ``since``."""
    tables = load_userdb(data)
    keyword = encode_keyword(tag).lower()
    newest = max(
        (
            e
            for e in tables.get("outbox", [])
            if e["thread_root"] == root and str(e["keyword"]).lower() == keyword
        ),
        key=lambda e: int(e["seq"]),
        default=None,
    )
    if newest is not None:
        return bool(newest["add"]) == add
    what = "tag" if add else "untag"
    return any(
        a["root"] == root and a["tag"] == tag and a["what"] == what and a["at"] >= since - 0.05
        for a in tables.get("activity", [])
    )


def _check_midway(
    box: Mailbox, data: Path, intents: Intents, verdict: Verdict, tally: Counter[str]
) -> None:
    """Between rounds: every confirmed edit is in the outbox or on the server."""
    found = check_durable(box, data, intents)
    verdict.merge(found)
    tally["mid-way states checked"] += found.checked


def _report(name: str, seed: int, figures: dict[str, object], verdict: Verdict) -> None:
    line = ", ".join(f"{k} {v}" for k, v in figures.items())
    print(f"\n{name} (seed {seed}): {line}")
    shown = "\n".join(verdict.violations[:20])
    assert not verdict.violations, (
        f"{len(verdict.violations)} violations (seed {seed}, replay with KILL9_SEED={seed}):\n"
        f"{shown}"
    )


# ---------------------------------------------------------------------------------------------
# The CLI loop
# ---------------------------------------------------------------------------------------------


@dataclass
class CliRounds:
    """Rounds of one CLI command each, killed after a random delay."""

    box: Mailbox
    config: Path
    data: Path
    rng: random.Random
    intents: Intents = field(default_factory=Intents)
    tally: Counter[str] = field(default_factory=Counter)
    verdict: Verdict = field(default_factory=Verdict)
    whole: dict[str, list[float]] = field(default_factory=dict)
    """Seconds of complete runs per command kind (the last few)."""
    work: dict[str, list[float]] = field(default_factory=dict)
    """Seconds from opening the data dir to the end, of complete runs per command kind."""

    def calibrate(self) -> None:
        """A first, complete sync; start figures for the delays."""
        first = run_until_killed(supportmail_argv(self.config, self.data, "sync"), None)
        assert first.returncode == 0, first.stderr
        for kind in ("sync", "tag", "note", "read"):
            self.whole[kind] = [first.seconds]
            self.work[kind] = [0.1]

    def plan(self, kind: str) -> tuple[float | None, bool]:
        """When to kill: (delay, counted from the data dir's opening?). Never (12%), at any
        moment of a run (18%: mostly the interpreter's start-up), else during the work."""
        draw = self.rng.random()
        if draw < 0.12:
            return None, False
        if draw < 0.30:
            return self.rng.uniform(0.0, statistics.median(self.whole[kind][-9:])), False
        return self.rng.uniform(0.0, 1.3 * statistics.median(self.work[kind][-9:])), True

    def between(self) -> None:
        """What happens between two rounds, now and then."""
        if self.rng.random() < 0.15:
            self.box.teammate_edits(self.rng, self.rng.randint(1, 8))
            self.tally["teammate changes"] += 1
        if self.rng.random() < 0.05 and self.box.arrive() is not None:
            self.tally["threads arrived"] += 1
        if self.rng.random() < 0.03:
            _delete_cache(self.data, self.tally)
        if self.rng.random() < 0.07:
            _cli(self.config, self.data, "sync")
            self.tally["plain syncs"] += 1

    def command(self) -> tuple[str, list[str], list[tuple[tuple[str, ...], object]]]:
        """A random command: (kind, its arguments, the keys a confirmation sets)."""
        kind = self.rng.choices(("sync", "tag", "note", "read"), (35, 40, 12, 13))[0]
        root = self.rng.choice(self.box.arrived_roots)
        if kind in ("tag", "read") and MEMBERSHIP_BUGS:
            complete = sorted(complete_threads(self.box, self.data))
            if not complete:
                self.tally["edits held back: no complete thread (known bug)"] += 1
                kind = "sync"
            elif root not in complete:
                root = self.rng.choice(complete)
        if kind == "sync":
            return kind, ["sync"], []
        if kind == "tag":
            tags = self.rng.sample(MY_TAGS, self.rng.choice((1, 1, 2)))
            edits = [(t, self.rng.random() < 0.6) for t in tags]
            args = ["tag", root, *(("+" if on else "-") + t for t, on in edits)]
            if self.rng.random() < 0.25:
                args.append("--push")
            return kind, args, [(("tag", root, t), on) for t, on in edits]
        if kind == "note":
            if self.rng.random() < 0.15:
                return kind, ["note", root, "--clear"], [(("note", root), None)]
            text = f"call back about {self.rng.randrange(10**6)}"
            return kind, ["note", root, text], [(("note", root), text)]
        read = self.rng.random() < 0.5
        return kind, ["read" if read else "unread", root], [(("read", root), read)]

    def round(self) -> None:
        self.between()
        kind, args, keys = self.command()
        delay, from_open = self.plan(kind)
        lock = account_dir(self.data) / (USERDB_FILE + ".lock")
        argv = supportmail_argv(self.config, self.data, *args)
        out = run_until_killed(argv, delay, watch=lock, from_open=from_open)
        self.tally["rounds"] += 1
        if out.killed:
            self.tally[f"kills during {kind}"] += 1
            if out.opened is not None:
                self.tally[f"kills during {kind}, after the start-up"] += 1
        else:
            self.whole[kind].append(out.seconds)
            if out.opened is not None:
                self.work[kind].append(out.seconds - out.opened)
        confirmed = {"tag": TAGGED, "note": NOTE_SAVED, "read": MARKED}.get(kind)
        how = f"round {self.tally['rounds']} {' '.join(args[:1] + args[2:])} " + (
            "finished" if not out.killed else f"killed after {out.seconds * 1000:.0f} ms"
        )
        if confirmed is not None and confirmed.search(out.stdout):
            for key, value in keys:
                self.intents.saw(key, value, how)
        else:
            for key, _value in keys:
                self.intents.unsure(key, how)
        self._judge(args, out.killed, out.returncode, out.stderr)

    def _judge(self, args: list[str], killed: bool, code: int, stderr: str) -> None:
        """A run that was not killed must succeed (or be refused for a missing thread)."""
        if DAMAGED in stderr:
            self.verdict.violations.append(f"{args}: {stderr.strip()}")
        if killed or code == 0:
            return
        if code == 1 and REFUSED in stderr:
            self.tally["refused (thread not cached)"] += 1
            return
        self.verdict.violations.append(f"{args}: exit {code}: {stderr.strip()}")


def _held_back(tally: Counter[str]) -> dict[str, object]:
    """The figures of what the loops did not do because of a known bug."""
    return {
        "edits held back (known bug)": tally["edits held back: no complete thread (known bug)"],
        "cache deletions put off (known bug)": tally[
            "cache deletions put off: edits pending (known bug)"
        ],
    }


def _of(tally: Counter[str], kind: str) -> str:
    """``N (M after the start-up)``: kills during a kind of command, and those in its work."""
    return f"{tally[f'kills during {kind}']} ({tally[f'kills during {kind}, after the start-up']})"


def test_cli_kill9_rounds(mail_user: MailUser, tmp_path: Path) -> None:
    seed = _seed()
    started = time.monotonic()
    box = Mailbox.create(mail_user, threads=150, later=30)
    config = write_config(tmp_path / "kill9.toml", mail_user)
    rounds = CliRounds(box, config, tmp_path / "data", random.Random(seed))
    rounds.calibrate()
    deadline = time.monotonic() + CLI_SECONDS
    while rounds.tally["rounds"] < CLI_ROUNDS and time.monotonic() < deadline:
        rounds.round()
        if rounds.tally["rounds"] % CHECK_EVERY == 0:
            _check_midway(box, rounds.data, rounds.intents, rounds.verdict, rounds.tally)
    final = _final_check(box, config, rounds.data, rounds.intents)
    verdict = rounds.verdict
    verdict.merge(final)
    t = rounds.tally
    figures: dict[str, object] = {
        "rounds": t["rounds"],
        "kills during sync": _of(t, "sync"),
        "kills during tag": _of(t, "tag"),
        "kills during note": _of(t, "note"),
        "kills during read/unread": _of(t, "read"),
        "edits seen applied": rounds.intents.seen_applied,
        "edits killed unconfirmed": rounds.intents.unconfirmed,
        "final states checked": final.checked,
        "mid-way states checked": t["mid-way states checked"],
        "lost": verdict.lost,
        "duplicates": final.duplicates,
        "stale thread rows (known bug, rebuilt)": final.stale_rows,
        "teammate changes": t["teammate changes"],
        "threads arrived": t["threads arrived"],
        "cache deleted": t["cache deleted"],
        **_held_back(t),
        "seconds": round(time.monotonic() - started, 1),
    }
    assert t["rounds"] >= 100, f"only {t['rounds']} rounds in {CLI_SECONDS} s"
    _report("kill -9 CLI", seed, figures, verdict)


# ---------------------------------------------------------------------------------------------
# The TUI loop
# ---------------------------------------------------------------------------------------------


def _tmux() -> str:
    path = tmux_binary()
    if path is None:
        message = "TMUX NOT INSTALLED - TUI KILL -9 ROUNDS NOT RUN (apt-get install tmux)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture
def tmux_app(tmp_path: Path) -> Iterator[TmuxApp]:
    app = TmuxApp(_tmux(), tmp_path)
    try:
        yield app
    finally:
        app.close()


def _poll(app: TmuxApp, predicate: Callable[[Screen], bool], what: str) -> Screen:
    """The first screen for which ``predicate`` holds (polled as fast as tmux answers)."""
    deadline = time.monotonic() + WAIT
    while True:
        screen = app.screen()
        if predicate(screen):
            return screen
        if not app.alive():
            raise AssertionError(f"the app ended while waiting for {what}:\n{screen.text}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {WAIT:.0f} s:\n{screen.text}")
        time.sleep(POLL)


@dataclass
class TuiRounds:
    """Rounds of one TUI launch each, killed once."""

    app: TmuxApp
    box: Mailbox
    config: Path
    data: Path
    rng: random.Random
    shortcuts: dict[str, str]
    intents: Intents = field(default_factory=Intents)
    tally: Counter[str] = field(default_factory=Counter)
    verdict: Verdict = field(default_factory=Verdict)
    edited: list[tuple[str, ...]] = field(default_factory=list)
    to_synced: list[float] = field(default_factory=lambda: [0.5])
    """Seconds from opening the data dir to the end of the start-up sync (the last few)."""
    seconds: dict[str, float] = field(default_factory=lambda: {"start-up": 0.0, "tag": 0.0})
    """Seconds spent in rounds of each kind (``start-up``, ``tag``)."""
    sync_seconds: list[float] = field(default_factory=lambda: [0.1])
    """Seconds the status bar said ``syncing`` during the start-up sync (the last few)."""

    def between(self) -> None:
        if self.rng.random() < 0.3:
            self.box.teammate_edits(self.rng, self.rng.randint(1, 5))
            self.tally["teammate changes"] += 1
        if self.rng.random() < 0.08 and self.box.arrive() is not None:
            self.tally["threads arrived"] += 1
        if self.rng.random() < 0.04:
            _delete_cache(self.data, self.tally)

    def round(self) -> None:
        self.between()
        self.app.launch(supportmail_argv(self.config, self.data))
        launched = time.monotonic()
        opened = wait_open(self.app.pid, self.app.alive, self.lock, launched, None)
        assert opened is not None, f"the app never opened its data dir:\n{self.app.screen().text}"
        if self.rng.random() < 0.45:
            self._kill_during_startup()
            self.seconds["start-up"] += time.monotonic() - launched
            self.tally["start-up rounds"] += 1
        else:
            self._tag_then_kill()
            self.seconds["tag"] += time.monotonic() - launched
            self.tally["tag rounds"] += 1
        self.tally["rounds"] += 1
        problem = userdb_problem(self.data)
        if problem:
            self.verdict.violations.append(problem)

    @property
    def lock(self) -> Path:
        return account_dir(self.data) / (USERDB_FILE + ".lock")

    def _kill_during_startup(self) -> None:
        """SIGKILL at a random moment after the app opened its data dir (a third of the time),
        else at a random moment of the start-up sync (once the status bar says ``syncing``)."""
        if self.rng.random() < 0.35:
            time.sleep(self.rng.uniform(0.0, 1.2 * statistics.median(self.to_synced[-9:])))
        else:
            _poll(self.app, lambda s: "syncing" in s.status or s.synced, "the start-up sync")
            time.sleep(self.rng.uniform(0.0, 1.3 * statistics.median(self.sync_seconds[-9:])))
        self.app.kill9()
        status = self.app.screen().status
        if "syncing" in status:
            self.tally["kills during the start-up sync"] += 1
        elif "synced:" in status:
            self.tally["kills just after the start-up sync"] += 1
        else:
            self.tally["kills before the first frame"] += 1

    def _wait_synced(self) -> None:
        """Wait for the end of the start-up sync; note how long it and the start-up took."""
        opened = time.monotonic()
        syncing: float | None = None
        deadline = opened + WAIT
        while not (screen := self.app.screen()).synced:
            if syncing is None and "syncing" in screen.status:
                syncing = time.monotonic()
            if time.monotonic() > deadline or not self.app.alive():
                raise AssertionError(f"the start-up sync did not finish:\n{screen.text}")
            time.sleep(POLL)
        self.to_synced.append(time.monotonic() - opened)
        if syncing is not None:
            self.sync_seconds.append(time.monotonic() - syncing)

    def _tag_then_kill(self) -> None:
        if "tui store" not in KNOWN_BUGS and self.rng.random() < 0.3:
            chosen = self._first_thread_while_syncing()
        else:
            chosen = self._random_thread_after_sync()
        if chosen is None:
            self.app.kill9()
            return
        root, screen = chosen
        for edit in range(self.rng.choice((1, 1, 2))):
            if edit and "tui store" in KNOWN_BUGS:
                self._wait_pushed()
            screen = self._toggle(root, screen)
        chip = time.monotonic()
        if self.rng.random() < 0.35:
            self.tally["kills right after the chip"] += 1
        else:
            time.sleep(self.rng.uniform(0.0, 0.6))
            self.tally["kills later after the chip"] += 1
        self.app.kill9()
        waited = (time.monotonic() - chip) * 1000
        self.intents.annotate(self.edited[-1:], f", killed {waited:.0f} ms after the chip")

    def _first_thread_while_syncing(self) -> tuple[str, Screen] | None:
        """The thread under the cursor as soon as the list shows (the sync may still run);
        None when a membership bug is known and the cache knows that thread only in part."""
        screen = _poll(
            self.app,
            lambda s: s.thread_number() is not None and s.side_tags() is not None,
            "the first thread",
        )
        if "syncing" in screen.status:
            self.tally["tagged during the start-up sync"] += 1
        number = screen.thread_number()
        root = next(r for r, n in self.box.numbers.items() if n == number)
        if MEMBERSHIP_BUGS and root not in complete_threads(self.box, self.data):
            self.tally["edits held back: no complete thread (known bug)"] += 1
            return None
        return root, screen

    def _random_thread_after_sync(self) -> tuple[str, Screen] | None:
        """Wait for the start-up sync, then move the cursor to a random thread of the list (one
        the cache knows completely while a membership bug is known); None if there is none."""
        self._wait_synced()
        order = cache_order(self.data)[:30]
        complete = complete_threads(self.box, self.data) if MEMBERSHIP_BUGS else set(order)
        candidates = [i for i, root in enumerate(order) if root in complete]
        if not candidates:
            self.tally["edits held back: no complete thread (known bug)"] += 1
            return None
        index = self.rng.choice(candidates)
        root = order[index]
        self.app.keys("Home", *(["j"] * index))
        number = self.box.numbers[root]
        screen = _poll(
            self.app,
            lambda s: (
                s.thread_number() == number
                and s.side_tags() is not None
                and (s.body_loaded() or "tui store" not in KNOWN_BUGS)
            ),
            f"thread #{number} under the cursor",
        )
        return root, screen

    def _toggle(self, root: str, screen: Screen) -> Screen:
        """Press a shortcut digit; return the screen whose side panel shows the change."""
        digit = self.rng.choice(sorted(self.shortcuts))
        tag = self.shortcuts[digit]
        before = screen.side_tags() or frozenset()
        pressed = time.time()
        self.app.keys(digit)
        after = _poll(
            self.app,
            lambda s: (tag in (s.side_tags() or ())) != (tag in before),
            f"the chip of {tag} to {'go' if tag in before else 'show'}",
        )
        key = ("tag", root, tag)
        self.intents.saw(key, tag not in before, f"round {self.tally['rounds']} key {digit}")
        self.edited.append(key)
        add = tag not in before
        if not _stored(self.data, root, tag, add, pressed):
            self.tally["chips shown before the outbox write"] += 1
            if "tui store" in KNOWN_BUGS:
                _wait_for(lambda: _stored(self.data, root, tag, add, pressed), "the write")
        return after

    def _wait_pushed(self) -> None:
        """Wait until the previous edit was stored and pushed (pending went up, then to 0)."""
        _poll(self.app, lambda s: s.pending > 0, "the edit stored (pending)")
        _poll(self.app, lambda s: s.pending == 0, "the push")


@pytest.mark.timeout(4 * TUI_SECONDS + 180)
def test_tui_kill9_rounds(tmux_app: TmuxApp, mail_user: MailUser, tmp_path: Path) -> None:
    seed = _seed()
    started = time.monotonic()
    box = Mailbox.create(mail_user, threads=40, later=20)
    config = write_config(tmp_path / "kill9.toml", mail_user)
    data = tmp_path / "data"
    _cli(config, data, "sync")
    catalog = json.loads(_cli(config, data, "tags", "--json"))
    shortcuts = {t["shortcut"]: t["name"] for t in catalog if t["shortcut"] and len(t["name"]) < 20}
    rounds = TuiRounds(tmux_app, box, config, data, random.Random(seed), shortcuts)
    deadline = time.monotonic() + TUI_SECONDS
    while rounds.tally["rounds"] < TUI_ROUNDS and (
        rounds.tally["rounds"] < TUI_MIN_ROUNDS or time.monotonic() < deadline
    ):
        rounds.round()
        if rounds.tally["rounds"] % CHECK_EVERY == 0:
            _check_midway(box, data, rounds.intents, rounds.verdict, rounds.tally)
    final = _final_check(box, config, data, rounds.intents)
    verdict = rounds.verdict
    verdict.merge(final)
    t = rounds.tally
    figures: dict[str, object] = {
        "rounds": t["rounds"],
        "s per start-up round": round(rounds.seconds["start-up"] / max(1, t["start-up rounds"]), 2),
        "s per tag round": round(rounds.seconds["tag"] / max(1, t["tag rounds"]), 2),
        "kills during the start-up sync": t["kills during the start-up sync"],
        "kills just after it": t["kills just after the start-up sync"],
        "kills before the first frame": t["kills before the first frame"],
        "kills right after the chip": t["kills right after the chip"],
        "chips shown before the outbox write": t["chips shown before the outbox write"],
        "kills up to 0.6 s after the chip": t["kills later after the chip"],
        "edits seen applied": rounds.intents.seen_applied,
        "final states checked": final.checked,
        "mid-way states checked": t["mid-way states checked"],
        "lost": verdict.lost,
        "duplicates": final.duplicates,
        "stale thread rows (known bug, rebuilt)": final.stale_rows,
        "cache deleted": t["cache deleted"],
        **_held_back(t),
        "seconds": round(time.monotonic() - started, 1),
    }
    _report("kill -9 TUI", seed, figures, verdict)
    assert t["rounds"] >= TUI_MIN_ROUNDS


# ---------------------------------------------------------------------------------------------
# Exact kills the rounds can hit by chance: known bugs, expected to fail until fixed
# ---------------------------------------------------------------------------------------------


class Reproduced(AssertionError):
    """The known bug a test names showed up (anything else failing is a real failure)."""


SMALL = 12
"""Threads in the mailbox of an exact-kill test."""
THREAD_ROWS_BUG = (
    "known bug: the thread rows (and thread roots) are updated in a transaction of their own "
    "after the message rows changed; a kill in between leaves them stale or missing, and no "
    "later sync notices (tests/faults/README.md, kill -9)"
)
PARTIAL_THREAD_BUG = (
    "known bug: an edit of a thread the cache knows only in part is pushed to that part and "
    "leaves the outbox; the thread's other messages keep the old keyword, so a removed tag "
    "comes back (tests/faults/README.md, kill -9)"
)
SHOWN_NOT_STORED_BUG = (
    "known bug: the TUI shows a tag edit at once but stores it only once it gets the service "
    "lock, which a sync or a body fetch holds while it waits for the server; a kill meanwhile "
    "loses the edit (tests/faults/README.md, kill -9)"
)


def _die_at(config: Path, data: Path, method: str, nth: int, *args: str) -> None:
    """Run the CLI with ``args`` and SIGKILL it when ``Cache.<method>`` is called the nth time."""
    argv = [sys.executable, "-m", "tests.faults.die_at", method, str(nth)]
    argv += ["--config", str(config), "--data-dir", str(data), *args]
    done = subprocess.run(
        argv, cwd=ROOT, env=app_env(), capture_output=True, text=True, timeout=120
    )
    if done.returncode != -signal.SIGKILL:
        pytest.fail(f"Cache.{method} call {nth} never came: exit {done.returncode}\n{done.stderr}")


@pytest.mark.xfail(
    "thread rows" in KNOWN_BUGS, raises=Reproduced, strict=True, reason=THREAD_ROWS_BUG
)
@pytest.mark.parametrize(
    ("case", "method", "nth"),
    [
        ("tag: keyword stored, thread row not yet", "rebuild_threads", 1),
        ("first sync: both folders stored, not threaded yet", "thread_pending", 2),
        ("first sync: threaded, thread rows not written yet", "rebuild_threads", 2),
        ("a teammate's keywords pulled, thread rows not rebuilt yet", "rebuild_threads", 1),
    ],
)
def test_a_kill_between_message_rows_and_thread_rows_is_repaired(
    case: str, method: str, nth: int, mail_user: MailUser, tmp_path: Path
) -> None:
    """SIGKILL at the named call; then plain syncs must leave a cache a rebuild agrees with.
    (The first sync threads INBOX's first chunk early, call 1; call 2 is the final pass.)"""
    box = Mailbox.create(mail_user, threads=SMALL, later=0)
    config = write_config(tmp_path / "kill9.toml", mail_user)
    data = tmp_path / "data"
    if case.startswith("first sync"):
        _die_at(config, data, method, nth, "sync")
    elif case.startswith("tag"):
        _cli(config, data, "sync")
        _die_at(config, data, method, nth, "tag", box.arrived_roots[0], "+team:web")
    else:
        _cli(config, data, "sync")
        mail_user.set_flags("INBOX", [1, 2, 3], ["team:mate"])
        _die_at(config, data, method, nth, "sync")
    _sync_until_clean(config, data)
    verdict = check_final(box, data, Intents(), lambda: _threads_json(config, data))
    if verdict.violations:
        raise Reproduced("; ".join(verdict.violations))


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            "a cache rebuild killed before Sent was fetched",
            marks=pytest.mark.xfail(
                "partial thread" in KNOWN_BUGS,
                raises=Reproduced,
                strict=True,
                reason=PARTIAL_THREAD_BUG,
            ),
        ),
        pytest.param(
            "a cache rebuild killed after Sent was fetched, before it was threaded",
            marks=pytest.mark.xfail(
                "thread rows" in KNOWN_BUGS, raises=Reproduced, strict=True, reason=THREAD_ROWS_BUG
            ),
        ),
    ],
)
def test_a_tag_removed_from_a_thread_the_cache_knows_in_part_stays_removed(
    case: str, mail_user: MailUser, tmp_path: Path
) -> None:
    """A thread with a message in INBOX and its reply in Sent has ``team:web`` on both. The
    user deletes the cache; the rebuild is killed (SIGKILL at an exact call) with the thread
    known only by its INBOX message; ``tag -team:web --push`` confirms. After new mail and plain
    syncs no message of the thread may carry the tag, and the list must not show it."""
    box = Mailbox.create(mail_user, threads=SMALL, later=1)
    config = write_config(tmp_path / "kill9.toml", mail_user)
    data = tmp_path / "data"
    root = next(box.roots[mid] for (folder, _uid), mid in box.locations.items() if folder == "Sent")
    _cli(config, data, "sync")
    _cli(config, data, "tag", root, "+team:web", "--push")
    delete_cache(data)
    if case.endswith("before Sent was fetched"):
        _die_at(config, data, "insert_rows", 2, "sync")  # INBOX stored and threaded, not Sent
    else:
        _die_at(config, data, "thread_pending", 2, "sync")  # Sent stored, never threaded
    out = _cli(config, data, "tag", root, "-team:web", "--push")
    assert TAGGED.search(out) and "team:web" not in out, out
    box.arrive()  # new mail: the next sync threads everything again
    _sync_until_clean(config, data)
    flags = box.thread_flags(box.snapshot(), root)
    carrying = [f for f in flags if encode_keyword("team:web") in f]
    listed = {t["root_message_id"]: t["tags"] for t in _threads_json(config, data)}
    if carrying or "team:web" in listed[root]:
        raise Reproduced(
            f"the removed tag is back: on {len(carrying)}/{len(flags)} messages of the thread, "
            f"listed with {listed[root]}"
        )


@pytest.mark.xfail(
    "tui store" in KNOWN_BUGS, raises=Reproduced, strict=True, reason=SHOWN_NOT_STORED_BUG
)
@pytest.mark.parametrize("holder", ["the start-up sync", "a body fetch"])
def test_tui_tag_shown_while_the_server_is_slow_survives_kill9(
    holder: str, tmux_app: TmuxApp, mail_user: MailUser, tmp_path: Path
) -> None:
    """The server stalls (a proxy stops forwarding) while the TUI syncs on launch, or while it
    fetches the bodies of the thread the cursor moved to; the user tags that thread, sees the
    chip for a second, and the app is killed. The edit must be in the outbox."""
    box = Mailbox.create(mail_user, threads=SMALL, later=0)
    config = write_config(tmp_path / "kill9.toml", mail_user)
    if holder == "a body fetch":  # bodies on demand: a mirrored body needs no fetch to stall
        config.write_text(config.read_text() + 'bodies = "none"\n')
    data = tmp_path / "data"
    _cli(config, data, "sync")
    with FaultProxy(mail_user.host, mail_user.port) as proxy:
        slow = tmp_path / "slow.toml"
        text = config.read_text().replace(f"port = {mail_user.port}", f"port = {proxy.port}")
        slow.write_text(text + "timeout = 2\n")
        if holder == "the start-up sync":
            proxy.arm(Fault("stall", persistent=True))  # the server accepts and never answers
            tmux_app.launch(supportmail_argv(slow, data))
            screen = _poll(
                tmux_app,
                lambda s: "syncing" in s.status and s.thread_number() is not None,
                "the first thread during the start-up sync",
            )
        else:
            tmux_app.launch(supportmail_argv(slow, data))
            first = _poll(tmux_app, lambda s: s.synced and s.body_loaded(), "the first thread")
            proxy.arm(Fault("stall", after_client=rb"BODY\.PEEK\[\]"))
            tmux_app.keys("j")
            screen = _poll(
                tmux_app,
                lambda s: s.thread_number() not in (None, first.thread_number()),
                "the second thread",
            )
        root = next(r for r, n in box.numbers.items() if n == screen.thread_number())
        assert screen.side_tags() == frozenset()
        tmux_app.keys("1")
        _poll(tmux_app, lambda s: "category:bug" in (s.side_tags() or ()), "the chip")
        time.sleep(1.0)  # the user sees the chip for a second; the server still stalls
        tmux_app.kill9()
        assert proxy.fired.is_set()
    keyword = encode_keyword("category:bug")
    if not any(e["thread_root"] == root and e["keyword"] == keyword for e in _outbox(data)):
        raise Reproduced(f"during {holder}: a tag shown for a second is lost after kill -9")
