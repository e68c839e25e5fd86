"""Launch aerc and NeoMutt in tmux against an IMAP mailbox and time their first screen.

For issue 5's side-by-side comparison: the same mailbox, the same machine, the same run. Each
client runs from Debian's package in a private tmux server (``tmux -L <unique>``), in a pane of
``cols`` x ``rows``, with a clean environment (``env -i``) whose HOME and XDG directories all lie
under ``workdir/<client>/``, so no real user configuration or cache is read or written.

``measure`` does, per client:

* an unreported **server warm-up** launch with a throwaway cache (``prime_server=True``), so
  Dovecot has built its own index cache for the fields this client asks for, as it would for a
  mailbox in use (``bench_sync.py`` primes the server the same way for supportmail);
* **cold**: a launch with an empty client cache, from just before ``tmux new-session`` until
  ``capture-pane -p`` (polled every 10 ms) shows ``subject``;
* **warm**: ``runs`` more launches that keep the cache the cold launch left.

After the subject is visible the client's peak RSS (``VmHWM`` from ``/proc/PID/status``) is
read, then the client is asked to quit (``q``, so its cache is closed cleanly), killed if it
has not exited in time, and the tmux server is always killed at the end. A client that is
missing, exits, or never shows the subject gives a ``ClientRun`` with ``seconds=None`` and a
one-line note; nothing here raises for a failing client.

Cache settings: aerc ``cache-headers = true`` (LevelDB under ``$XDG_CACHE_HOME/aerc``; aerc
fetches and caches only the headers of the rows it shows); NeoMutt ``header_cache`` (a
directory, Debian's build uses Tokyo Cabinet) and ``message_cachedir``. Order: aerc keeps its
default (newest UID on top, no SORT), NeoMutt ``sort=reverse-date``; the known subject must be
the newest message (highest UID and latest date) so it is on the first screen of both.

Run alone for a self-check (starts a throwaway Dovecot, seeds INBOX, measures both)::

    .venv/bin/python tests/bench/other_clients.py --messages 2000 --runs 2
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.dovecot import Dovecot, MailUser, dovecot_available  # noqa: E402
from tests.mailgen import TEAM, message, support_mailbox  # noqa: E402

CLIENTS = ("aerc", "neomutt")
POLL_SECONDS = 0.01
QUIT_SECONDS = 30.0
"""How long a client may take to exit after ``q`` before it is killed."""
QUIT_KEYS = {"aerc": ("q",), "neomutt": ("q",)}
"""``send-keys`` arguments that quit each client from its message list (aerc: our binds.conf;
NeoMutt: ``quit=yes``, no question)."""
EXIT_MARK = "other-clients-exit="
CLIENT_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
TMUX_CONF = "set -g status off\nset -g exit-empty off\nset -g default-shell /bin/sh\n"
SOCKET_PATH_BUDGET = 90
"""aerc listens on ``$XDG_RUNTIME_DIR/aerc.sock``; unix socket paths are limited to 107 bytes."""
_VERSION_RE = {
    "aerc": re.compile(r"aerc\s+(\S+)"),
    "neomutt": re.compile(r"NeoMutt\s+(\S+)"),
}


@dataclass(frozen=True)
class ClientRun:
    """One launch of one client."""

    client: str
    """``aerc`` or ``neomutt``."""
    mode: str
    """``cold`` (empty cache) or ``warm`` (the cache of the earlier launches)."""
    seconds: float | None
    """Launch until the subject was visible; None if it never appeared."""
    peak_rss_mib: float | None
    """``VmHWM`` of the client process right after the subject appeared."""
    note: str
    """The client's version, or why the launch failed (one line)."""


@dataclass(frozen=True)
class Account:
    """Where the mailbox is: plaintext IMAP on a test server."""

    host: str
    port: int
    username: str
    password: str
    folder: str = "INBOX"


@dataclass(frozen=True)
class Dirs:
    """One client's private HOME, XDG directories and password file."""

    root: Path

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def runtime(self) -> Path:
        return self.root / "run"

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    def env(self) -> dict[str, str]:
        """The whole environment of the client (nothing is inherited)."""
        return {
            "PATH": CLIENT_PATH,
            "HOME": str(self.home),
            "USER": "bench",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TERM": "xterm-256color",
            "XDG_CONFIG_HOME": str(self.config),
            "XDG_CACHE_HOME": str(self.cache),
            "XDG_DATA_HOME": str(self.data),
            "XDG_STATE_HOME": str(self.state),
            "XDG_RUNTIME_DIR": str(self.runtime),
        }


