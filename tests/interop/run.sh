#!/usr/bin/env bash
# The interoperability suite: a real, third-party authorization server (django-oauth-toolkit from
# PyPI, SQLite, on 127.0.0.1) set up here, and tests/interop.rs run against it. The server is started
# and stopped by this script; nothing is left running.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"
ensure_build_packages

# A virtualenv under target/, rebuilt when requirements.txt changes.
VENV="$ROOT/target/interop-venv"
REQUIREMENTS="$ROOT/tests/interop/requirements.txt"
wanted=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
if [ "$(cat "$VENV/.requirements" 2>/dev/null)" != "$wanted" ]; then
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" 2>/dev/null; then
        # Debian's python3 needs python3-venv for this.
        rm -rf "$VENV"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
        python3 -m venv "$VENV"
    fi
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$wanted" > "$VENV/.requirements"
fi

DB_DIR=$(mktemp -d)
SERVER_PID=
stop_server() {
    stop_pid "$SERVER_PID"
    rm -rf "$DB_DIR"
}
trap stop_server EXIT

export QFLOW_INTEROP_DB_DIR="$DB_DIR"
cd "$ROOT/tests/interop"
"$VENV/bin/python" manage.py migrate -v 0
QFLOW_INTEROP_FIXTURES=$("$VENV/bin/python" setup_fixtures.py)
PORT=$(free_port)
"$VENV/bin/python" manage.py runserver "127.0.0.1:$PORT" --noreload >"$DB_DIR/server.log" 2>&1 &
SERVER_PID=$!
"$VENV/bin/python" - "$PORT" <<'PY' || { cat "$DB_DIR/server.log" >&2; die "django-oauth-toolkit did not start"; }
import sys, time, urllib.error, urllib.request
for _ in range(200):
    try:
        urllib.request.urlopen("http://127.0.0.1:%s/o/token/" % sys.argv[1], timeout=1)
    except urllib.error.HTTPError:
        sys.exit(0)  # any HTTP answer (405 for a GET) means it is up
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
cd "$ROOT"
echo "django-oauth-toolkit $("$VENV/bin/python" -c 'import oauth2_provider; print(oauth2_provider.__version__)') on 127.0.0.1:$PORT"

export QFLOW_INTEROP_BASE="http://127.0.0.1:$PORT" QFLOW_INTEROP_FIXTURES
if ! cargo test --locked --quiet --test interop -- --ignored; then
    echo "--- django-oauth-toolkit's log (server errors only)" >&2
    cat "$DB_DIR/server.log" >&2
    exit 1
fi
