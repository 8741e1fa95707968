#!/usr/bin/env bash
# TLS offloading and bridging, side by side in one run, Sluice against HAProxy, both
# terminating TLS 1.3 (ECDSA P-256) in front of the same nginx origin (a 100-byte response):
#   1. keep-alive requests/s and latency p50/p99 (wrk, 32 connections);
#   2. full TLS handshakes/s, a new connection per request, no resumption (openssl s_time -new).
# Offload sends plain HTTP/1.1 to nginx; bridging sends HTTPS to nginx's TLS port and verifies
# its certificate (Sluice `protocol: https`, HAProxy `ssl verify required`), keep-alive only.
# "Sluice offload + passthrough route" is the same offload VIP with an sni_routes entry that
# passes another name through: every connection is peeked first, and the terminated path must
# not get slower for it.
# Each proxy runs one thread pinned to core 0; the origin and the load generator share core 1.
# The proxy's own CPU time per request and per handshake (from /proc) ranks them, since on two
# cores the generator is the bottleneck. "direct" is wrk against nginx serving TLS itself.
#
#   bench/offload.sh [seconds per run] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-5}
runs=${2:-3}
sluice=build/sluice
[ -x "$sluice" ] || { echo "build first: make build" >&2; exit 1; }
require_tools haproxy nginx wrk taskset openssl

start_workdir

origin_port=$(free_port); direct_port=$(free_port); sluice_port=$(free_port); haproxy_port=$(free_port)
mixed_port=$(free_port); bridge_port=$(free_port); haproxy_bridge_port=$(free_port)
nginx_port=$(free_port); nginx_bridge_port=$(free_port)
make_certs "$work" bench.example.test
head -c 100 /dev/urandom | base64 | head -c 100 > "$work/small"
chmod 755 "$work"; chmod 644 "$work/small" "$work/server.pem" "$work/server.key"

cat > "$work/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  server { listen 127.0.0.1:$origin_port; root $work; }
  server {
    listen 127.0.0.1:$direct_port ssl;
    server_name bench.example.test;
    ssl_certificate $work/server.pem;
    ssl_certificate_key $work/server.key;
    ssl_protocols TLSv1.3;
    root $work;
  }
}
CONF
cat > "$work/sluice.yaml" <<CONF
global: {workers: 1, access_log: "off"}
certificates: [{name: bench, cert: $work/server.pem, key: $work/server.key}]
server_groups:
  - {name: origin, protocol: http, servers: [{name: nginx, address: 127.0.0.1:$origin_port}]}
  - name: origin-tls
    protocol: https
    tls: {ca: $work/ca.pem, sni: bench.example.test}
    servers: [{name: nginx, address: 127.0.0.1:$direct_port}]
  - {name: elsewhere, protocol: tcp, servers: [{name: nginx, address: 127.0.0.1:$direct_port}]}
vips:
  - {name: bench, listen: 127.0.0.1:$sluice_port, service: https-offload, certificates: [bench], default_group: origin}
  - name: mixed
    listen: 127.0.0.1:$mixed_port
    service: https-offload
    certificates: [bench]
    default_group: origin
    sni_routes: [{sni: passed.example.test, mode: passthrough, group: elsewhere}]
  - {name: bridge, listen: 127.0.0.1:$bridge_port, service: https-bridge, certificates: [bench], default_group: origin-tls}
CONF
cat > "$work/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn 4000
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 3s
  timeout client 30s
  timeout server 30s
frontend bench
  bind 127.0.0.1:$haproxy_port ssl crt $work/server-combined.pem alpn http/1.1
  http-request set-header X-Forwarded-Proto https
  option forwardfor
  default_backend origin
backend origin
  server nginx 127.0.0.1:$origin_port
frontend bridge
  bind 127.0.0.1:$haproxy_bridge_port ssl crt $work/server-combined.pem alpn http/1.1
  http-request set-header X-Forwarded-Proto https
  option forwardfor
  default_backend origin-tls
