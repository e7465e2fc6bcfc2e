# Shared by the scripts: installing what is missing, and starting/stopping the local identity server.
# Source it; it sets ROOT to the repository root.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() {
    echo "error: $*" >&2
    exit 1
}

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

# ensure_packages CHECK:PACKAGE ... installs, with apt-get, each PACKAGE whose CHECK fails. A CHECK
# starting with / is a file that must exist; otherwise it is a command that must be on PATH.
ensure_packages() {
    local missing=() pair check package
    for pair in "$@"; do
        check=${pair%%:*}
        package=${pair#*:}
        if [[ $check == /* ]]; then
            [ -e "$check" ] || missing+=("$package")
        else
            command -v "$check" >/dev/null 2>&1 || missing+=("$package")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
    echo "==> installing missing packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The packages every build and test needs, besides Rust.
ensure_build_packages() {
    ensure_packages gcc:gcc /usr/include/stdio.h:libc6-dev python3:python3 openssl:openssl \
        /etc/ssl/certs/ca-certificates.crt:ca-certificates
}

# What the PHP suite needs: the CLI (Debian's comes with FFI and OPcache), php-cgi (which, like PHP-FPM and
# unlike the CLI, is held to ffi.enable=preload), PHP-FPM itself with cgi-fcgi to send it requests, and PHPUnit.
ensure_php_packages() {
    ensure_packages php:php-cli php-cgi:php-cgi php-fpm8.2:php8.2-fpm cgi-fcgi:libfcgi-bin phpunit:phpunit
}

ensure_rust() {
    command -v cargo >/dev/null 2>&1 || die "Rust (cargo, 1.89 or newer) is needed; Debian's rustc is too old: install it with rustup"
}

# Starts tests/identity_server/server.py with HTTPS, waits until it is ready, and sets IDS_PID,
# IDS_HTTP, IDS_HTTPS, IDS_CA_FILE. It is stopped by stop_identity_server (installed as an EXIT trap).
start_identity_server() {
    IDS_DIR=$(mktemp -d)
    python3 "$ROOT/tests/identity_server/server.py" --tls --ready-file "$IDS_DIR/ready.json" \
        >"$IDS_DIR/server.log" 2>&1 &
    IDS_PID=$!
    trap stop_identity_server EXIT
    local waited=0
    until [ -s "$IDS_DIR/ready.json" ]; do
        if ! kill -0 "$IDS_PID" 2>/dev/null || [ $waited -ge 200 ]; then
            cat "$IDS_DIR/server.log" >&2
            die "the local identity server did not start"
        fi
        sleep 0.05
        waited=$((waited + 1))
    done
    local field
    field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$IDS_DIR/ready.json" "$1"; }
    IDS_HTTP=$(field http)
    IDS_HTTPS=$(field https)
    IDS_CA_FILE=$(field ca_file)
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now, for a server this script starts.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_port PORT PID: waits up to 10 s until something accepts connections on 127.0.0.1:PORT;
# fails early if the process PID (the server started for it) has exited.
wait_for_port() {
    local _
    for _ in $(seq 1 200); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# stop_pid PID: stops a process this script started (never one found by name) and reaps it. An empty
# PID, or one that has exited already, is fine.
stop_pid() {
    [ -n "${1:-}" ] || return 0
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

stop_identity_server() {
    stop_pid "${IDS_PID:-}"
    IDS_PID=
    [ -n "${IDS_DIR:-}" ] && rm -rf "$IDS_DIR"
    IDS_DIR=
}
