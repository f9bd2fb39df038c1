#!/usr/bin/env bash
# LIST and watch at 1000 pods (docs/benchmarks.md): benches/local.rs with
# 1000 pods and 1000 watchers, against each server build given, one after
# the other in the same sitting. Prints each build's table.
#
#   cargo test --bench local --no-run        # builds the client
#   scripts/bench-list-watch.sh OLD/petctl target/debug/petctl
#   BENCH_SCALE=1 N=1000 scripts/bench-list-watch.sh …
#   BENCH_H2=1 scripts/bench-list-watch.sh …  # watchers share HTTP/2 connections, 100 each
#   BENCH_WRITES=400 …                        # more fan-out writes (for a profile)
set -euo pipefail

N=${N:-1000}
BENCH=${BENCH:-$(ls -t target/debug/deps/local-* 2>/dev/null | grep -v '\.d$' | head -n 1)}
if [[ -z $BENCH || ! -x $BENCH ]]; then
    echo "bench-list-watch: no bench binary; run 'cargo test --bench local --no-run' or set BENCH" >&2
    exit 2
fi
for petctl in "$@"; do
    echo "## $petctl"
    PETCTL=$petctl BENCH_OBJECTS=$N BENCH_KIND=pods BENCH_WATCHERS=$N \
        BENCH_SCALE=${BENCH_SCALE:-4} "$BENCH"
done
