#!/usr/bin/env bash
# The physical limits on the proxy's core, for reading the other tables: what the crypto of a
# full handshake costs (openssl speed: ECDSA P-256 and RSA-2048 signatures, X25519), and what
# OpenSSL itself needs per full server handshake with nothing around it (memory BIOs, one
# thread: build/bench/handshake_floor). Everything pinned to core 0, as the proxies are.
#
#   bench/floors.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
seconds=${1:-3}
[ -x build/bench/handshake_floor ] || { echo "build first: make build" >&2; exit 1; }
require_tools openssl taskset

speed=$(taskset -c 0 openssl speed -mr -seconds "$seconds" ecdsap256 ecdhx25519 rsa2048 2>/dev/null)
# -mr lines: +F2:i:bits:sign/s:verify/s (RSA), +F4 (ECDSA), +F5:i:bits:op/s:... (ECDH)
rsa_sign=$(awk -F: '/^\+F2:/ && $3 == 2048 { printf "%.1f", 1e6 / $4 }' <<<"$speed")
ecdsa_sign=$(awk -F: '/^\+F4:/ && $3 == 256 { printf "%.1f", 1e6 / $4 }' <<<"$speed")
x25519=$(awk -F: '/^\+F5:/ && $3 == 253 { printf "%.1f", 1e6 / $4 }' <<<"$speed")
ec_floor=$(taskset -c 0 build/bench/handshake_floor ec 3000 | awk '{ print $2 }')
rsa_floor=$(taskset -c 0 build/bench/handshake_floor rsa 1000 | awk '{ print $2 }')
ec_connection=$(taskset -c 0 build/bench/handshake_floor ec 3000 connection | awk '{ print $2 }')
ec_memory=$(taskset -c 0 build/bench/handshake_floor ec 2000 memory | awk '{ print $2 }')

stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
report="bench/results/floors-$stamp.md"
{
  echo "# Floors on the proxy's core, $stamp"
  echo
  echo "| what | µs on core 0 |"
  echo "|---|---|"
  echo "| ECDSA P-256 sign (openssl speed) | $ecdsa_sign |"
  echo "| X25519 key agreement (openssl speed) | $x25519 |"
  echo "| RSA-2048 sign (openssl speed) | $rsa_sign |"
  echo "| crypto of a full ECDSA handshake, server side (sign + 2 × X25519) | $(awk -v s="$ecdsa_sign" -v x="$x25519" 'BEGIN { printf "%.1f", s + 2 * x }') |"
  echo "| OpenSSL alone, full TLS 1.3 server handshake, ECDSA P-256 (memory BIOs) | $ec_floor |"
  echo "| OpenSSL alone, full TLS 1.3 server handshake, RSA-2048 (memory BIOs) | $rsa_floor |"
  echo "| the ECDSA one with SSL_new, SSL_free and two session tickets (OpenSSL's per-connection work in any of the proxies) | $ec_connection |"
  echo
  echo "| what | KiB |"
  echo "|---|---|"
  echo "| OpenSSL alone: heap held by one idle server connection after a TLS 1.3 ECDSA handshake, buffers released | $ec_memory |"
  echo
  echo "A proxy's CPU per full handshake (bench/proxies.sh) above the OpenSSL-alone row is its own:"
  echo "sockets, event loop, session set-up. Its memory per idle TLS connection (bench/memory.sh)"
  echo "above the OpenSSL row is its own session state."
} | tee "$report"
