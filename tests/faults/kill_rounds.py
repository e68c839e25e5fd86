"""Machinery for the kill -9 rounds (``test_kill9.py``): the mailbox, what the user saw, the
processes to kill and the checks afterwards.

* :class:`Mailbox` holds generated support threads on the test Dovecot (INBOX and Sent). Which
  Message-ID belongs to which thread comes from the generator and the server, never from the code
  under test. Some threads are held back and arrive during the rounds; a "teammate" adds and
  removes its own keywords (never ours) on random messages, so syncs pull flag changes.
* :class:`Intents` is what the user saw applied: per (thread, tag), per thread's read state and
  per thread's note, the last state a confirmation showed (the CLI's line on stdout, the chip in
  the TUI). An edit killed before its confirmation makes its key *uncertain* (it may or may not
  have been stored) until a later confirmed edit of the same key; uncertain keys are not checked.
* :func:`run_until_killed` runs the real CLI as a subprocess with unbuffered stdout and SIGKILLs
  it after a delay; :class:`TmuxApp` runs the real TUI in a private tmux server and SIGKILLs it.
* :func:`check_durable` (between rounds: every confirmed edit is in the outbox or on the server)
  and :func:`check_final` (after syncing until clean: the server, the outbox, TinyDB, the cache
  and its thread rows, no duplicates) return violations as one line each.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from supportmail.storage.cache import Cache
from supportmail.storage.service import CACHE_FILE, USERDB_FILE
from supportmail.storage.tags import encode_keyword, keyword_to_tag
from supportmail.storage.threads import thread_messages
from tests.dovecot import MailUser
from tests.mailgen import GenMessage, support_mailbox

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "support"
FOLDERS = ("INBOX", "Sent")
SEEN = "\\seen"
TEAMMATE_KEYWORDS = ("team:mate", "category:mate", "mate-label")
"""The teammate's keywords: ours never overlap them, so "the last intended state" stays ours."""
CLEARED_ENV = ("TMUX", "TMUX_PANE", "COLUMNS", "LINES")
"""Not passed on: COLUMNS/LINES would override the pane's size in the app."""

Key = tuple[str, ...]
"""``("tag", root, name)``, ``("read", root)`` or ``("note", root)``."""


# ---------------------------------------------------------------------------------------------
# The mailbox on the server
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerMessage:
    message_id: str
    flags: frozenset[str]
    """Lowercased, without the session flag ``\\recent``."""


def write_config(path: Path, user: MailUser) -> Path:
    """An account ``support`` for ``user`` over INBOX and Sent."""
    path.write_text(
        f"[accounts.{ACCOUNT}]\n"
        f'host = "{user.host}"\n'
        f"port = {user.port}\n"
        'tls = "none"\n'
        f'username = "{user.username}"\n'
        f'password_command = "printf {user.password}"\n'
        'folders = ["INBOX", "Sent"]\n',
        encoding="utf-8",
    )
    return path


def _message_ids(user: MailUser, folder: str) -> dict[int, str]:
    """UID -> Message-ID of every message in ``folder``, read by an independent client."""
    with user.session() as client:
        client.select(folder, readonly=True)
        typ, data = client.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    assert typ == "OK", data
    out: dict[int, str] = {}
    for item in data:
        if isinstance(item, tuple):
            uid = re.search(rb"UID (\d+)", item[0])
            mid = re.search(rb"<([^>]+)>", item[1])
            assert uid and mid, item
            out[int(uid.group(1))] = mid.group(1).decode()
    return out


