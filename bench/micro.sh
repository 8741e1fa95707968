#!/usr/bin/env bash
# The Google Benchmark micro-benchmarks of hot pieces (build/bench/micro_benchmarks), pinned to
# core 0, written to bench/results/micro-<time>.md: rule evaluation, the ClientHello peek, the
# request head's parsing and forwarding, each balancer's pick, and the SNI route lookup.
#
#   bench/micro.sh [minimum seconds per benchmark]
set -euo pipefail
cd "$(dirname "$0")/.."
micro=build/bench/micro_benchmarks
[ -x "$micro" ] || { echo "build first: make build" >&2; exit 1; }
out=$(taskset -c 0 "$micro" --benchmark_min_time="${1:-0.5}" 2>/dev/null)
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
{
  echo "# Micro-benchmarks, $stamp"
  echo
  echo "One thread on core 0; time per operation."
  echo
  echo '```'
  grep -E '^(Benchmark|BM_|-)' <<<"$out"
  echo '```'
} | tee "bench/results/micro-$stamp.md"