backend origin-tls
  server nginx 127.0.0.1:$direct_port ssl verify required ca-file $work/ca.pem sni str(bench.example.test) verifyhost bench.example.test
CONF

# NGINX as a proxy: one worker, keep-alive to the origin (plain, and verified TLS).
cat > "$work/nginx-proxy.conf" <<CONF
daemon off;
worker_processes 1;
pid $work/nginx-proxy.pid;
error_log $work/nginx-proxy.err;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream origin { server 127.0.0.1:$origin_port; keepalive 64; }
  upstream origin_tls { server 127.0.0.1:$direct_port; keepalive 64; }
  ssl_certificate $work/server.pem;
  ssl_certificate_key $work/server.key;
  ssl_protocols TLSv1.2 TLSv1.3;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Forwarded-For \$remote_addr;
    }
  }
  server {
    listen 127.0.0.1:$nginx_bridge_port ssl;
    location / {
      proxy_pass https://origin_tls;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate $work/ca.pem;
      proxy_ssl_name bench.example.test;
      proxy_ssl_server_name on;
      proxy_ssl_session_reuse on;
      proxy_ssl_protocols TLSv1.2 TLSv1.3;
    }
  }
}
CONF

taskset -c 1 nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)
taskset -c 0 "$sluice" run -c "$work/sluice.yaml" 2>"$work/sluice.err" & sluice_pid=$!; pids+=($sluice_pid)
taskset -c 0 haproxy -f "$work/haproxy.cfg" -q & haproxy_pid=$!; pids+=($haproxy_pid)
taskset -c 0 nginx -c "$work/nginx-proxy.conf" -p "$work" >/dev/null 2>&1 & nginx_pid=$!; pids+=($nginx_pid)
sleep 1

# keepalive PORT PID → "requests/s p50_ms p99_ms proxy_cpu_us_per_request"
keepalive() {
  wrk_keepalive "$2" "$seconds" "https://127.0.0.1:$1/small"
}

# handshakes PORT PID → "handshakes/s proxy_cpu_ms_per_handshake"
handshakes() {
  local port=$1 pid=$2 before after out count
  before=$([ "$pid" = 0 ] && echo 0 || cpu_seconds "$pid")
  out=$(taskset -c 1 openssl s_time -connect "127.0.0.1:$port" -new -time "$seconds" 2>&1)
  after=$([ "$pid" = 0 ] && echo 0 || cpu_seconds "$pid")
  count=$(awk '/connections in [0-9.]+ real seconds/ { print $1; exit }' <<<"$out")
  [ -n "$count" ] || { echo "bench: s_time failed on $port:" >&2; echo "$out" >&2; exit 1; }
  awk -v n="$count" -v s="$seconds" -v cpu="$(awk -v a="$after" -v b="$before" 'BEGIN{print a-b}')" \
    'BEGIN { printf "%.0f %.3f\n", n / s, (n > 0 ? cpu / n * 1000 : 0) }'
}

