"""Create, read, list, patch, replace and delete every served kind through
the typed APIs (CoreV1Api, AppsV1Api) and PetSets through the DynamicClient.

The typed create_* calls send the model as the user built it: a
V1Service(metadata=..., spec=...) has no apiVersion and no kind, and a real
kube-apiserver fills both in from the URL. delete_* deserializes the answer
as the openapi spec says: the object itself for pods, services, claims and
volumes (their registries set ReturnDeletedObject, e.g.
pkg/registry/core/service/storage/storage.go), a Status for the rest.
"""

import base64

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from objects import NOT_ROOT_CA, config_map, container, pet_set, stateful_set, unique


def meta(name, **labels):
    return client.V1ObjectMeta(name=name, labels=labels or None)


def pod(name):
    return client.V1Pod(metadata=meta(name), spec=client.V1PodSpec(containers=[container()]))


def service(name):
    return client.V1Service(
        metadata=meta(name),
        spec=client.V1ServiceSpec(
            selector={"app": name}, ports=[client.V1ServicePort(port=80, name="web")]
        ),
    )


def claim(name):
    return client.V1PersistentVolumeClaim(
        metadata=meta(name),
        spec=client.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            resources=client.V1VolumeResourceRequirements(requests={"storage": "1Gi"}),
        ),
    )


def volume(name):
    return client.V1PersistentVolume(
        metadata=meta(name),
        spec=client.V1PersistentVolumeSpec(
            capacity={"storage": "1Gi"},
            access_modes=["ReadWriteOnce"],
            host_path=client.V1HostPathVolumeSource(path=f"/tmp/{name}"),
            persistent_volume_reclaim_policy="Retain",
        ),
    )


def node(name):
    return client.V1Node(metadata=meta(name))


def event(name, namespace):
    return client.CoreV1Event(
        metadata=meta(name),
        involved_object=client.V1ObjectReference(kind="Pod", name="web-0", namespace=namespace),
        reason="Tested",
        message="written by the Python client",
        type="Normal",
    )


def secret(name):
    return client.V1Secret(metadata=meta(name), data={"k": base64.b64encode(b"v").decode()})


def storage_class(name):
    return client.V1StorageClass(metadata=meta(name), provisioner="example.com/nfs")


def revision(name):
    return client.V1ControllerRevision(metadata=meta(name), revision=1, data={"spec": {}})


def lease(name):
    return client.V1Lease(
        metadata=meta(name),
        spec=client.V1LeaseSpec(holder_identity=name, lease_duration_seconds=40),
    )


def endpoints(name):
    # No Service of that name: the endpoints controller leaves it alone.
    return client.V1Endpoints(
        metadata=meta(name),
        subsets=[
            client.V1EndpointSubset(
                addresses=[client.V1EndpointAddress(ip="192.0.2.1")],
                ports=[client.CoreV1EndpointPort(port=80, protocol="TCP")],
            )
        ],
    )


def endpoint_slice(name):
    # No kubernetes.io/service-name label: no controller manages it.
    return client.V1EndpointSlice(
        metadata=meta(name),
        address_type="IPv4",
        endpoints=[client.V1Endpoint(addresses=["192.0.2.1"])],
        ports=[client.DiscoveryV1EndpointPort(name="web", port=80, protocol="TCP")],
    )


@pytest.fixture(scope="session")
def discovery(api_client):
    return client.DiscoveryV1Api(api_client)


# (api, resource as in the method names, builder, what delete_* answers:
# the model class for kinds whose registry returns the deleted object, the
# kind of an object the client hands back as a dict (its openapi answer is
# "object"), else None for a Status, also a dict)
def budget(name):
    return client.V1PodDisruptionBudget(
        metadata=meta(name),
        spec=client.V1PodDisruptionBudgetSpec(
            max_unavailable=1, selector=client.V1LabelSelector(match_labels={"app": name})
        ),
    )


@pytest.fixture(scope="session")
def policy(api_client):
    return client.PolicyV1Api(api_client)


