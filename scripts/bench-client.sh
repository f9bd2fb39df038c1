#!/usr/bin/env bash
# Client speed: `petctl get petsets` and `petctl get pets web` against the
# local control plane, compared with the equivalent `kubectl get` on the same
# server in the same run; plus `petctl --version` start-up time and the peak
# RSS of each command. Both tools get a warm-up run first (discovery caches
# filled), then R timed runs each, interleaved so both see the same machine.
#
#   cargo build --release && scripts/bench-client.sh
#   R=50 scripts/bench-client.sh
set -euo pipefail

R=${R:-30}
PETCTL=${PETCTL:-target/release/petctl}
KUBECTL=${KUBECTL:-kubectl}

if [[ ! -x $PETCTL ]]; then
    echo "bench-client: $PETCTL is missing; run 'cargo build --release' or set PETCTL" >&2
    exit 2
fi
work=$(mktemp -d)
state=$work/state
cleanup() {
    "$PETCTL" local down --state-dir "$state" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

"$PETCTL" local up --state-dir "$state" --port 0 --detach --ready-delay 0 >/dev/null
export KUBECONFIG=$state/kubeconfig HOME=$work/home
mkdir -p "$HOME"
"$PETCTL" create -f examples/petset.yaml --wait >/dev/null 2>&1
"$PETCTL" scale web --replicas 10 --wait >/dev/null 2>&1

now_ns() { date +%s%N; }

# mean_ms CMD...: mean wall time of R runs, in milliseconds (3 decimals).
mean_ms() {
    "$@" >/dev/null 2>&1 # warm-up
    local start end
    start=$(now_ns)
    for _ in $(seq "$R"); do "$@" >/dev/null 2>&1; done
    end=$(now_ns)
    awk -v t=$((end - start)) -v r="$R" 'BEGIN { printf "%.2f", t / r / 1e6 }'
}

# peak_kib CMD...: maximum resident set size, in KiB.
peak_kib() {
    /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b / a }'; }

p_sets=$(mean_ms "$PETCTL" get petsets)
k_sets=$(mean_ms "$KUBECTL" get petsets)
p_pets=$(mean_ms "$PETCTL" get pets web)
k_pets=$(mean_ms "$KUBECTL" get pods -l app=nginx)
p_version=$(mean_ms "$PETCTL" --version)
k_version=$(mean_ms "$KUBECTL" version --client)
p_rss_version=$(peak_kib "$PETCTL" --version)
p_rss_pets=$(peak_kib "$PETCTL" get pets web)
k_rss_pods=$(peak_kib "$KUBECTL" get pods -l app=nginx)

cat <<TABLE
| command | petctl ms | kubectl ms | kubectl / petctl |
|---|---|---|---|
| get petsets (1 set) | $p_sets | $k_sets | $(ratio "$p_sets" "$k_sets")x |
| get pets web (10 pets) vs get pods -l app=nginx | $p_pets | $k_pets | $(ratio "$p_pets" "$k_pets")x |
| --version vs version --client (start-up) | $p_version | $k_version | $(ratio "$p_version" "$k_version")x |

| command | peak RSS KiB |
|---|---|
| petctl --version | $p_rss_version |
| petctl get pets web | $p_rss_pets |
| kubectl get pods -l app=nginx | $k_rss_pods |
TABLE
echo "runs per command: $R; kubectl: $("$KUBECTL" version --client 2>/dev/null | head -n 1)"
