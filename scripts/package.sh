#!/usr/bin/env bash
# Builds the release artifacts of this checkout for the machine it runs on, under target/package/:
#
#   qflow-auth-<version>-<os>-<arch>.tar.gz   for C: include/qflow_auth.h, lib/libqflow_auth.so and
#                                             lib/libqflow_auth.a (with lib/static-link-flags.txt), the
#                                             examples, README.md and the licences
#   qflow-auth-php-<version>.tar.gz           the Composer package qflow/auth with the library in its
#                                             lib/ folder, where it loads from without QFLOW_AUTH_LIB
#
# The .NET package is made by `dotnet pack` (see bindings/dotnet/README.md), which needs the .NET SDK.
# With --check, also unpacks both archives in a temporary directory and gets a token from the local
# identity server with each: C linked dynamically and statically, and PHP with QFLOW_AUTH_LIB unset.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_rust
ensure_build_packages

cargo build --release --locked --quiet
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
platform="$(uname -s | tr '[:upper:]' '[:lower:]')-$(uname -m)"
OUT="$ROOT/target/package"
rm -rf "$OUT"
mkdir -p "$OUT"

# The flags a static link needs, as rustc reports them for this target.
static_flags=$(cargo rustc --release --locked --quiet --lib --crate-type staticlib -- --print native-static-libs 2>&1 |
    sed -n 's/.*native-static-libs: //p' | head -1)
[ -n "$static_flags" ] || die "rustc did not report the static library's link flags"

c_name="qflow-auth-$version-$platform"
C="$OUT/$c_name"
mkdir -p "$C/include" "$C/lib" "$C/examples"
cp include/qflow_auth.h "$C/include/"
cp target/release/libqflow_auth.so target/release/libqflow_auth.a "$C/lib/"
strip --strip-debug "$C/lib/libqflow_auth.so" "$C/lib/libqflow_auth.a"
echo "$static_flags" >"$C/lib/static-link-flags.txt"
cp examples/c/*.c "$C/examples/"
cp README.md "$C/"
cp LICENSE* "$C/" 2>/dev/null || true
tar -C "$OUT" -czf "$OUT/$c_name.tar.gz" "$c_name"

php_name="qflow-auth-php-$version"
P="$OUT/$php_name"
mkdir -p "$P/lib"
cp -r bindings/php/src bindings/php/resources bindings/php/bin "$P/"
cp bindings/php/autoload.php bindings/php/preload.php bindings/php/composer.json bindings/php/README.md "$P/"
cp LICENSE* "$P/" 2>/dev/null || true
cp "$C/lib/libqflow_auth.so" "$P/lib/"
tar -C "$OUT" -czf "$OUT/$php_name.tar.gz" "$php_name"
rm -rf "$C" "$P"

echo "built:"
ls -l "$OUT"/*.tar.gz | awk '{print "  " $NF " (" $5 " bytes)"}'

[ "${1:-}" = "--check" ] || exit 0

echo "==> checking the archives"
ensure_php_packages
WORK=$(mktemp -d)
cleanup() {
    stop_identity_server
    rm -rf "$WORK"
}
start_identity_server
trap cleanup EXIT
tar -C "$WORK" -xzf "$OUT/$c_name.tar.gz"
tar -C "$WORK" -xzf "$OUT/$php_name.tar.gz"
export QFLOW_TOKEN_URL="$IDS_HTTP/core/connect/token"
unset QFLOW_AUTH_LIB LD_LIBRARY_PATH

expect_token() {
    local what=$1 output
    shift
    output=$("$@") || die "$what failed"
    [[ $output == at-* ]] || die "$what printed no token: $output"
    echo "ok     $what"
}

C="$WORK/$c_name"
gcc -std=c99 -Wall -Werror -I"$C/include" -o "$WORK/dynamic" "$C/examples/quickstart.c" \
    -L"$C/lib" -lqflow_auth -Wl,-rpath,"$C/lib"
expect_token "C, linked with lib/libqflow_auth.so" "$WORK/dynamic"
# shellcheck disable=SC2046 # the flags are words
gcc -std=c99 -Wall -Werror -I"$C/include" -o "$WORK/static" "$C/examples/quickstart.c" \
    "$C/lib/libqflow_auth.a" $(cat "$C/lib/static-link-flags.txt")
ldd "$WORK/static" | grep -q libqflow_auth && die "the static build still needs libqflow_auth.so"
expect_token "C, linked with lib/libqflow_auth.a" "$WORK/static"

cat >"$WORK/token.php" <<'PHP'
<?php
require $argv[1] . '/autoload.php';
echo QFlow\Auth\TokenClient::fetchAccessToken(getenv('QFLOW_TOKEN_URL'), 'acme_resowner',
    '96184159-60d4-4ad4-a11e-0ff3ddcc6678', 'joe.bloggs@example.com', 'secret1234'), "\n";
PHP
expect_token "PHP, the library from the package's lib/ folder" php "$WORK/token.php" "$WORK/$php_name"
echo "packages: ok"
