#!/usr/bin/env bash
# The PHP suite: the qflow/auth package's PHPUnit tests against the built library and the local identity
# server (every grant, each error class, special characters, bad input, library loading, opcache
# preloading under the CLI and php-cgi, memory growth), then the examples under examples/php/.
set -euo pipefail
source "$(dirname "$0")/../../../scripts/lib.sh"
cd "$ROOT"

ensure_build_packages
ensure_php_packages

cargo build --locked --quiet
export QFLOW_AUTH_LIB="$ROOT/target/debug/libqflow_auth.so"

start_identity_server
export QFLOW_TEST_HTTP="$IDS_HTTP" QFLOW_TEST_HTTPS="$IDS_HTTPS" QFLOW_TEST_CA_FILE="$IDS_CA_FILE"

echo "--- examples"
token=$(QFLOW_TOKEN_URL="$IDS_HTTP/core/connect/token" php examples/php/quickstart.php)
[[ $token == at-* ]] || die "examples/php/quickstart.php printed '$token', not a token"
echo "quickstart.php printed a token"
QFLOW_TOKEN_URL="$IDS_HTTPS/core/connect/token" QFLOW_CA_FILE="$IDS_CA_FILE" php examples/php/client.php >/dev/null
echo "client.php ran over HTTPS"

echo "--- PHPUnit"
phpunit --configuration bindings/php/phpunit.xml.dist