@dataclass
class Mailbox:
    """The generated threads on the server, and a teammate who changes its own keywords."""

    user: MailUser
    roots: dict[str, str]
    """Message-ID -> root Message-ID of its thread (for every generated message)."""
    numbers: dict[str, int]
    """Root -> N, the ``(#N)`` in the thread's subject."""
    held_back: list[list[GenMessage]]
    """Threads not on the server yet, in the order they will arrive."""
    locations: dict[tuple[str, int], str] = field(default_factory=dict)
    """(folder, UID) -> Message-ID of every message on the server."""

    @classmethod
    def create(cls, user: MailUser, threads: int, later: int) -> Mailbox:
        """Put ``threads`` generated threads on the server; hold ``later`` more back."""
        generated = list(support_mailbox(threads + later, replies=True))
        roots: dict[str, str] = {}
        numbers: dict[str, int] = {}
        by_thread: dict[int, list[GenMessage]] = {}
        for m in generated:
            group = by_thread.setdefault(m.thread_key, [])
            if not group:
                numbers[m.message_id] = m.thread_key
            group.append(m)
            roots[m.message_id] = group[0].message_id
        user.create_folder("Sent")
        for folder in FOLDERS:
            user.seed(
                folder, [m.raw for m in generated if m.folder == folder and m.thread_key < threads]
            )
        box = cls(user, roots, numbers, [by_thread[k] for k in range(threads, threads + later)])
        for folder in FOLDERS:
            for uid, mid in _message_ids(user, folder).items():
                box.locations[(folder, uid)] = mid
        return box

    @property
    def arrived_roots(self) -> list[str]:
        """Roots of the threads on the server, sorted."""
        return sorted({self.roots[mid] for mid in self.locations.values()})

    def arrive(self) -> str | None:
        """The next held-back thread arrives (one APPEND per message); returns its root."""
        if not self.held_back:
            return None
        thread = self.held_back.pop(0)
        for m in thread:
            self.locations[(m.folder, self.user.append(m.folder, m.raw))] = m.message_id
        return thread[0].message_id

    def teammate_edits(self, rng: random.Random, count: int) -> None:
        """Add or remove one of the teammate's keywords on ``count`` random messages."""
        places = sorted(self.locations)
        for _ in range(count):
            folder, uid = rng.choice(places)
            self.user.set_flags(folder, [uid], [rng.choice(TEAMMATE_KEYWORDS)], rng.random() < 0.6)

    def members(self, root: str) -> set[str]:
        """Message-IDs of the thread ``root`` on the server."""
        return {mid for mid in self.locations.values() if self.roots[mid] == root}

    def snapshot(self) -> dict[tuple[str, int], ServerMessage]:
        """(folder, UID) -> the message's Message-ID and flags, as the server has them now."""
        out: dict[tuple[str, int], ServerMessage] = {}
        for folder in FOLDERS:
            for uid, flags in self.user.flags(folder).items():
                names = frozenset(f.lower() for f in flags if f.lower() != "\\recent")
                out[(folder, uid)] = ServerMessage(self.locations[(folder, uid)], names)
        return out

    def thread_flags(
        self, snapshot: dict[tuple[str, int], ServerMessage], root: str
    ) -> list[frozenset[str]]:
        """The flags of every message of the thread ``root`` on the server."""
        return [m.flags for m in snapshot.values() if self.roots[m.message_id] == root]


# ---------------------------------------------------------------------------------------------
# What the user saw applied
# ---------------------------------------------------------------------------------------------


@dataclass
class Intents:
    """The last confirmed state of every key the user edited, and which keys are uncertain.

    ``history`` keeps, per key, a line for each edit (round, command or key press, how it
    ended), so a violation names what happened to the key."""

    states: dict[Key, object] = field(default_factory=dict)
    uncertain: set[Key] = field(default_factory=set)
    history: dict[Key, list[str]] = field(default_factory=dict)
    seen_applied: int = 0
    unconfirmed: int = 0

    def saw(self, key: Key, value: object, how: str) -> None:
        """A confirmation showed ``key`` in state ``value``."""
        self.states[key] = value
        self.uncertain.discard(key)
        self.seen_applied += 1
        self.history.setdefault(key, []).append(f"{how}: seen {value!r}")

    def unsure(self, key: Key, how: str) -> None:
        """An edit of ``key`` was killed before its confirmation: it may or may not be stored."""
        self.uncertain.add(key)
        self.unconfirmed += 1
        self.history.setdefault(key, []).append(f"{how}: not confirmed")

    def annotate(self, keys: Iterable[Key], text: str) -> None:
        """Add ``text`` to the last history line of each key (e.g. when the kill came)."""
        for key in keys:
            if self.history.get(key):
                self.history[key][-1] += text

    def story(self, key: Key) -> str:
        """The last few history lines of ``key``, for a failure message."""
        return " | ".join(self.history.get(key, [])[-4:])

    def certain(self, kind: str) -> list[tuple[Key, object]]:
        """The keys of ``kind`` (``tag``, ``read``, ``note``) whose last edit was confirmed."""
        return [
            (k, v)
            for k, v in sorted(self.states.items())
            if k[0] == kind and k not in self.uncertain
        ]


# ---------------------------------------------------------------------------------------------
# Processes: the CLI and the TUI, killed
# ---------------------------------------------------------------------------------------------