KINDS = [
    ("core", "namespace", lambda n, ns: client.V1Namespace(metadata=meta(n)), "Namespace"),
    ("core", "namespaced_pod", lambda n, ns: pod(n), client.V1Pod),
    ("core", "namespaced_service", lambda n, ns: service(n), client.V1Service),
    (
        "core",
        "namespaced_persistent_volume_claim",
        lambda n, ns: claim(n),
        client.V1PersistentVolumeClaim,
    ),
    ("core", "persistent_volume", lambda n, ns: volume(n), client.V1PersistentVolume),
    ("core", "namespaced_endpoints", lambda n, ns: endpoints(n), None),
    ("core", "node", lambda n, ns: node(n), None),
    ("core", "namespaced_event", event, None),
    ("core", "namespaced_config_map", lambda n, ns: config_map(n, {"a": "1"}, kind=False), None),
    ("core", "namespaced_secret", lambda n, ns: secret(n), None),
    (
        "core",
        "namespaced_service_account",
        lambda n, ns: client.V1ServiceAccount(metadata=meta(n)),
        client.V1ServiceAccount,
    ),
    ("apps", "namespaced_stateful_set", lambda n, ns: stateful_set(n, 0, kind=False), None),
    ("apps", "namespaced_controller_revision", lambda n, ns: revision(n), None),
    # policy/v1
    ("policy", "namespaced_pod_disruption_budget", lambda n, ns: budget(n), None),
    # storage.k8s.io/v1
    ("storage", "storage_class", lambda n, ns: storage_class(n), client.V1StorageClass),
    # coordination.k8s.io/v1
    ("coordination", "namespaced_lease", lambda n, ns: lease(n), None),
    # discovery.k8s.io/v1
    ("discovery", "namespaced_endpoint_slice", lambda n, ns: endpoint_slice(n), None),
]

# The kinds whose delete answers a Status, and the Status's details.kind
# (the resource, as genericregistry.Store.Delete names it).
STATUS_RESOURCE = {
    "node": "nodes",
    "namespaced_event": "events",
    "namespaced_config_map": "configmaps",
    "namespaced_secret": "secrets",
    "namespaced_stateful_set": "statefulsets",
    "namespaced_controller_revision": "controllerrevisions",
    "namespaced_pod_disruption_budget": "poddisruptionbudgets",
    "namespaced_lease": "leases",
    "namespaced_endpoints": "endpoints",
    "namespaced_endpoint_slice": "endpointslices",
}


def read_modify_replace(read, replace, modify, attempts=5):
    """Read, change and replace, again on 409 Conflict: controllers (the
    kubelet, the volume binder, the set controllers) write status in
    between, as client-go's retry.RetryOnConflict expects."""
    for _ in range(attempts - 1):
        try:
            return replace(modify(read()))
        except ApiException as e:
            if e.status != 409:
                raise
    return replace(modify(read()))


def verbs(api, resource, namespace):
    """`call(verb, ...)` for the typed method `{verb}_{resource}`, with the
    namespace bound where the kind is namespaced."""
    scope = (namespace,) if resource.startswith("namespaced_") else ()

    def call(verb, name=None, body=None):
        # The typed methods take (name, namespace, body), each if it applies.
        args = [name] if name else []
        args += scope
        args += [body] if body is not None else []
        return getattr(api, f"{verb}_{resource}")(*args)

    return call


@pytest.mark.parametrize(
    "api_name,resource,build,deleted", KINDS, ids=[k[1] for k in KINDS]
)
def test_typed_crud_without_kind_in_the_body(
    request, namespace, api_name, resource, build, deleted
):
    api = request.getfixturevalue(api_name)
    call = verbs(api, resource, namespace)
    name = unique("crud")
    body = build(name, namespace)
    assert body.kind is None and body.api_version is None, "the body is as users build it"

    created = call("create", body=body)
    assert created.metadata.name == name
    assert created.metadata.uid and created.metadata.resource_version
    assert created.kind and created.api_version, "the server answers with its kind"

    read = call("read", name)
    assert read.metadata.uid == created.metadata.uid

    listed = call("list")
    assert name in [item.metadata.name for item in listed.items]
    assert listed.metadata.resource_version

    patched = call("patch", name, {"metadata": {"labels": {"patched": "yes"}}})
    assert patched.metadata.labels["patched"] == "yes"
    assert int(patched.metadata.resource_version) > int(created.metadata.resource_version)

    def label(current):
        current.metadata.labels["replaced"] = "yes"
        return current

    replaced = read_modify_replace(
        lambda: call("read", name), lambda body: call("replace", name, body), label
    )
    # A namespace also carries kubernetes.io/metadata.name, set by the server.
    labels = dict(replaced.metadata.labels)
    labels.pop("kubernetes.io/metadata.name", None)
    assert labels == {"patched": "yes", "replaced": "yes"}

    stale = replaced
    stale.metadata.resource_version = created.metadata.resource_version
    with pytest.raises(ApiException) as conflict:
        call("replace", name, stale)
    assert conflict.value.status == 409

    answer = call("delete", name)
    if isinstance(deleted, str):
        assert isinstance(answer, dict), answer
        assert answer["kind"] == deleted, answer
        assert answer["metadata"]["uid"] == created.metadata.uid, answer
    elif deleted is None:
        assert isinstance(answer, dict), answer
        assert answer["kind"] == "Status" and answer["status"] == "Success", answer
        assert answer["details"]["name"] == name, answer
        assert answer["details"]["kind"] == STATUS_RESOURCE.get(resource), answer
    else:
        assert isinstance(answer, deleted), answer
        assert answer.kind == created.kind, answer
        assert answer.metadata.uid == created.metadata.uid


