#!/usr/bin/env bash
# Install everything the tests need and run the whole suite. This is the README's test command and
# exactly what CI runs (.ci/run). As root it installs Debian's dovecot-imapd and tmux (and aerc and
# neomutt, for the comparison benchmark) when missing;
# as another user it says loudly what it could not install (the Dovecot tests then skip, except
# under CI=true, where a missing server is a failure).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
# The comparison benchmark's smoke run measures these two clients too (tests/bench/bench_compare.py).
command -v aerc >/dev/null 2>&1 || need+=(aerc)
command -v neomutt >/dev/null 2>&1 || need+=(neomutt)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "== installing ${need[*]} (apt)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        echo "!! NOT ROOT: cannot install ${need[*]}; run as root or install them yourself." >&2
        echo "!! Without Dovecot the integration tests are SKIPPED (and fail under CI=true)." >&2
    fi
fi

if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv"
    python3 -m venv .venv
fi
echo "== installing supportmail with its test extra"
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'

echo "== static checks"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports

echo "== tests"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
