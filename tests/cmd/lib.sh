#!/usr/bin/env bash
# The helpers test/cmd/apps.sh uses, after kubernetes/kubernetes
# hack/lib/test.sh and test/cmd/legacy-script.sh (Apache License 2.0), with
# one change: the waiting helpers wait on a watch with a timeout
# (`kubectl get -w`, `kubectl wait`) instead of upstream's loop of gets and
# sleeps. The assertions (exact regex match of a go-template's output,
# grep for a string) are upstream's.
#
# Expects KUBECONFIG to name the server and `kube_flags` to be set.

# The fields upstream's test/cmd/legacy-script.sh names.
id_field=".metadata.name"
annotations_field=".metadata.annotations"
image_field0="(index .spec.template.spec.containers 0).image"
image_field1="(index .spec.template.spec.containers 1).image"
container_len="(len .spec.template.spec.containers)"
statefulset_replicas_field=".spec.replicas"
statefulset_observed_generation=".status.observedGeneration"

# hack/lib/init.sh's image names.
IMAGE_STATEFULSET_R1="registry.k8s.io/nginx-slim:0.7"
IMAGE_STATEFULSET_R2="registry.k8s.io/nginx-slim:0.8"
IMAGE_PAUSE_V2="registry.k8s.io/pause:2.0"

# How long a wait may take before it fails.
WAIT_TIMEOUT=${WAIT_TIMEOUT:-30}

kube::log::status() {
  echo "+++ $*"
}

kube::test::fail() {
  echo "FAIL! $*"
  caller 1
  return 1
}

# A fresh namespace, as legacy-script.sh's create_and_use_new_namespace.
create_and_use_new_namespace() {
  local ns="namespace-$(date +%s%N)-${RANDOM}"
  kubectl create namespace "${ns}" >/dev/null
  kube_flags=("--namespace=${ns}")
}

# $1 object, $2 go-template, $3 expected (a regex matched whole), $4 args.
# One `kubectl get`, as upstream's get_object_assert.
kube::test::get_object_assert() {
  local object=$1 request=$2 expected=$3 args=${4:-}
  local res
  # shellcheck disable=SC2086
  res=$(kubectl get "${kube_flags[@]}" ${args} ${object} -o go-template="${request}")
  if [[ "${res}" =~ ^${expected}$ ]]; then
    echo "Successful get ${object} ${request}: ${res}"
    return 0
  fi
  kube::test::fail "Get ${object} ${request}
  Expected: ${expected}
  Got:      ${res}"
}

# As get_object_assert, but waits up to WAIT_TIMEOUT seconds for the match
# on a watch. A watch prints one object per line, so a list template
# `{{range.items}}X{{end}}` is applied to each object as `X`: the same
# result for the one-object lists apps.sh waits on.
kube::test::wait_object_assert() {
  local object=$1 request=$2 expected=$3 args=${4:-}
  if kube::test::get_object_assert "$@" >/dev/null 2>&1; then
    kube::test::get_object_assert "$@"
    return
  fi
  local per_object=${request#\{\{range.items\}\}}
  per_object=${per_object%\{\{end\}\}}
  local line
  # shellcheck disable=SC2086
  while IFS= read -r line; do
    if [[ "${line}" =~ ^${expected}$ ]]; then
      echo "Successful wait ${object} ${request}: ${line}"
      return 0
    fi
  done < <(timeout "${WAIT_TIMEOUT}" kubectl get "${kube_flags[@]}" ${args} ${object} -w \
    -o go-template="${per_object}{{\"\\n\"}}")
  kube::test::get_object_assert "$@"
}

kube::test::if_has_string() {
  local message=$1 match=$2
  if grep -q "${match}" <<< "${message}"; then
    echo "Successful: has ${match}"
    return 0
  fi
  kube::test::fail "message:${message}
has not:${match}"
}

kube::test::if_has_not_string() {
  local message=$1 match=$2
  if grep -q "${match}" <<< "${message}"; then
    kube::test::fail "message:${message}
has:${match}"
    return 1
  fi
  echo "Successful: has not ${match}"
}

# Upstream's describe_resource_chunk_size_assert: describe lists the
# resource and the additional ones with limit=500, and --chunk-size=10
# gives limit=10.
kube::test::describe_resource_chunk_size_assert() {
  local resource=$1 additional=${2:-} args=${3:-}
  local expect_lists r result
  IFS="," read -r -a expect_lists <<< "${resource},${additional}"
  # shellcheck disable=SC2086
  result=$(kubectl describe ${resource} --show-events=true -v=6 ${args} "${kube_flags[@]}" 2>&1 >/dev/null)
  for r in "${expect_lists[@]}"; do
    grep -q "${r}?.*limit=500" <<< "${result}" \
      || kube::test::fail "describe ${resource}: no limit=500 on the list of ${r} in:
${result}" || return 1
  done
  # shellcheck disable=SC2086
  result=$(kubectl describe ${resource} --show-events=false --chunk-size=10 -v=6 ${args} "${kube_flags[@]}" 2>&1 >/dev/null)
  grep -q "${resource}?limit=10" <<< "${result}" \
    || kube::test::fail "describe ${resource}: no limit=10 in:
${result}"
}

# legacy-script.sh's wait-for-pods-with-label: the names of the pods with
# label $1, sorted and joined, become $2 (empty: no pods).
wait-for-pods-with-label() {
  local selector=$1 expected=$2
  names() {
    kubectl get pods -l "${selector}" --sort-by metadata.name "${kube_flags[@]}" \
      -o go-template='{{range.items}}{{.metadata.name}}{{end}}'
  }
  [[ "$(names)" == "${expected}" ]] && return 0
  if [[ -z "${expected}" ]]; then
    # `kubectl wait` fails when nothing matches, which is what is awaited.
    kubectl wait --for=delete pods -l "${selector}" --timeout="${WAIT_TIMEOUT}s" \
      "${kube_flags[@]}" >/dev/null 2>&1 || true
  else
    local line
    while IFS= read -r line; do
      [[ "$(names)" == "${expected}" ]] && break
    done < <(timeout "${WAIT_TIMEOUT}" kubectl get pods -l "${selector}" -w -o name "${kube_flags[@]}")
  fi
  [[ "$(names)" == "${expected}" ]] \
    || kube::test::fail "pods with label ${selector}: expected '${expected}', found '$(names)'"
}
