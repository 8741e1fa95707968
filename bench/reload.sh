#!/usr/bin/env bash
# Reload under load, side by side in one run: Sluice (SIGHUP), HAProxy 2.6 in master-worker mode
# (SIGUSR2 to the master: new workers, the old ones soft-stop as with -sf) and NGINX (SIGHUP to
# the master, as `nginx -s reload` sends). Each proxy in turn carries, at once:
#   - keep-alive load through its http frontend and through its TLS-offload frontend (wrk, 8
#     connections each),
#   - one long WebSocket-style stream through the http frontend (bench/ws_stream.py: an upgraded
#     connection echoing a steady trickle, every byte hashed both ways),
#   - one 1 GiB download through its TLS-passthrough frontend (curl at 100 MB/s, the body's
#     sha256 compared with the file's),
# while its config is reloaded 20 times in 10 s. Reported: failed requests (non-2xx and socket
# errors), connections refused or reset (wrk's connect and read errors), and whether the two
# long transfers survived intact. Sluice's goal: 0, 0 and yes.
#
# Then, for Sluice alone: the CPU time of one reload of a config with 1,000 VIPs (from /proc,
# averaged over 10 reloads) and the memory an old snapshot holds while a connection keeps it.
#
#   bench/reload.sh [reloads] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
reloads=${1:-20}
seconds=${2:-10}
sluice=${SLUICE:-build/sluice}
[ -x "$sluice" ] || { echo "build first: make build" >&2; exit 1; }
require_tools haproxy nginx wrk curl openssl python3 sha256sum
stream_module=/usr/lib/nginx/modules/ngx_stream_module.so
[ -f "$stream_module" ] || { echo "missing NGINX's stream module: run scripts/install-deps bench" >&2; exit 1; }

ulimit -n 65536 2>/dev/null || true  # 1,000 VIPs listen on 1,000 sockets
start_workdir
make_certs "$work" bench.example.test
head -c 100 /dev/urandom | base64 | head -c 100 > "$work/small"
head -c $((1 << 30)) /dev/urandom > "$work/big"
big_sha=$(sha256sum "$work/big" | cut -d' ' -f1)
chmod 755 "$work"; chmod 644 "$work/small" "$work/big"

plain=$(free_port); tls=$(free_port); ws=$(free_port)
nginx_origin_conf "$plain" "$tls" > "$work/nginx.conf"
sed -i 's/keepalive_timeout 300s;/keepalive_timeout 300s;\n  sendfile on;/' "$work/nginx.conf"
nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)
python3 bench/ws_stream.py origin "$ws" & pids+=($!)
sleep 0.5

sluice_config() {
  cat <<CONF
global: {workers: 1, access_log: "off", drain_timeout: 60s}
certificates: [{name: bench, cert: $work/server.pem, key: $work/server.key}]
server_groups:
  - {name: web, protocol: http, servers: [{name: nginx, address: 127.0.0.1:$plain}]}
  - {name: ws, protocol: http, timeouts: {idle: 1h}, servers: [{name: ws, address: 127.0.0.1:$ws}]}
  - {name: tls, protocol: tcp, servers: [{name: nginx-tls, address: 127.0.0.1:$tls}]}
vips:
  - name: http
    listen: 127.0.0.1:$1
    service: http
    default_group: web
    rules: [{match: {path_prefix: /ws}, action: {route: ws}}]
  - {name: offload, listen: 127.0.0.1:$2, service: https-offload, certificates: [bench], default_group: web}
  - {name: pass, listen: 127.0.0.1:$3, service: https-passthrough, default_group: tls}
CONF
}

haproxy_config() {
  cat <<CONF
global
  nbthread 1
  maxconn 4000
  pidfile $work/haproxy.pid
defaults
  mode http
  timeout connect 3s
  timeout client 60s
  timeout server 60s
  timeout tunnel 1h
  http-reuse always
frontend http
  bind 127.0.0.1:$1
  use_backend ws if { path_beg /ws }
  default_backend web
frontend offload
  bind 127.0.0.1:$2 ssl crt $work/server-combined.pem
  default_backend web
frontend pass
  mode tcp
  bind 127.0.0.1:$3
  tcp-request inspect-delay 5s
  tcp-request content accept if { req_ssl_hello_type 1 }
  default_backend tls
backend web
  server nginx 127.0.0.1:$plain
backend ws
  server ws 127.0.0.1:$ws
backend tls
  mode tcp
  server nginx-tls 127.0.0.1:$tls
CONF
}

