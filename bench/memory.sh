#!/usr/bin/env bash
# Memory per idle TLS connection, side by side in one run: Sluice (https-offload), HAProxy
# (mode http, ssl crt) and NGINX (ssl + proxy_pass), each terminating TLS 1.3 (ECDSA P-256) in
# front of the same nginx origin, one worker/thread each. N clients complete a TLS handshake
# and then stay idle (no request): the proxy's resident memory (VmRSS of all its processes)
# before and after, divided by N.
#
#   bench/memory.sh [connections] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
count=${1:-5000}
runs=${2:-3}
sluice=${SLUICE:-build/sluice}  # SLUICE=path: another build, for a before/after comparison
client=build/bench/idle_tls_clients
[ -x "$sluice" ] && [ -x "$client" ] || { echo "build first: make build" >&2; exit 1; }
require_tools haproxy nginx taskset openssl
ulimit -n $((count * 4 + 4096)) 2>/dev/null || true

start_workdir
origin_port=$(free_port); sluice_port=$(free_port); haproxy_port=$(free_port); nginx_port=$(free_port)
make_certs "$work" bench.example.test
chmod 755 "$work"; chmod 644 "$work/server.pem" "$work/server.key" "$work/server-combined.pem"

{
  nginx_main origin "1024"
  cat <<CONF
http { access_log off; server { listen 127.0.0.1:$origin_port; root $work; } }
CONF
} > "$work/origin.conf"
{
  nginx_main proxy "$((count * 2 + 1024))"
  echo "worker_rlimit_nofile $((count * 2 + 1024));"
  cat <<CONF
http {
  access_log off;
  client_header_timeout 120s;
  keepalive_timeout 120s;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $work/server.pem;
    ssl_certificate_key $work/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { proxy_pass http://127.0.0.1:$origin_port; }
  }
}
CONF
} > "$work/proxy.conf"
cat > "$work/sluice.yaml" <<CONF
global: {workers: 1, access_log: "off", max_connections: $((count * 2))}
certificates: [{name: bench, cert: $work/server.pem, key: $work/server.key}]
server_groups:
  - {name: origin, protocol: http, servers: [{name: nginx, address: 127.0.0.1:$origin_port}]}
vips:
  - name: bench
    listen: 127.0.0.1:$sluice_port
    service: https-offload
    certificates: [bench]
    default_group: origin
    timeouts: {client_header: 120s, keep_alive: 120s}
CONF
cat > "$work/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn $((count + 1000))
defaults
  mode http
  timeout connect 3s
  timeout client 120s
  timeout server 120s
  timeout http-request 120s
frontend bench
  bind 127.0.0.1:$haproxy_port ssl crt $work/server-combined.pem alpn http/1.1
  default_backend origin
backend origin
  server nginx 127.0.0.1:$origin_port
CONF

taskset -c 1 nginx -c "$work/origin.conf" -p "$work" >/dev/null 2>&1 & pids+=($!)

# start_proxy NAME: a fresh process of that proxy on core 0 (allocators keep freed memory, so
# every measurement starts from a new process); sets $proxy_pid and $proxy_port.
start_proxy() {
  case $1 in
    sluice)
      taskset -c 0 "$sluice" run -c "$work/sluice.yaml" 2>"$work/sluice.err" & proxy_pid=$!
      proxy_port=$sluice_port ;;
    haproxy)
      taskset -c 0 haproxy -f "$work/haproxy.cfg" -q & proxy_pid=$!
      proxy_port=$haproxy_port ;;
    nginx)
      taskset -c 0 nginx -c "$work/proxy.conf" -p "$work" >/dev/null 2>&1 & proxy_pid=$!
      proxy_port=$nginx_port ;;
  esac
  pids+=("$proxy_pid")
  sleep 1
}
stop_proxy() {
  kill "$proxy_pid" 2>/dev/null || true
  wait "$proxy_pid" 2>/dev/null || true
}

# rss_kib PID: resident memory of the process and its children, KiB.
rss_kib() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(awk '/^VmRSS/ { print $2 }' "/proc/$p/status")))
  done
  echo "$total"
}

# per_connection PORT PID → KiB per idle TLS connection
per_connection() {
  local port=$1 pid=$2 before after fifo line
  # Warm up: one connection's worth of lazy allocations (contexts, pools) is not per connection.
  "$client" "$port" 50 20 </dev/null >/dev/null
  sleep 0.5
  before=$(rss_kib "$pid")
  fifo="$work/hold.$port"; mkfifo "$fifo"
  "$client" "$port" "$count" 60 <"$fifo" >"$work/client.out" & local client_pid=$!
  exec 9>"$fifo"
  until grep -q -e '^ready' -e '^failed' "$work/client.out" 2>/dev/null; do sleep 0.2; done
  if grep -q '^failed' "$work/client.out"; then cat "$work/client.out" >&2; exit 1; fi
  sleep 1
  after=$(rss_kib "$pid")
  exec 9>&-
  wait "$client_pid" || true
  rm -f "$fifo"
  sleep 1
  awk -v a="$after" -v b="$before" -v n="$count" 'BEGIN { printf "%.1f\n", (a - b) / n }'
}

declare -A kib
for path in sluice haproxy nginx; do
  v=()
  for ((r = 0; r < runs; r++)); do
    start_proxy "$path"
    v+=("$(per_connection "$proxy_port" "$proxy_pid")")
    stop_proxy
  done
  kib[$path]="$(printf '%s\n' "${v[@]}" | median) ($(printf '%s\n' "${v[@]}" | spread))"
done

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
report="bench/results/memory-$stamp.md"
{
  echo "# Memory per idle TLS connection, $stamp"
  echo
  echo "$count TLS 1.3 connections (ECDSA P-256), handshake done, no request; resident memory of the"
  echo "proxy's processes before and after. One worker/thread each, pinned to core 0. Median of $runs (spread)."
  echo
  echo "| proxy | KiB per idle TLS connection |"
  echo "|---|---|"
  echo "| Sluice https-offload | ${kib[sluice]} |"
  echo "| HAProxy mode http + ssl | ${kib[haproxy]} |"
  echo "| NGINX ssl + proxy_pass | ${kib[nginx]} |"
  echo
  echo "Sluice/HAProxy $(ratio "${kib[sluice]}" "${kib[haproxy]}"), Sluice/NGINX $(ratio "${kib[sluice]}" "${kib[nginx]}") (lower is better)."
} | tee "$report"