def app_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass(frozen=True)
class Outcome:
    """How one CLI run ended."""

    killed: bool
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    """From the start to the end of the process."""
    opened: float | None
    """Seconds from the start until the process had opened the watched file (None: never)."""


def _has_open(pid: int, target: str) -> bool:
    """Whether process ``pid`` has ``target`` open (read from ``/proc/PID/fd``)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                return True
        except OSError:
            continue
    return False


def wait_open(
    pid: int, alive: Callable[[], bool], target: Path, started: float, until: float | None
) -> float | None:
    """Poll until process ``pid`` has ``target`` open: the seconds that took since
    ``started``; None when it ended first (``alive`` is False) or ``until`` came first."""
    name = str(target)
    while alive() and (until is None or time.monotonic() < until):
        if _has_open(pid, name):
            return time.monotonic() - started
        time.sleep(0.0005)
    return None


def run_until_killed(
    argv: Sequence[str],
    delay: float | None,
    *,
    watch: Path | None = None,
    from_open: bool = False,
) -> Outcome:
    """Run ``argv``; SIGKILL it ``delay`` seconds after the start unless it ended (None: never).

    ``watch`` names a file whose opening marks the end of the start-up (the userdb lock: the
    interpreter's imports are over, the command's work begins); ``Outcome.opened`` says when
    that happened. With ``from_open`` the delay counts from that moment, so the kill lands in
    the work. stdout is unbuffered (``PYTHONUNBUFFERED``), so a line the command printed
    before the kill is in the pipe: a printed confirmation means it got that far."""
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=app_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    opened = None
    if watch is not None:
        until = None if from_open or delay is None else started + delay
        opened = wait_open(proc.pid, lambda: proc.poll() is None, watch, started, until)
    if delay is not None:
        if not from_open:
            delay = max(0.0, started + delay - time.monotonic())
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=120)
    return Outcome(
        killed=proc.returncode == -signal.SIGKILL,
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        seconds=time.monotonic() - started,
        opened=opened,
    )


def wait_dead(pid: int, timeout: float = 10.0) -> None:
    """Wait until ``pid`` has exited (a zombie has: its files and locks are released)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.002)
    raise AssertionError(f"process {pid} still alive {timeout} s after SIGKILL")


TMUX_CONF = """\
set -g status off
set -g remain-on-exit on
set -g exit-empty off
set -g history-limit 100
set -g default-shell /bin/sh
set -g default-size 120x40
"""
WIDTH, HEIGHT = 120, 40
PANE_BAR = "│"
_THREAD_NUMBER = re.compile(r"\(#(\d+)\)")
_PENDING = re.compile(r"· (\d+) pending")


@dataclass(frozen=True)
class Screen:
    """One capture of the 120x40 pane: thread list │ thread │ side panel, then the status bar."""

    text: str

    @property
    def status(self) -> str:
        lines = self.text.splitlines()
        return lines[HEIGHT - 1] if len(lines) >= HEIGHT else ""

    def _column(self, index: int) -> list[str]:
        out = []
        for line in self.text.splitlines()[: HEIGHT - 1]:
            parts = line.split(PANE_BAR)
            out.append(parts[index].strip() if len(parts) >= 3 else "")
        return out

    def thread_number(self) -> int | None:
        """N of the ``(#N)`` in the subject the thread pane shows, or None."""
        for line in self._column(1)[:4]:
            found = _THREAD_NUMBER.search(line)
            if found:
                return int(found.group(1))
        return None

    def body_loaded(self) -> bool:
        """Whether the thread pane shows the first message's text (its body was fetched)."""
        column = self._column(1)
        return any(line.startswith("Hi,") for line in column) and not any(
            "(body not" in line for line in column
        )

    def side_tags(self) -> frozenset[str] | None:
        """The chips in the side panel's Tags section (None when it is not drawn yet)."""
        side = self._column(-1)
        if "Tags" not in side:
            return None
        chips: set[str] = set()
        for line in side[side.index("Tags") + 1 :]:
            if not line or line.startswith("Note"):
                break
            if line != "no tags":
                chips.add(line.rstrip("↑").strip())
        return frozenset(chips)

    @property
    def pending(self) -> int:
        found = _PENDING.search(self.status)
        return int(found.group(1)) if found else 0

    @property
    def synced(self) -> bool:
        return "synced:" in self.status and "syncing" not in self.status


