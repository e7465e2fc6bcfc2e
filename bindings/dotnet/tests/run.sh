#!/usr/bin/env bash
# The .NET suite, on Mono (this machine has no .NET SDK and no VB.NET compiler): compiles the QFlow.Auth
# sources with mcs (as C# 7.2, within the C# 7.3 of the netstandard2.0 project; XML docs required on every
# public member), the test program and the C# example, then runs the tests against the local identity
# server. Prints "N passed, N failed" and exits non-zero on any failure.
# Not covered here: the .csproj/.vbproj builds, `dotnet pack`, the net8.0-only NativeLibrary resolver and
# the VB.NET example (see bindings/dotnet/README.md).
set -euo pipefail
source "$(dirname "$0")/../../../scripts/lib.sh"
cd "$ROOT"

ensure_build_packages
ensure_packages mcs:mono-mcs mono:mono-runtime /usr/lib/mono/4.5/System.Net.Http.dll:libmono-system-net-http4.0-cil

cargo build --locked --quiet
DOTNET="$ROOT/bindings/dotnet"
OUT="$ROOT/target/dotnet-tests"
mkdir -p "$OUT"
MCS=(mcs -langversion:7.2 -warnaserror+ -debug -nologo)

"${MCS[@]}" -target:library -out:"$OUT/QFlow.Auth.dll" -doc:"$OUT/QFlow.Auth.xml" -r:System.Net.Http.dll \
    $(find "$DOTNET/src/QFlow.Auth" -name '*.cs' | sort)
"${MCS[@]}" -target:exe -out:"$OUT/QFlow.Auth.Tests.exe" -r:"$OUT/QFlow.Auth.dll" -r:System.Xml.dll -r:System.Net.Http.dll \
    $(find "$DOTNET/tests/QFlow.Auth.Tests" -name '*.cs' | sort)
"${MCS[@]}" -target:exe -out:"$OUT/QuickStart.exe" -r:"$OUT/QFlow.Auth.dll" "$DOTNET/examples/csharp/Program.cs"

start_identity_server
# Mono finds libqflow_auth.so through the library path (on .NET 8, QFLOW_AUTH_LIB would also do).
export LD_LIBRARY_PATH="$ROOT/target/debug${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export QFLOW_TEST_HTTP="$IDS_HTTP" QFLOW_TEST_HTTPS="$IDS_HTTPS" QFLOW_TEST_CA_FILE="$IDS_CA_FILE" \
    QFLOW_TEST_ROOT="$ROOT" QFLOW_TEST_EXAMPLE="mono --debug $OUT/QuickStart.exe"

mono --debug "$OUT/QFlow.Auth.Tests.exe" "$@"
