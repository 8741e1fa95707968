#!/usr/bin/env bash
# The admin API's apply with 1,000 VIPs, under keep-alive load: 20 staged changes (a PATCH to one
# VIP each), each reviewed (GET /changes for its ETag) and applied (POST /apply), while wrk keeps
# 8 keep-alive connections busy on another VIP. Reports the apply latency (from the request to
# every worker running the new revision, as the API answers) and the load's failed requests.
#
#   bench/apply.sh [applies]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
applies=${1:-20}
sluice=${SLUICE:-build/sluice}
[ -x "$sluice" ] || { echo "build first: make build" >&2; exit 1; }
require_tools nginx wrk curl sha256sum
ulimit -n 65536 2>/dev/null || true  # 1,000 VIPs listen on 1,000 sockets
start_workdir
head -c 100 /dev/urandom | base64 | head -c 100 > "$work/small"
chmod 755 "$work"; chmod 644 "$work/small"

origin=$(free_port); admin=$(free_port); web=$(free_port)
cat > "$work/nginx.conf" <<CONF
$(nginx_main nginx 4096)
http { access_log off; keepalive_requests 1000000; server { listen 127.0.0.1:$origin; root $work; } }
CONF
nginx -c "$work/nginx.conf" -p "$work" & pids+=($!)

token=bench-token-for-the-apply-benchmark
{
  echo 'global: {workers: 1, access_log: "off"}'
  echo "admin:"
  echo "  listen: 127.0.0.1:$admin"
  echo "  tokens: [{name: bench, role: admin, sha256: $(printf %s "$token" | sha256sum | cut -d' ' -f1)}]"
  echo "server_groups:"
  echo "  - {name: web, protocol: http, servers: [{name: nginx, address: 127.0.0.1:$origin}]}"
  echo "vips:"
  echo "  - {name: web, listen: 127.0.0.1:$web, service: http, default_group: web}"
  for ((v = 0; v < 999; v++)); do
    echo "  - {name: v$v, listen: 127.0.0.$((v / 250 + 2)):$((30000 + v % 250)), service: http, default_group: web}"
  done
} > "$work/sluice.yaml"
"$sluice" run -c "$work/sluice.yaml" 2>"$work/sluice.err" & sluice_pid=$!; pids+=($sluice_pid)
for _ in $(seq 100); do grep -q ' ready: ' "$work/sluice.err" && break; sleep 0.1; done

api=http://127.0.0.1:$admin/api/v1
auth="Authorization: Bearer $token"
wrk -t1 -c8 -d"$((applies * 2 + 5))s" "http://127.0.0.1:$web/small" > "$work/wrk.out" 2>&1 &
wrk_pid=$!
sleep 1
latencies=()
for ((i = 0; i < applies; i++)); do
  curl -sf -H "$auth" -X PATCH -d "{\"timeouts\": {\"keep_alive\": \"$((30 + i))s\"}}" "$api/vips/v$i" >/dev/null
  etag=$(curl -sfi -H "$auth" "$api/changes" | awk -F': ' 'tolower($1) == "etag" { sub("\r", "", $2); print $2 }')
  ms=$(curl -sf -o "$work/apply.json" -w '%{time_total}' -H "$auth" -H "If-Match: $etag" -X POST \
         -d "{\"comment\": \"bench $i\"}" "$api/apply" | awk '{ printf "%.1f", $1 * 1000 }')
  grep -q '"revision"' "$work/apply.json" || { echo "bench: apply $i failed:" >&2; cat "$work/apply.json" >&2; exit 1; }
  latencies+=("$ms")
done
wait "$wrk_pid" || true
read -r total failed < <(awk '/requests in/ { total = $1 }
     /Non-2xx or 3xx responses:/ { bad += $NF }
     /Socket errors:/ { gsub(",", ""); bad += $4 + $6 + $8 + $10 }
     END { printf "%d %d\n", total, bad }' "$work/wrk.out")
median_ms=$(printf '%s\n' "${latencies[@]}" | median)
range=$(printf '%s\n' "${latencies[@]}" | spread)

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
report="bench/results/apply-$stamp.md"
{
  echo "# Admin API apply with 1,000 VIPs, $stamp"
  echo
  echo "$applies applies, each a PATCH to one VIP, GET /changes, then POST /apply with its ETag; the answer"
  echo "comes once every worker runs the new revision and the file is written. Meanwhile wrk -t1 -c8"
  echo "keep-alive on another VIP (100-byte responses from nginx). Sluice: one worker."
  echo
  echo "| applies | apply latency ms, median (min-max) | keep-alive requests | failed |"
  echo "|---|---|---|---|"
  echo "| $applies | $median_ms ($range) | $total | $failed |"
} | tee "$report"
echo "bench: wrote $report" >&2
