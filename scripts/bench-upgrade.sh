#!/usr/bin/env bash
# Orchestration overhead of `petctl upgrade-image` against the PetSet guide's
# manual procedure scripted with kubectl, on the same local control plane in
# the same run. Two OnDelete StatefulSets of N pets (10 by default) are
# created; a deleted pod takes GRACE to terminate (the simulated kubelet's
# --max-grace) and a started pod becomes Ready DELAY later (--ready-delay).
#
#   petctl:  petctl upgrade-image sts/a main=IMAGE --yes
#   kubectl: kubectl set image sts/b main=IMAGE, then per pet, highest
#            ordinal first: kubectl delete pod; kubectl wait --for=create;
#            kubectl wait --for=condition=Ready
#
# While each tool runs, an observer (kubectl get pods --watch, each line
# stamped on arrival) records when every pod was marked for deletion and
# when it became Ready. The tool's own overhead per pet is the gap between
# one pet becoming Ready and the next pet's deletion: the time the tool
# takes to notice, decide and send the DELETE. Everything else in a pet's
# cycle (grace, re-creation, scheduling, the ready delay) is the server's
# and the same for both tools. Start-up (command start to the first
# deletion) and the finish (last Ready to exit) are reported apart.
#
#   scripts/bench-upgrade.sh
#   N=10 DELAY=500ms GRACE=200ms ROUNDS=3 PETCTL=target/release/petctl scripts/bench-upgrade.sh
set -euo pipefail

N=${N:-10}
DELAY=${DELAY:-500ms}
GRACE=${GRACE:-200ms}
ROUNDS=${ROUNDS:-3}
PETCTL=${PETCTL:-target/release/petctl}
KUBECTL=${KUBECTL:-kubectl}

if [[ ! -x $PETCTL ]]; then
    echo "bench-upgrade: $PETCTL is missing; run 'cargo build --release' or set PETCTL" >&2
    exit 2
fi

state=$(mktemp -d)
observer=
cleanup() {
    [[ -n $observer ]] && kill "$observer" 2>/dev/null || true
    # `local down` only stops a binary named petctl (and forgets the pid):
    # read it first, then stop ours by pid.
    local pid=
    [[ -s $state/server.pid ]] && pid=$(cat "$state/server.pid")
    "$PETCTL" local down --state-dir "$state" >/dev/null 2>&1 || true
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
    fi
    rm -rf "$state"
}
trap cleanup EXIT

mkfifo "$state/listed"
"$PETCTL" local up --state-dir "$state" --port 0 --detach \
    --ready-delay "$DELAY" --max-grace "$GRACE" >/dev/null
export KUBECONFIG=$state/kubeconfig

for set in a b; do
    "$KUBECTL" create -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: $set
spec:
  serviceName: $set
  replicas: $N
  updateStrategy:
    type: OnDelete
  selector:
    matchLabels:
      app: $set
  template:
    metadata:
      labels:
        app: $set
    spec:
      containers:
      - name: main
        image: nginx:1
YAML
done
for set in a b; do
    "$KUBECTL" wait --for=jsonpath='{.status.readyReplicas}'="$N" "sts/$set" --timeout=300s >/dev/null
done

now() { date +%s.%N; }

# Starts the observer of set $1, writing "TIME TYPE NAME UID DELETING READY"
# lines to $2; returns once the initial list is in.
observe() {
    local jsonpath='{.type} {.object.metadata.name} {.object.metadata.uid} {.object.metadata.deletionTimestamp} {.object.status.conditions[?(@.type=="Ready")].status}{"\n"}'
    rm -f "$state/watch" && mkfifo "$state/watch"
    "$KUBECTL" get pods -l "app=$1" --watch --output-watch-events -o jsonpath="$jsonpath" >"$state/watch" &
    observer=$!
    python3 -u -c '
import sys, time
initial, ready = int(sys.argv[1]), open(sys.argv[2], "w")
for count, line in enumerate(sys.stdin, 1):
    print("%.6f %s" % (time.time(), line.rstrip("\n")), flush=True)
    if count == initial:
        ready.write("listed\n")
        ready.close()
' "$N" "$state/listed" <"$state/watch" >"$2" &
    stamper=$!
    read -r _ <"$state/listed"
}

# Stops the observer; the stamper ends with its input.
stop_observer() {
    kill "$observer"
    wait "$observer" 2>/dev/null || true
    wait "$stamper"
    observer=
}