nginx_config() {
  echo "load_module $stream_module;"
  nginx_main nginx-proxy 4096
  cat <<CONF
http {
  access_log off;
  upstream web { server 127.0.0.1:$plain; keepalive 64; }
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:$1;
    listen 127.0.0.1:$2 ssl;
    ssl_certificate $work/server.pem;
    ssl_certificate_key $work/server.key;
    location / { proxy_pass http://web; proxy_http_version 1.1; proxy_set_header Connection ""; }
    location /ws {
      proxy_pass http://127.0.0.1:$ws;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_read_timeout 1h;
    }
  }
}
stream { server { listen 127.0.0.1:$3; ssl_preread on; proxy_pass 127.0.0.1:$tls; } }
CONF
}

# wrk's counts: "requests failed refused_or_reset"
wrk_counts() {
  awk '/requests in/ { total = $1 }
       /Non-2xx or 3xx responses:/ { bad += $NF }
       /Socket errors:/ { gsub(",", ""); bad += $4 + $6 + $8 + $10; cut = $4 + $6 }
       END { printf "%d %d %d\n", total, bad, cut }' "$1"
}

# run PROXY → one table row
run() {
  local proxy=$1 p1 p2 p3 pid reload_pid duration=$((seconds + 3))
  p1=$(free_port); p2=$(free_port); p3=$(free_port)
  case $proxy in
    sluice)
      sluice_config "$p1" "$p2" "$p3" > "$work/sluice.yaml"
      "$sluice" run -c "$work/sluice.yaml" 2>"$work/sluice.err" & pid=$!
      reload_pid=$pid ;;
    haproxy)
      haproxy_config "$p1" "$p2" "$p3" > "$work/haproxy.cfg"
      haproxy -W -f "$work/haproxy.cfg" -q & pid=$!
      reload_pid=$pid ;;  # the master
    nginx)
      nginx_config "$p1" "$p2" "$p3" > "$work/nginx-proxy.conf"
      nginx -c "$work/nginx-proxy.conf" -p "$work" 2>/dev/null & pid=$!
      reload_pid=$pid ;;
  esac
  pids+=("$pid")
  sleep 1
  wrk -t1 -c8 -d"${duration}s" "http://127.0.0.1:$p1/small" > "$work/$proxy-http.wrk" 2>&1 &
  local wrk1=$!
  wrk -t1 -c8 -d"${duration}s" "https://127.0.0.1:$p2/small" > "$work/$proxy-https.wrk" 2>&1 &
  local wrk2=$!
  python3 bench/ws_stream.py client "$p1" "$duration" > "$work/$proxy-ws.out" 2>&1 &
  local stream=$!
  (curl -sk --max-time 60 --limit-rate 100M --resolve "bench.example.test:$p3:127.0.0.1" \
      "https://bench.example.test:$p3/big" | sha256sum | cut -d' ' -f1 > "$work/$proxy-big.sha") &
  local download=$!
  sleep 1
  local interval
  interval=$(awk -v s="$seconds" -v n="$reloads" 'BEGIN { printf "%.3f", s / n }')
  for ((i = 0; i < reloads; i++)); do
    case $proxy in
      sluice) kill -HUP "$reload_pid" ;;
      haproxy) kill -USR2 "$reload_pid" ;;
      nginx) kill -HUP "$reload_pid" ;;
    esac
    sleep "$interval"
  done
  wait "$wrk1" "$wrk2" || true
  wait "$stream" || true
  wait "$download" || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  read -r h_total h_failed h_cut < <(wrk_counts "$work/$proxy-http.wrk")
  read -r s_total s_failed s_cut < <(wrk_counts "$work/$proxy-https.wrk")
  local ws_result big_result
  ws_result=$(grep -q '^survived' "$work/$proxy-ws.out" && echo yes || echo "no ($(cat "$work/$proxy-ws.out"))")
  big_result=$([ "$(cat "$work/$proxy-big.sha")" = "$big_sha" ] && echo yes || echo no)
  printf '| %s | %d | %d | %d | %d | %d | %d | %s | %s |\n' "$proxy" "$h_total" "$h_failed" "$h_cut" \
    "$s_total" "$s_failed" "$s_cut" "$ws_result" "$big_result"
}

rows=()
for proxy in sluice haproxy nginx; do rows+=("$(run "$proxy")"); done

