#!/bin/sh
# Runs one libFuzzer target for a given time over its seed corpus:
#   run.sh BINARY SEED_DIR SECONDS ARTIFACT_DIR    (SLUICE_FUZZ_SECONDS, if set, wins)
# New inputs go to a scratch corpus (the seed directory is only read); an input that crashes
# is kept in ARTIFACT_DIR, to be fixed and then added to the seeds as a regression input.
set -eu
binary=$1 seeds=$2 seconds=${SLUICE_FUZZ_SECONDS:-$3} artifacts=$4
mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
name=$(basename "$binary")
exec "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts/$name-" "$scratch" "$seeds"
