#!/usr/bin/env bash
# What layer-7 rules cost at full speed: TLS offload keep-alive through one Sluice process with
# two VIPs in front of the same nginx origin, one without rules and one with 50 rules in the
# shapes operators write (49 that a page request does not match, then an `any` rule adding a
# header), measured one after the other in the same run; plus the rule-evaluation
# micro-benchmark. Sluice runs one worker pinned to core 0; wrk and nginx share core 1.
#
#   bench/rules.sh [seconds per run] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-5}
runs=${2:-3}
sluice=build/sluice
[ -x "$sluice" ] && [ -x build/bench/micro_benchmarks ] || { echo "build first: make build" >&2; exit 1; }
require_tools nginx wrk taskset openssl

start_workdir
origin_port=$(free_port); plain_port=$(free_port); rules_port=$(free_port)
make_certs "$work" bench.example.test
head -c 100 /dev/urandom | base64 | head -c 100 > "$work/small"
chmod 755 "$work"; chmod 644 "$work/small"

{
  nginx_main nginx "4096"
  cat <<CONF
http { access_log off; keepalive_requests 1000000; server { listen 127.0.0.1:$origin_port; root $work; } }
CONF
} > "$work/nginx.conf"

rules=""
for ((i = 0; i < 49; i++)); do
  case $((i % 6)) in
    0) rules+="      - {match: {path_prefix: /admin$i, not_source: [203.0.113.0/24, \"2001:db8::/32\"]}, action: {deny: 403}}"$'\n' ;;
    1) rules+="      - {match: {path_prefix: /api/v$i/, method: [GET, POST]}, action: {route: origin}}"$'\n' ;;
    2) rules+="      - {match: {header: {name: User-Agent, regex: \"(?i)badbot$i\"}}, action: {respond: {status: 429, body: slow}}}"$'\n' ;;
    3) rules+="      - {match: {host: old$i.shop.example.test}, action: {redirect: {to: \"https://shop.example.test{path}{query}\", status: 301}}}"$'\n' ;;
    4) rules+="      - {match: {query: {name: debug$i, value: \"1\"}}, action: {deny: 403}}"$'\n' ;;
    5) rules+="      - {match: {cookie: {name: beta$i, present: true}}, action: {route: origin}}"$'\n' ;;
  esac
done
rules+="      - {match: {any: true}, action: {set_request_headers: {X-Env: prod}, remove_response_headers: [Server]}}"$'\n'

cat > "$work/sluice.yaml" <<CONF
global: {workers: 1, access_log: "off"}
certificates: [{name: bench, cert: $work/server.pem, key: $work/server.key}]
server_groups:
  - {name: origin, protocol: http, servers: [{name: nginx, address: 127.0.0.1:$origin_port}]}
vips:
  - {name: plain, listen: 127.0.0.1:$plain_port, service: https-offload, certificates: [bench], default_group: origin}
  - name: ruled
    listen: 127.0.0.1:$rules_port
    service: https-offload
    certificates: [bench]
    default_group: origin
    rules:
$rules
CONF

taskset -c 1 nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)
taskset -c 0 "$sluice" run -c "$work/sluice.yaml" 2>"$work/sluice.err" & sluice_pid=$!; pids+=($sluice_pid)
sleep 1

# keepalive PORT → "requests/s proxy_cpu_us_per_request"
keepalive() {
  wrk_keepalive "$sluice_pid" "$seconds" "https://127.0.0.1:$1/small?page=2&sort=price" \
    -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/120' \
    -H 'Cookie: session=abc123; theme=dark' | awk '{ print $1, $4 }'
}

declare -A rps cpu
for path in plain ruled; do
  port=$([ $path = plain ] && echo "$plain_port" || echo "$rules_port")
  k=()
  for ((r = 0; r < runs; r++)); do k+=("$(keepalive "$port")"); done
  rps[$path]="$(printf '%s\n' "${k[@]}" | awk '{print $1}' | median) ($(printf '%s\n' "${k[@]}" | awk '{print $1}' | spread))"
  cpu[$path]=$(printf '%s\n' "${k[@]}" | awk '{print $2}' | median)
done
micro=$(taskset -c 0 build/bench/micro_benchmarks --benchmark_filter=Rules 2>/dev/null | grep '^BM_')

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
report="bench/results/rules-$stamp.md"
{
  echo "# Layer-7 rules, $stamp"
  echo
  echo "TLS 1.3 offload keep-alive (wrk, 32 connections, a page request with a query and cookies) to nginx."
  echo "Sluice: one worker on core 0; wrk and nginx on core 1. ${seconds}s per run, median of $runs (spread)."
  echo
  echo "| VIP | keep-alive req/s | Sluice CPU µs/req |"
  echo "|---|---|---|"
  echo "| no rules | ${rps[plain]} | ${cpu[plain]} |"
  echo "| 50 rules | ${rps[ruled]} | ${cpu[ruled]} |"
  echo
  echo "50 rules / none: CPU per request $(ratio "${cpu[ruled]}" "${cpu[plain]}")."
  echo
  echo "Rule evaluation alone (build/bench/micro_benchmarks, Google Benchmark):"
  echo
  echo '```'
  echo "$micro"
  echo '```'
} | tee "$report"
