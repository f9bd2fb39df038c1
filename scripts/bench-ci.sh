#!/usr/bin/env bash
# CI-time benchmark: `.ci/run` of two or more checkouts, RUNS times each,
# alternating between them so that load from elsewhere falls on all alike.
# Each checkout has its own target dir, warmed first (dependencies built for
# clippy and for the test profile); before every timed run the checkout's own
# sources are touched, so clippy checks the project's crates afresh, as on a
# clean checkout (the clone that `.ci/run` tests is rebuilt anyway: its path
# is new each run). Prints wall and CPU (user+system of the run and all its
# children) in seconds, and the test count of each run.
#
#   RUNS=2 scripts/bench-ci.sh /path/to/before /path/to/after
set -euo pipefail

RUNS=${RUNS:-2}
if [[ $# -lt 1 ]]; then
    echo "usage: bench-ci.sh CHECKOUT..." >&2
    exit 2
fi

for dir in "$@"; do
    (cd "$dir" && cargo clippy --quiet --all-targets >/dev/null 2>&1 && cargo test --quiet --locked --no-run >/dev/null 2>&1)
done

printf '%-24s %4s %8s %8s %6s %s\n' checkout run wall_s cpu_s tests result
for run in $(seq "$RUNS"); do
    for dir in "$@"; do
        find "$dir/src" "$dir/tests" "$dir/crates" -name '*.rs' -exec touch {} + 2>/dev/null || true
        log=$(mktemp)
        report=$(mktemp)
        if /usr/bin/time -o "$report" -f '%e %U %S' bash "$dir/.ci/run" >"$log" 2>&1; then
            result=pass
        else
            result="FAIL ($log)"
        fi
        tests=$(grep -Eo '^test result: [a-z]+\. [0-9]+ passed' "$log" | awk '{ n += $4 } END { print n + 0 }')
        read -r wall user sys <"$report"
        printf '%-24s %4s %8.1f %8.1f %6s %s\n' "$(basename "$dir")@$(git -C "$dir" rev-parse --short HEAD)" \
            "$run" "$wall" "$(echo "$user + $sys" | bc)" "$tests" "$result"
        rm -f "$report"
        [[ $result == pass ]] && rm -f "$log"
    done
done
