"""kubernetes.utils.create_from_yaml of examples/ and of corpus manifests
(tests/corpus, vendored with their sources in tests/corpus/SOURCES.md).

create_from_yaml sends each document as written (a dict with apiVersion
and kind) to the typed API it derives from the apiVersion: v1 -> CoreV1Api,
apps/v1 -> AppsV1Api. There is no typed API for apps/v1alpha1, so a PetSet
document cannot go through it: the client fails on its side (AttributeError
for AppsV1alpha1Api) and the harness creates PetSets with the DynamicClient.
"""

from pathlib import Path

import pytest
import yaml
from kubernetes import utils

from objects import unique

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus" / "statefulset"

# Service + StatefulSet (apps/v1), or a lone StatefulSet, each as published.
# (k8s-e2e-etcd.yaml and k8s-e2e-cassandra.yaml have no spec.selector, which
# apps/v1 requires: this client refuses them before sending anything.)
APPS_V1_MANIFESTS = [
    "website-web.yaml",
    "website-web-parallel.yaml",
    "website-mysql-statefulset.yaml",
    "k8s-e2e-cockroachdb.yaml",
]


def documents(path):
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


@pytest.mark.parametrize("manifest", APPS_V1_MANIFESTS)
def test_create_from_yaml_of_a_corpus_manifest(api_client, core, apps, namespace, manifest):
    path = CORPUS / manifest
    created = utils.create_from_yaml(api_client, str(path), namespace=namespace)
    docs = documents(path)
    # One list of answers per document, each the typed model of its kind.
    assert [type(group[0]).__name__ for group in created] == [
        "V1" + doc["kind"] for doc in docs
    ]
    for doc in docs:
        name = doc["metadata"]["name"]
        if doc["kind"] == "Service":
            read = core.read_namespaced_service(name, namespace)
        else:
            read = apps.read_namespaced_stateful_set(name, namespace)
            assert read.spec.replicas == doc["spec"].get("replicas", 1)
        assert read.metadata.namespace == namespace

    # A second run fails for every document with 409 AlreadyExists, which
    # create_from_yaml gathers into one FailToCreateError.
    with pytest.raises(utils.FailToCreateError) as again:
        utils.create_from_yaml(api_client, str(path), namespace=namespace)
    assert [e.status for e in again.value.api_exceptions] == [409] * len(docs)


def test_create_from_yaml_of_the_example_petset(api_client, core, petsets, namespace):
    path = REPO / "examples" / "petset.yaml"
    docs = documents(path)
    assert [d["kind"] for d in docs] == ["Service", "PetSet"]

    # The Service goes through CoreV1Api; the PetSet has no typed API.
    with pytest.raises(AttributeError, match="AppsV1alpha1Api"):
        utils.create_from_yaml(api_client, str(path), namespace=namespace)
    assert core.read_namespaced_service("nginx", namespace).spec.cluster_ip == "None"

    petsets.create(body=docs[1], namespace=namespace)
    web = petsets.get(name="web", namespace=namespace)
    assert web.spec.replicas == docs[1]["spec"]["replicas"]
    assert web.spec.serviceName == "nginx"


def test_create_from_dict_of_a_multi_kind_list(api_client, core, apps, namespace):
    # A v1 List holding several kinds: create_from_dict walks its items.
    name = unique("listed")
    data = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}},
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name},
                "data": {"k": "dg=="},
            },
        ],
    }
    utils.create_from_dict(api_client, data, namespace=namespace)
    assert core.read_namespaced_config_map(name, namespace).metadata.name == name
    assert core.read_namespaced_secret(name, namespace).data == {"k": "dg=="}
