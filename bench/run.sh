#!/usr/bin/env bash
# The benchmark: token requests per contender against nginx on loopback (HTTP and HTTPS with a CA made
# here), side by side in one run. Prints a table and writes bench/results/latest.json and
# bench/results/chart.svg (with --quick: a few requests each, results under target/bench/quick/, to
# check that every contender still works). Installs what it needs from apt. Usage:
#
#     bench/run.sh [--quick]
#
# nginx runs on CPU 1 and every latency contender on CPU 0, so each sees the same machine.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
if [ $QUICK = 1 ]; then
    ROUNDS=1 FAST=20 SLOW=5 CACHED=1000 THREADED=64
else
    ROUNDS=${QFLOW_BENCH_ROUNDS:-5} FAST=3000 SLOW=300 CACHED=2000000 THREADED=20000
fi

ensure_rust
ensure_build_packages
ensure_packages g++:g++ nginx:nginx-light /usr/include/x86_64-linux-gnu/curl/curl.h:libcurl4-openssl-dev \
    /usr/include/openssl/ssl.h:libssl-dev taskset:util-linux
ensure_php_packages
php -r 'exit(extension_loaded("curl") ? 0 : 1);' || ensure_packages /nonexistent/php-curl:php8.2-curl
ensure_packages mcs:mono-mcs mono:mono-runtime /usr/lib/mono/4.5/System.Net.Http.dll:libmono-system-net-http4.0-cil

WORK="$ROOT/target/bench"
OUT_DIR="$ROOT/bench/results"
[ $QUICK = 1 ] && OUT_DIR="$WORK/quick"
rm -rf "$WORK/nginx" && mkdir -p "$WORK/nginx/tmp" "$OUT_DIR"

echo "==> building"
cargo build --release --locked --quiet
LIB="$ROOT/target/release"
gcc -O2 -std=c99 -Wall -Wextra -Werror -I"$ROOT/include" -o "$WORK/bench" bench/c/bench.c \
    -L"$LIB" -lqflow_auth -lcurl -lssl -lcrypto -lpthread -Wl,-rpath,"$LIB"
MCS=(mcs -langversion:7.2 -nologo -optimize+)
"${MCS[@]}" -target:library -out:"$WORK/QFlow.Auth.dll" -r:System.Net.Http.dll $(find bindings/dotnet/src/QFlow.Auth -name '*.cs' | sort)
"${MCS[@]}" -target:exe -out:"$WORK/Bench.exe" -r:"$WORK/QFlow.Auth.dll" bench/dotnet/Bench.cs
export QFLOW_AUTH_LIB="$LIB/libqflow_auth.so" LD_LIBRARY_PATH="$LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

echo "==> starting nginx"
N="$WORK/nginx"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$N/ca.key" -out "$N/ca.pem" \
    -days 2 -subj "/CN=qflow-auth bench CA" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$N/server.key" -out "$N/server.csr" \
    -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >"$N/ext"
openssl x509 -req -in "$N/server.csr" -CA "$N/ca.pem" -CAkey "$N/ca.key" -CAcreateserial -out "$N/server.pem" \
    -days 2 -extfile "$N/ext" 2>/dev/null