def test_namespace_delete_answers_the_terminating_namespace(core):
    # pkg/registry/core/namespace/storage/storage.go: Delete of a namespace
    # with spec.finalizers ["kubernetes"] (every namespace) sets the
    # deletionTimestamp and phase Terminating, and answers the namespace
    # (200), not a Status; the namespace controller empties it later.
    name = unique("ns")
    core.create_namespace(client.V1Namespace(metadata=meta(name)))
    core.create_namespaced_config_map(name, config_map("inside", {"a": "1"}, kind=False))
    answer = core.delete_namespace(name)
    assert answer["kind"] == "Namespace", answer
    assert answer["metadata"]["deletionTimestamp"], answer
    assert answer["status"]["phase"] == "Terminating", answer


def test_secret_string_data_is_merged_into_data(core, namespace):
    # pkg/apis/core/v1/conversion.go: stringData is write-only; each key is
    # stored base64-encoded in data, overriding a data key of the same name.
    body = client.V1Secret(
        metadata=meta("creds"),
        data={"user": base64.b64encode(b"old").decode()},
        string_data={"user": "admin", "password": "s3cret"},
    )
    created = core.create_namespaced_secret(namespace, body)
    read = core.read_namespaced_secret("creds", namespace)
    for answer in (created, read):
        assert answer.string_data is None
        decoded = {k: base64.b64decode(v).decode() for k, v in answer.data.items()}
        assert decoded == {"user": "admin", "password": "s3cret"}


def test_delete_of_a_missing_object_is_404(core, namespace):
    with pytest.raises(ApiException) as missing:
        core.delete_namespaced_config_map("absent", namespace)
    assert missing.value.status == 404


def test_create_of_an_existing_name_is_409(core, namespace):
    core.create_namespaced_config_map(namespace, config_map("twice"))
    with pytest.raises(ApiException) as exists:
        core.create_namespaced_config_map(namespace, config_map("twice"))
    assert exists.value.status == 409


def test_delete_with_a_uid_precondition(core, namespace):
    created = core.create_namespaced_config_map(namespace, config_map("guarded"))
    wrong = client.V1DeleteOptions(preconditions=client.V1Preconditions(uid="not-the-uid"))
    with pytest.raises(ApiException) as conflict:
        core.delete_namespaced_config_map("guarded", namespace, body=wrong)
    assert conflict.value.status == 409
    right = client.V1DeleteOptions(
        preconditions=client.V1Preconditions(uid=created.metadata.uid)
    )
    core.delete_namespaced_config_map("guarded", namespace, body=right)


def test_dry_run_writes_answer_without_storing(core, namespace):
    # apiserver registry/generic/registry/dryrun.go: a dry-run create stores
    # nothing; a dry-run update answers the object as it would be, with the
    # resourceVersion it has now, and stores nothing.
    created = core.create_namespaced_config_map(
        namespace, config_map("dry", {"a": "1"}), dry_run="All"
    )
    assert created.metadata.name == "dry" and created.data == {"a": "1"}
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map("dry", namespace)
    assert missing.value.status == 404

    stored = core.create_namespaced_config_map(namespace, config_map("dry", {"a": "1"}))
    patched = core.patch_namespaced_config_map(
        "dry", namespace, {"data": {"a": "2"}}, dry_run="All"
    )
    assert patched.data == {"a": "2"}
    assert patched.metadata.resource_version == stored.metadata.resource_version
    assert core.read_namespaced_config_map("dry", namespace).data == {"a": "1"}