# ---------------------------------------------------------------------------------------------
# Configuration of each client
# ---------------------------------------------------------------------------------------------


def aerc_files(account: Account, dirs: Dirs) -> dict[Path, str]:
    """aerc 0.14's ``accounts.conf``, ``aerc.conf`` and ``binds.conf``. ``imap+insecure`` is
    plaintext IMAP without STARTTLS; the password comes from ``source-cred-cmd``."""
    user = quote(account.username, safe="")
    accounts = (
        "[bench]\n"
        f"source = imap+insecure://{user}@{account.host}:{account.port}\n"
        f"source-cred-cmd = cat {shlex.quote(str(dirs.password_file))}\n"
        f"default = {account.folder}\n"
        "from = Bench <bench@example.test>\n"
        "cache-headers = true\n"
    )
    ui = "[ui]\nnew-message-bell = false\n"
    binds = "[messages]\nq = :quit<Enter>\n"
    base = dirs.config / "aerc"
    return {base / "accounts.conf": accounts, base / "aerc.conf": ui, base / "binds.conf": binds}


def _muttrc_string(value: str) -> str:
    """A NeoMutt config string in double quotes (backslash, quote, backtick and $ escaped)."""
    escaped = re.sub(r'([\\"`$])', r"\\\1", value)
    return f'"{escaped}"'


def neomutt_files(account: Account, dirs: Dirs) -> dict[Path, str]:
    """One ``muttrc``: plaintext IMAP (no STARTTLS), header and body caches under the client's
    cache dir, newest first, and nothing that could prompt."""
    folder = f"imap://{quote(account.username, safe='')}@{account.host}:{account.port}/"
    cache = dirs.cache / "neomutt"
    settings = {
        "folder": _muttrc_string(folder),
        "spoolfile": _muttrc_string("+" + account.folder),
        "imap_user": _muttrc_string(account.username),
        "imap_pass": _muttrc_string(account.password),
        "imap_authenticators": _muttrc_string("login"),
        "ssl_starttls": "no",
        "ssl_force_tls": "no",
        "header_cache": _muttrc_string(f"{cache / 'headers'}/"),
        "message_cachedir": _muttrc_string(f"{cache / 'bodies'}/"),
        "sort": "reverse-date",
        "imap_check_subscribed": "no",
        "mail_check_stats": "no",
        "hostname": _muttrc_string("bench.example"),
        "record": _muttrc_string(""),
        "postponed": _muttrc_string(str(dirs.home / "postponed")),
        "mbox": _muttrc_string(str(dirs.home / "mbox")),
        "move": "no",
        "quit": "yes",
        "wait_key": "no",
        "beep": "no",
        "beep_new": "no",
        "sidebar_visible": "no",
        "imap_idle": "no",
    }
    muttrc = "".join(f"set {name} = {value}\n" for name, value in settings.items())
    return {dirs.config / "neomutt" / "neomuttrc": muttrc}


def client_files(client: str, account: Account, dirs: Dirs) -> dict[Path, str]:
    if client == "aerc":
        return aerc_files(account, dirs)
    if client == "neomutt":
        return neomutt_files(account, dirs)
    raise ValueError(f"unknown client {client!r}; known: {', '.join(CLIENTS)}")


def client_argv(client: str, dirs: Dirs) -> list[str]:
    """The command line (aerc finds its files through ``XDG_CONFIG_HOME``; NeoMutt reads only
    the given file, ``-n`` skips the system-wide one)."""
    if client == "neomutt":
        return ["neomutt", "-n", "-F", str(dirs.config / "neomutt" / "neomuttrc")]
    return [client]


def cache_dirs(client: str, dirs: Dirs) -> list[Path]:
    """The directories a client's cache lives in (emptied for a cold launch)."""
    if client == "neomutt":
        return [dirs.cache / "neomutt" / "headers", dirs.cache / "neomutt" / "bodies"]
    return [dirs.cache / "aerc"]


def prepare(client: str, account: Account, dirs: Dirs) -> None:
    """Create the directories and write the config and password file (mode 0600)."""
    for directory in (dirs.home, dirs.config, dirs.cache, dirs.data, dirs.state, dirs.runtime):
        directory.mkdir(parents=True, exist_ok=True)
    dirs.runtime.chmod(0o700)
    _write_private(dirs.password_file, account.password)
    for path, text in client_files(client, account, dirs).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_private(path, text)
    empty_cache(client, dirs)


def empty_cache(client: str, dirs: Dirs) -> None:
    for directory in cache_dirs(client, dirs):
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)


