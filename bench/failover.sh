#!/usr/bin/env bash
# What clients see when a server dies under load: keep-alive HTTP through a Sluice http VIP to
# three nginx origins, one of which is killed (SIGKILL) a third of the way through the run.
# Measured twice in one run: with `retries: 2` (requests that meet the dead server are retried
# on another) and with `retries: 0`; both with tcp health checks every 500ms (fall 2), which
# take the dead server out of rotation. Reports requests and failures (non-2xx answers and
# socket errors) out of the total. Sluice: one worker on core 0; wrk and nginx on core 1.
#
#   bench/failover.sh [seconds per run]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-9}
sluice=build/sluice
[ -x "$sluice" ] || { echo "build first: make build" >&2; exit 1; }
require_tools nginx wrk taskset

start_workdir
head -c 100 /dev/urandom | base64 | head -c 100 > "$work/small"
chmod 755 "$work"; chmod 644 "$work/small"

# start_origin N PORT: a single-process nginx serving $work; prints its pid.
start_origin() {
  cat > "$work/nginx$1.conf" <<CONF
daemon off;
master_process off;
pid $work/nginx$1.pid;
error_log $work/nginx$1.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; server { listen 127.0.0.1:$2; root $work; } }
CONF
  taskset -c 1 nginx -c "$work/nginx$1.conf" -p "$work" >/dev/null 2>&1 &
  echo $!
}

# run RETRIES → "requests failures"
run() {
  local retries=$1 ports=() origin_pids=() port config sluice_pid out
  for i in 1 2 3; do
    port=$(free_port); ports+=("$port")
    origin_pids+=("$(start_origin "$i" "$port")")
  done
  pids+=("${origin_pids[@]}")
  vip=$(free_port)
  config="$work/sluice-$retries.yaml"
  cat > "$config" <<CONF
global: {workers: 1, access_log: "off"}
server_groups:
  - name: web
    protocol: http
    retries: $retries
    health: {type: tcp, interval: 500ms, timeout: 250ms, rise: 2, fall: 2}
    servers:
      - {name: n1, address: 127.0.0.1:${ports[0]}}
      - {name: n2, address: 127.0.0.1:${ports[1]}}
      - {name: n3, address: 127.0.0.1:${ports[2]}}
vips:
  - {name: web, listen: 127.0.0.1:$vip, service: http, default_group: web}
CONF
  taskset -c 0 "$sluice" run -c "$config" 2>"$work/sluice-$retries.err" & sluice_pid=$!
  pids+=("$sluice_pid")
  sleep 1
  ( sleep "$((seconds / 3))"; kill -9 "${origin_pids[1]}" ) &
  out=$(taskset -c 1 wrk -t1 -c16 -d"${seconds}s" "http://127.0.0.1:$vip/small")
  wait "$!" 2>/dev/null || true
  kill "$sluice_pid" "${origin_pids[0]}" "${origin_pids[2]}" 2>/dev/null || true
  wait "$sluice_pid" 2>/dev/null || true
  awk '/requests in/ { total = $1 }
       /Non-2xx or 3xx responses:/ { bad += $NF }
       /Socket errors:/ { gsub(",", ""); bad += $4 + $6 + $8 + $10 }
       END { printf "%d %d\n", total, bad }' <<<"$out"
}

read -r with_total with_failed < <(run 2)
read -r without_total without_failed < <(run 0)

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
report="bench/results/failover-$stamp.md"
{
  echo "# Failover under load, $stamp"
  echo
  echo "Keep-alive HTTP (wrk, 16 connections, ${seconds}s) through Sluice to three nginx origins; one"
  echo "is killed with SIGKILL after $((seconds / 3))s. tcp health checks every 500ms, fall 2."
  echo
  echo "| retries | requests | failed (non-2xx or socket errors) |"
  echo "|---|---|---|"
  echo "| 2 | $with_total | $with_failed |"
  echo "| 0 | $without_total | $without_failed |"
} | tee "$report"
