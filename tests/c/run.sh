#!/usr/bin/env bash
# The C suite: compiles the C tests and examples against include/qflow_auth.h (as C99 and the header
# as C++), links them to the built library, runs them against the local identity server, then runs
# the tests again under valgrind and once more built with AddressSanitizer (gcc's, LeakSanitizer
# included); both must report no leak and no invalid access.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT"

ensure_build_packages
ensure_packages g++:g++ valgrind:valgrind

cargo build --locked --quiet
LIB_DIR="$ROOT/target/debug"
OUT="$ROOT/target/c-tests"
mkdir -p "$OUT"
CFLAGS=(-std=c99 -Wall -Wextra -Werror -pedantic -g -I"$ROOT/include")
LINK=(-L"$LIB_DIR" -lqflow_auth -Wl,-rpath,"$LIB_DIR")

gcc "${CFLAGS[@]}" -o "$OUT/test_qflow_auth" tests/c/test_qflow_auth.c "${LINK[@]}" -lpthread
gcc "${CFLAGS[@]}" -o "$OUT/quickstart" examples/c/quickstart.c "${LINK[@]}"
gcc "${CFLAGS[@]}" -o "$OUT/client" examples/c/client.c "${LINK[@]}"
gcc "${CFLAGS[@]}" -fsanitize=address -fno-omit-frame-pointer -o "$OUT/test_qflow_auth_asan" \
    tests/c/test_qflow_auth.c "${LINK[@]}" -lpthread
g++ -std=c++11 -Wall -Wextra -Werror -pedantic -I"$ROOT/include" -o "$OUT/header_cpp" \
    tests/c/header_compiles_as_cpp.cpp "${LINK[@]}"

start_identity_server
export QFLOW_TEST_HTTP="$IDS_HTTP" QFLOW_TEST_HTTPS="$IDS_HTTPS" QFLOW_TEST_CA_FILE="$IDS_CA_FILE"

echo "--- header compiled as C++"
"$OUT/header_cpp"

echo "--- examples"
token=$(QFLOW_TOKEN_URL="$IDS_HTTP/core/connect/token" "$OUT/quickstart")
[[ $token == at-* ]] || die "examples/c/quickstart.c printed '$token', not a token"
echo "quickstart printed a token"
QFLOW_TOKEN_URL="$IDS_HTTPS/core/connect/token" QFLOW_CA_FILE="$IDS_CA_FILE" "$OUT/client" >/dev/null
echo "client example ran over HTTPS"

echo "--- C tests"
"$OUT/test_qflow_auth"

echo "--- C tests under valgrind"
valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes \
    --suppressions="$ROOT/tests/c/valgrind.supp" "$OUT/test_qflow_auth"
echo "valgrind: no leaks, no invalid accesses"

echo "--- C tests under AddressSanitizer"
# The library is not instrumented, but every allocation goes through the sanitizer's malloc: misuse of
# what the library hands out (double free, use after free, leaks) is caught on both sides.
ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1 "$OUT/test_qflow_auth_asan"
echo "AddressSanitizer: no leaks, no invalid accesses"