# One reload of 1,000 VIPs: Sluice's CPU time, and the memory an old snapshot holds.
big_config() {
  echo 'global: {workers: 1, access_log: "off", drain_timeout: 60s}'
  echo "server_groups:"
  echo "  - {name: web, protocol: http, servers: [{name: nginx, address: 127.0.0.1:$plain}]}"
  echo "  - {name: raw, protocol: tcp, servers: [{name: nginx, address: 127.0.0.1:$plain}]}"
  echo "vips:"
  echo "  - {name: raw, listen: 127.0.0.1:$1, service: tcp, default_group: raw}"
  for ((v = 0; v < 999; v++)); do
    echo "  - {name: v$v, listen: 127.0.0.$((v / 250 + 2)):$((30000 + v % 250)), service: http, default_group: web, rules: [{match: {path_prefix: /x$v}, action: {set_request_headers: {X-V: \"$v\"}}}]}"
  done
}
raw=$(free_port)
big_config "$raw" > "$work/big.yaml"
"$sluice" run -c "$work/big.yaml" 2>"$work/big.err" & big_pid=$!; pids+=($big_pid)
for _ in $(seq 50); do grep -q ' ready: ' "$work/big.err" && break; sleep 0.1; done
rss() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }
# Warm: one reload, so that allocator growth of the first does not count.
kill -HUP "$big_pid"; sleep 1
before_cpu=$(cpu_seconds "$big_pid")
for ((i = 0; i < 10; i++)); do
  n=$(grep -c 'reloaded: revision' "$work/big.err" || true)
  kill -HUP "$big_pid"
  for _ in $(seq 100); do [ "$(grep -c 'reloaded: revision' "$work/big.err")" -gt "$n" ] && break; sleep 0.05; done
done
after_cpu=$(cpu_seconds "$big_pid")
reload_ms=$(awk -v a="$after_cpu" -v b="$before_cpu" 'BEGIN { printf "%.1f", (a - b) / 10 * 1000 }')
# Tcp relays hold the snapshot they started with: one relay opened before each of 10 reloads
# keeps 10 old snapshots alive; the growth of resident memory over them, per snapshot.
rss_one=$(rss "$big_pid")
relays=()
for ((i = 0; i < 10; i++)); do
  exec {fd}<>/dev/tcp/127.0.0.1/"$raw"
  relays+=("$fd")
  sleep 0.1
  n=$(grep -c 'reloaded: revision' "$work/big.err")
  kill -HUP "$big_pid"
  for _ in $(seq 100); do [ "$(grep -c 'reloaded: revision' "$work/big.err")" -gt "$n" ] && break; sleep 0.05; done
done
sleep 0.5
rss_two=$(rss "$big_pid")
for fd in "${relays[@]}"; do exec {fd}>&-; done
held_mib=$(awk -v a="$rss_two" -v b="$rss_one" 'BEGIN { printf "%.1f", (a - b) / 1024 / 10 }')
wall_ms=$(grep 'reloaded: revision' "$work/big.err" | tail -1 | sed -E 's/.*VIPs, ([0-9.]+) ms.*/\1/')

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
report="bench/results/reload-$stamp.md"
{
  echo "# Reload under load, $stamp"
  echo
  echo "$reloads reloads in ${seconds}s while each proxy carries keep-alive load through an http and a TLS-offload"
  echo "frontend (wrk -t1 -c8 each, 100-byte responses from nginx), one WebSocket-style stream through the"
  echo "http frontend (every byte echoed and hashed) and one 1 GiB TLS-passthrough download (curl at 100 MB/s,"
  echo "sha256 checked). Sluice: SIGHUP. HAProxy 2.6: master-worker (-W), SIGUSR2 to the master. NGINX:"
  echo "SIGHUP to the master. \"cut\": connections refused or reset (wrk's connect and read errors)."
  echo
  echo "| proxy | http requests | failed | cut | https requests | failed | cut | stream survived | 1 GiB survived |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Sluice with 1,000 VIPs (999 http VIPs with a rule each, one tcp VIP): one reload costs ${reload_ms} ms of"
  echo "CPU (mean of 10, from /proc; the last took ${wall_ms} ms from SIGHUP to every worker running it), and"
  echo "an old snapshot kept alive by an open tcp relay holds ${held_mib} MiB (the growth of resident memory"
  echo "while 10 relays, each opened before one of 10 reloads, keep 10 old snapshots, divided by 10)."
} | tee "$report"
echo "bench: wrote $report" >&2