petctl_round() { # image
    "$PETCTL" upgrade-image sts/a "main=$1" --yes >/dev/null 2>"$state/petctl.err" || { cat "$state/petctl.err" >&2; return 1; }
}

kubectl_round() { # image
    "$KUBECTL" set image sts/b "main=$1" >/dev/null
    for ((i = N - 1; i >= 0; i--)); do
        "$KUBECTL" delete pod "b-$i" >/dev/null
        "$KUBECTL" wait --for=create "pod/b-$i" --timeout=60s >/dev/null
        "$KUBECTL" wait --for=condition=Ready "pod/b-$i" --timeout=60s >/dev/null
    done
}

# Prints "wall startup mean_gap median_gap max_gap finish" (seconds, ms, ms,
# ms, ms, ms) for one round of set $1 from its events file $2, started at $3
# and ended at $4.
analyse() {
    python3 - "$1" "$2" "$3" "$4" "$N" <<'PY'
import statistics, sys
name, path, start, end, n = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
deleted, ready = {}, {}
old = {}
for line in open(path):
    parts = line.split()
    t, kind, pod, uid = float(parts[0]), parts[1], parts[2], parts[3]
    rest = parts[4:]
    deleting = any("T" in r and r.endswith("Z") for r in rest)
    is_ready = rest[-1:] == ["True"]
    if t < start:
        old.setdefault(pod, uid)
        continue
    if pod not in old:
        continue
    if deleting and uid == old[pod]:
        deleted.setdefault(pod, t)
    elif uid != old[pod] and is_ready and kind != "DELETED":
        ready.setdefault(pod, t)
order = ["%s-%d" % (name, i) for i in range(n - 1, -1, -1)]
missing = [p for p in order if p not in deleted or p not in ready]
if missing:
    sys.exit("bench-upgrade: no deletion or Ready seen for %s" % missing)
gaps = [(deleted[b] - ready[a]) * 1000 for a, b in zip(order, order[1:])]
print("%.3f %.1f %.1f %.1f %.1f %.1f" % (
    end - start,
    (deleted[order[0]] - start) * 1000,
    statistics.mean(gaps),
    statistics.median(gaps),
    max(gaps),
    (end - ready[order[-1]]) * 1000,
))
PY
}

echo "N=$N DELAY=$DELAY GRACE=$GRACE ROUNDS=$ROUNDS petctl=$PETCTL kubectl=$("$KUBECTL" version --client -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])')"
printf '%-6s %-8s %9s %11s %9s %11s %8s %10s\n' round tool "wall s" "startup ms" "gap ms" "median ms" "max ms" "finish ms"
sum_p=0
sum_k=0
gaps_p=()
gaps_k=()
for ((round = 1; round <= ROUNDS; round++)); do
    image="nginx:$((round + 1))"
    for tool in petctl kubectl; do
        set=a
        [[ $tool == kubectl ]] && set=b
        events=$state/events-$tool-$round
        observe "$set" "$events"
        t0=$(now)
        "${tool}_round" "$image"
        t1=$(now)
        stop_observer
        read -r wall startup gap median max finish < <(analyse "$set" "$events" "$t0" "$t1")
        printf '%-6s %-8s %9.3f %11.1f %9.1f %11.1f %8.1f %10.1f\n' "$round" "$tool" "$wall" "$startup" "$gap" "$median" "$max" "$finish"
        if [[ $tool == petctl ]]; then
            sum_p=$(echo "$sum_p + $wall" | bc -l); gaps_p+=("$gap")
        else
            sum_k=$(echo "$sum_k + $wall" | bc -l); gaps_k+=("$gap")
        fi
    done
done
mean() { python3 -c 'import statistics,sys; print("%.1f" % statistics.mean(map(float, sys.argv[1:])))' "$@"; }
echo
printf 'wall time: petctl %.3f s, kubectl %.3f s, ratio kubectl/petctl %.2f\n' "$sum_p" "$sum_k" "$(echo "$sum_k / $sum_p" | bc -l)"
echo "mean gap per pet (Ready -> next deletion): petctl $(mean "${gaps_p[@]}") ms, kubectl $(mean "${gaps_k[@]}") ms"

for set in a b; do
    images=$("$KUBECTL" get pods -l "app=$set" -o jsonpath='{range .items[*]}{.spec.containers[0].image}{"\n"}{end}' | sort -u | tr '\n' ' ')
    echo "set $set: pets on $images"
done