PORTS=($(python3 -c 'import socket
for _ in range(2):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'))
sed -e "s|@DIR@|$N|g" -e "s|@HTTP@|${PORTS[0]}|" -e "s|@HTTPS@|${PORTS[1]}|" bench/nginx.conf >"$N/nginx.conf"
taskset -c 1 nginx -c "$N/nginx.conf" -p "$N" &
NGINX_PID=$!
trap 'stop_pid $NGINX_PID' EXIT
HTTP="http://127.0.0.1:${PORTS[0]}"
HTTPS="https://localhost:${PORTS[1]}"
export QFLOW_BENCH_CA="$N/ca.pem"
wait_for_port "${PORTS[0]}" "$NGINX_PID" || die "nginx did not start"

MEASUREMENTS="$WORK/measurements.txt"
: >"$MEASUREMENTS"
# record ROUND LABEL TRANSPORT OUTPUT: stores the "<name> <value> <unit>" a contender printed, as one
# tab-separated line.
record() {
    local value unit
    read -r _ value unit <<<"$4"
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$value" "$unit" >>"$MEASUREMENTS"
}
# measure ROUND LABEL TRANSPORT COMMAND...: runs one contender on CPU 0 and records its figure.
measure() {
    local round=$1 label=$2 transport=$3 output
    shift 3
    output=$(taskset -c 0 "$@") || die "contender failed: $label ($transport)"
    record "$round" "$label" "$transport" "$output"
}

# Rounds interleave the contenders, so that a slow moment of the machine is spread over all of them.
for round in $(seq 1 "$ROUNDS"); do
    echo "==> round $round of $ROUNDS"
    for transport in http https; do
        base=$HTTP
        [ $transport = https ] && base=$HTTPS
        measure $round "C raw socket (floor)" $transport "$WORK/bench" raw "$base" $FAST
        measure $round "C libcurl, handle reused" $transport "$WORK/bench" curl-reuse "$base" $FAST
        measure $round "C libcurl, new handle per request" $transport "$WORK/bench" curl-new "$base" $SLOW
        measure $round "qflow-auth from C, client reused" $transport "$WORK/bench" ours-reuse "$base" $FAST
        measure $round "qflow-auth from C, new client per request" $transport "$WORK/bench" ours-new-client "$base" $SLOW
        measure $round "PHP file_get_contents (quick-start)" $transport php bench/php/bench.php fgc "$base" $SLOW
        measure $round "PHP curl, handle reused" $transport php bench/php/bench.php curl-reuse "$base" $FAST
        measure $round "qflow-auth from PHP, client reused" $transport php bench/php/bench.php ours-reuse "$base" $FAST
        measure $round "qflow-auth from C# (Mono), client reused" $transport mono "$WORK/Bench.exe" ours-reuse "$base" $FAST
    done
    # The one-call functions trust only the system store, so they are measured over HTTP.
    measure $round "qflow-auth from C, one-call function" http "$WORK/bench" ours-oneshot "$HTTP" $FAST
    measure $round "qflow-auth from PHP, one-liner" http php bench/php/bench.php ours-oneliner "$HTTP" $FAST
    measure $round "qflow-auth cached token, from C" cached "$WORK/bench" ours-cached "$HTTP" $CACHED
    measure $round "qflow-auth cached token, from PHP" cached php bench/php/bench.php ours-cached "$HTTP" $((CACHED / 10))
    measure $round "qflow-auth cached token, from C# (Mono)" cached mono "$WORK/Bench.exe" ours-cached "$HTTP" $((CACHED / 10))
    for threads in 1 2 8 32; do
        # Not pinned: the threads use both CPUs, as nginx does. This measures contention, not latency.
        output=$("$WORK/bench" ours-threads "$HTTP" $THREADED $threads) || die "$threads threads failed"
        record $round "qflow-auth from C, $threads threads on one client" http "$output"
    done
done

CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
TITLE="$(date -u +%Y-%m-%d), $(nproc) cores ($CPU), $(. /etc/os-release && echo "$PRETTY_NAME"), nginx $(nginx -v 2>&1 | cut -d/ -f2), $(rustc --version | cut -d' ' -f1-2), PHP $(php -r 'echo PHP_VERSION;'), Mono $(mono --version | head -1 | cut -d' ' -f5), libcurl $(curl-config --version | cut -d' ' -f2)"
echo
python3 bench/report.py "$MEASUREMENTS" "$OUT_DIR/latest.json" "$OUT_DIR/chart.svg" "$TITLE"
echo
echo "$TITLE"
echo "results: $OUT_DIR/latest.json, chart: $OUT_DIR/chart.svg"
