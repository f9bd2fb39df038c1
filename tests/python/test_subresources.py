"""The scale and status subresources of StatefulSets (AppsV1Api) and PetSets
(DynamicClient), and exec into a pet through the client's `stream()`.

What a real kube-apiserver does (pkg/registry/apps/statefulset/storage/
storage.go, strategy.go): /scale reads and writes spec.replicas as an
autoscaling/v1 Scale whose status.selector is the set's selector as a
string; /status writes only status (the spec of the body is dropped) and
the main resource writes only spec (its status is dropped).
"""

import os

import pytest
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream

from objects import pet_set, stateful_set, unique


def wait_for(list_objects, what, namespace, name, condition, timeout=20):
    """Waits on a watch of the object until `condition(object)` holds."""
    w = watch.Watch()
    for event in w.stream(
        list_objects,
        namespace,
        field_selector=f"metadata.name={name}",
        timeout_seconds=timeout,
    ):
        if event["type"] != "BOOKMARK" and condition(event["object"]):
            w.stop()
            return event["object"]
    pytest.fail(f"{what} {namespace}/{name}: condition not met within {timeout} s")


def wait_for_set(apps, namespace, name, condition, timeout=20):
    """Waits on a watch of the set until `condition(set)` holds."""
    return wait_for(
        apps.list_namespaced_stateful_set, "statefulset", namespace, name, condition, timeout
    )


@pytest.fixture
def sts(apps, namespace):
    name = unique("web")
    apps.create_namespaced_stateful_set(namespace, stateful_set(name, replicas=1))
    return name


@pytest.fixture
def idle(apps, namespace):
    """A set of no pets that the controller has observed: nothing else
    writes it while the test does, so its resourceVersion holds still."""
    name = unique("idle")
    apps.create_namespaced_stateful_set(namespace, stateful_set(name, replicas=0))
    wait_for_set(apps, namespace, name, lambda s: s.status.observed_generation == 1)
    return name


def test_read_the_scale_of_a_stateful_set(apps, namespace, sts):
    scale = apps.read_namespaced_stateful_set_scale(sts, namespace)
    assert isinstance(scale, client.V1Scale)
    assert scale.kind == "Scale" and scale.api_version == "autoscaling/v1"
    assert scale.metadata.name == sts and scale.metadata.namespace == namespace
    assert scale.spec.replicas == 1
    assert scale.status.selector == f"app={sts}"


def test_patch_the_scale_and_the_controller_follows(apps, namespace, sts):
    scaled = apps.patch_namespaced_stateful_set_scale(sts, namespace, {"spec": {"replicas": 3}})
    assert scaled.spec.replicas == 3
    assert apps.read_namespaced_stateful_set(sts, namespace).spec.replicas == 3
    ready = wait_for_set(apps, namespace, sts, lambda s: (s.status.ready_replicas or 0) == 3)
    assert ready.status.replicas == 3
    assert apps.read_namespaced_stateful_set_scale(sts, namespace).status.replicas == 3


def test_replace_the_scale_with_a_resource_version(apps, namespace, idle):
    sts = idle
    scale = apps.read_namespaced_stateful_set_scale(sts, namespace)
    body = client.V1Scale(
        api_version="autoscaling/v1",
        kind="Scale",
        metadata=client.V1ObjectMeta(
            name=sts, namespace=namespace, resource_version=scale.metadata.resource_version
        ),
        spec=client.V1ScaleSpec(replicas=2),
    )
    replaced = apps.replace_namespaced_stateful_set_scale(sts, namespace, body)
    assert replaced.spec.replicas == 2
    with pytest.raises(ApiException) as conflict:
        apps.replace_namespaced_stateful_set_scale(sts, namespace, body)
    assert conflict.value.status == 409


def test_replace_the_scale_without_kind_in_the_body(apps, namespace, sts):
    # A V1Scale built the way the typed API invites: no apiVersion, no kind.
    body = client.V1Scale(
        metadata=client.V1ObjectMeta(name=sts, namespace=namespace),
        spec=client.V1ScaleSpec(replicas=0),
    )
    assert apps.replace_namespaced_stateful_set_scale(sts, namespace, body).spec.replicas == 0


def test_scale_of_a_missing_set_is_404(apps, namespace):
    with pytest.raises(ApiException) as missing:
        apps.read_namespaced_stateful_set_scale("absent", namespace)
    assert missing.value.status == 404


def test_status_writes_touch_only_status(apps, namespace, sts):
    ready = wait_for_set(apps, namespace, sts, lambda s: (s.status.ready_replicas or 0) == 1)
    status = apps.read_namespaced_stateful_set_status(sts, namespace)
    assert isinstance(status, client.V1StatefulSet)
    assert status.status.replicas == 1

    # The spec in a status patch is dropped; the status is written.
    condition = {"type": "Tested", "status": "True", "reason": "Python"}
    patched = apps.patch_namespaced_stateful_set_status(
        sts, namespace, {"spec": {"replicas": 5}, "status": {"conditions": [condition]}}
    )
    assert patched.spec.replicas == 1
    assert [c.type for c in patched.status.conditions or []] == ["Tested"]

    # The status in a patch of the set is dropped; the spec is written.
    patched = apps.patch_namespaced_stateful_set(
        sts, namespace, {"metadata": {"labels": {"l": "1"}}, "status": {"replicas": 9}}
    )
    assert patched.status.replicas == ready.status.replicas
    assert patched.metadata.labels == {"l": "1"}


