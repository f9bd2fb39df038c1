#!/usr/bin/env bash
# Client benchmark: `petctl get pets big` on a set of N pets (1000 by
# default, Parallel, one claim each, `--ready-delay 0`) against
# `kubectl get pods -l app=big` on the same local control plane in the same
# run: wall time by hyperfine, peak RSS (max resident set) by /usr/bin/time,
# the median of RSS_RUNS runs. BEFORE, when set, is an older petctl measured
# alongside; its table must equal AFTER's (the AGE column aside).
#
#   scripts/bench-get-pets.sh
#   BEFORE=/tmp/petctl-before N=200 scripts/bench-get-pets.sh
set -euo pipefail

N=${N:-1000}
AFTER=${AFTER:-target/release/petctl}
BEFORE=${BEFORE:-}
SERVER=${SERVER:-$AFTER}
KUBECTL=${KUBECTL:-kubectl}
RUNS=${RUNS:-30}
RSS_RUNS=${RSS_RUNS:-7}

for bin in "$AFTER" "$SERVER" ${BEFORE:+"$BEFORE"}; do
    if [[ ! -x $bin ]]; then
        echo "bench-get-pets: $bin is missing; run 'cargo build --release' or set AFTER/SERVER/BEFORE" >&2
        exit 2
    fi
done
for tool in hyperfine /usr/bin/time jq; do
    command -v "$tool" >/dev/null || { echo "bench-get-pets: $tool is missing (apt-get install hyperfine time jq)" >&2; exit 2; }
done

state=$(mktemp -d)
# The server is ours: stopped by its pid.
stop_server() {
    if [[ -f $state/server.pid ]]; then kill "$(<"$state/server.pid")" 2>/dev/null || true; fi
    rm -rf "$state"
}
trap stop_server EXIT
"$SERVER" local up --state-dir "$state" --port 0 --detach --ready-delay 0 --max-grace 0s >/dev/null
export KUBECONFIG=$state/kubeconfig XDG_CACHE_HOME=$state/cache

# The set of bench-scale.sh, Parallel.
"$KUBECTL" create -f - >/dev/null <<JSON
{"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "big"},
 "spec": {"serviceName": "big", "replicas": $N, "podManagementPolicy": "Parallel",
  "selector": {"matchLabels": {"app": "big"}},
  "template": {"metadata": {"labels": {"app": "big"}},
   "spec": {"containers": [{"name": "main", "image": "nginx:1.25"}]}},
  "volumeClaimTemplates": [{"metadata": {"name": "data"},
   "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}}
JSON
"$KUBECTL" wait --for=jsonpath='{.status.readyReplicas}'="$N" sts/big --timeout=600s >/dev/null

# Same table before and after (AGE may tick between the two runs).
without_age() { awk '{ $NF = ""; print }'; }
"$AFTER" get pets big | without_age >"$state/after.txt"
rows=$(($(wc -l <"$state/after.txt") - 1))
echo "pets listed: $rows"
if [[ -n $BEFORE ]]; then
    "$BEFORE" get pets big | without_age >"$state/before.txt"
    if cmp -s "$state/before.txt" "$state/after.txt"; then
        echo "tables: before and after equal"
    else
        echo "tables: before and after DIFFER" >&2
        diff "$state/before.txt" "$state/after.txt" | head >&2
        exit 1
    fi
fi

commands=(-n "kubectl get pods -l app=big" "$KUBECTL get pods -l app=big")
[[ -n $BEFORE ]] && commands+=(-n "petctl get pets big (before)" "$BEFORE get pets big")
commands+=(-n "petctl get pets big" "$AFTER get pets big")
hyperfine -N --warmup 3 --runs "$RUNS" --export-markdown "$state/times.md" "${commands[@]}" >&2
cat "$state/times.md"

peak_rss() {
    local samples=()
    for _ in $(seq "$RSS_RUNS"); do
        samples+=("$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1)")
    done
    printf '%s\n' "${samples[@]}" | sort -n | sed -n "$(((RSS_RUNS + 1) / 2))p"
}
echo
echo "| command | peak RSS, median of $RSS_RUNS (MiB) |"
echo "|---|---|"
echo "| kubectl get pods -l app=big | $(($(peak_rss "$KUBECTL" get pods -l app=big) / 1024)) |"
[[ -n $BEFORE ]] && echo "| petctl get pets big (before) | $(($(peak_rss "$BEFORE" get pets big) / 1024)) |"
echo "| petctl get pets big | $(($(peak_rss "$AFTER" get pets big) / 1024)) |"
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); cores: $(nproc)"
