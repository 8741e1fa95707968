#!/usr/bin/env bash
# Two builds of Sluice side by side in one run, on the keep-alive rows of proxies.sh (offload,
# bridge and plain HTTP in front of the same nginx origin, 32 connections, wrk): the CPU each
# spends per request, to check that a change costs what it should. Runs are interleaved so a
# slow spell of the machine falls on both builds alike.
#
#   bench/before_after.sh BEFORE_BINARY [AFTER_BINARY] [seconds per run] [runs]
#
# e.g. build the commit before a change in another work tree and pass its build/sluice.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
before=${1:?usage: bench/before_after.sh BEFORE_BINARY [AFTER_BINARY] [seconds] [runs]}
after=${2:-build/sluice}
seconds=${3:-5}
runs=${4:-5}
require_tools nginx wrk taskset openssl

start_workdir
origin_port=$(free_port); direct_port=$(free_port)
make_certs "$work" bench.example.test
head -c 100 /dev/urandom | base64 | head -c 100 > "$work/small"
chmod 755 "$work"; chmod 644 "$work"/small "$work"/*.pem "$work"/*.key
nginx_origin_conf "$origin_port" "$direct_port" > "$work/nginx.conf"
taskset -c 1 nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)

declare -A port pid
for build in before after; do
  for kind in tls bridge http; do port[$build-$kind]=$(free_port); done
  cat > "$work/$build.yaml" <<CONF
global: {workers: 1, access_log: "off"}
certificates:
  - {name: ecdsa, cert: $work/server.pem, key: $work/server.key}
server_groups:
  - {name: origin, protocol: http, servers: [{name: nginx, address: 127.0.0.1:$origin_port}]}
  - name: origin-tls
    protocol: https
    tls: {ca: $work/ca.pem, sni: bench.example.test}
    servers: [{name: nginx, address: 127.0.0.1:$direct_port}]
vips:
  - {name: tls, listen: 127.0.0.1:${port[$build-tls]}, service: https-offload, certificates: [ecdsa], default_group: origin}
  - {name: bridge, listen: 127.0.0.1:${port[$build-bridge]}, service: https-bridge, certificates: [ecdsa], default_group: origin-tls}
  - {name: http, listen: 127.0.0.1:${port[$build-http]}, service: http, default_group: origin}
CONF
  binary=$before; [ "$build" = after ] && binary=$after
  taskset -c 0 "$binary" run -c "$work/$build.yaml" 2>"$work/$build.err" & pid[$build]=$!; pids+=(${pid[$build]})
done
sleep 1

declare -A rows
for ((r = 0; r < runs; r++)); do
  for kind in tls bridge http; do
    for build in before after; do
      scheme=https; [ "$kind" = http ] && scheme=http
      line=$(wrk_keepalive "${pid[$build]}" "$seconds" "$scheme://127.0.0.1:${port[$build-$kind]}/small")
      rows[$build-$kind]+="${rows[$build-$kind]:+$'\n'}$line"
    done
  done
done

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
report="bench/results/before-after-$stamp.md"
col() { awk -v c="$1" '{ print $c }' | median; }
cols() { local v; v=$(awk -v c="$1" '{ print $c }'); echo "$(median <<<"$v") ($(spread <<<"$v"))"; }
{
  echo "# Sluice before and after, keep-alive rows ($stamp)"
  echo
  echo "before: \`$before\` ($("$before" --version)); after: \`$after\` ($("$after" --version));"
  echo "$runs interleaved runs of ${seconds}s each, wrk -t1 -c32 on core 1, Sluice on core 0, median (spread)."
  echo
  echo "| path | build | req/s | p99 ms | Sluice CPU µs/req |"
  echo "|---|---|---|---|---|"
  for kind in tls bridge http; do
    name=$kind; [ "$kind" = tls ] && name=offload
    for build in before after; do
      v=${rows[$build-$kind]}
      echo "| $name | $build | $(col 1 <<<"$v") | $(col 3 <<<"$v") | $(cols 4 <<<"$v") |"
    done
  done
  echo
  echo "| path | after/before CPU per request |"
  echo "|---|---|"
  for kind in tls bridge http; do
    name=$kind; [ "$kind" = tls ] && name=offload
    a=$(col 4 <<<"${rows[after-$kind]}"); b=$(col 4 <<<"${rows[before-$kind]}")
    echo "| $name | $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }') |"
  done
} | tee "$report"
