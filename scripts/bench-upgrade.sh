#!/usr/bin/env bash
# Orchestration overhead of `petctl upgrade-image` against the PetSet guide's
# manual procedure scripted with kubectl, on the same local control plane in
# the same run. Two OnDelete StatefulSets of N pets (10 by default) are
# created; each pet becomes Ready DELAY after it starts (the simulated
# kubelet's --ready-delay), and deleted pods go at once (--max-grace 0s).
#
#   petctl:  petctl upgrade-image sts/a main=nginx:2 --yes
#   kubectl: kubectl set image sts/b main=nginx:2, then per pet, highest
#            ordinal first: kubectl delete pod; kubectl wait --for=create;
#            kubectl wait --for=condition=Ready
#
# Reports each wall time, their ratio, and the time per pet beyond the
# simulated ready delay (which includes the local control plane's own
# reaction time, the same for both).
#
#   scripts/bench-upgrade.sh
#   N=10 DELAY=500ms ROUNDS=3 PETCTL=target/release/petctl scripts/bench-upgrade.sh
set -euo pipefail

N=${N:-10}
DELAY=${DELAY:-500ms}
ROUNDS=${ROUNDS:-3}
PETCTL=${PETCTL:-target/release/petctl}
KUBECTL=${KUBECTL:-kubectl}

if [[ ! -x $PETCTL ]]; then
    echo "bench-upgrade: $PETCTL is missing; run 'cargo build --release' or set PETCTL" >&2
    exit 2
fi
delay_ms=$("$PETCTL" --version >/dev/null && python3 -c "
import sys; t=sys.argv[1]
print(int(float(t[:-2])) if t.endswith('ms') else int(float(t.rstrip('s'))*1000))" "$DELAY")

state=$(mktemp -d)
cleanup() {
    "$PETCTL" local down --state-dir "$state" >/dev/null 2>&1 || true
    rm -rf "$state"
}
trap cleanup EXIT

"$PETCTL" local up --state-dir "$state" --port 0 --detach --ready-delay "$DELAY" --max-grace 0s >/dev/null
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

petctl_round() { # image
    "$PETCTL" upgrade-image sts/a "main=$1" --yes >/dev/null 2>"$state/petctl.err" || { cat "$state/petctl.err" >&2; return 1; }
}

kubectl_round() { # image
    "$KUBECTL" set image sts/b "main=$1" >/dev/null
    for ((i = N - 1; i >= 0; i--)); do
        "$KUBECTL" delete pod "b-$i" >/dev/null || { echo "kubectl delete pod b-$i failed: $?" >&2; return 1; }
        "$KUBECTL" wait --for=create "pod/b-$i" --timeout=60s >/dev/null
        "$KUBECTL" wait --for=condition=Ready "pod/b-$i" --timeout=60s >/dev/null
    done
}

printf '%-6s %12s %12s %8s %16s %16s\n' round "petctl s" "kubectl s" ratio "petctl ms/pet" "kubectl ms/pet"
total_p=0
total_k=0
for ((round = 1; round <= ROUNDS; round++)); do
    image="nginx:$((round + 1))"
    t0=$(now); petctl_round "$image"; t1=$(now)
    kubectl_round "$image"; t2=$(now)
    p=$(echo "$t1 - $t0" | bc -l)
    k=$(echo "$t2 - $t1" | bc -l)
    total_p=$(echo "$total_p + $p" | bc -l)
    total_k=$(echo "$total_k + $k" | bc -l)
    printf '%-6s %12.3f %12.3f %8.2f %16.1f %16.1f\n' "$round" "$p" "$k" "$(echo "$k / $p" | bc -l)" \
        "$(echo "($p * 1000 - $N * $delay_ms) / $N" | bc -l)" \
        "$(echo "($k * 1000 - $N * $delay_ms) / $N" | bc -l)"
done
printf '%-6s %12.3f %12.3f %8.2f %16.1f %16.1f\n' all "$total_p" "$total_k" "$(echo "$total_k / $total_p" | bc -l)" \
    "$(echo "($total_p * 1000 - $ROUNDS * $N * $delay_ms) / ($ROUNDS * $N)" | bc -l)" \
    "$(echo "($total_k * 1000 - $ROUNDS * $N * $delay_ms) / ($ROUNDS * $N)" | bc -l)"

for set in a b; do
    images=$("$KUBECTL" get pods -l "app=$set" -o jsonpath='{range .items[*]}{.spec.containers[0].image}{"\n"}{end}' | sort -u)
    echo "set $set: pets on $images"
done