def _write_private(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)  # aerc refuses an accounts.conf that others can read


# ---------------------------------------------------------------------------------------------
# Installation and versions
# ---------------------------------------------------------------------------------------------


def client_version(name: str) -> str | None:
    """``aerc 0.14.0`` / ``NeoMutt 20220429``, or None when the binary is missing or fails."""
    if shutil.which(name, path=CLIENT_PATH) is None:
        return None
    try:
        done = subprocess.run(
            [name, "-v"], capture_output=True, text=True, timeout=20, env={"PATH": CLIENT_PATH}
        )
    except (OSError, subprocess.SubprocessError):
        return None
    pattern = _VERSION_RE.get(name)
    match = pattern.search(done.stdout + done.stderr) if pattern else None
    if match is None:
        first = (done.stdout or done.stderr).strip().splitlines()
        return first[0] if first else None
    return f"{name if name == 'aerc' else 'NeoMutt'} {match.group(1)}"


def _apt_install(name: str) -> str | None:
    """``apt-get install -y NAME`` (with one ``apt-get update`` retry); None or the error."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for update_first in (False, True):
        try:
            if update_first:
                subprocess.run(["apt-get", "update"], capture_output=True, timeout=600, env=env)
            done = subprocess.run(
                ["apt-get", "install", "-y", name],
                capture_output=True,
                text=True,
                timeout=900,
                env=env,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return str(exc)
        if done.returncode == 0:
            return None
    tail = (done.stderr or done.stdout).strip().splitlines()
    return tail[-1] if tail else f"apt-get exited {done.returncode}"


def ensure_installed(names: Sequence[str] = CLIENTS) -> dict[str, str | None]:
    """Each client's version string, installing a missing one with apt-get when running as root.
    A client that stays unavailable maps to None and the reason is printed to stderr."""
    versions: dict[str, str | None] = {}
    for name in names:
        version = client_version(name)
        if version is None:
            reason = f"{name} is not installed"
            if os.geteuid() == 0 and shutil.which("apt-get"):
                error = _apt_install(name)
                version = client_version(name)
                if version is None:
                    reason = f"apt-get install {name} failed: {error or 'no binary after install'}"
            else:
                reason += " (run as root with apt-get, or: apt-get install -y " + name + ")"
            if version is None:
                print(f"other_clients: {reason}", file=sys.stderr)
        versions[name] = version
    return versions


# ---------------------------------------------------------------------------------------------
# tmux
# ---------------------------------------------------------------------------------------------


class LaunchError(RuntimeError):
    """A launch failed; the message is the one-line note of its ``ClientRun``."""


class Tmux:
    """A private tmux server (own socket and config) for one ``measure`` call."""

    def __init__(self, workdir: Path, cols: int, rows: int) -> None:
        self.socket = f"other-clients-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.conf = workdir / "tmux.conf"
        self.conf.write_text(TMUX_CONF + f"set -g default-size {cols}x{rows}\n")
        self.cols, self.rows = cols, rows
        cleared = ("TMUX", "TMUX_PANE", "COLUMNS", "LINES")
        self.env = {k: v for k, v in os.environ.items() if k not in cleared}
        self.sessions = 0
        self.session = ""

    def run(self, *args: str, check: bool = True) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", str(self.conf), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=15,
            check=check,
        ).stdout

    def start_server(self) -> None:
        self.run("start-server")

    def new_session(self, command: str) -> None:
        if self.session:
            self.run("kill-session", "-t", self.session, check=False)
        self.sessions += 1
        self.session = f"run{self.sessions}"
        self.run(
            "new-session", "-d", "-s", self.session,
            "-x", str(self.cols), "-y", str(self.rows), command,
        )  # fmt: skip

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.session)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys, check=False)

    def client_pid(self) -> int | None:
        """The client: the child of the pane's shell."""
        with contextlib.suppress(OSError, ValueError, subprocess.SubprocessError):
            shell = self.run("display-message", "-p", "-t", self.session, "#{pane_pid}").strip()
            children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
            return int(children[0]) if children else None
        return None

    def close(self) -> None:
        """Kill the server (its panes get SIGHUP) and remove its socket file."""
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            self.run("kill-server", check=False)
        tmpdir = Path(os.environ.get("TMUX_TMPDIR") or "/tmp")
        with contextlib.suppress(OSError):
            (tmpdir / f"tmux-{os.getuid()}" / self.socket).unlink(missing_ok=True)


