#!/usr/bin/env bash
# Scale benchmark of the local control plane: a StatefulSet of N pets (1000 by
# default), each with a claim, created with `--ready-delay 0` and waited on
# (one watch, via kubectl wait) until every pet is Ready. Reports the wall
# time, the server's peak RSS (VmHWM), its CPU time (user+system), and the
# store's writes (revisions) and durable commits (fsyncs) during the run; a
# server from before group commit has no commit counter, and commits there
# are one per write.
#
#   scripts/bench-scale.sh                 # N=1000, OrderedReady
#   N=200 POLICY=Parallel scripts/bench-scale.sh
#   PETCTL=target/debug/petctl scripts/bench-scale.sh
#   WRAP="heaptrack -o /dev/shm/me/heap" N=300 scripts/bench-scale.sh
#
# With WRAP the server runs in the foreground under that command (a heap
# or CPU profiler) instead of detached; its CPU and RSS then include the
# profiler's overhead.
set -euo pipefail

N=${N:-1000}
POLICY=${POLICY:-OrderedReady}
PETCTL=${PETCTL:-target/release/petctl}
KUBECTL=${KUBECTL:-kubectl}
TIMEOUT=${TIMEOUT:-1800s}
WRAP=${WRAP:-}

if [[ ! -x $PETCTL ]]; then
    echo "bench-scale: $PETCTL is missing; run 'cargo build --release' or set PETCTL" >&2
    exit 2
fi
state=$(mktemp -d)
pid=
wrapped=
cleanup() {
    "$PETCTL" local down --state-dir "$state" >/dev/null 2>&1 || true
    # `local down` only stops a binary named petctl; stop ours by pid.
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
    fi
    # A profiler writes its output after the server exits.
    if [[ -n $wrapped ]]; then
        wait "$wrapped" || true
    fi
    rm -rf "$state"
}
trap cleanup EXIT

up=(local up --state-dir "$state" --port 0 --ready-delay 0 --max-grace 0s)
if [[ -n $WRAP ]]; then
    # The server prints a line starting "ready " once it serves (after
    # writing its pid file); the profiler's own lines come before it.
    exec 3< <(exec $WRAP "$PETCTL" "${up[@]}" 2>&1)
    wrapped=$!
    while read -r line <&3; do
        [[ $line == ready* ]] && break
    done
    cat <&3 >/dev/null &
else
    "$PETCTL" "${up[@]}" --detach >/dev/null
fi
pid=$(cat "$state/server.pid")
export KUBECONFIG=$state/kubeconfig

cpu_seconds() {
    # Fields 14 and 15 of /proc/PID/stat: utime and stime in clock ticks.
    local stat
    stat=$(cat "/proc/$pid/stat")
    stat=${stat##*) }
    read -r -a fields <<<"$stat"
    echo "scale=2; (${fields[11]} + ${fields[12]}) / $(getconf CLK_TCK)" | bc
}

# The store's revision and commit count, from /petctl/status.
store_counters() {
    "$KUBECTL" get --raw /petctl/status |
        jq -r '"\(.resourceVersion) \(.storeCommits // "none")"'
}

read -r writes_before commits_before < <(store_counters)
cpu_before=$(cpu_seconds)
start=$(date +%s.%N)
"$KUBECTL" create -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: big
spec:
  serviceName: big
  replicas: $N
  podManagementPolicy: $POLICY
  selector:
    matchLabels:
      app: big
  template:
    metadata:
      labels:
        app: big
    spec:
      containers:
      - name: main
        image: nginx:1.25
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 1Gi
YAML
"$KUBECTL" wait --for=jsonpath='{.status.readyReplicas}'="$N" sts/big --timeout="$TIMEOUT" >/dev/null
end=$(date +%s.%N)
cpu_after=$(cpu_seconds)
read -r writes_after commits_after < <(store_counters)
writes=$((writes_after - writes_before))
if [[ $commits_after == none ]]; then
    commits="$writes (one per write: this server has no commit counter)"
elif ((commits_after > commits_before)); then
    commits=$((commits_after - commits_before))
    commits="$commits ($(echo "scale=1; $writes / $commits" | bc) writes per commit)"
else
    commits=0
fi
peak_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
# One LIST, not pages: right after the last pet is Ready the controllers
# still write its Events, more than the event log's window at 10,000 pets,
# and a continued page older than the log is 410 Expired (docs/local.md).
ready=$("$KUBECTL" get pods -l app=big --no-headers --chunk-size=0 | grep -c ' 1/1 ')

echo "pets:        $N ($POLICY), ready: $ready"
echo "wall time:   $(echo "scale=1; ($end - $start) / 1" | bc) s"
echo "server RSS:  $((peak_kib / 1024)) MiB peak (VmHWM)"
echo "server CPU:  $(echo "scale=1; ($cpu_after - $cpu_before) / 1" | bc) s (user+system)"
echo "store writes:  $writes (revisions)"
echo "store commits: $commits"
echo "binary:      $PETCTL"
