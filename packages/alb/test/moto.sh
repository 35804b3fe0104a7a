#!/usr/bin/env bash
# moto's AWS emulator in server mode, for the ALB weight-verification tests. Never AWS: the server
# listens on 127.0.0.1 only and the tests point the ELBv2 client at it with dummy credentials.
#
#   moto.sh install              installs moto[server] into a venv under the cache if it is missing
#   moto.sh start [OWNER_PID]    installs if needed, starts moto_server on a free loopback port and
#                                prints "<port> <pid>"; the server stops by itself when OWNER_PID exits
#
# The venv lives in ${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}/moto-venv. Exit status 3: python3 or moto
# cannot be installed here (the tests then skip, saying so).
set -euo pipefail

MOTO_VERSION=5.2.5
cache="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}"
venv="$cache/moto-venv"

fail() {
  echo "moto.sh: $*" >&2
  exit 3
}

installed() {
  [ -x "$venv/bin/moto_server" ] &&
    "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('moto') != '$MOTO_VERSION')" 2>/dev/null
}

install() {
  mkdir -p "$cache"
  # One installer at a time; a second caller waits and then finds moto installed. The lock is held by
  # a subshell only, so the server started afterwards does not inherit it.
  (
    if command -v flock >/dev/null; then flock 9; fi
    installed || install_now
  ) 9>"$cache/moto-venv.lock"
}

install_now() {
  command -v python3 >/dev/null || fail "python3 is not on PATH"
  # A venv names its interpreter by absolute path, so it is built in place; an interrupted install
  # fails the check above next time and is rebuilt from scratch.
  rm -rf "$venv"
  python3 -m venv "$venv" >&2 || fail "python3 -m venv failed (is the venv module installed?)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2 ||
    { rm -rf "$venv"; fail "pip could not install moto[server]==$MOTO_VERSION"; }
}

start() {
  local owner="${1:-}"
  install
  local port pid
  port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" </dev/null >"$cache/moto-server.$port.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    if "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/data.json', timeout=1)" 2>/dev/null; then
      break
    fi
    kill -0 "$pid" 2>/dev/null || fail "moto_server exited at start: $(tail -5 "$cache/moto-server.$port.log")"
    sleep 0.2
  done
  if [ -n "$owner" ]; then
    # Stop the server when the test process that asked for it is gone, even if it crashed.
    (
      while kill -0 "$owner" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 2; done
      kill "$pid" 2>/dev/null || true
    ) </dev/null >/dev/null 2>&1 &
  fi
  echo "$port $pid"
}

case "${1:-}" in
  install) install ;;
  start) start "${2:-}" ;;
  *)
    echo "usage: moto.sh install | start [OWNER_PID]" >&2
    exit 2
    ;;
esac
