"""A throwaway Dovecot IMAP server for the integration tests and the benchmarks.

``Dovecot.start(base_dir)`` writes its own ``dovecot.conf`` (the system's ``/etc/dovecot`` and any
running system Dovecot are never touched), starts ``dovecot -F`` on a free port of 127.0.0.1 and
stops it by PID. Users live in a passwd-file that Dovecot re-reads whenever it changes, so
``add_user`` works while the server runs. Mail is stored as sdbox (Maildir keeps only 26 keywords
per folder). A global ACL file can deny one user the right to store keywords, which gives a folder
without ``\\*`` in PERMANENTFLAGS (``add_user(..., keywords=False)``).

Dovecot will not serve mail as uid 0. Run as root, the harness creates (once) the system user
``supportmail-test`` to own the mail files and run the unprivileged processes; run as anyone else,
everything runs as that user. As root, the files the unprivileged processes open (sockets, users,
ACL, mail) go to a private directory under the system temp dir when ``base_dir`` is not reachable
by that user (pytest's temp dirs are mode 0700); the config and the logs stay in ``base_dir``.

``MailUser`` is "the other client": each helper opens its own short ``imaplib`` session, so it
never shares state with the code under test. ``MailUser.seed`` appends in bulk with MULTIAPPEND and
LITERAL+ (one command per batch) for benchmark-sized mailboxes.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from imapclient import imap_utf7

SYSTEM_USER = "supportmail-test"
"""The account that owns the mail files when the tests run as root."""

HOST = "127.0.0.1"
_DOVECOT_CANDIDATES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
_DOVEADM_CANDIDATES = ("/usr/bin/doveadm", "/usr/local/bin/doveadm")
_START_TIMEOUT = 15.0
_SOCKET_PATH_BUDGET = 70  # unix socket paths are limited to 107 bytes; Dovecot appends names
_NOPERM_RIGHTS = "lrstipe"  # look, read, \Seen, \Deleted, insert, post, expunge; no "w"
_USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")  # Dovecot auth_username_chars
_APPENDUID_RE = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")
_SEED_BATCH_MESSAGES = 500
_SEED_BATCH_BYTES = 8 * 1024 * 1024


class DovecotError(RuntimeError):
    """The test server could not be started or driven; the message includes the log tail."""


# ---------------------------------------------------------------------------------------------
# Availability and the account Dovecot's unprivileged processes run as
# ---------------------------------------------------------------------------------------------


def _find(candidates: Sequence[str], name: str) -> str | None:
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def dovecot_available() -> str | None:
    """None when a throwaway Dovecot can be started here, else the reason it cannot."""
    binary = _find(_DOVECOT_CANDIDATES, "dovecot")
    if binary is None:
        return "the dovecot binary is not installed (Debian/Ubuntu: apt-get install dovecot-imapd)"
    if _find(_DOVEADM_CANDIDATES, "doveadm") is None:
        return "doveadm is not installed (it comes with dovecot-core)"
    try:
        version = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"'{binary} --version' failed: {exc}"
    if not re.match(r"^2\.3\.", version):
        return f"Dovecot 2.3 is required (the config syntax differs), found {version!r}"
    if os.geteuid() == 0 and not _user_exists(SYSTEM_USER) and shutil.which("useradd") is None:
        return f"running as root, but user {SYSTEM_USER!r} is missing and useradd is not available"
    return None


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@dataclasses.dataclass(frozen=True, slots=True)
class _Account:
    user: str
    group: str
    uid: int
    gid: int


def _mail_account() -> _Account:
    """The account Dovecot's unprivileged processes and the mail files belong to."""
    if os.geteuid() == 0:
        if not _user_exists(SYSTEM_USER):
            subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    SYSTEM_USER,
                ],
                check=True,
                capture_output=True,
            )
        entry = pwd.getpwnam(SYSTEM_USER)
    else:
        entry = pwd.getpwuid(os.geteuid())
    group = grp.getgrgid(entry.pw_gid).gr_name
    return _Account(entry.pw_name, group, entry.pw_uid, entry.pw_gid)


def _reachable_by(path: Path, account: _Account) -> bool:
    """Whether ``account`` may traverse every existing directory from / down to ``path``."""
    for directory in [*reversed(path.parents), path]:
        if not directory.exists():
            continue
        info = directory.stat()
        if info.st_uid == account.uid:
            bit = stat.S_IXUSR
        elif info.st_gid == account.gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not info.st_mode & bit:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


