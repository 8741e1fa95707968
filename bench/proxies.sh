#!/usr/bin/env bash
# Sluice, HAProxy and NGINX as HTTP(S) proxies, side by side in one run, each configured for the
# same work in front of the same nginx origin (a 100-byte response), one thread pinned to core 0;
# the origin and the load generators share core 1.
#
#   1. keep-alive requests/s with p50/p99 (wrk, 32 connections): TLS 1.3 offload (ECDSA P-256)
#      to plain HTTP; bridging (verified TLS 1.3 to the origin's HTTPS port); plain HTTP;
#   2. full TLS handshakes, a new connection per request, offered at a fixed rate the generator
#      can sustain and confirmed full (never resumed): ECDSA P-256 and RSA-2048;
#   3. resumed handshakes (TLS 1.3 session tickets), a new connection per request, confirmed
#      resumed, at the same fixed rate;
#   4. latency under load: keep-alive requests at half of HAProxy's maximum rate from (1),
#      offered open-loop at a fixed rate (latency counted from when each request was due).
#
# Rows 2-4 use build/bench/tls_load. "direct" is the same client against the origin alone. The
# proxy's own CPU time per request or per handshake (from /proc, over the measured interval)
# ranks the proxies, since on two cores the generator is often the bottleneck. "Sluice offload
# + passthrough route" is the offload VIP with an sni_routes entry passing another name through:
# every connection is peeked first, and the terminated path must not get slower for it.
#
#   bench/proxies.sh [seconds per run] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-4}
runs=${2:-3}
full_rate=${FULL_RATE:-800}  # full ECDSA handshakes/s offered (and resumed ones)
rsa_rate=${RSA_RATE:-400}    # full RSA-2048 handshakes/s offered
sluice=${SLUICE:-build/sluice}  # SLUICE=path: another build, for a before/after comparison
load=build/bench/tls_load
[ -x "$sluice" ] && [ -x "$load" ] || { echo "build first: make build" >&2; exit 1; }
require_tools haproxy nginx wrk taskset openssl

start_workdir

origin_port=$(free_port); direct_port=$(free_port)
for proxy in sluice haproxy nginx; do
  for kind in tls rsa http bridge; do declare "${proxy}_${kind}=$(free_port)"; done
