#!/usr/bin/env bash
# Passthrough throughput, side by side in one run: repeated 1 MiB HTTPS downloads (keep-alive,
# TLS 1.3) from an nginx origin that holds the certificate, fetched by wrk
#   - directly (the ceiling),
#   - through a Sluice https-passthrough VIP (SNI peek, then splice),
#   - through HAProxy in mode tcp with SNI inspection and splice forced both ways,
#   - through NGINX `stream` with `ssl_preread` routing on the SNI.
# Each proxy runs one thread pinned to core 0; origin and load generator share core 1. Besides
# MiB/s, the proxy's own CPU time per MiB (from /proc) ranks the proxies, since on two cores
# the generator and the origin are the bottleneck.
#
#   bench/passthrough.sh [seconds per run] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-8}
runs=${2:-3}
sluice=${SLUICE:-build/sluice}  # SLUICE=path: another build, for a before/after comparison
[ -x "$sluice" ] || { echo "build first: make build" >&2; exit 1; }
require_tools haproxy nginx wrk taskset openssl
stream_module=/usr/lib/nginx/modules/ngx_stream_module.so
[ -f "$stream_module" ] || { echo "missing NGINX's stream module: run scripts/install-deps bench" >&2; exit 1; }

start_workdir

origin_port=$(free_port); sluice_port=$(free_port); haproxy_port=$(free_port); nginx_port=$(free_port)

# Certificates: a test CA and the origin's own certificate (ECDSA P-256).
make_certs "$work" bench.example.test
head -c 1048576 /dev/urandom > "$work/1m"
chmod 755 "$work"; chmod 644 "$work/1m"  # nginx's workers run as www-data

{
  nginx_main nginx "1024"
  cat <<CONF
http {
  access_log off;
  sendfile on;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$origin_port ssl;
    ssl_certificate $work/server.pem;
    ssl_certificate_key $work/server.key;
    ssl_protocols TLSv1.3;
    root $work;
  }
}
CONF
} > "$work/nginx.conf"
cat > "$work/sluice.yaml" <<CONF
global: {workers: 1, access_log: "off"}
server_groups:
  - {name: origin, servers: [{name: nginx, address: 127.0.0.1:$origin_port}]}
vips:
  - name: bench
    listen: 127.0.0.1:$sluice_port
    service: https-passthrough
    default_group: origin
    sni_routes: [{sni: bench.example.test, group: origin}]
CONF
cat > "$work/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn 4000
defaults
  mode tcp
  timeout connect 3s
  timeout client 300s
  timeout server 300s
frontend bench
  bind 127.0.0.1:$haproxy_port
  option splice-request
  option splice-response
  tcp-request inspect-delay 5s
  tcp-request content accept if { req_ssl_hello_type 1 }
  use_backend origin if { req_ssl_sni -i bench.example.test }
  default_backend origin
backend origin
  server nginx 127.0.0.1:$origin_port
CONF

# NGINX as the passthrough proxy: one worker, stream module, routing on the peeked SNI.
{
  echo "load_module $stream_module;"
  nginx_main nginx-proxy "1024"
  cat <<CONF
stream {
  map \$ssl_preread_server_name \$upstream { bench.example.test origin; default origin; }
  upstream origin { server 127.0.0.1:$origin_port; }
  server { listen 127.0.0.1:$nginx_port; ssl_preread on; proxy_pass \$upstream; }
}
CONF
} > "$work/nginx-proxy.conf"

taskset -c 1 nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)
taskset -c 0 nginx -c "$work/nginx-proxy.conf" -p "$work" >/dev/null 2>&1 & nginx_pid=$!; pids+=($nginx_pid)
taskset -c 0 "$sluice" run -c "$work/sluice.yaml" 2>"$work/sluice.err" & sluice_pid=$!; pids+=($sluice_pid)
taskset -c 0 haproxy -f "$work/haproxy.cfg" -q & haproxy_pid=$!; pids+=($haproxy_pid)
sleep 1


# One measured run: prints "MiB/s cpu_us_per_MiB" for the path on $1 (proxy pid in $2 or 0).
measure() {
  local port=$1 pid=$2 before after out rps
  # Warm-up, then the measured run.
  taskset -c 1 wrk -t1 -c8 -d1s "https://127.0.0.1:$port/1m" >/dev/null
  before=$([ "$pid" = 0 ] && echo 0 || cpu_seconds "$pid")
  out=$(taskset -c 1 wrk -t1 -c8 -d"${seconds}s" "https://127.0.0.1:$port/1m")
  after=$([ "$pid" = 0 ] && echo 0 || cpu_seconds "$pid")
  if grep -q -e 'Non-2xx' -e 'Socket errors' <<<"$out"; then
    echo "bench: errors on port $port:" >&2; echo "$out" >&2; exit 1
  fi
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  awk -v rps="$rps" -v cpu="$(awk -v a="$after" -v b="$before" 'BEGIN{print a-b}')" -v s="$seconds" \
    'BEGIN { mib = rps * s; printf "%.0f %.0f\n", rps, (mib > 0 ? cpu / mib * 1e6 : 0) }'
}


declare -A rate cpu
for path in direct sluice haproxy nginx; do
  case $path in
    direct) port=$origin_port; pid=0 ;;
    sluice) port=$sluice_port; pid=$sluice_pid ;;
    haproxy) port=$haproxy_port; pid=$haproxy_pid ;;
    nginx) port=$nginx_port; pid=$nginx_pid ;;
  esac
  results=()
  for ((r = 0; r < runs; r++)); do results+=("$(measure "$port" "$pid")"); done
  rate[$path]="$(printf '%s\n' "${results[@]}" | awk '{print $1}' | median) ($(printf '%s\n' "${results[@]}" | awk '{print $1}' | spread))"
  cpu[$path]="$(printf '%s\n' "${results[@]}" | awk '{print $2}' | median)"
done

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
report="bench/results/passthrough-$stamp.md"
{
  echo "# Passthrough throughput, $stamp"
  echo
  echo "Repeated 1 MiB HTTPS downloads (wrk -t1 -c8, keep-alive, TLS 1.3, ECDSA P-256) from nginx;"
  echo "proxy pinned to core 0, one thread; wrk and nginx on core 1; ${seconds}s per run, median of $runs (spread)."
  echo
  echo "| path | MiB/s | proxy CPU µs per MiB |"
  echo "|---|---|---|"
  echo "| direct (no proxy) | ${rate[direct]} | - |"
  echo "| Sluice https-passthrough | ${rate[sluice]} | ${cpu[sluice]} |"
  echo "| HAProxy mode tcp, splice-request + splice-response | ${rate[haproxy]} | ${cpu[haproxy]} |"
  echo "| NGINX stream + ssl_preread | ${rate[nginx]} | ${cpu[nginx]} |"
  echo
  echo "Sluice/HAProxy: throughput $(ratio "${rate[sluice]}" "${rate[haproxy]}"), CPU per MiB $(ratio "${cpu[sluice]}" "${cpu[haproxy]}"); Sluice/NGINX: throughput $(ratio "${rate[sluice]}" "${rate[nginx]}"), CPU per MiB $(ratio "${cpu[sluice]}" "${cpu[nginx]}") (CPU: lower is better)."
} | tee "$report"
