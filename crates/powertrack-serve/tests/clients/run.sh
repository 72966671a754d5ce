#!/usr/bin/env bash
# A published PowerTrack client (gnippy 0.7.0, from PyPI) against `powertrack serve`.
#
#   run.sh BIN [VENV_DIR]
#
# BIN is the powertrack binary (e.g. target/debug/powertrack); VENV_DIR (default
# target/gnippy-venv in the workspace) gets a Python venv with gnippy==0.7.0 when it has none.
# The script writes a throwaway accounts file (argon2id hash from `BIN passwd`), starts
# `BIN serve` on a free 127.0.0.1 port with a fresh data directory and an ingest token, waits
# for GET /healthz, runs gnippy_check.py, stops the server (SIGTERM, then waits) and exits
# with the check's status. Loopback only; everything it starts is stopped on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 BIN [VENV_DIR]" >&2
    exit 2
fi
bin="$1"
venv="${2:-$root/target/gnippy-venv}"
python="${PYTHON:-python3}"
gnippy_version="0.7.0"

if [[ ! -x "$bin" ]]; then
    echo "run.sh: $bin is not an executable" >&2
    exit 2
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

# --- The client: gnippy, pinned, in its own venv. ------------------------------------------
if [[ ! -x "$venv/bin/python" ]]; then
    echo "run.sh: creating $venv"
    "$python" -m venv "$venv"
fi
if [[ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("gnippy"))' 2>/dev/null)" != "$gnippy_version" ]]; then
    echo "run.sh: installing gnippy==$gnippy_version into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "gnippy==$gnippy_version"
fi

# --- The server. ---------------------------------------------------------------------------
tmp="$(mktemp -d "${TMPDIR:-/tmp}/gnippy-run.XXXXXX")"
server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 100); do # up to 10 s
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$server_pid" 2>/dev/null; then
            echo "run.sh: server $server_pid ignored SIGTERM for 10 s; sending SIGKILL" >&2
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
cleanup() {
    stop_server
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

account="acme"
label="prod"
# Hex, not token_urlsafe: a secret that starts with '-' reads as an option to argparse (this
# made one CI run fail), and `--` below keeps any positional from being taken for one.
password="$("$python" -c 'import secrets; print(secrets.token_hex(18))')"
token="$("$python" -c 'import secrets; print(secrets.token_hex(24))')"

# `BIN passwd` reads the password on standard input and prints the hash line; take the PHC
# string from it whether the line is the bare hash or `password_hash = "…"`.
hash_line="$(printf '%s\n' "$password" | "$bin" passwd)"
hash="$(printf '%s\n' "$hash_line" | grep -o '\$argon2id\$[^"[:space:]]*' | head -n 1 || true)"
if [[ -z "$hash" ]]; then
    echo "run.sh: '$bin passwd' printed no argon2id hash: $hash_line" >&2
    exit 1
fi
cat >"$tmp/accounts.toml" <<EOF
[[account]]
name = "$account"
password_hash = "$hash"
streams = ["$label"]
EOF

port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
base="http://127.0.0.1:$port"
mkdir -p "$tmp/data"
# --heartbeat 2: gnippy's disconnect() returns at the next line the stream sends, heartbeats
# included; Gnip's 10 s would only make the run slower.
"$bin" serve \
    --listen "127.0.0.1:$port" \
    --accounts "$tmp/accounts.toml" \
    --data-dir "$tmp/data" \
    --ingest-token "$token" \
    --source none \
    --heartbeat 2 \
    >"$tmp/server.log" 2>&1 &
server_pid=$!

healthy=""
for _ in $(seq 1 200); do # up to 20 s
    if ! kill -0 "$server_pid" 2>/dev/null; then
        break
    fi
    if "$python" - "$base/healthz" <<'PY' 2>/dev/null; then
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
with opener.open(sys.argv[1], timeout=1) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
        healthy=1
        break
    fi
    sleep 0.1
done
if [[ -z "$healthy" ]]; then
    echo "run.sh: the server at $base did not answer GET /healthz with 200; its log:" >&2
    cat "$tmp/server.log" >&2
    exit 1
fi
echo "run.sh: powertrack serve (pid $server_pid) at $base"

# --- The check. ----------------------------------------------------------------------------
status=0
timeout -k 5 75 "$venv/bin/python" "$here/gnippy_check.py" -- \
    "$base" "$account" "$password" "$label" "$token" || status=$?

stop_server
if [[ $status -ne 0 ]]; then
    echo "run.sh: the server's log:" >&2
    cat "$tmp/server.log" >&2
fi
exit "$status"