class TmuxApp:
    """The real TUI in a private tmux server: one session per launch, killed with SIGKILL.

    The pane runs ``exec env TERM=xterm-256color python -m supportmail.tui ...``, so the pane's PID
    is the app's own PID."""

    def __init__(self, tmux: str, workdir: Path) -> None:
        self.tmux = tmux
        self.socket = f"supportmail-kill9-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.conf = workdir / "tmux.conf"
        self.conf.write_text(TMUX_CONF)
        self.env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
        self.session = ""
        self.pid = 0
        self.launches = 0

    def _tmux(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            [self.tmux, "-L", self.socket, "-f", str(self.conf), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def launch(self, argv: Sequence[str]) -> None:
        """Start the app in a fresh session (the previous one is closed first)."""
        if self.session:
            self._tmux("kill-session", "-t", self.session, check=False)
        self.launches += 1
        self.session = f"run{self.launches}"
        command = "exec " + shlex.join(["env", "TERM=xterm-256color", *argv])
        self._tmux(
            *("new-session", "-d", "-s", self.session, "-x", str(WIDTH), "-y", str(HEIGHT)),
            *("-c", str(ROOT), command),
        )
        self.pid = int(self._tmux("display-message", "-p", "-t", self.session, "#{pane_pid}"))

    def screen(self) -> Screen:
        return Screen(self._tmux("capture-pane", "-p", "-t", self.session))

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.session, *keys)

    def alive(self) -> bool:
        try:
            state = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        return state not in ("Z", "X")

    def kill9(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        wait_dead(self.pid)

    def close(self) -> None:
        """Kill the tmux server (and whatever still runs in it); remove its socket file."""
        path = self._tmux("display-message", "-p", "#{socket_path}", check=False).strip()
        if self.pid and self.alive():
            self.kill9()
        self._tmux("kill-server", check=False)
        if path.endswith(self.socket):
            Path(path).unlink(missing_ok=True)


def tmux_binary() -> str | None:
    return shutil.which("tmux")


# ---------------------------------------------------------------------------------------------
# Local files
# ---------------------------------------------------------------------------------------------


def account_dir(data: Path) -> Path:
    return data / ACCOUNT


def load_userdb(data: Path) -> dict[str, list[dict[str, Any]]]:
    """Every table of ``userdb.json`` read with TinyDB's own JSON storage (read-only)."""
    db = TinyDB(account_dir(data) / USERDB_FILE, access_mode="r")
    try:
        return {name: [dict(doc) for doc in db.table(name).all()] for name in db.tables()}
    finally:
        db.close()


def userdb_problem(data: Path) -> str | None:
    """None when ``userdb.json`` is absent or loads with TinyDB, else what is wrong."""
    if not (account_dir(data) / USERDB_FILE).exists():
        return None
    try:
        load_userdb(data)
    except Exception as exc:  # any failure to load is the finding
        return f"userdb.json does not load with TinyDB: {type(exc).__name__}: {exc}"
    return None


def delete_cache(data: Path) -> None:
    """What a user may do any time: remove the cache (and its WAL files)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(account_dir(data) / CACHE_FILE) + suffix).unlink(missing_ok=True)


def cache_order(data: Path) -> list[str]:
    """Thread roots in the thread list's order (newest activity first), read-only."""
    with _readonly(account_dir(data) / CACHE_FILE) as db:
        rows = db.execute(
            "SELECT root FROM threads WHERE account=? ORDER BY last_date DESC, root", (ACCOUNT,)
        ).fetchall()
    return [str(r[0]) for r in rows]


def complete_threads(box: Mailbox, data: Path) -> set[str]:
    """Roots of the threads the cache knows completely: every message the server has of the
    thread is cached with that thread root (an interrupted rebuild, or messages never threaded,
    leave a thread known in part)."""
    path = account_dir(data) / CACHE_FILE
    if not path.exists():
        return set()
    cached: dict[str, set[str]] = {}
    with _readonly(path) as db:
        for mid, root in db.execute(
            "SELECT message_id, thread_root FROM messages WHERE account=?", (ACCOUNT,)
        ):
            if root is not None:
                cached.setdefault(str(root), set()).add(str(mid))
    return {root for root in box.arrived_roots if box.members(root) <= cached.get(root, set())}


@contextlib.contextmanager
def _readonly(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only sqlite connection to ``path``, closed on leaving the block."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        yield db
    finally:
        db.close()


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    """What the checks found: violations (one line each) and the figures behind them."""

    violations: list[str] = field(default_factory=list)
    checked: int = 0
    lost_keys: set[Key] = field(default_factory=set)
    duplicates: int = 0
    stale_rows: int = 0
    """Thread rows and thread roots of cached messages that differ from a rebuild."""
    stale: list[str] = field(default_factory=list)
    """What differs from a rebuild, one line per kind."""

    @property
    def lost(self) -> int:
        """How many confirmed edits (distinct keys) were found lost."""
        return len(self.lost_keys)

    def lose(self, key: Key, line: str, story: str) -> None:
        self.lost_keys.add(key)
        text = f"{key}: {line} [{story}]"
        if text not in self.violations:
            self.violations.append(text)

    def merge(self, other: Verdict) -> None:
        """Add another check's findings (the same line is kept once)."""
        self.violations += [v for v in other.violations if v not in self.violations]
        self.lost_keys |= other.lost_keys
        self.duplicates += other.duplicates


def _newest_outbox(outbox: Iterable[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in sorted(outbox, key=lambda e: int(e["seq"])):
        newest[(str(entry["thread_root"]), str(entry["keyword"]).lower())] = entry
    return newest


def _flag_keys(intents: Intents) -> list[tuple[Key, str, bool]]:
    """(key, lowercased flag, wanted) of every certain tag and read-state key."""
    out = [(k, encode_keyword(k[2]).lower(), bool(v)) for k, v in intents.certain("tag")]
    out += [(k, SEEN, bool(v)) for k, v in intents.certain("read")]
    return out


def check_durable(box: Mailbox, data: Path, intents: Intents) -> Verdict:
    """Between rounds: every confirmed edit is in the outbox (newest entry) or on the server."""
    verdict = Verdict()
    problem = userdb_problem(data)
    if problem:
        verdict.violations.append(problem)
        return verdict
    tables = load_userdb(data) if (account_dir(data) / USERDB_FILE).exists() else {}
    newest = _newest_outbox(tables.get("outbox", []))
    snapshot = box.snapshot()
    for key, flag, want in _flag_keys(intents):
        verdict.checked += 1
        entry = newest.get((key[1], flag))
        if entry is not None:
            if bool(entry["add"]) != want:
                verdict.lose(
                    key,
                    f"the outbox holds add={entry['add']}, the user saw {want}",
                    intents.story(key),
                )
            continue
        flags = box.thread_flags(snapshot, key[1])
        if not flags or any((flag in f) != want for f in flags):
            verdict.lose(
                key,
                f"neither in the outbox nor on the server (wanted {want})",
                intents.story(key),
            )
    notes = {str(n["root"]): str(n["text"]) for n in tables.get("notes", [])}
    for key, text in intents.certain("note"):
        verdict.checked += 1
        if notes.get(key[1]) != text:
            verdict.lose(
                key,
                f"the note is {notes.get(key[1])!r}, the user saw {text!r}",
                intents.story(key),
            )
    return verdict


def check_final(
    box: Mailbox,
    data: Path,
    intents: Intents,
    list_threads: Callable[[], list[Any]],
    *,
    repair_thread_rows: bool = False,
) -> Verdict:
    """After syncing until clean: everything the user saw is on the server and in the cache,
    the outbox is empty, the files load, the cache matches the server and a fresh rebuild.

    ``list_threads`` runs ``threads --json``. With ``repair_thread_rows`` thread rows that
    differ from a rebuild are counted (``Verdict.stale_rows``), not reported, and rebuilt before
    the listing is checked (the known bug in ``test_kill9.py``)."""
    verdict = Verdict()
    _check_files(data, intents, verdict)
    snapshot = box.snapshot()
    _check_server(box, snapshot, intents, verdict)
    cache = check_cache(data, snapshot)
    verdict.violations += cache.violations
    verdict.duplicates += cache.duplicates
    verdict.stale_rows = cache.stale_rows
    if cache.stale_rows:
        if repair_thread_rows:
            rethread(account_dir(data) / CACHE_FILE)
        else:
            verdict.violations += cache.stale
    _check_listing(box, intents, list_threads(), verdict)
    return verdict


def _check_files(data: Path, intents: Intents, verdict: Verdict) -> None:
    problem = userdb_problem(data)
    if problem:
        verdict.violations.append(problem)
        return
    leftovers = sorted(p.name for p in account_dir(data).glob("*.corrupt-*"))
    if leftovers:
        verdict.violations.append(f"userdb.json was found damaged at some point: {leftovers}")
    tables = load_userdb(data)
    if tables.get("outbox"):
        verdict.violations.append(f"the outbox is not empty: {tables['outbox'][:3]}")
    catalog = Counter(str(t["name"]) for t in tables.get("catalog", []))
    notes = Counter(str(n["root"]) for n in tables.get("notes", []))
    for what, counts in (("catalog tag", catalog), ("note", notes)):
        for name, n in counts.items():
            if n > 1:
                verdict.duplicates += n - 1
                verdict.violations.append(f"{what} {name!r} stored {n} times")
    texts = {str(n["root"]): str(n["text"]) for n in tables.get("notes", [])}
    for key, want in intents.certain("note"):
        verdict.checked += 1
        if texts.get(key[1]) != want:
            verdict.lose(
                key,
                f"the note is {texts.get(key[1])!r}, the user saw {want!r}",
                intents.story(key),
            )


def _check_server(
    box: Mailbox,
    snapshot: dict[tuple[str, int], ServerMessage],
    intents: Intents,
    verdict: Verdict,
) -> None:
    for key, flag, want in _flag_keys(intents):
        verdict.checked += 1
        flags = box.thread_flags(snapshot, key[1])
        wrong = [f for f in flags if (flag in f) != want]
        if not flags or wrong:
            verdict.lose(
                key,
                f"on the server {len(wrong)}/{len(flags)} messages differ ({want})",
                intents.story(key),
            )


def _check_listing(box: Mailbox, intents: Intents, listed: list[Any], verdict: Verdict) -> None:
    """``threads --json``: one row per thread on the server, the tags and read state seen."""
    by_root = {str(t["root_message_id"]): t for t in listed}
    ids = Counter(str(t["id"]) for t in listed)
    for thread_id, n in ids.items():
        if n > 1:
            verdict.duplicates += n - 1
            verdict.violations.append(f"thread {thread_id} listed {n} times")
    expected = set(box.arrived_roots)
    if set(by_root) != expected:
        missing, extra = sorted(expected - set(by_root)), sorted(set(by_root) - expected)
        verdict.violations.append(
            f"threads --json lists {len(by_root)} threads, the server has {len(expected)}: "
            f"missing {missing[:3]} (+{max(0, len(missing) - 3)}), extra {extra[:3]}"
        )
    for thread in listed:
        if thread["pending_tags"]:
            verdict.violations.append(f"{thread['id']}: still pending {thread['pending_tags']}")
    for key, want in intents.certain("tag"):
        row = by_root.get(key[1])
        if row is not None and (key[2] in row["tags"]) != want:
            verdict.lose(
                key,
                f"threads --json shows tags {row['tags']}, the user saw {want}",
                intents.story(key),
            )
    for key, want in intents.certain("read"):
        row = by_root.get(key[1])
        if row is not None and (row["unread"] == 0) != want:
            verdict.lose(
                key,
                f"threads --json shows {row['unread']} unread, wanted read={want}",
                intents.story(key),
            )


def _cache_rows(path: Path) -> list[tuple[str, int, str, str, str | None]]:
    with _readonly(path) as db:
        return [
            (str(f), int(u), str(m), str(fl), r)
            for f, u, m, fl, r in db.execute(
                "SELECT folder, uid, message_id, flags, thread_root FROM messages WHERE account=?",
                (ACCOUNT,),
            )
        ]


def _thread_table(path: Path) -> dict[str, tuple[object, ...]]:
    with _readonly(path) as db:
        rows = db.execute("SELECT * FROM threads WHERE account=? ORDER BY root", (ACCOUNT,))
        return {str(r[1]): tuple(r) for r in rows}


def rethread(path: Path) -> None:
    """Compute every thread root and thread row of the cache at ``path`` afresh."""
    cache = Cache(path)
    try:
        # The reference: the whole-mailbox threader, not the cache's incremental one.
        mapping = thread_messages(cache.thread_inputs(ACCOUNT))
        with cache.transaction() as db:
            db.executemany(
                "UPDATE messages SET thread_root=? WHERE id=?",
                [(root, key) for key, root in mapping.items()],
            )
        cache.rebuild_threads(ACCOUNT)
    finally:
        cache.close()


def _rebuilt_copy(path: Path) -> Path:
    """A copy of the cache whose thread roots and thread rows are computed afresh."""
    copy = path.with_name("rebuilt-" + path.name)
    target = sqlite3.connect(copy)
    try:
        with _readonly(path) as source:
            source.backup(target)
    finally:
        target.close()
    rethread(copy)
    return copy


def check_cache(data: Path, snapshot: dict[tuple[str, int], ServerMessage]) -> Verdict:
    """One row per server message with the server's flags (``violations``); thread roots and
    thread rows as a rebuild makes them (else ``stale_rows`` and the lines in ``stale``)."""
    verdict = Verdict()
    path = account_dir(data) / CACHE_FILE
    rows = _cache_rows(path)
    places = Counter((f, u) for f, u, _m, _fl, _r in rows)
    for place, n in places.items():
        if n > 1:
            verdict.duplicates += n - 1
            verdict.violations.append(f"cache row {place} stored {n} times")
    if set(places) != set(snapshot):
        verdict.violations.append(
            f"the cache holds {len(places)} (folder, uid), the server {len(snapshot)}"
        )
    for folder, uid, mid, flags, _root in rows:
        server = snapshot.get((folder, uid))
        if server is None:
            continue
        mine = frozenset(f.lower() for f in flags.split() if f.lower() != "\\recent")
        if server.message_id != mid or mine != server.flags:
            verdict.violations.append(
                f"cache ({folder}, {uid}) {mid} {sorted(mine)} != server "
                f"{server.message_id} {sorted(server.flags)}"
            )
    _compare_with_rebuild(path, rows, verdict)
    return verdict


def _compare_with_rebuild(
    path: Path, rows: list[tuple[str, int, str, str, str | None]], verdict: Verdict
) -> None:
    copy = _rebuilt_copy(path)
    try:
        roots = {(f, u): r for f, u, _m, _fl, r in rows}
        fresh_roots = {(f, u): r for f, u, _m, _fl, r in _cache_rows(copy)}
        wrong = sorted(p for p in roots if roots[p] != fresh_roots.get(p))
        if wrong:
            verdict.stale.append(
                f"{len(wrong)} cached messages have a wrong thread root, e.g. {wrong[:3]}"
            )
        kept, fresh = _thread_table(path), _thread_table(copy)
        differ = sorted(r for r in set(kept) | set(fresh) if kept.get(r) != fresh.get(r))
        if differ:
            verdict.stale.append(
                f"{len(differ)} thread rows differ from a rebuild, e.g. "
                + "; ".join(
                    f"{r}: {_row_brief(kept.get(r))} vs {_row_brief(fresh.get(r))}"
                    for r in differ[:2]
                )
            )
        unmapped = members_astray(path)
        if unmapped:
            verdict.stale.append(
                f"{unmapped} messages are searched under another thread row than their own"
            )
        texts = texts_astray(path)
        if texts:
            verdict.stale.append(f"{texts} thread rows are searched by another text than their own")
        verdict.stale_rows = len(differ) + len(wrong) + unmapped + texts
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(str(copy) + suffix).unlink(missing_ok=True)


def members_astray(path: Path) -> int:
    """Threaded messages whose ``thread_members`` entry (what a search counts and lists them
    under) names another row than their thread's."""
    with _readonly(path) as db:
        row = db.execute(
            "SELECT count(*) FROM messages m JOIN threads t"
            " ON t.account = m.account AND t.root = m.thread_root"
            " LEFT JOIN thread_members x ON x.message = m.id WHERE x.thread IS NOT t.rowid"
        ).fetchone()
        return int(row[0])


def texts_astray(path: Path) -> int:
    """Thread rows whose ``thread_text`` (what a search of short words reads) is missing or
    differs from the row's subject and people, and texts left without their row."""
    with _readonly(path) as db:
        row = db.execute(
            "SELECT (SELECT count(*) FROM threads t LEFT JOIN thread_text n ON n.thread = t.rowid"
            "  WHERE n.text IS NOT t.subject || char(10) || t.participants_json),"
            " (SELECT count(*) FROM thread_text n"
            "  WHERE n.thread NOT IN (SELECT rowid FROM threads))"
        ).fetchone()
        return int(row[0]) + int(row[1])


def _row_brief(row: tuple[object, ...] | None) -> str:
    """A thread row as (messages, unread, tags) for a failure message."""
    if row is None:
        return "(no row)"
    tags = [keyword_to_tag(k) or k for k in str(row[10]).split()]
    return f"({row[8]} messages, {row[9]} unread, tags {tags})"
