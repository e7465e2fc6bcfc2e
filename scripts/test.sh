#!/usr/bin/env bash
# Runs every test suite and prints a summary; exits non-zero if any failed. Installs missing apt
# packages. Suites: Rust (unit, integration against the local identity server, C ABI, header
# freshness), C (C99 + C++ header check, examples, valgrind), PHP (PHPUnit over FFI, preloading,
# examples), .NET (the C# library, tests and example compiled with mcs and run on Mono) and
# interoperability (django-oauth-toolkit from PyPI, started and stopped by the suite), the release
# archives (built, unpacked and used), and the benchmark in its quick mode, so that it cannot rot (a few
# requests per contender; figures not kept).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_rust
ensure_build_packages
ensure_packages g++:g++ valgrind:valgrind
ensure_php_packages

summary=()
failed=0
run_suite() {
    local name=$1
    shift
    echo
    echo "=================== $name"
    if "$@"; then
        summary+=("passed   $name")
    else
        summary+=("FAILED   $name")
        failed=1
    fi
}

run_suite "Rust: cargo test" cargo test --locked
run_suite "C: tests/c/run.sh (gcc, g++, valgrind, AddressSanitizer)" tests/c/run.sh
run_suite "PHP: bindings/php/tests/run.sh (PHPUnit, FFI, preloading)" bindings/php/tests/run.sh
run_suite ".NET: bindings/dotnet/tests/run.sh (C# on Mono)" bindings/dotnet/tests/run.sh
run_suite "Interop: tests/interop/run.sh (django-oauth-toolkit)" tests/interop/run.sh
run_suite "Packages: scripts/package.sh --check (C and PHP archives, unpacked and used)" scripts/package.sh --check
run_suite "Benchmark smoke: bench/run.sh --quick (every contender runs)" bench/run.sh --quick

echo
echo "=================== summary"
printf '%s\n' "${summary[@]}"
exit $failed
