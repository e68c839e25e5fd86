"""Where the warm first screen's time goes: start-up phases of ``supportmail`` (the TUI).

    .venv/bin/python tests/bench/bench_first_screen.py [--size 10000] [--runs 7]
    .venv/bin/python tests/bench/bench_first_screen.py --smoke     # 500 messages, 1 run

It starts a throwaway Dovecot, seeds INBOX (``bench_compare.seed``), syncs a data dir with the
CLI and then measures, alternating the rows run by run so a change of load hits them alike:

* the CPU time of each import phase in a fresh interpreter with the collector off (as
  ``tui.launch`` starts): the CLI with the service and the settings (``tui.cli``), then Textual
  (``textual.app``), then the app's own modules (``tui.app``), and opening the service (cache and
  userdb) after those imports;
* the warm first screen: ``tmux new-session`` until the newest subject is on screen (as
  ``bench_compare.py`` times it), an empty Textual app showing one line in the same tmux
  measurement (the floor any Textual app pays), and aerc's warm first screen when aerc is
  installed (``other_clients.py``), each launch alternating with the others: on a shared
  machine a change of load then hits supportmail and aerc alike.

Medians of ``--runs``. Prints a table; asserts nothing.

``--instructions`` adds a measure a loaded machine cannot move: the instructions each start-up
phase executes, counted by ``valgrind --tool=callgrind`` (when valgrind is installed), one fresh
interpreter per cumulative phase (the interpreter alone, then Textual, the CLI, the app's modules
and opening the service). The same code gives the same count to within 0.1 %, where a wall time
on a shared 2-core machine moves by 30 %. The first frame itself is not counted: under valgrind
the app runs 50 times slower, so its timers (the thread preview) fire before the first frame.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench import other_clients  # noqa: E402
from tests.bench.bench_compare import (  # noqa: E402
    PASSWORD,
    USER,
    cli,
    compile_bytecode,
    seed,
    tui_launch,
    write_config,
)
from tests.dovecot import Dovecot, MailUser, dovecot_available  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")

PHASES = (
    ("CLI, service and settings (`tui.cli`)", "from supportmail.tui.cli import run"),
    ("Textual (`textual.app`)", "import textual.app"),
    ("the app's modules (`tui.app`)", "import supportmail.tui.app"),
)
PROBE = """
import time
start = time.process_time()
import gc
gc.disable()
marks = []
{imports}
import sys
from pathlib import Path
from supportmail.storage.service import Service
from supportmail.storage.settings import load_settings
settings = load_settings(Path(sys.argv[1]))
opened = time.process_time()
service = Service.open(settings, settings.account(None), Path(sys.argv[2]))
marks.append(time.process_time() - opened)
service.close()
print(" ".join(f"{{m * 1000:.2f}}" for m in marks))
"""
"""Each phase's imports, each followed by ``marks.append(process CPU seconds so far)``; then
the CPU time of ``Service.open`` alone."""

EMPTY_APP = """
import gc
gc.disable()
from textual.app import App
from textual.widgets import Static

class Empty(App[None]):
    def compose(self):
        yield Static({subject!r})

    def on_key(self) -> None:
        self.exit()