# ---------------------------------------------------------------------------------------------
# The configuration file
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Layout:
    """Where everything lives. ``work`` holds what the unprivileged processes open."""

    base: Path
    work: Path

    @property
    def config(self) -> Path:
        return self.base / "dovecot.conf"

    @property
    def log(self) -> Path:
        return self.base / "log" / "dovecot.log"

    @property
    def info_log(self) -> Path:
        return self.base / "log" / "info.log"

    @property
    def state(self) -> Path:
        return self.base / "state"

    @property
    def run(self) -> Path:
        return self.work / "run"

    @property
    def users(self) -> Path:
        """A directory with one passwd-file per user."""
        return self.work / "users"

    @property
    def acl(self) -> Path:
        return self.work / "global-acl"

    @property
    def mail(self) -> Path:
        return self.work / "mail"

    @property
    def tls_cert(self) -> Path:
        return self.base / "tls" / "cert.pem"

    @property
    def tls_key(self) -> Path:
        return self.base / "tls" / "key.pem"


def _render_config(layout: _Layout, account: _Account, port: int, tls_port: int | None) -> str:
    as_root = os.geteuid() == 0
    lines = [
        "# Written by tests/dovecot.py for one test run; never the system configuration.",
        "protocols = imap",
        f"listen = {HOST}",
        f"base_dir = {layout.run}",
        f"state_dir = {layout.state}",
        f"log_path = {layout.log}",
        f"info_log_path = {layout.info_log}",
        "disable_plaintext_auth = no",
        "auth_mechanisms = plain login",
        "auth_failure_delay = 0",
        f"default_internal_user = {account.user}",
        f"default_internal_group = {account.group}",
        f"default_login_user = {account.user}",
        f"first_valid_uid = {account.uid}",
        f"last_valid_uid = {account.uid}",
        f"first_valid_gid = {account.gid}",
        f"last_valid_gid = {account.gid}",
        "mail_location = sdbox:~/sdbox",
        "mail_max_keyword_length = 50",
        "mail_fsync = never",
        "verbose_proctitle = yes",
        "mail_plugins = $mail_plugins acl",
        # METADATA (RFC 5464) for the shared tag catalog: attributes in a file dict per user.
        "mail_attribute_dict = file:%h/dovecot-attributes",
        "protocol imap {",
        "  imap_metadata = yes",
        "  mail_plugins = $mail_plugins imap_acl",
        "  mail_max_userip_connections = 1000",
        "}",
        "plugin {",
        f"  acl = vfile:{layout.acl}:cache_secs=0",
        "}",
        "passdb {",
        "  driver = passwd-file",
        f"  args = scheme=PLAIN username_format=%u {layout.users}/%u",
        "}",
        "userdb {",
        "  driver = passwd-file",
        f"  args = username_format=%u {layout.users}/%u",
        "}",
        "service imap-login {",
        "  inet_listener imap {",
        f"    address = {HOST}",
        f"    port = {port}",
        "  }",
        "  inet_listener imaps {",
        f"    address = {HOST}",
        f"    port = {tls_port or 0}",
        "  }",
    ]
    if not as_root:
        lines.append("  chroot =")
    lines.append("}")
    if not as_root:
        lines += ["service anvil {", "  chroot =", "}"]
    if tls_port is None:
        lines.append("ssl = no")
    else:
        lines += [
            "ssl = yes",
            f"ssl_cert = <{layout.tls_cert}",
            f"ssl_key = <{layout.tls_key}",
        ]
    return "\n".join(lines) + "\n"


def _make_certificate(cert: Path, key: Path) -> None:
    """A self-signed certificate for 127.0.0.1 and localhost (openssl CLI)."""
    cert.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    key.chmod(0o600)


def _write_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(text)
    temp.chmod(mode)
    temp.replace(path)


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------


