# Shared helpers for the benchmark scripts (sourced, not run).

# A TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
    shuf -i 20000-60000 -n 1
}

# utime + stime of a process and its child processes (NGINX's workers under its master), in
# seconds (from /proc, so only the proxy's own work counts).
cpu_seconds() {
  local p files=()
  for p in "$1" $(pgrep -P "$1" || true); do files+=("/proc/$p/stat"); done
  awk -v hz="$(getconf CLK_TCK)" '{ total += $14 + $15 } END { print total / hz }' "${files[@]}"
}

# wrk_keepalive PID SECONDS URL [wrk options...] → "requests/s p50_ms p99_ms cpu_us_per_request"
# One second of warm-up, then SECONDS measured with wrk (one thread, 32 keep-alive connections)
# on core 1; the CPU is PID's (and its children's) over the measured interval; PID 0: none.
# Any non-2xx answer or socket error stops the benchmark.
wrk_keepalive() {
  local pid=$1 seconds=$2 url=$3 before after out
  shift 3
  taskset -c 1 wrk -t1 -c32 -d1s "$@" "$url" >/dev/null
  before=$([ "$pid" = 0 ] && echo 0 || cpu_seconds "$pid")
  out=$(taskset -c 1 wrk -t1 -c32 -d"${seconds}s" --latency "$@" "$url")
  after=$([ "$pid" = 0 ] && echo 0 || cpu_seconds "$pid")
  if grep -q -e 'Non-2xx' -e 'Socket errors' <<<"$out"; then echo "bench: errors on $url:" >&2; echo "$out" >&2; exit 1; fi
  awk -v cpu="$(awk -v a="$after" -v b="$before" 'BEGIN{print a-b}')" -v s="$seconds" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    END { printf "%.0f %.2f %.2f %.1f\n", rps, p50, p99, (rps > 0 ? cpu / (rps * s) * 1e6 : 0) }' <<<"$out"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
spread() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }
ratio() { awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# make_certs DIR NAME: a test CA and an ECDSA P-256 certificate for NAME signed by it:
# DIR/ca.pem, DIR/server.pem, DIR/server.key, and DIR/server-combined.pem (cert + key).
make_certs() {
  local dir=$1 name=$2
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj '/CN=Sluice Bench CA' -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$name" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\n' "$name" > "$dir/server.ext"
  openssl x509 -req -days 1 -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -set_serial 1 -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
  cat "$dir/server.pem" "$dir/server.key" > "$dir/server-combined.pem"
}

# make_rsa_cert DIR NAME: an RSA-2048 certificate for NAME from the CA make_certs made:
# DIR/rsa.pem, DIR/rsa.key and DIR/rsa-combined.pem.
make_rsa_cert() {
  local dir=$1 name=$2
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$dir/rsa.key" -out "$dir/rsa.csr" 2>/dev/null
  openssl x509 -req -days 1 -in "$dir/rsa.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -set_serial 2 -extfile "$dir/server.ext" -out "$dir/rsa.pem" 2>/dev/null
  cat "$dir/rsa.pem" "$dir/rsa.key" > "$dir/rsa-combined.pem"
}

# nginx_main NAME CONNECTIONS: the top of an nginx.conf for one NGINX with a single worker, in
# the foreground, its pid and error log at $work/NAME.pid and $work/NAME.err.
nginx_main() {
  printf 'daemon off;\nworker_processes 1;\npid %s/%s.pid;\nerror_log %s/%s.err;\nevents { worker_connections %s; }\n' \
    "$work" "$1" "$work" "$1" "$2"
}

# nginx_origin_conf PLAIN_PORT TLS_PORT: the nginx.conf of the origin the HTTP(S) rows share: $work
# served over plain HTTP on PLAIN_PORT and over TLS 1.3 ($work/server.pem, for
# bench.example.test) on TLS_PORT, keep-alive without limits.
nginx_origin_conf() {
  nginx_main nginx "4096"
  cat <<CONF
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 300s;
  server { listen 127.0.0.1:$1; root $work; }
  server {
    listen 127.0.0.1:$2 ssl;
    server_name bench.example.test;
    ssl_certificate $work/server.pem;
    ssl_certificate_key $work/server.key;
    ssl_protocols TLSv1.3;
    root $work;
  }
}
CONF
}

# A process and its child processes (NGINX's master and workers), comma-separated.
pid_list() {
  local p list=$1
  for p in $(pgrep -P "$1" || true); do list+=",$p"; done
  echo "$list"
}

require_tools() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing $tool: run scripts/install-deps bench" >&2; exit 1; }
  done
}

# A scratch directory ($work) and the processes a benchmark starts ($pids), both gone on exit.
start_workdir() {
  work=$(mktemp -d /tmp/sluice-bench-XXXXXX)
  pids=()
  trap cleanup_workdir EXIT
}
cleanup_workdir() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP_WORK:-}" ]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi
}
