#!/usr/bin/env bash
# HTTP/2 at the front, side by side: h2load (TLS 1.3, ALPN h2, 32 connections with 10 streams
# each) through Sluice, HAProxy and NGINX terminating TLS in front of the same HTTP/1.1 nginx
# origin (a 100-byte response, keep-alive server connections). Requests/s, and the proxy's own
# CPU µs per request (utime + stime from /proc over the measured interval: the rank that counts
# when the generator shares the machine). Then the memory each proxy holds per idle HTTP/2
# connection (N connections open, their SETTINGS exchanged, nothing asked). And HTTP/2 to the
# servers: the same h2load through Sluice (`http2: true`) and HAProxy (`proto h2`) to an nginx
# origin speaking h2c; NGINX proxies to servers over HTTP/1.1 only (grpc_pass aside).
#
#   bench/http2.sh [seconds per run] [runs] [idle connections]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-5}
runs=${2:-5}
idle=${3:-2000}
sluice=${SLUICE:-build/sluice}
[ -x "$sluice" ] || { echo "build first: make build" >&2; exit 1; }
require_tools haproxy nginx h2load taskset openssl python3

start_workdir
origin_port=$(free_port); direct_port=$(free_port)
for proxy in sluice haproxy nginx; do declare "${proxy}_port=$(free_port)"; done
h2origin_port=$(free_port); sluice_up_port=$(free_port); haproxy_up_port=$(free_port)
admin_port=$(free_port)  # Sluice's metrics, printed when a run has errors
make_certs "$work" bench.example.test
head -c 100 /dev/urandom | base64 | head -c 100 > "$work/small"
chmod 755 "$work"; chmod 644 "$work"/small "$work"/*.pem "$work"/*.key
suites=TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256

nginx_origin_conf "$origin_port" "$direct_port" > "$work/nginx.conf"
cat > "$work/sluice.yaml" <<CONF
admin: {listen: 127.0.0.1:$admin_port}
global: {workers: 1, access_log: "off"}
certificates:
  - {name: ecdsa, cert: $work/server.pem, key: $work/server.key}
server_groups:
  - {name: origin, protocol: http, servers: [{name: nginx, address: 127.0.0.1:$origin_port}]}
  - {name: h2origin, protocol: http, http2: true, servers: [{name: nginx, address: 127.0.0.1:$h2origin_port}]}
vips:
  - {name: h2, listen: 127.0.0.1:$sluice_port, service: https-offload, certificates: [ecdsa], default_group: origin}
  - {name: h2up, listen: 127.0.0.1:$sluice_up_port, service: https-offload, certificates: [ecdsa], default_group: h2origin}
CONF
{
  nginx_main nginx-h2origin "4096"
  cat <<CONF
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  http2_max_concurrent_streams 1000;
  server { listen 127.0.0.1:$h2origin_port http2; root $work; }
}
CONF
} > "$work/nginx-h2origin.conf"
cat > "$work/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn 8000
  ssl-default-bind-ciphersuites $suites
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 3s
  timeout client 60s
  timeout server 30s
frontend h2
  bind 127.0.0.1:$haproxy_port ssl crt $work/server-combined.pem alpn h2,http/1.1
  http-request set-header X-Forwarded-Proto https
  option forwardfor
  default_backend origin
backend origin
  server nginx 127.0.0.1:$origin_port
frontend h2up
  bind 127.0.0.1:$haproxy_up_port ssl crt $work/server-combined.pem alpn h2,http/1.1
  http-request set-header X-Forwarded-Proto https
  option forwardfor
  default_backend h2origin
backend h2origin
  server nginx 127.0.0.1:$h2origin_port proto h2
CONF
{
  nginx_main nginx-proxy "8000"
  cat <<CONF
http {
  access_log off;
  keepalive_requests 1000000;
  upstream origin { server 127.0.0.1:$origin_port; keepalive 64; }
  ssl_protocols TLSv1.3;
  ssl_conf_command Ciphersuites $suites;
  server {
    listen 127.0.0.1:$nginx_port ssl http2;
    ssl_certificate $work/server.pem;
    ssl_certificate_key $work/server.key;
    location / {
      proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$remote_addr; proxy_set_header X-Forwarded-Proto https;
    }
  }
}
CONF
} > "$work/nginx-proxy.conf"

taskset -c 1 nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)
taskset -c 1 nginx -c "$work/nginx-h2origin.conf" -p "$work" & pids+=($!)
taskset -c 0 "$sluice" run -c "$work/sluice.yaml" 2>"$work/sluice.err" & sluice_pid=$!; pids+=($sluice_pid)
taskset -c 0 haproxy -f "$work/haproxy.cfg" -q & haproxy_pid=$!; pids+=($haproxy_pid)
taskset -c 0 nginx -c "$work/nginx-proxy.conf" -p "$work" >/dev/null 2>&1 & nginx_pid=$!; pids+=($nginx_pid)
sleep 1
proxy_pid() { case $1 in sluice) echo "$sluice_pid" ;; haproxy) echo "$haproxy_pid" ;; nginx) echo "$nginx_pid" ;; esac; }

# h2load_run PROXY [PORT] → "requests/s cpu_us_per_request" (one second of warm-up first).
h2load_run() {
  local port=${2:-${1}_port} pid before after out done
  pid=$(proxy_pid "$1")
  local url="https://127.0.0.1:${!port}/small"
  taskset -c 1 h2load -c 32 -m 10 -D 1 "$url" >/dev/null
  before=$(cpu_seconds "$pid")
  out=$(taskset -c 1 h2load -c 32 -m 10 -D "$seconds" "$url")
  after=$(cpu_seconds "$pid")
  done=$(awk '/^requests:/ { print $8 }' <<<"$out")
  if ! grep -q " 0 failed, 0 errored, 0 timeout" <<<"$out" || ! grep -q "status codes: [0-9]* 2xx, 0 3xx, 0 4xx, 0 5xx" <<<"$out"; then
    echo "bench: errors through $1:" >&2; echo "$out" >&2
    if [ "$1" = sluice ]; then
      echo "Sluice's answers and server failures:" >&2
      curl -s "http://127.0.0.1:$admin_port/metrics" | grep -v ' 0$' |
        grep -E '^sluice_(requests_total|server_[a-z_]*(failures|ejections)_total)' >&2 || true
    fi
    exit 1
  fi
  awk -v n="$done" -v s="$seconds" -v a="$after" -v b="$before" \
    'BEGIN { printf "%.0f %.1f\n", n / s, (n > 0 ? (a - b) / n * 1e6 : 0) }'
}

declare -A rows
for ((r = 0; r < runs; r++)); do
  for proxy in sluice haproxy nginx; do
    rows[$proxy]+="${rows[$proxy]:+$'\n'}$(h2load_run $proxy)"
  done
done

# Idle connections: open N, finish the TLS handshake and the HTTP/2 preface, hold them.
rss_kib() {
  local p total=0
  for p in $1 $(pgrep -P "$1" || true); do
    total=$((total + $(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status")))
  done
  echo $total
}
declare -A uprows
for ((r = 0; r < runs; r++)); do
  for proxy in sluice haproxy; do
    uprows[$proxy]+="${uprows[$proxy]:+$'\n'}$(h2load_run $proxy ${proxy}_up_port)"
  done
done

declare -A idle_cost
for proxy in sluice haproxy nginx; do
  port=${proxy}_port
  before=$(rss_kib "$(proxy_pid $proxy)")
  python3 - "${!port}" "$idle" "$work/ca.pem" > "$work/idle.out" <<'PY' &
import socket, ssl, sys, time
port, n, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
context = ssl.create_default_context(cafile=ca)
context.set_alpn_protocols(["h2"])
held = []
for _ in range(n):
    s = context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="bench.example.test")
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
    held.append(s)
for s in held:
    s.settimeout(2)
    s.recv(4096)  # the server's SETTINGS
print("ready", flush=True)
time.sleep(8)
PY
  holder=$!
  for _ in $(seq 1 100); do grep -q ready "$work/idle.out" 2>/dev/null && break; sleep 0.2; done
  sleep 1
  after=$(rss_kib "$(proxy_pid $proxy)")
  kill $holder 2>/dev/null || true; wait $holder 2>/dev/null || true
  idle_cost[$proxy]=$(awk -v a="$after" -v b="$before" -v n="$idle" 'BEGIN { printf "%.1f", (a - b) / n }')
  sleep 1
done

col() { awk -v c="$1" '{ print $c }'; }
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
report="bench/results/http2-$stamp.md"
{
  echo "# HTTP/2 at the front, side by side, $stamp"
  echo
  echo "h2load: 32 connections, 10 streams each, TLS 1.3 ($suites), ALPN h2; origin nginx over"
  echo "HTTP/1.1 keep-alive, a 100-byte response. Proxy on core 0, h2load and origin on core 1."
  echo "${seconds}s per run after 1s of warm-up, median of $runs interleaved runs (min-max). CPU is"
  echo "the proxy's own over the measured interval: lower is better."
  echo
  echo "| proxy | req/s | proxy CPU µs/req | idle h2 connection, KiB |"
  echo "|---|---|---|---|"
  for proxy in sluice haproxy nginx; do
    case $proxy in sluice) label="Sluice https-offload" ;; haproxy) label="HAProxy 2.6 bind ssl alpn h2" ;; nginx) label="NGINX listen ssl http2" ;; esac
    rps=$(col 1 <<<"${rows[$proxy]}")
    cpu=$(col 2 <<<"${rows[$proxy]}")
    echo "| $label | $(median <<<"$rps") ($(spread <<<"$rps")) | $(median <<<"$cpu") ($(spread <<<"$cpu")) | ${idle_cost[$proxy]} |"
  done
  echo
  s=$(median <<<"$(col 2 <<<"${rows[sluice]}")"); h=$(median <<<"$(col 2 <<<"${rows[haproxy]}")"); n=$(median <<<"$(col 2 <<<"${rows[nginx]}")")
  echo "CPU per request, Sluice/HAProxy: $(ratio "$s" "$h"); Sluice/NGINX: $(ratio "$s" "$n")."
  echo "Idle memory: resident memory of the proxy's processes with $idle idle HTTP/2 connections open,"
  echo "minus before, divided by $idle."
  echo
  echo "## HTTP/2 to the servers"
  echo
  echo "The same load, to an nginx origin speaking h2c (prior knowledge) instead of HTTP/1.1. NGINX"
  echo "has no HTTP/2 to servers for plain HTTP proxying, so it has no row."
  echo
  echo "| proxy | req/s | proxy CPU µs/req |"
  echo "|---|---|---|"
  for proxy in sluice haproxy; do
    case $proxy in sluice) label="Sluice server_groups[].http2: true" ;; haproxy) label="HAProxy 2.6 server proto h2" ;; esac
    rps=$(col 1 <<<"${uprows[$proxy]}")
    cpu=$(col 2 <<<"${uprows[$proxy]}")
    echo "| $label | $(median <<<"$rps") ($(spread <<<"$rps")) | $(median <<<"$cpu") ($(spread <<<"$cpu")) |"
  done
  echo
  s=$(median <<<"$(col 2 <<<"${uprows[sluice]}")"); h=$(median <<<"$(col 2 <<<"${uprows[haproxy]}")")
  echo "CPU per request, Sluice/HAProxy: $(ratio "$s" "$h")."
} > "$report"
cat "$report"
