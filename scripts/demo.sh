#!/usr/bin/env bash
# Install supportmail into .venv and open it on the bundled demo mailbox (the README's run command).
# On a fresh Debian, python3's venv module comes from the python3-venv package: installed here
# when running as root, otherwise you are told what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    else
        echo "supportmail: python3's venv module is missing: sudo apt-get install python3-venv" >&2
        exit 1
    fi
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q .
exec .venv/bin/supportmail demo "$@"