def vm_hwm_mib(pid: int) -> float | None:
    """Peak resident memory of a process (``VmHWM``), in MiB; None if it is gone."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def _last_words(screen: str) -> str:
    """The last non-blank lines of a screen, squeezed into one short line for a note."""
    lines = [" ".join(re.sub(r"-{4,}", "---", line).split()) for line in screen.splitlines()]
    lines = [line for line in lines if line]
    text = " | ".join(line for line in lines[-3:] if EXIT_MARK not in line)
    return text[:200] or "(blank screen)"


def wait_for(tmux: Tmux, found: Callable[[str], bool], timeout: float) -> float:
    """Poll the pane until ``found(screen)``; returns that moment (``perf_counter``). Raises
    ``LaunchError`` when the client exits first or ``timeout`` passes."""
    deadline = time.perf_counter() + timeout
    screen = ""
    while True:
        screen = tmux.screen()
        if found(screen):
            return time.perf_counter()
        exited = re.search(rf"{EXIT_MARK}(\d+)", screen)
        if exited:
            raise LaunchError(f"exited with {exited.group(1)}: {_last_words(screen)}")
        if time.perf_counter() > deadline:
            raise LaunchError(f"not visible after {timeout:.0f} s: {_last_words(screen)}")
        time.sleep(POLL_SECONDS)


def launch_once(
    tmux: Tmux, client: str, dirs: Dirs, subject: str, timeout: float
) -> tuple[float, float | None]:
    """One launch in a new session: (seconds to the subject, peak RSS MiB). Quits the client
    with its key and waits for it to exit (so its cache is closed) before returning."""
    env = ["env", "-i", *(f"{k}={v}" for k, v in dirs.env().items())]
    app = shlex.join([*env, *client_argv(client, dirs)])
    command = f"cd {shlex.quote(str(dirs.home))} && {app}; echo {EXIT_MARK}$?; exec sleep 86400"
    start = time.perf_counter()
    tmux.new_session(command)
    shown = wait_for(tmux, lambda screen: subject in screen, timeout)
    pid = tmux.client_pid()
    rss = vm_hwm_mib(pid) if pid is not None else None
    tmux.keys(*QUIT_KEYS[client])
    with contextlib.suppress(LaunchError):
        wait_for(tmux, lambda screen: EXIT_MARK in screen, QUIT_SECONDS)
    if pid is not None and vm_hwm_mib(pid) is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return shown - start, rss


# ---------------------------------------------------------------------------------------------
# The measurement
# ---------------------------------------------------------------------------------------------


def _client_root(workdir: Path, client: str) -> Path:
    """``workdir/<client>``, or a short private temp dir when that path would make aerc's
    runtime socket path too long."""
    root = Path(workdir).resolve() / client
    if len(str(root / "run" / "aerc.sock")) <= SOCKET_PATH_BUDGET:
        return root
    return Path(tempfile.mkdtemp(prefix=f"oc-{client}-"))


def _failed(client: str, modes: Sequence[str], note: str) -> list[ClientRun]:
    return [ClientRun(client, mode, None, None, note) for mode in modes]


def measure(
    client: str,
    *,
    host: str,
    port: int,
    username: str,
    password: str,
    folder: str = "INBOX",
    subject: str,
    workdir: Path,
    runs: int = 1,
    timeout: float = 120.0,
    cols: int = 160,
    rows: int = 48,
    prime_server: bool = True,
) -> list[ClientRun]:
    """One cold launch (empty cache), then ``runs`` warm launches (the cache kept), in a private
    tmux server. ``prime_server`` adds an unreported launch with a throwaway cache first, so the
    IMAP server has built its own caches for this client's requests. Never raises for a failing
    client: its runs have ``seconds=None`` and the reason in ``note``."""
    modes = ["cold"] + ["warm"] * runs
    if client not in CLIENTS:
        return _failed(client, modes, f"unknown client; known: {', '.join(CLIENTS)}")
    version = client_version(client)
    if version is None:
        return _failed(client, modes, f"{client} is not installed (apt-get install -y {client})")
    if shutil.which("tmux") is None:
        return _failed(client, modes, "tmux is not installed")
    account = Account(host, port, username, password, folder)
    dirs = Dirs(_client_root(workdir, client))
    tmux: Tmux | None = None
    try:
        prepare(client, account, dirs)
        tmux = Tmux(dirs.root, cols, rows)
        tmux.start_server()
        if prime_server:
            try:
                launch_once(tmux, client, dirs, subject, timeout)
            except LaunchError as exc:
                return _failed(client, modes, f"warm-up launch {exc}")
            empty_cache(client, dirs)
        return _launches(tmux, client, dirs, subject, timeout, modes, version)
    except (OSError, subprocess.SubprocessError) as exc:
        return _failed(client, modes, f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
    finally:
        if tmux is not None:
            tmux.close()
        if not dirs.root.is_relative_to(Path(workdir).resolve()):
            shutil.rmtree(dirs.root, ignore_errors=True)


def _launches(
    tmux: Tmux,
    client: str,
    dirs: Dirs,
    subject: str,
    timeout: float,
    modes: Sequence[str],
    version: str,
) -> list[ClientRun]:
    results: list[ClientRun] = []
    for mode in modes:
        try:
            seconds, rss = launch_once(tmux, client, dirs, subject, timeout)
        except LaunchError as exc:
            results.append(ClientRun(client, mode, None, None, str(exc)))
            continue
        results.append(ClientRun(client, mode, seconds, rss, version))
    return results


# ---------------------------------------------------------------------------------------------
# Self-check: a throwaway Dovecot, a generated INBOX and both clients
# ---------------------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def summary_lines(results: Sequence[ClientRun]) -> list[str]:
    """One line per launch, then the median warm seconds and peak RSS per client."""
    lines = [f"{'client':<8} {'mode':<5} {'seconds':>8} {'RSS MiB':>8}  note"]
    for run in results:
        lines.append(
            f"{run.client:<8} {run.mode:<5} {_fmt(run.seconds, '8.2f'):>8}"
            f" {_fmt(run.peak_rss_mib, '8.0f'):>8}  {run.note}"
        )
    for client in dict.fromkeys(run.client for run in results):
        warm = [r.seconds for r in results if r.client == client and r.mode == "warm"]
        warm_ok = [s for s in warm if s is not None]
        rss = [r.peak_rss_mib for r in results if r.client == client and r.peak_rss_mib]
        median = statistics.median(warm_ok) if warm_ok else None
        lines.append(
            f"{client:<8} warm median {_fmt(median, '.2f')} s of {len(warm_ok)}/{len(warm)},"
            f" peak RSS max {_fmt(max(rss) if rss else None, '.0f')} MiB"
        )
    return lines


def newest_message(after: bytes, subject: str) -> bytes:
    """A message with ``subject`` dated one minute after the message ``after``."""
    date = parsedate_to_datetime(str(message_from_bytes(after)["Date"]))
    return message(
        message_id=f"{subject.lower()}@bench.example",
        subject=subject,
        sender="Bench <bench@bench.example>",
        to=TEAM,
        date=date + timedelta(minutes=1),
        body="The newest message.\n",
    )


def seed_inbox(user: MailUser, messages: int) -> str:
    """Seed INBOX with ``messages`` generated support messages (``\\Seen``), then one newest
    message (highest UID, latest date) whose unique subject is returned."""
    generated = [
        m.raw for m in itertools.islice(support_mailbox(messages, replies=False), messages)
    ]
    subject = f"BENCH-NEWEST-{messages}"
    user.seed("INBOX", generated, flags=["\\Seen"])
    user.seed("INBOX", [newest_message(generated[-1], subject)])
    return subject


def _self_check(messages: int, runs: int, clients: Sequence[str], timeout: float) -> int:
    reason = dovecot_available()
    if reason is not None:
        print(f"other_clients: Dovecot unavailable: {reason}", file=sys.stderr)
        return 2
    versions = ensure_installed(clients)
    print("clients: " + ", ".join(f"{n} {v or 'unavailable'}" for n, v in versions.items()))
    results: list[ClientRun] = []
    with tempfile.TemporaryDirectory(prefix="oc-") as tmp:
        server = Dovecot()
        server.start(Path(tmp) / "dovecot")
        try:
            user = server.add_user("bench", "bench-pw")
            start = time.perf_counter()
            subject = seed_inbox(user, messages)
            print(f"seeded {messages + 1:,} messages in {time.perf_counter() - start:.1f} s")
            for client in clients:
                results += measure(
                    client,
                    host=user.host,
                    port=user.port,
                    username=user.username,
                    password=user.password,
                    subject=subject,
                    workdir=Path(tmp),
                    runs=runs,
                    timeout=timeout,
                )
        finally:
            server.stop()
    print("\n".join(summary_lines(results)))
    return 0 if all(r.seconds is not None for r in results) else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="INBOX size (default 2000)")
    parser.add_argument("--runs", type=int, default=2, help="warm launches per client")
    parser.add_argument("--clients", default=",".join(CLIENTS), help="comma-separated")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per launch")
    args = parser.parse_args(argv)
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    return _self_check(args.messages, args.runs, clients, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
