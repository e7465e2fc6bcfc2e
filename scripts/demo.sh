#!/usr/bin/env bash
# Builds the library (release) and its header, starts the bundled local identity server, and fetches a
# token over HTTPS through examples/c/quickstart.c, the quick-start in C. Installs missing apt packages.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_rust
ensure_build_packages

echo "==> building libqflow_auth (release)"
cargo build --release --locked --quiet
OUT="$ROOT/target/demo"
mkdir -p "$OUT"
gcc -std=c99 -Wall -Werror -I"$ROOT/include" -o "$OUT/quickstart" examples/c/quickstart.c \
    -L"$ROOT/target/release" -lqflow_auth -Wl,-rpath,"$ROOT/target/release"

echo "==> starting the local identity server"
start_identity_server
echo "    token endpoint: $IDS_HTTPS/core/connect/token (certificate from a CA made just now)"

echo "==> examples/c/quickstart.c: qflow_fetch_token(...) as joe.bloggs@example.com"
# The library trusts the operating system's store; SSL_CERT_FILE points that store at the test CA.
SSL_CERT_FILE="$IDS_CA_FILE" QFLOW_TOKEN_URL="$IDS_HTTPS/core/connect/token" "$OUT/quickstart"