Empty().run()
"""


def phase_cpu(config: Path, data: Path) -> list[float]:
    """CPU ms of each import phase and of opening the service, in one fresh interpreter."""
    imports = "\n".join(
        f"{statement}\nmarks.append(time.process_time() - start)" for _label, statement in PHASES
    )
    done = subprocess.run(
        [PYTHON, "-c", PROBE.format(imports=imports), str(config), str(data)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    cumulative = [float(v) for v in done.stdout.split()]
    *phases, opening = cumulative
    return [b - a for a, b in zip([0.0, *phases[:-1]], phases, strict=True)] + [opening]


INSTRUCTION_STAGES = (
    ("the interpreter (`python -c pass`)", ""),
    *PHASES,
    (
        "opening the service (settings, cache, userdb)",
        "from pathlib import Path\n"
        "from supportmail.storage.service import Service\n"
        "from supportmail.storage.settings import load_settings\n"
        "settings = load_settings(Path(sys.argv[1]))\n"
        "Service.open(settings, settings.account(None), Path(sys.argv[2])).close()",
    ),
)
"""Cumulative: stage k runs the statements of stages 1..k."""


def instructions(config: Path, data: Path, workdir: Path) -> list[tuple[str, float]]:
    """(stage, million instructions it adds) from one callgrind run per cumulative stage."""
    counts: list[float] = []
    for k in range(1, len(INSTRUCTION_STAGES) + 1):
        code = "import gc, sys\ngc.disable()\n" + "\n".join(
            statement for _label, statement in INSTRUCTION_STAGES[:k]
        )
        out = workdir / f"callgrind.{k}"
        done = subprocess.run(
            [
                *("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"),
                *(PYTHON, "-c", code, str(config), str(data)),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        found = re.search(r"Collected : (\d+)", done.stderr)
        if found is None:
            raise RuntimeError(f"callgrind printed no count: {done.stderr[-300:]}")
        counts.append(int(found[1]) / 1e6)
    added = [b - a for a, b in zip([0.0, *counts[:-1]], counts, strict=True)]
    rows = [(label, value) for (label, _s), value in zip(INSTRUCTION_STAGES, added, strict=True)]
    rows.append(("all of the above", counts[-1]))
    return rows


def empty_app_screen(workdir: Path, subject: str) -> float:
    """Seconds from ``tmux new-session`` until an empty Textual app shows ``subject``."""
    script = workdir / "empty_app.py"
    script.write_text(EMPTY_APP.format(subject=subject))
    tmux = other_clients.Tmux(workdir, 160, 48)
    try:
        tmux.start_server()
        mark = other_clients.EXIT_MARK
        command = f"{shlex.join([PYTHON, str(script)])}; echo {mark}$?; exec sleep 86400"
        start = time.perf_counter()
        tmux.new_session(command)
        shown = other_clients.wait_for(tmux, lambda screen: subject in screen, 60)
        tmux.keys("q")
        with contextlib.suppress(other_clients.LaunchError):
            other_clients.wait_for(tmux, lambda screen: mark in screen, 30)
        return shown - start
    finally:
        tmux.close()


def aerc_launcher(user: MailUser, subject: str, workdir: Path) -> Callable[[], float] | None:
    """A warm aerc launch (its cache kept between launches), or None without aerc."""
    if other_clients.client_version("aerc") is None:
        return None
    account = other_clients.Account(user.host, user.port, user.username, user.password)
    dirs = other_clients.Dirs(workdir / "aerc")
    other_clients.prepare("aerc", account, dirs)

    def launch() -> float:
        tmux = other_clients.Tmux(dirs.root, 160, 48)
        try:
            tmux.start_server()
            return other_clients.launch_once(tmux, "aerc", dirs, subject, 60)[0]
        finally:
            tmux.close()

    return launch


def measure(
    size: int, runs: int, workdir: Path, *, count_instructions: bool = False
) -> tuple[list[tuple[str, list[float], str]], list[tuple[str, float]]]:
    server = Dovecot()
    server.start(workdir / "dovecot")
    try:
        user = server.add_user(USER, PASSWORD)
        subject = seed(user, size)
        config = workdir / "config.toml"
        write_config(config, user)
        data = workdir / "data"
        cli(config, data, "sync")
        cli(config, data, "sync")  # warm: nothing new
        phases: list[list[float]] = [[] for _ in range(len(PHASES) + 1)]
        warm: list[float] = []
        empty: list[float] = []
        aerc: list[float] = []
        aerc_launch = aerc_launcher(user, subject, workdir)

        def cpu() -> None:
            for values, value in zip(phases, phase_cpu(config, data), strict=True):
                values.append(value)

        steps: list[Callable[[], None]] = [
            cpu,
            lambda: warm.append(tui_launch(workdir, config, data, subject, until_synced=False)[0]),
            lambda: empty.append(empty_app_screen(workdir, subject)),
        ]
        if aerc_launch is not None:
            steps.append(lambda: aerc.append(aerc_launch()))
        for step in steps:  # one unreported round: Dovecot's and the OS's caches
            step()
        for values in (*phases, warm, empty, aerc):
            values.clear()
        for _ in range(runs):
            for step in steps:
                step()
        counted = instructions(config, data, workdir) if count_instructions else []
    finally:
        server.stop()
    rows = [
        (f"CPU: {label}", values, "ms")
        for (label, _statement), values in zip(PHASES, phases[:-1], strict=True)
    ]
    rows.append(("CPU: opening the service (cache, userdb)", phases[-1], "ms"))
    rows.append(("warm first screen (tmux, newest subject shown)", warm, "s"))
    rows.append(("an empty Textual app's first screen (tmux)", empty, "s"))
    if aerc:
        rows.append(("aerc's warm first screen (tmux)", aerc, "s"))
        ratios = [w / a for w, a in zip(warm, aerc, strict=True)]
        rows.append(("supportmail warm / aerc warm, launch by launch", ratios, "x"))
    return rows, counted


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="messages in INBOX")
    parser.add_argument("--runs", type=int, default=7, help="runs per median (default 7)")
    parser.add_argument("--smoke", action="store_true", help="500 messages, 1 run (CI)")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each start-up phase's instructions (valgrind's callgrind)",
    )
    args = parser.parse_args(argv)
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (Debian package valgrind)")
    if args.smoke:
        args.size, args.runs = 500, 1
    if args.size < 1 or args.runs < 1:
        parser.error("--size and --runs must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    reason = dovecot_available() or (None if shutil.which("tmux") else "tmux is not installed")
    if reason is not None:
        print(f"bench_first_screen: {reason}", file=sys.stderr)
        return 2
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="bench-first-screen-") as tmp:
        rows, counted = measure(
            args.size, args.runs, Path(tmp), count_instructions=args.instructions
        )
    print(f"warm first screen at {args.size:,} messages; medians of {args.runs} run(s)")
    print()
    print("| phase | median | min |")
    print("|---|---|---|")
    for label, values, unit in rows:
        digits = 0 if unit == "ms" else 2
        sep = "" if unit == "x" else " "
        cells = [f"{v:.{digits}f}{sep}{unit}" for v in (statistics.median(values), min(values))]
        print(f"| {label} | {cells[0]} | {cells[1]} |")
    if counted:
        print()
        print("| start-up stage (callgrind) | million instructions it adds |")
        print("|---|---|")
        for label, value in counted:
            print(f"| {label} | {value:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