def test_replace_status_with_a_stale_resource_version_is_409(apps, namespace, idle):
    name = idle
    current = apps.read_namespaced_stateful_set_status(name, namespace)
    stale = current.metadata.resource_version
    apps.patch_namespaced_stateful_set(name, namespace, {"metadata": {"labels": {"l": "2"}}})
    current.metadata.resource_version = stale
    current.status.collision_count = 1
    with pytest.raises(ApiException) as conflict:
        apps.replace_namespaced_stateful_set_status(name, namespace, current)
    assert conflict.value.status == 409
    fresh = apps.read_namespaced_stateful_set_status(name, namespace)
    fresh.status.collision_count = 1
    replaced = apps.replace_namespaced_stateful_set_status(name, namespace, fresh)
    assert replaced.status.collision_count == 1
    assert replaced.metadata.labels == {"l": "2"}


def test_pet_set_scale_and_status_through_the_dynamic_client(dyn, petsets, namespace):
    name = unique("pets")
    petsets.create(body=pet_set(name, 1), namespace=namespace)
    scale = petsets.subresources["scale"]
    read = scale.get(name=name, namespace=namespace)
    assert read.kind == "Scale" and read.spec.replicas == 1
    assert read.status.selector == f"app={name}"

    patched = scale.patch(
        name=name,
        namespace=namespace,
        body={"spec": {"replicas": 2}},
        content_type="application/merge-patch+json",
    )
    assert patched.spec.replicas == 2
    assert petsets.get(name=name, namespace=namespace).spec.replicas == 2

    status = petsets.subresources["status"]
    current = status.get(name=name, namespace=namespace)
    assert current.kind == "PetSet"
    written = status.patch(
        name=name,
        namespace=namespace,
        body={"spec": {"replicas": 7}, "status": {"observedGeneration": 1}},
        content_type="application/merge-patch+json",
    )
    assert written.spec.replicas == 2


def test_the_log_of_a_running_pod_is_text(core, namespace):
    # read_namespaced_pod_log asks for pods/log and hands back the body as
    # a str (text/plain), not a model.
    pod = client.V1Pod(
        api_version="v1",
        kind="Pod",
        metadata=client.V1ObjectMeta(name="logged"),
        spec=client.V1PodSpec(containers=[client.V1Container(name="app", image="nginx:1.25")]),
    )
    core.create_namespaced_pod(namespace, pod)
    w = watch.Watch()
    running = False
    for event in w.stream(
        core.list_namespaced_pod,
        namespace,
        field_selector="metadata.name=logged",
        timeout_seconds=20,
    ):
        running = event["object"].status.phase == "Running"
        if running:
            w.stop()
    assert running, "pod logged: not Running within 20 s"
    log = core.read_namespaced_pod_log("logged", namespace, container="app")
    assert isinstance(log, str) and log.endswith("\n"), repr(log)
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_pod_log("logged", namespace, container="absent")
    assert missing.value.status == 400


def bubblewrap_or_skip():
    """exec runs in a bubblewrap sandbox: missing, it fails the test unless
    PETCTL_TEST_SKIP_EXEC=1."""
    if os.environ.get("PETCTL_TEST_SKIP_EXEC") == "1":
        pytest.skip("PETCTL_TEST_SKIP_EXEC=1")
    assert os.path.exists("/usr/bin/bwrap"), (
        "exec needs bubblewrap (/usr/bin/bwrap): install the bubblewrap package, "
        "or set PETCTL_TEST_SKIP_EXEC=1"
    )


def is_ready(pod):
    conditions = (pod.status and pod.status.conditions) or []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)


def test_exec_through_stream_carries_stdout_stderr_and_the_exit_code(core, namespace, sts):
    bubblewrap_or_skip()
    pod = f"{sts}-0"
    wait_for(core.list_namespaced_pod, "pod", namespace, pod, is_ready)
    # The client speaks v4.channel.k8s.io: the exit code is a Status cause.
    session = stream(
        core.connect_get_namespaced_pod_exec,
        pod,
        namespace,
        command=["sh", "-c", "hostname; echo oops >&2; exit 3"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
        _preload_content=False,
    )
    session.run_forever(timeout=20)
    assert session.read_stdout() == f"{pod}\n"
    assert session.read_stderr() == "oops\n"
    assert session.returncode == 3
    whole = stream(
        core.connect_get_namespaced_pod_exec,
        pod,
        namespace,
        command=["hostname"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
    )
    assert whole == f"{pod}\n"