done
sluice_mixed=$(free_port)
make_certs "$work" bench.example.test
make_rsa_cert "$work" bench.example.test
head -c 100 /dev/urandom | base64 | head -c 100 > "$work/small"
chmod 755 "$work"; chmod 644 "$work"/small "$work"/*.pem "$work"/*.key

# The same TLS 1.3 suites in the same order of preference for every proxy (Sluice's default).
suites=TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256

nginx_origin_conf "$origin_port" "$direct_port" > "$work/nginx.conf"
cat > "$work/sluice.yaml" <<CONF
global: {workers: 1, access_log: "off"}
certificates:
  - {name: ecdsa, cert: $work/server.pem, key: $work/server.key}
  - {name: rsa, cert: $work/rsa.pem, key: $work/rsa.key}
server_groups:
  - {name: origin, protocol: http, servers: [{name: nginx, address: 127.0.0.1:$origin_port}]}
  - name: origin-tls
    protocol: https
    tls: {ca: $work/ca.pem, sni: bench.example.test}
    servers: [{name: nginx, address: 127.0.0.1:$direct_port}]
  - {name: elsewhere, protocol: tcp, servers: [{name: nginx, address: 127.0.0.1:$direct_port}]}
vips:
  - {name: tls, listen: 127.0.0.1:$sluice_tls, service: https-offload, certificates: [ecdsa], default_group: origin}
  - {name: rsa, listen: 127.0.0.1:$sluice_rsa, service: https-offload, certificates: [rsa], default_group: origin}
  - {name: http, listen: 127.0.0.1:$sluice_http, service: http, default_group: origin}
  - {name: bridge, listen: 127.0.0.1:$sluice_bridge, service: https-bridge, certificates: [ecdsa], default_group: origin-tls}
  - name: mixed
    listen: 127.0.0.1:$sluice_mixed
    service: https-offload
    certificates: [ecdsa]
    default_group: origin
    sni_routes: [{sni: passed.example.test, mode: passthrough, group: elsewhere}]
CONF
# HAProxy: server connections shared across clients (as Sluice's and NGINX's pools are).
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
  timeout client 30s
  timeout server 30s
frontend tls
  bind 127.0.0.1:$haproxy_tls ssl crt $work/server-combined.pem alpn http/1.1
  bind 127.0.0.1:$haproxy_rsa ssl crt $work/rsa-combined.pem alpn http/1.1
  http-request set-header X-Forwarded-Proto https
  option forwardfor
  default_backend origin
frontend http
  bind 127.0.0.1:$haproxy_http
  option forwardfor
  default_backend origin
frontend bridge
  bind 127.0.0.1:$haproxy_bridge ssl crt $work/server-combined.pem alpn http/1.1
  http-request set-header X-Forwarded-Proto https
  option forwardfor
  default_backend origin-tls
backend origin
  server nginx 127.0.0.1:$origin_port
backend origin-tls
  server nginx 127.0.0.1:$direct_port ssl verify required ca-file $work/ca.pem sni str(bench.example.test) verifyhost bench.example.test
CONF
# NGINX as a proxy: one worker, keep-alive to the origin (plain, and verified TLS).
proxy_common="proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_set_header X-Forwarded-For \$remote_addr;"
{
  nginx_main nginx-proxy "10000"
  cat <<CONF
http {
  access_log off;
  keepalive_requests 1000000;
  upstream origin { server 127.0.0.1:$origin_port; keepalive 64; }
  upstream origin_tls { server 127.0.0.1:$direct_port; keepalive 64; }
  ssl_protocols TLSv1.2 TLSv1.3;
  ssl_prefer_server_ciphers on;
  ssl_conf_command Ciphersuites $suites;
  ssl_session_tickets on;
  server {
    listen 127.0.0.1:$nginx_tls ssl;
    ssl_certificate $work/server.pem;
    ssl_certificate_key $work/server.key;
    location / { proxy_pass http://origin; $proxy_common proxy_set_header X-Forwarded-Proto https; }
  }
  server {
    listen 127.0.0.1:$nginx_rsa ssl;
    ssl_certificate $work/rsa.pem;
    ssl_certificate_key $work/rsa.key;
    location / { proxy_pass http://origin; $proxy_common proxy_set_header X-Forwarded-Proto https; }
  }
  server {
    listen 127.0.0.1:$nginx_http;
    location / { proxy_pass http://origin; $proxy_common }
  }
  server {
    listen 127.0.0.1:$nginx_bridge ssl;
    ssl_certificate $work/server.pem;
    ssl_certificate_key $work/server.key;
    location / {
      proxy_pass https://origin_tls; $proxy_common proxy_set_header X-Forwarded-Proto https;
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
} > "$work/nginx-proxy.conf"

taskset -c 1 nginx -c "$work/nginx.conf" -p "$work" & origin_pid=$!; pids+=($origin_pid)
taskset -c 0 "$sluice" run -c "$work/sluice.yaml" 2>"$work/sluice.err" & sluice_pid=$!; pids+=($sluice_pid)
taskset -c 0 haproxy -f "$work/haproxy.cfg" -q & haproxy_pid=$!; pids+=($haproxy_pid)
taskset -c 0 nginx -c "$work/nginx-proxy.conf" -p "$work" >/dev/null 2>&1 & nginx_pid=$!; pids+=($nginx_pid)
sleep 1

# The value of key=value field $2 in tls_load's output line $1.
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
# Median (spread) of column $1 of the lines on stdin.
summary() { local v; v=$(awk -v c="$1" '{ print $c }'); echo "$(median <<<"$v") ($(spread <<<"$v"))"; }
col_median() { awk -v c="$1" '{ print $c }' | median; }

# tls_run PORT MODE RATE PIDS [options] → "rate cpu_us_per_op busy p50 p99 p999" (one run, with
# one second of warm-up); any failure, or a handshake not of the kind asked for, stops the bench.
tls_run() {
  local port=$1 mode=$2 rate=$3 cpu=$4 out
  shift 4
  out=$(taskset -c 1 "$load" "$port" "$mode" "$rate" "$seconds" --cpu "$cpu" "$@") || {
    echo "bench: tls_load $mode on port $port failed: $out" >&2; exit 1; }
  echo "$(field "$out" rate) $(field "$out" cpu_us_per_op) $(field "$out" busy) $(field "$out" p50_ms) $(field "$out" p99_ms) $(field "$out" p999_ms)"
}

name_of() { case $1 in sluice) echo Sluice ;; haproxy) echo HAProxy ;; nginx) echo NGINX ;; esac; }
proxy_pid() { case $1 in sluice) echo "$sluice_pid" ;; haproxy) echo "$haproxy_pid" ;; nginx) pid_list "$nginx_pid" ;; esac; }

# Runs are interleaved (run 1 of every path, then run 2 of every path, ...) so that a slow spell
# of the machine falls on all proxies alike rather than on one of them.
declare -A ka hs lat
append() {  # ARRAY KEY VALUE: one more line under KEY
  local -n table=$1
  table[$2]+="${table[$2]:+$'\n'}$3"
}

# 1. Keep-alive rows (wrk).
ka_rows=(direct direct-http sluice sluice-bridge sluice-http haproxy haproxy-bridge haproxy-http nginx nginx-bridge nginx-http sluice-mixed)
ka_target() {  # ROW → "URL PID"
  local row=$1 proxy kind port pid
  case $row in
    direct) echo "https://127.0.0.1:$direct_port/small 0"; return ;;
    direct-http) echo "http://127.0.0.1:$origin_port/small 0"; return ;;
    sluice-mixed) echo "https://127.0.0.1:$sluice_mixed/small $sluice_pid"; return ;;
  esac
  proxy=${row%%-*}; kind=${row#*-}; [ "$kind" = "$row" ] && kind=tls
  port=${proxy}_${kind}; pid=$(proxy_pid "$proxy")
  echo "$([ "$kind" = http ] && echo http || echo https)://127.0.0.1:${!port}/small ${pid%%,*}"
}
for ((r = 0; r < runs; r++)); do
  for row in "${ka_rows[@]}"; do
    read -r url pid <<<"$(ka_target "$row")"
    append ka "$row" "$(wrk_keepalive "$pid" "$seconds" "$url")"
  done
done

# 2-3. Handshake rows (tls_load at fixed rates).
for ((r = 0; r < runs; r++)); do
  for proxy in sluice haproxy nginx; do
    tls=${proxy}_tls; rsa=${proxy}_rsa; cpu=$(proxy_pid $proxy)
    append hs "$proxy-full" "$(tls_run "${!tls}" full "$full_rate" "$cpu")"
    append hs "$proxy-rsa" "$(tls_run "${!rsa}" full "$rsa_rate" "$cpu")"
    append hs "$proxy-resumed" "$(tls_run "${!tls}" resumed "$full_rate" "$cpu")"
  done
  append hs sluice-mixed-full "$(tls_run "$sluice_mixed" full "$full_rate" "$sluice_pid")"
done

# 4. Latency at half of HAProxy's maximum keep-alive rate (its median from row 1). "direct"
# (the origin terminating TLS itself, no proxy) is the control: what the generator and the
# origin add at that rate on their shared core.
half_rate=$(col_median 1 <<<"${ka[haproxy]}" | awk '{ printf "%d", $1 / 2 }')
origin_cpu=$(pid_list "$origin_pid")
for ((r = 0; r < runs; r++)); do
  for proxy in direct sluice haproxy nginx; do
    if [ $proxy = direct ]; then port=$direct_port; cpu=$origin_cpu; else tls=${proxy}_tls; port=${!tls}; cpu=$(proxy_pid $proxy); fi
    append lat "$proxy" "$(tls_run "$port" keepalive "$half_rate" "$cpu" --connections 32)"
  done
done

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
report="bench/results/proxies-$stamp.md"
ratio_of() { ratio "$(col_median "$3" <<<"$1")" "$(col_median "$3" <<<"$2")"; }
{
  echo "# HTTP(S) proxies side by side, $stamp"
  echo
  echo "Origin: nginx, 100-byte response. Proxy: one thread on core 0; load generator and origin on"
  echo "core 1. TLS 1.3 ($suites, in that order), X25519. ${seconds}s per run after 1s of warm-up,"
  echo "median of $runs runs (min-max), the runs of all paths interleaved. CPU is the proxy's own (utime + stime from /proc) over the"
  echo "measured interval: lower is better."
  echo
  echo "## Keep-alive requests (wrk, 32 connections, closed loop)"
  echo
  echo "| path | req/s | p50 ms | p99 ms | proxy CPU µs/req |"
  echo "|---|---|---|---|---|"
  for row in direct sluice sluice-mixed haproxy nginx sluice-bridge haproxy-bridge nginx-bridge direct-http sluice-http haproxy-http nginx-http; do
    case $row in
      direct) label="direct: nginx terminates TLS" ;;
      sluice) label="Sluice https-offload" ;;
      sluice-mixed) label="Sluice https-offload + passthrough route" ;;
      haproxy) label="HAProxy mode http + ssl crt" ;;
      nginx) label="NGINX ssl + proxy_pass, keepalive upstream" ;;
      sluice-bridge) label="Sluice https-bridge (verified TLS to the origin)" ;;
      haproxy-bridge) label="HAProxy ssl verify required to the server" ;;
      nginx-bridge) label="NGINX proxy_pass https, proxy_ssl_verify on" ;;
      direct-http) label="direct: nginx, plain HTTP" ;;
      sluice-http) label="Sluice http" ;;
      haproxy-http) label="HAProxy mode http" ;;
      nginx-http) label="NGINX proxy_pass" ;;
    esac
    v=${ka[$row]}
    cpu=$([[ $row == direct* ]] && echo - || echo "$(col_median 4 <<<"$v")")
    echo "| $label | $(summary 1 <<<"$v") | $(col_median 2 <<<"$v") | $(col_median 3 <<<"$v") | $cpu |"
  done
  echo
  echo "## New TLS connections at a fixed rate (build/bench/tls_load), one request each"
  echo
  echo "Full: no ticket offered, every handshake checked to be full. Resumed: the last ticket"
  echo "received is offered, every handshake checked to be resumed. Offered rates: ${full_rate}/s"
  echo "(ECDSA, resumed), ${rsa_rate}/s (RSA-2048). Busy: the proxy's CPU seconds per second."
  echo
  echo "| path | handshakes/s | proxy CPU µs per connection | proxy busy | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|---|"
  for proxy in sluice haproxy nginx; do
    for kind in full rsa resumed; do
      case $kind in full) what="full, ECDSA P-256" ;; rsa) what="full, RSA-2048" ;; resumed) what="resumed (ticket)" ;; esac
      v=${hs[$proxy-$kind]}
      echo "| $(name_of $proxy) $what | $(col_median 1 <<<"$v") | $(summary 2 <<<"$v") | $(col_median 3 <<<"$v") | $(col_median 4 <<<"$v") | $(col_median 5 <<<"$v") |"
    done
  done
  v=${hs[sluice-mixed-full]}
  echo "| Sluice full, ECDSA, through the passthrough-route listener | $(col_median 1 <<<"$v") | $(summary 2 <<<"$v") | $(col_median 3 <<<"$v") | $(col_median 4 <<<"$v") | $(col_median 5 <<<"$v") |"
  echo
  echo "## Latency under load: keep-alive TLS requests at ${half_rate}/s (half of HAProxy's maximum above), open loop"
  echo
  echo "The generator and the origin share core 1: the direct row shows what they add alone."
  echo
  echo "| proxy | p50 ms | p99 ms | p99.9 ms | proxy CPU µs/req | proxy busy |"
  echo "|---|---|---|---|---|---|"
  for proxy in direct sluice haproxy nginx; do
    v=${lat[$proxy]}
    if [ $proxy = direct ]; then label="direct: nginx terminates TLS (origin's CPU)"; else label=$(name_of $proxy); fi
    echo "| $label | $(col_median 4 <<<"$v") | $(summary 5 <<<"$v") | $(col_median 6 <<<"$v") | $(col_median 2 <<<"$v") | $(col_median 3 <<<"$v") |"
  done
  echo
  echo "## Ratios (CPU: lower is better)"
  echo
  echo "| measure | Sluice/HAProxy | Sluice/NGINX |"
  echo "|---|---|---|"
  echo "| offload keep-alive CPU per request | $(ratio_of "${ka[sluice]}" "${ka[haproxy]}" 4) | $(ratio_of "${ka[sluice]}" "${ka[nginx]}" 4) |"
  echo "| bridge keep-alive CPU per request | $(ratio_of "${ka[sluice-bridge]}" "${ka[haproxy-bridge]}" 4) | $(ratio_of "${ka[sluice-bridge]}" "${ka[nginx-bridge]}" 4) |"
  echo "| plain http keep-alive CPU per request | $(ratio_of "${ka[sluice-http]}" "${ka[haproxy-http]}" 4) | $(ratio_of "${ka[sluice-http]}" "${ka[nginx-http]}" 4) |"
  echo "| offload keep-alive req/s | $(ratio_of "${ka[sluice]}" "${ka[haproxy]}" 1) | $(ratio_of "${ka[sluice]}" "${ka[nginx]}" 1) |"
  echo "| full ECDSA handshake CPU | $(ratio_of "${hs[sluice-full]}" "${hs[haproxy-full]}" 2) | $(ratio_of "${hs[sluice-full]}" "${hs[nginx-full]}" 2) |"
  echo "| full RSA-2048 handshake CPU | $(ratio_of "${hs[sluice-rsa]}" "${hs[haproxy-rsa]}" 2) | $(ratio_of "${hs[sluice-rsa]}" "${hs[nginx-rsa]}" 2) |"
  echo "| resumed handshake CPU | $(ratio_of "${hs[sluice-resumed]}" "${hs[haproxy-resumed]}" 2) | $(ratio_of "${hs[sluice-resumed]}" "${hs[nginx-resumed]}" 2) |"
  echo "| p99 at half of HAProxy's maximum rate | $(ratio_of "${lat[sluice]}" "${lat[haproxy]}" 5) | $(ratio_of "${lat[sluice]}" "${lat[nginx]}" 5) |"
  echo "| CPU per request at that rate | $(ratio_of "${lat[sluice]}" "${lat[haproxy]}" 2) | $(ratio_of "${lat[sluice]}" "${lat[nginx]}" 2) |"
  echo "| with/without a passthrough route: keep-alive CPU, full handshake CPU | $(ratio_of "${ka[sluice-mixed]}" "${ka[sluice]}" 4), $(ratio_of "${hs[sluice-mixed-full]}" "${hs[sluice-full]}" 2) | |"
} | tee "$report"
