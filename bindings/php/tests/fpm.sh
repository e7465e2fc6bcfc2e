#!/usr/bin/env bash
# Real PHP-FPM, set up as bindings/php/README.md says ("PHP-FPM and preloading"): the package preloaded with
# ffi.enable=preload, and, when started as root, opcache.preload_user plus ffi.preload with the header
# from bin/qflow-auth-ffi-header, workers running as nobody. Four workers handle four simultaneous
# requests (sent with cgi-fcgi) that each ask a token source with the same file cache for a token, against
# a server that takes 700 ms to answer: all must get the same token, through one request to the server,
# and each must report that it ran under FPM with the package's classes and FFI scope preloaded.
#
# Called by bindings/php/tests/run.sh with the identity server running: fpm.sh <http base URL>. Installs
# php8.2-fpm and libfcgi-bin (for cgi-fcgi) when missing, and needs QFLOW_AUTH_LIB. Starts FPM itself and
# stops the PID it started.
set -euo pipefail
source "$(dirname "$0")/../../../scripts/lib.sh"
cd "$ROOT"
base=$1

ensure_php_packages

WORK=$(mktemp -d)
FPM_PID=
cleanup() {
    stop_pid "$FPM_PID"
    rm -rf "$WORK"
}
trap cleanup EXIT
chmod 755 "$WORK"

# The package and the library where the workers' user can read them, as under /var/www.
package="$WORK/package"
mkdir -p "$package/tests/fixtures"
cp -r bindings/php/src bindings/php/resources bindings/php/bin bindings/php/autoload.php bindings/php/preload.php "$package/"
cp bindings/php/tests/fixtures/cache_worker.php "$package/tests/fixtures/"
library="$package/libqflow_auth.so"
cp "${QFLOW_AUTH_LIB:?}" "$library"
chmod -R a+rX "$package"
barrier="$WORK/barrier"
mkdir -m 777 "$barrier"
# A parent the workers may write to, like /run/qflow-auth made for www-data; the library creates the cache
# directory itself, as the workers' user, with mode 0700.
mkdir -m 1777 "$WORK/run"
cache="$WORK/run/cache"

port=$(free_port)
settings=(-d opcache.enable=1 -d "opcache.preload=$package/preload.php")
pool_user=
if [ "$(id -u)" = 0 ]; then
    php "$package/bin/qflow-auth-ffi-header" "$library" >"$WORK/qflow_auth_ffi.h"
    chmod 644 "$WORK/qflow_auth_ffi.h"
    settings+=(-d opcache.preload_user=nobody -d "ffi.preload=$WORK/qflow_auth_ffi.h")
    pool_user=$'user = nobody\ngroup = nogroup'
fi
cat >"$WORK/php-fpm.conf" <<EOF
[global]
error_log = $WORK/fpm.log
daemonize = no

[qflow]
$pool_user
listen = 127.0.0.1:$port
pm = static
pm.max_children = 4
catch_workers_output = yes
EOF

# ffi.enable stays at its default, preload. QFLOW_AUTH_LIB is for the master's preloading only: FPM clears
# the workers' environment, and they must not need it.
QFLOW_AUTH_LIB="$library" php-fpm8.2 --nodaemonize --fpm-config "$WORK/php-fpm.conf" "${settings[@]}" &
FPM_PID=$!
wait_for_port "$port" "$FPM_PID" || { cat "$WORK/fpm.log" >&2; die "PHP-FPM did not start"; }

tag="fpm-$$"
request() {
    env -i SCRIPT_FILENAME="$package/tests/fixtures/cache_worker.php" REQUEST_METHOD=GET \
        WORKER_URL="$base/tag-$tag/slow-700/core/connect/token" WORKER_DIR="$cache" WORKER_BARRIER="$barrier" \
        cgi-fcgi -bind -connect "127.0.0.1:$port" >"$WORK/response-$1" 2>&1
}
pids=()
for i in 1 2 3 4; do
    request "$i" &
    pids+=($!)
done
for _ in $(seq 1 600); do
    [ "$(find "$barrier" -name 'ready-*' | wc -l)" -ge 4 ] && break
    sleep 0.05
done
touch "$barrier/go"
for pid in "${pids[@]}"; do
    wait "$pid" || true
done

python3 - "$WORK" "$base" "$tag" <<'PY'
import json, sys, urllib.request
work, base, tag = sys.argv[1:]
results = []
for i in range(1, 5):
    text = open(f"{work}/response-{i}", encoding="utf-8", errors="replace").read()
    lines = [line for line in text.splitlines() if line.startswith("{")]
    if not lines:
        sys.exit(f"worker {i} answered no JSON: {text[:400]!r}")
    results.append(json.loads(lines[-1]))
problems = []
for i, r in enumerate(results, 1):
    if "exception" in r:
        problems.append(f"worker {i}: {r['exception']}: {r.get('message')}")
    if r.get("sapi") != "fpm-fcgi":
        problems.append(f"worker {i} ran under {r.get('sapi')}, not FPM")
    if not r.get("classes_preloaded") or not r.get("preloaded"):
        problems.append(f"worker {i}: classes preloaded {r.get('classes_preloaded')}, FFI scope preloaded {r.get('preloaded')}")
tokens = {r.get("token") for r in results}
if len(tokens) != 1 or not str(next(iter(tokens))).startswith("at-"):
    problems.append(f"the workers did not all get one token: {len(tokens)} different results")
stats = json.load(urllib.request.urlopen(f"{base}/_stats?tag={tag}"))
requests = stats.get("by_endpoint", {}).get("/connect/token", 0)
if requests != 1:
    problems.append(f"{requests} token requests reached the server, not 1")
import os
if not os.path.isdir(f"{work}/run/cache"):
    problems.append("no cache directory was created")
else:
    info = os.stat(f"{work}/run/cache")
    if info.st_mode & 0o777 != 0o700:
        problems.append(f"the cache directory has mode {info.st_mode & 0o777:o}, not 700")
    if os.geteuid() == 0 and info.st_uid != 65534:
        problems.append("the cache directory does not belong to the workers' user (nobody)")
if problems:
    sys.exit("\n".join(problems))
print("4 FPM workers (preloaded, ffi.enable=preload) shared one token through the file cache: 1 request")
PY