paths=(direct sluice mixed haproxy nginx bridge haproxy-bridge nginx-bridge)
declare -A rps p50 p99 cpureq hs cpuhs
for path in "${paths[@]}"; do
  case $path in
    direct) port=$direct_port; pid=0 ;;
    sluice) port=$sluice_port; pid=$sluice_pid ;;
    mixed) port=$mixed_port; pid=$sluice_pid ;;
    haproxy) port=$haproxy_port; pid=$haproxy_pid ;;
    bridge) port=$bridge_port; pid=$sluice_pid ;;
    haproxy-bridge) port=$haproxy_bridge_port; pid=$haproxy_pid ;;
    nginx) port=$nginx_port; pid=$nginx_pid ;;
    nginx-bridge) port=$nginx_bridge_port; pid=$nginx_pid ;;
  esac
  k=(); h=()
  for ((r = 0; r < runs; r++)); do
    k+=("$(keepalive "$port" "$pid")")
    # Bridging differs from offload only behind the proxy: its front handshakes are the same.
    [[ $path == *bridge ]] || h+=("$(handshakes "$port" "$pid")")
  done
  col() { printf '%s\n' "${k[@]}" | awk -v c="$1" '{ print $c }'; }
  rps[$path]="$(col 1 | median) ($(col 1 | spread))"
  p50[$path]=$(col 2 | median); p99[$path]=$(col 3 | median); cpureq[$path]=$(col 4 | median)
  if [ ${#h[@]} -gt 0 ]; then
    hs[$path]="$(printf '%s\n' "${h[@]}" | awk '{print $1}' | median) ($(printf '%s\n' "${h[@]}" | awk '{print $1}' | spread))"
    cpuhs[$path]=$(printf '%s\n' "${h[@]}" | awk '{print $2}' | median)
  else
    hs[$path]=-; cpuhs[$path]=-
  fi
done

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
report="bench/results/offload-$stamp.md"
{
  echo "# TLS offload and bridging, $stamp"
  echo
  echo "TLS 1.3, ECDSA P-256; offload: plain HTTP/1.1 to nginx, bridge: verified TLS 1.3 to nginx"
  echo "(100-byte response). Proxy: one thread on core 0; wrk / openssl s_time and nginx on core 1."
  echo "${seconds}s per run, median of $runs (spread)."
  echo
  echo "| path | keep-alive req/s | p50 ms | p99 ms | proxy CPU µs/req | full handshakes/s | proxy CPU ms/handshake |"
  echo "|---|---|---|---|---|---|---|"
  for path in "${paths[@]}"; do
    case $path in
      direct) label="direct (nginx terminates)";;
      sluice) label="Sluice https-offload";;
      mixed) label="Sluice https-offload + passthrough route";;
      haproxy) label="HAProxy mode http + ssl";;
      bridge) label="Sluice https-bridge";;
      haproxy-bridge) label="HAProxy ssl to server, verify required";;
      nginx) label="NGINX ssl + proxy_pass (keepalive upstream)";;
      nginx-bridge) label="NGINX proxy_pass https, proxy_ssl_verify on";;
    esac
    echo "| $label | ${rps[$path]} | ${p50[$path]} | ${p99[$path]} | $([ $path = direct ] && echo - || echo "${cpureq[$path]}") | ${hs[$path]} | $([ $path = direct ] && echo - || echo "${cpuhs[$path]}") |"
  done
  echo
  echo "Sluice/HAProxy, offload: keep-alive req/s $(ratio "${rps[sluice]}" "${rps[haproxy]}"), CPU per request $(ratio "${cpureq[sluice]}" "${cpureq[haproxy]}"), handshakes/s $(ratio "${hs[sluice]}" "${hs[haproxy]}"), CPU per handshake $(ratio "${cpuhs[sluice]}" "${cpuhs[haproxy]}") (CPU: lower is better)."
  echo "Sluice/NGINX, offload: keep-alive req/s $(ratio "${rps[sluice]}" "${rps[nginx]}"), CPU per request $(ratio "${cpureq[sluice]}" "${cpureq[nginx]}"), CPU per handshake $(ratio "${cpuhs[sluice]}" "${cpuhs[nginx]}"); bridge: CPU per request $(ratio "${cpureq[bridge]}" "${cpureq[nginx-bridge]}")."
  echo "Sluice/HAProxy, bridge: keep-alive req/s $(ratio "${rps[bridge]}" "${rps[haproxy-bridge]}"), CPU per request $(ratio "${cpureq[bridge]}" "${cpureq[haproxy-bridge]}")."
  echo "Sluice with/without a passthrough route: keep-alive CPU per request $(ratio "${cpureq[mixed]}" "${cpureq[sluice]}"), CPU per handshake $(ratio "${cpuhs[mixed]}" "${cpuhs[sluice]}")."
} | tee "$report"