def test_a_resource_the_server_does_not_serve_is_404(apps, namespace):
    # The server serves apps/v1 but not deployments: a real kube-apiserver
    # whose apps group lacks a resource answers 404 NotFound for its paths.
    with pytest.raises(ApiException) as unserved:
        apps.list_namespaced_deployment(namespace)
    assert unserved.value.status == 404


def test_delete_collection_by_label(core, namespace):
    # The handler answers the list of what it deleted (a ConfigMapList);
    # this client's openapi says Status, so it parses the answer as one.
    for name, team in (("a", "x"), ("b", "x"), ("c", "y")):
        body = config_map(name)
        body.metadata.labels = {"team": team}
        core.create_namespaced_config_map(namespace, body)
    answer = core.delete_collection_namespaced_config_map(namespace, label_selector="team=x")
    assert answer.kind == "ConfigMapList", answer
    left = core.list_namespaced_config_map(namespace, field_selector=NOT_ROOT_CA)
    assert [item.metadata.name for item in left.items] == ["c"]


def test_list_by_label_and_field_selectors(core, namespace):
    for name, team in (("a", "x"), ("b", "y")):
        body = config_map(name)
        body.metadata.labels = {"team": team}
        core.create_namespaced_config_map(namespace, body)

    def names(**selectors):
        listed = core.list_namespaced_config_map(namespace, **selectors)
        return [item.metadata.name for item in listed.items]

    assert names(label_selector="team=x") == ["a"]
    assert names(label_selector="team in (x,y)") == ["a", "b"]
    # `!=` also matches objects without the label: the root CA's config map.
    assert names(label_selector="team!=x") == ["b", "kube-root-ca.crt"]
    assert names(field_selector="metadata.name=b") == ["b"]
    assert names(field_selector="metadata.name!=b", label_selector="team") == ["a"]
    with pytest.raises(ApiException) as bad:
        names(field_selector="data.x=1")
    assert bad.value.status == 400


def test_pet_set_crud_through_the_dynamic_client(petsets, namespace):
    name = unique("pets")
    created = petsets.create(body=pet_set(name, 0), namespace=namespace)
    assert created.kind == "PetSet" and created.apiVersion == "apps/v1alpha1"
    assert created.metadata.name == name

    read = petsets.get(name=name, namespace=namespace)
    assert read.metadata.uid == created.metadata.uid

    listed = petsets.get(namespace=namespace)
    assert listed.kind == "PetSetList"
    assert [item.metadata.name for item in listed.items] == [name]

    patched = petsets.patch(
        name=name,
        namespace=namespace,
        body={"metadata": {"labels": {"patched": "yes"}}},
        content_type="application/merge-patch+json",
    )
    assert patched.metadata.labels.patched == "yes"

    def one_pet(current):
        body = current.to_dict()
        body["spec"]["replicas"] = 1
        return body

    replaced = read_modify_replace(
        lambda: petsets.get(name=name, namespace=namespace),
        lambda body: petsets.replace(body=body, namespace=namespace),
        one_pet,
    )
    assert replaced.spec.replicas == 1 and replaced.metadata.labels.patched == "yes"
    body = replaced.to_dict()

    body["metadata"]["resourceVersion"] = created.metadata.resourceVersion
    with pytest.raises(ApiException) as conflict:
        petsets.replace(body=body, namespace=namespace)
    assert conflict.value.status == 409

    answer = petsets.delete(name=name, namespace=namespace)
    assert answer.kind == "Status" and answer.status == "Success", answer
    assert answer.details.name == name


def test_discovery_serves_petsets_and_statefulsets(dyn):
    petset = dyn.resources.get(api_version="apps/v1alpha1", kind="PetSet")
    assert petset.namespaced and petset.name == "petsets"
    statefulset = dyn.resources.get(api_version="apps/v1", kind="StatefulSet")
    assert statefulset.short_names == ["sts"]
    assert sorted(statefulset.subresources) == ["scale", "status"]
    assert statefulset.subresources["scale"].kind == "Scale"
    assert sorted(petset.subresources) == ["scale", "status"]
