"""Discovery as the official Python client reads it.

The typed client's CoreApi/ApisApi/CoreV1Api/AppsV1Api read the legacy
documents (/api, /apis, /api/v1, /apis/apps/v1); the DynamicClient builds
its resource table from the same documents and marks the group's preferred
version. Both must agree with upstream's recorded discovery, condensed in
tests/golden/discovery.json (see its README). The Python client never reads
/openapi/v2 or /openapi/v3: its models are generated ahead of time.
"""

import json
import pathlib

import pytest
from kubernetes import client

GOLDEN = json.loads(
    (pathlib.Path(__file__).parent.parent / "golden" / "discovery.json").read_text()
)


def condensed(resources):
    """V1APIResource objects in the golden's shape, by name."""
    out = {}
    for resource in resources:
        entry = {
            "kind": resource.kind,
            "namespaced": resource.namespaced,
            "singularName": resource.singular_name,
            "verbs": resource.verbs,
        }
        if resource.short_names:
            entry["shortNames"] = resource.short_names
        if resource.categories:
            entry["categories"] = resource.categories
        if resource.group is not None or resource.version is not None:
            entry["group"] = resource.group
            entry["version"] = resource.version
        out[resource.name] = entry
    return out


def test_core_versions_and_groups(api_client):
    assert client.CoreApi(api_client).get_api_versions().versions == ["v1"]
    groups = client.ApisApi(api_client).get_api_versions().groups
    # Every group of the golden documents, in the server's order.
    golden_groups = sorted({gv.split("/")[0] for gv in GOLDEN if "/" in gv})
    assert sorted(g.name for g in groups) == golden_groups
    apps = next(g for g in groups if g.name == "apps")
    assert [v.group_version for v in apps.versions] == ["apps/v1", "apps/v1alpha1"]
    assert apps.preferred_version.group_version == "apps/v1"


@pytest.mark.parametrize(
    "group_version, api",
    [("v1", client.CoreV1Api), ("apps/v1", client.AppsV1Api)],
)
def test_resource_lists_agree_with_upstream(api_client, group_version, api):
    listed = api(api_client).get_api_resources()
    assert listed.group_version == group_version
    assert condensed(listed.resources) == GOLDEN[group_version]


def test_namespaces_offer_no_deletecollection(api_client, core):
    namespaces = condensed(core.get_api_resources().resources)["namespaces"]
    assert "deletecollection" not in namespaces["verbs"]
    # No generated method deletes the namespace collection: a raw request.
    request = api_client.param_serialize(
        "DELETE", "/api/v1/namespaces", auth_settings=["BearerToken"]
    )
    response = api_client.call_api(*request)
    response.read()
    assert response.status == 405
    status = json.loads(response.data)
    assert status["kind"] == "Status"
    assert status["reason"] == "MethodNotAllowed"
    assert status["message"] == "the server does not allow this method on the requested resource"
    assert "default" in [n.metadata.name for n in core.list_namespace().items]


def test_dynamic_client_resources(dyn):
    sts = dyn.resources.get(api_version="apps/v1", kind="StatefulSet")
    assert sts.name == "statefulsets" and sts.namespaced and sts.preferred
    assert sts.short_names == ["sts"] and sts.categories == ["all"]
    assert sorted(sts.subresources) == ["scale", "status"]
    assert sts.subresources["scale"].kind == "Scale"
    assert "deletecollection" in sts.verbs

    petset = dyn.resources.get(api_version="apps/v1alpha1", kind="PetSet")
    assert petset.name == "petsets" and not petset.preferred
    assert sorted(petset.subresources) == ["scale", "status"]
    assert [r.group_version for r in dyn.resources.search(kind="PetSet")] == [
        "apps/v1alpha1"
    ]

    namespace = dyn.resources.get(api_version="v1", kind="Namespace")
    assert not namespace.namespaced
    assert namespace.verbs == GOLDEN["v1"]["namespaces"]["verbs"]
    assert sorted(namespace.subresources) == ["finalize", "status"]

    pod = dyn.resources.get(api_version="v1", kind="Pod")
    assert sorted(pod.subresources) == sorted(
        name.split("/")[1] for name in GOLDEN["v1"] if name.startswith("pods/")
    )
    assert pod.short_names == ["po"]
