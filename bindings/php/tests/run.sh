#!/usr/bin/env bash
# The PHP suite: the examples under examples/php/, then the qflow/auth package's PHPUnit tests against the
# built library and the local identity server (every grant, each error class, special characters, bad input,
# library loading, opcache preloading under the CLI and php-cgi, memory growth, and the token lifecycle: token
# sources, the file cache shared by concurrent processes, discovery, revocation, introspection, userinfo), and
# real PHP-FPM set up as the package's README says (bindings/php/tests/fpm.sh).
# Prints "N passed, N failed" (and skipped, if any) and exits non-zero if anything failed.
set -euo pipefail
source "$(dirname "$0")/../../../scripts/lib.sh"
cd "$ROOT"

ensure_build_packages
ensure_php_packages

cargo build --locked --quiet
export QFLOW_AUTH_LIB="$ROOT/target/debug/libqflow_auth.so"

start_identity_server
export QFLOW_TEST_HTTP="$IDS_HTTP" QFLOW_TEST_HTTPS="$IDS_HTTPS" QFLOW_TEST_CA_FILE="$IDS_CA_FILE"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; stop_identity_server' EXIT

passed=0
failed=0
skipped=0
# check NAME COMMAND...: runs one check of the examples and counts it
check() {
    local name=$1
    shift
    if ( "$@" ); then
        passed=$((passed + 1))
        echo "ok      $name"
    else
        failed=$((failed + 1))
        echo "FAILED  $name"
    fi
}

# token requests the local server received with tag-$1
token_requests() {
    php -r '$s = json_decode(file_get_contents($argv[1]), true); echo $s["by_endpoint"]["/connect/token"] ?? 0;' \
        "$IDS_HTTP/_stats?tag=$1"
}

quickstart() {
    local token
    token=$(QFLOW_TOKEN_URL="$IDS_HTTP/core/connect/token" php examples/php/quickstart.php)
    [[ $token == at-* ]] || { echo "quickstart.php printed '$token', not a token" >&2; return 1; }
}

client_over_https() {
    QFLOW_TOKEN_URL="$IDS_HTTPS/core/connect/token" QFLOW_CA_FILE="$IDS_CA_FILE" php examples/php/client.php >/dev/null
}

# Two runs share the cache: the first signs in (1 request) and renews once after the pretended 401 (1); the
# second takes the token from the file (0) and renews once (1).
token_source_twice() {
    local tag="example-source-$$" out
    local env=(QFLOW_TOKEN_URL="$IDS_HTTPS/tag-$tag/core/connect/token" QFLOW_CA_FILE="$IDS_CA_FILE"
        QFLOW_TOKEN_CACHE_DIR="$WORK/token-cache")
    out=$(env "${env[@]}" php examples/php/token_source.php)
    grep -q '^asked again: the cached token$' <<<"$out" && grep -q '^the API answered 200 after 2 calls$' <<<"$out" ||
        { echo "unexpected output of the first run:"$'\n'"$out" >&2; return 1; }
    [ "$(token_requests "$tag")" = 2 ] || { echo "first run: $(token_requests "$tag") token requests, not 2" >&2; return 1; }
    env "${env[@]}" php examples/php/token_source.php >/dev/null
    [ "$(token_requests "$tag")" = 3 ] ||
        { echo "second run: $(token_requests "$tag") token requests in all, not 3: the cache was not used" >&2; return 1; }
    [ "$(stat -c %a "$WORK/token-cache")" = 700 ] || { echo "the cache directory is not mode 0700" >&2; return 1; }
}

discovery_over_https() {
    local out
    out=$(QFLOW_AUTHORITY="$IDS_HTTPS/core" QFLOW_CA_FILE="$IDS_CA_FILE" php examples/php/discovery.php)
    grep -q '^signed in as joe.bloggs@example.com ' <<<"$out" && grep -q '^the token is active' <<<"$out" &&
        grep -q '^after revocation the token is not active$' <<<"$out" ||
        { echo "unexpected output of discovery.php:"$'\n'"$out" >&2; return 1; }
}

php_fpm() {
    bindings/php/tests/fpm.sh "$IDS_HTTP"
}

echo "--- examples"
check "examples/php/quickstart.php prints a token" quickstart
check "examples/php/client.php runs over HTTPS" client_over_https
check "examples/php/token_source.php shares its token through the file cache" token_source_twice
check "examples/php/discovery.php: discovery, userinfo, introspection, revocation over HTTPS" discovery_over_https

echo "--- PHP-FPM"
check "real PHP-FPM, preloaded as the README says: 4 workers, one token request" php_fpm

echo "--- PHPUnit"
status=0
phpunit --configuration bindings/php/phpunit.xml.dist --log-junit "$WORK/junit.xml" || status=$?
if [ -s "$WORK/junit.xml" ]; then
    read -r tests failures skips < <(php -r '
        $suite = simplexml_load_file($argv[1])->testsuite;
        $bad = (int) $suite["failures"] + (int) $suite["errors"] + (int) $suite["warnings"];
        echo (int) $suite["tests"], " ", $bad, " ", (int) $suite["skipped"], "\n";' "$WORK/junit.xml")
    passed=$((passed + tests - failures - skips))
    failed=$((failed + failures))
    skipped=$((skipped + skips))
    if [ "$status" -ne 0 ] && [ "$failures" -eq 0 ]; then
        failed=$((failed + 1)) # PHPUnit failed in a way its log does not count (e.g. a risky test)
    fi
else
    echo "PHPUnit did not finish (exit status $status)" >&2
    failed=$((failed + 1))
fi

echo
summary="PHP suite: $passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary+=", $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
