#!/usr/bin/env bash
# Incremental rebuild benchmark: how long cargo takes to rebuild after a
# change in ops, in one or more checkouts, each with its own warm target dir.
# A "change" appends a comment line to src/ops/scale.rs (every checkout since
# the first has it), so rustc really recompiles, and is undone afterwards.
# Reports wall time and CPU time (user+system of cargo and its children),
# for `cargo build` (the dev binary) and `cargo test --no-run` (every test
# target), RUNS times each, alternating between the checkouts so that load
# from elsewhere falls on both alike.
#
#   scripts/bench-rebuild.sh /path/to/baseline /path/to/current
#   RUNS=5 scripts/bench-rebuild.sh . ../other
set -euo pipefail

RUNS=${RUNS:-3}
if [[ $# -lt 1 ]]; then
    echo "usage: bench-rebuild.sh CHECKOUT..." >&2
    exit 2
fi

# One timed cargo run: prints "wall cpu" in seconds.
timed() {
    local report
    report=$(mktemp)
    /usr/bin/time -o "$report" -f '%e %U %S' "$@" >/dev/null 2>&1
    awk '{ printf "%.1f %.1f\n", $1, $2 + $3 }' "$report"
    rm -f "$report"
}

for dir in "$@"; do
    (cd "$dir" && cargo build --quiet && cargo test --quiet --no-run 2>/dev/null)
done

printf '%-40s %-14s %8s %8s\n' checkout command wall_s cpu_s
for run in $(seq "$RUNS"); do
    for dir in "$@"; do
        file=$dir/src/ops/scale.rs
        cp "$file" "$file.bench-orig"
        for command in build test; do
            echo "// bench-rebuild $run $command $(date +%s%N)" >>"$file"
            if [[ $command == build ]]; then
                result=$(cd "$dir" && timed cargo build --quiet)
            else
                result=$(cd "$dir" && timed cargo test --quiet --no-run)
            fi
            printf '%-40s %-14s %8s %8s\n' "$(basename "$(realpath "$dir")")@$(git -C "$dir" rev-parse --short HEAD)" \
                "$command" $result
        done
        mv "$file.bench-orig" "$file"
    done
done
# Leave each checkout built as it is in git.
for dir in "$@"; do
    (cd "$dir" && cargo build --quiet)
done