def _proc_children(parent: int) -> Iterator[tuple[int, str]]:
    """(pid, process title) of the live children of ``parent``, from /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            yield int(entry.name), title.strip()


def _wait_gone(pid: int, timeout: float) -> None:
    """Wait until ``pid`` has exited (a zombie counts as gone: its sockets are closed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if state == "Z":
            return
        time.sleep(0.01)
    raise DovecotError(f"process {pid} did not exit within {timeout} s")


class Dovecot:
    """One throwaway Dovecot instance. ``tls=True`` adds an implicit-TLS port and STARTTLS."""

    host = HOST

    def __init__(self, *, tls: bool = False) -> None:
        self.tls = tls
        self.port = 0
        self.tls_port: int | None = None
        self._account: _Account | None = None
        self._layout: _Layout | None = None
        self._owns_work_dir = False
        self._process: subprocess.Popen[bytes] | None = None
        self._users: dict[str, tuple[str, bool]] = {}

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, base_dir: Path) -> None:
        """Write the config under ``base_dir`` and start Dovecot; returns once it greets."""
        if self.running:
            raise DovecotError("this server is already running")
        reason = dovecot_available()
        if reason is not None:
            raise DovecotError(reason)
        self._account = _mail_account()
        self._layout = self._prepare_layout(Path(base_dir).resolve(), self._account)
        self._write_users()
        last_error: DovecotError | None = None
        for _attempt in range(3):
            self.port = _free_port()
            self.tls_port = _free_port() if self.tls else None
            try:
                self._launch()
                atexit.register(self.stop)
                return
            except DovecotError as exc:  # most likely a port race: try fresh ports
                last_error = exc
                self._terminate()
        assert last_error is not None
        raise last_error

    def stop(self) -> None:
        """Stop the server by PID and remove the private working directory, if any."""
        atexit.unregister(self.stop)
        self._terminate()
        if self._layout is not None and self._owns_work_dir:
            shutil.rmtree(self._layout.work, ignore_errors=True)
            self._owns_work_dir = False

    def restart(self) -> None:
        """Stop and start again with the same users, mail and port (connections drop)."""
        if self._layout is None:
            raise DovecotError("restart() before start()")
        self._terminate()
        self._launch()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def base_dir(self) -> Path:
        return self._layout_or_fail().base

    @property
    def log_path(self) -> Path:
        return self._layout_or_fail().log

    @property
    def tls_cert(self) -> Path:
        """The self-signed certificate (``tls=True`` only): use it as ``ca_file``."""
        return self._layout_or_fail().tls_cert

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the error and info logs (for failure messages)."""
        layout = self._layout_or_fail()
        text: list[str] = []
        for path in (layout.log, layout.info_log):
            if path.exists():
                text += path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(text)

    def _layout_or_fail(self) -> _Layout:
        if self._layout is None:
            raise DovecotError("the server has not been started")
        return self._layout

    def _prepare_layout(self, base: Path, account: _Account) -> _Layout:
        base.mkdir(parents=True, exist_ok=True)
        work = base
        too_long = len(str(base / "run" / "token-login")) > _SOCKET_PATH_BUDGET
        if too_long or not _reachable_by(base, account):
            work = Path(tempfile.mkdtemp(prefix="supportmail-dovecot-"))
            work.chmod(0o755)
            self._owns_work_dir = True
        layout = _Layout(base, work)
        for directory in (layout.log.parent, layout.state, layout.run):
            directory.mkdir(parents=True, exist_ok=True)
        layout.mail.mkdir(parents=True, exist_ok=True)
        os.chown(layout.mail, account.uid, account.gid)
        layout.mail.chmod(0o700)
        if self.tls:
            _make_certificate(layout.tls_cert, layout.tls_key)
        return layout

    def _launch(self) -> None:
        layout = self._layout_or_fail()
        assert self._account is not None
        layout.config.write_text(_render_config(layout, self._account, self.port, self.tls_port))
        binary = _find(_DOVECOT_CANDIDATES, "dovecot")
        assert binary is not None
        penalty_socket = layout.run / "anvil-auth-penalty"
        penalty_socket.unlink(missing_ok=True)
        with (layout.base / "log" / "stderr.log").open("ab") as stderr:
            self._process = subprocess.Popen(
                [binary, "-c", str(layout.config), "-F"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        self._disable_auth_penalty(penalty_socket)
        self._wait_ready()

    def _disable_auth_penalty(self, penalty_socket: Path) -> None:
        """After a failed login Dovecot delays every later login from that IP (4 s, 8 s, ...
        up to 15 s), and 2.3.19 does not exempt ``login_trusted_networks``. Its auth process
        silently skips the penalty when this anvil socket is missing, so remove it before the
        first connection starts the auth process (the master creates all sockets first)."""
        deadline = time.monotonic() + _START_TIMEOUT
        while not penalty_socket.exists():
            if not self.running or time.monotonic() > deadline:
                return  # _wait_ready reports the failure with the log
            time.sleep(0.005)
        penalty_socket.unlink()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if not self.running:
                raise DovecotError(f"dovecot exited at start-up:\n{self._startup_log()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=2) as probe:
                    if probe.recv(200).startswith(b"* OK"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        raise DovecotError(
            f"dovecot did not answer within {_START_TIMEOUT} s:\n{self._startup_log()}"
        )

    def _startup_log(self) -> str:
        stderr = self.base_dir / "log" / "stderr.log"
        extra = stderr.read_text(errors="replace")[-2000:] if stderr.exists() else ""
        return self.log_tail() + "\n" + extra

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        try:  # the whole process group (our own session): far faster than the master alone
            os.killpg(process.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # stragglers of our own session only

    # -- users ----------------------------------------------------------------------------------

    def add_user(self, name: str, password: str, *, keywords: bool = True) -> MailUser:
        """Create ``name`` with an empty mailbox. ``keywords=False``: no ``w`` right on INBOX,
        so its PERMANENTFLAGS lack ``\\*`` and keyword stores are ignored."""
        if not _USERNAME_RE.match(name) or name in self._users:
            raise DovecotError(f"bad or duplicate user name {name!r}")
        if any(c in password for c in ":\r\n") or not password:
            raise DovecotError("passwords for the test server must be non-empty, without ':'")
        self._users[name] = (password, keywords)
        self._write_users()
        return MailUser(self.host, self.port, name, password, server=self)

    def set_keyword_rights(self, name: str, allowed: bool) -> None:
        """Grant or revoke ``name``'s right to store keywords on INBOX while the server runs
        (the global ACL is read without caching): new sessions see PERMANENTFLAGS with or
        without ``\\*``; keywords already on messages stay and are still fetched."""
        password, _keywords = self._users[name]
        self._users[name] = (password, allowed)
        self._write_users()

    def _write_users(self) -> None:
        """One passwd-file per user (``users/<name>``): Dovecot stats a passwd-file at most once
        a second, so a shared file would hide users added within the same second; a new
        per-user file is read on its first lookup."""
        layout = self._layout_or_fail()
        assert self._account is not None
        uid, gid = self._account.uid, self._account.gid
        layout.users.mkdir(exist_ok=True)
        layout.users.chmod(0o755)
        for name, (password, _keywords) in self._users.items():
            entry = f"{name}:{{PLAIN}}{password}:{uid}:{gid}::{layout.mail / name}::\n"
            if not (layout.users / name).exists():
                _write_atomically(layout.users / name, entry)
        acl = [
            f"INBOX user={name} {_NOPERM_RIGHTS}\n"
            for name, (_password, keywords) in self._users.items()
            if not keywords
        ]
        _write_atomically(layout.acl, "".join(acl))

    def imap_processes(self, username: str) -> list[int]:
        """PIDs of this server's ``imap`` processes serving ``username``."""
        if self._process is None:
            return []
        marker = f"[{username} "
        return [
            pid
            for pid, title in _proc_children(self._process.pid)
            if title.startswith("dovecot/imap ") and marker in title
        ]

    def kill_imap_processes(self, username: str) -> int:
        """SIGKILL every ``imap`` process of ``username`` (drops its connections at once);
        returns how many were killed."""
        victims = self.imap_processes(username)
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in victims:
            _wait_gone(pid, timeout=5)
        return len(victims)

    def doveadm(self, *args: str) -> str:
        """Run ``doveadm -c <our config> ...`` and return its stdout."""
        binary = _find(_DOVEADM_CANDIDATES, "doveadm")
        assert binary is not None
        done = subprocess.run(
            [binary, "-c", str(self._layout_or_fail().config), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise DovecotError(f"doveadm {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout


# ---------------------------------------------------------------------------------------------
# The other client
# ---------------------------------------------------------------------------------------------


def _mailbox(name: str) -> str:
    """A mailbox name as an IMAP quoted string (modified UTF-7, hence ASCII)."""
    encoded: str = imap_utf7.encode(name).decode("ascii")
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _flag_list(flags: Iterable[str]) -> str:
    return "(" + " ".join(flags) + ")"


def _uid_chunks(uids: Iterable[int], limit: int = 2000) -> list[str]:
    """Compact UID sets (``1:4,9``) of at most ``limit`` characters each."""
    runs: list[list[int]] = []
    for uid in sorted(set(uids)):
        if runs and uid == runs[-1][1] + 1:
            runs[-1][1] = uid
        else:
            runs.append([uid, uid])
    chunks: list[str] = []
    for first, last in runs:
        part = str(first) if first == last else f"{first}:{last}"
        if chunks and len(chunks[-1]) + len(part) < limit:
            chunks[-1] += "," + part
        else:
            chunks.append(part)
    return chunks


def _check(result: tuple[str, list[Any]], what: str) -> list[Any]:
    typ, data = result
    if typ != "OK":
        raise DovecotError(f"{what} failed: {typ} {data!r}")
    return data


def _crlf(raw: bytes) -> bytes:
    return re.sub(rb"\r?\n", b"\r\n", raw)


@dataclasses.dataclass(frozen=True)
class MailUser:
    """A mailbox on the test server, and an independent client to inspect and change it."""

    host: str
    port: int
    username: str
    password: str
    server: Dovecot = dataclasses.field(repr=False, compare=False)

    @contextlib.contextmanager
    def session(self) -> Iterator[imaplib.IMAP4]:
        """A fresh, logged-in ``imaplib`` connection, logged out afterwards."""
        client = imaplib.IMAP4(self.host, self.port, timeout=30)
        try:
            _check(client.login(self.username, self.password), "LOGIN")
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def _select(self, client: imaplib.IMAP4, folder: str, readonly: bool = False) -> None:
        _check(client.select(_mailbox(folder), readonly=readonly), f"SELECT {folder}")

    def append(
        self, folder: str, raw: bytes, flags: Sequence[str] = (), date: datetime | None = None
    ) -> int:
        """APPEND one message (line ends normalised to CRLF); returns its UID."""
        when = imaplib.Time2Internaldate(date) if date is not None else None
        with self.session() as client:
            data = _check(
                client.append(_mailbox(folder), _flag_list(flags), when, _crlf(raw)),
                f"APPEND to {folder}",
            )
        match = _APPENDUID_RE.search(data[0] if isinstance(data[0], bytes) else b"")
        if match is None:
            raise DovecotError(f"no APPENDUID in {data!r}")
        return int(match.group(2))

    def create_folder(self, folder: str) -> None:
        with self.session() as client:
            _check(client.create(_mailbox(folder)), f"CREATE {folder}")

    def delete_folder(self, folder: str) -> None:
        with self.session() as client:
            _check(client.delete(_mailbox(folder)), f"DELETE {folder}")

    def recreate_folder(self, folder: str, *, keep_messages: bool = False) -> int:
        """Delete and create ``folder`` (INBOX: rename it away first), so it gets a new
        UIDVALIDITY; with ``keep_messages`` its messages are appended again with their flags
        and dates (new UIDs). Returns the new UIDVALIDITY."""
        saved = self._messages(folder) if keep_messages else []
        with self.session() as client:
            if folder.upper() == "INBOX":
                parking = f"recreate-{time.monotonic_ns()}"
                _check(client.rename(_mailbox(folder), _mailbox(parking)), "RENAME INBOX")
                _check(client.delete(_mailbox(parking)), f"DELETE {parking}")
            else:
                _check(client.delete(_mailbox(folder)), f"DELETE {folder}")
                _check(client.create(_mailbox(folder)), f"CREATE {folder}")
            for raw, flags, date in saved:
                _check(
                    client.append(_mailbox(folder), _flag_list(flags), date, raw),
                    f"APPEND to {folder}",
                )
        return self.uidvalidity(folder)

    def _messages(self, folder: str) -> list[tuple[bytes, tuple[str, ...], str]]:
        """(raw, flags, quoted INTERNALDATE) of every message in UID order."""
        flags = self.flags(folder)
        saved = []
        with self.session() as client:
            self._select(client, folder, readonly=True)
            for uid in sorted(flags):
                data = _check(client.uid("FETCH", str(uid), "(INTERNALDATE BODY.PEEK[])"), "FETCH")
                head, raw = data[0]
                date = re.search(rb'INTERNALDATE ("[^"]+")', head)
                if date is None:
                    raise DovecotError(f"no INTERNALDATE in {head!r}")
                saved.append((raw, flags[uid], date.group(1).decode()))
        return saved

    def set_flags(
        self, folder: str, uids: Iterable[int], flags: Sequence[str], add: bool = True
    ) -> None:
        """UID STORE +FLAGS / -FLAGS (system flags and keywords alike)."""
        with self.session() as client:
            self._select(client, folder)
            command = "+FLAGS.SILENT" if add else "-FLAGS.SILENT"
            for chunk in _uid_chunks(uids):
                _check(client.uid("STORE", chunk, command, _flag_list(flags)), "STORE")

    def expunge(self, folder: str, uids: Iterable[int]) -> None:
        """Mark ``uids`` \\Deleted and UID EXPUNGE exactly those."""
        with self.session() as client:
            self._select(client, folder)
            for chunk in _uid_chunks(uids):
                _check(client.uid("STORE", chunk, "+FLAGS.SILENT", r"(\Deleted)"), "STORE")
                _check(client.uid("EXPUNGE", chunk), "UID EXPUNGE")

    def flags(self, folder: str) -> dict[int, tuple[str, ...]]:
        """Every message's flags (without the session flag \\Recent), by UID."""
        with self.session() as client:
            self._select(client, folder, readonly=True)
            data = _check(client.uid("FETCH", "1:*", "(UID FLAGS)"), "FETCH")
        result: dict[int, tuple[str, ...]] = {}
        for item in data:
            if not isinstance(item, bytes):
                continue
            match = re.search(rb"UID (\d+) FLAGS \(([^)]*)\)", item)
            if match is not None:
                names = match.group(2).decode().split()
                result[int(match.group(1))] = tuple(f for f in names if f != "\\Recent")
        return result

    def uidvalidity(self, folder: str) -> int:
        with self.session() as client:
            data = _check(client.status(_mailbox(folder), "(UIDVALIDITY)"), "STATUS")
        match = re.search(rb"UIDVALIDITY (\d+)", data[0] if isinstance(data[0], bytes) else b"")
        if match is None:
            raise DovecotError(f"no UIDVALIDITY in {data!r}")
        return int(match.group(1))

    def set_keyword_rights(self, allowed: bool) -> None:
        """Let this user store keywords on INBOX or not (see ``Dovecot.set_keyword_rights``)."""
        self.server.set_keyword_rights(self.username, allowed)

    def kill_imap_processes(self) -> int:
        """Drop every IMAP connection of this user (see ``Dovecot.kill_imap_processes``)."""
        return self.server.kill_imap_processes(self.username)

    def seed(self, folder: str, messages: Iterable[bytes], flags: Sequence[str] = ()) -> int:
        """Append many messages fast: MULTIAPPEND batches with LITERAL+ on one connection.
        Every message gets ``flags``; returns how many were appended."""
        with _RawSession(self.host, self.port) as raw:
            raw.login(self.username, self.password)
            count = 0
            batch: list[bytes] = []
            size = 0
            for message in messages:
                batch.append(_crlf(message))
                size += len(batch[-1])
                if len(batch) >= _SEED_BATCH_MESSAGES or size >= _SEED_BATCH_BYTES:
                    count += raw.multiappend(folder, batch, flags)
                    batch, size = [], 0
            if batch:
                count += raw.multiappend(folder, batch, flags)
        return count


class _RawSession:
    """Just enough IMAP over a bare socket to LOGIN and MULTIAPPEND without round trips."""

    def __init__(self, host: str, port: int) -> None:
        self._sock = socket.create_connection((host, port), timeout=120)
        self._file = self._sock.makefile("rb")
        self._tag = 0
        greeting = self._file.readline()
        if not greeting.startswith(b"* OK"):
            raise DovecotError(f"unexpected greeting {greeting!r}")

    def __enter__(self) -> _RawSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(OSError, DovecotError):
            self.command(b"LOGOUT")
        self._file.close()
        self._sock.close()

    def command(self, payload: bytes) -> bytes:
        """Send one tagged command; returns its tagged completion (raises unless OK)."""
        self._tag += 1
        tag = b"s%d" % self._tag
        self._sock.sendall(tag + b" " + payload + b"\r\n")
        while True:
            line = self._file.readline()
            if not line:
                raise DovecotError("the server closed the connection")
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise DovecotError(f"command failed: {line!r}")
                return line

    def login(self, username: str, password: str) -> None:
        quoted = [
            b'"' + s.encode().replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
            for s in (username, password)
        ]
        self.command(b"LOGIN " + b" ".join(quoted))

    def multiappend(self, folder: str, messages: Sequence[bytes], flags: Sequence[str]) -> int:
        flag_list = _flag_list(flags).encode()
        parts = [b"APPEND " + _mailbox(folder).encode()]
        for message in messages:
            parts.append(b" %s {%d+}\r\n" % (flag_list, len(message)))
            parts.append(message)
        self.command(b"".join(parts))
        return len(messages)
