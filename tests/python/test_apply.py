"""Server-side apply through the official client: patch_namespaced_* with
_content_type='application/apply-patch+yaml', field_manager and force.

What a real kube-apiserver does (staging/src/k8s.io/apiserver/pkg/endpoints/
handlers/patch.go, managedfields/internal/conflict.go): an apply to a missing
object creates it and answers 201; a second manager setting a field another
owns to another value gets a 409 Conflict whose Status names the field and
its manager in one FieldManagerConflict cause per field; force=True moves
the field; metadata.managedFields lists every manager with its fieldsV1.
"""

import json

import pytest
from kubernetes.client.exceptions import ApiException

from objects import stateful_set, unique

APPLY = "application/apply-patch+yaml"


def config_map(name, **data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def managers(obj):
    """(manager, operation) → fieldsV1 of every entry."""
    return {
        (entry.manager, entry.operation): entry.fields_v1
        for entry in obj.metadata.managed_fields or []
    }


def test_apply_creates_then_updates(core, namespace):
    name = unique("cm")
    created, status, _ = core.patch_namespaced_config_map_with_http_info(
        name, namespace, config_map(name, a="1"), field_manager="deploy", _content_type=APPLY
    )
    assert status == 201
    assert created.data == {"a": "1"}
    assert managers(created) == {("deploy", "Apply"): {"f:data": {"f:a": {}}}}
    entry = created.metadata.managed_fields[0]
    assert entry.api_version == "v1" and entry.fields_type == "FieldsV1"
    assert entry.time is not None and entry.subresource is None
    updated, status, _ = core.patch_namespaced_config_map_with_http_info(
        name, namespace, config_map(name, a="2"), field_manager="deploy", _content_type=APPLY
    )
    assert status == 200
    assert updated.data == {"a": "2"}


def test_a_dry_run_apply_that_would_create_answers_201_and_stores_nothing(core, namespace):
    name = unique("cm")
    _, status, _ = core.patch_namespaced_config_map_with_http_info(
        name,
        namespace,
        config_map(name, a="1"),
        field_manager="deploy",
        dry_run="All",
        _content_type=APPLY,
    )
    assert status == 201
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_config_map(name, namespace)
    assert missing.value.status == 404


def test_a_second_manager_conflicts_then_forces(core, namespace):
    name = unique("cm")
    core.patch_namespaced_config_map(
        name, namespace, config_map(name, a="1", b="2"), field_manager="deploy", _content_type=APPLY
    )
    with pytest.raises(ApiException) as conflict:
        core.patch_namespaced_config_map(
            name, namespace, config_map(name, a="9"), field_manager="ops", _content_type=APPLY
        )
    assert conflict.value.status == 409
    status = json.loads(conflict.value.body)
    assert status["kind"] == "Status" and status["reason"] == "Conflict"
    assert status["message"] == 'Apply failed with 1 conflict: conflict with "deploy": .data.a'
    assert status["details"]["causes"] == [
        {"type": "FieldManagerConflict", "message": 'conflict with "deploy"', "field": ".data.a"}
    ]
    forced = core.patch_namespaced_config_map(
        name,
        namespace,
        config_map(name, a="9"),
        field_manager="ops",
        force=True,
        _content_type=APPLY,
    )
    assert forced.data == {"a": "9", "b": "2"}
    assert managers(forced) == {
        ("deploy", "Apply"): {"f:data": {"f:b": {}}},
        ("ops", "Apply"): {"f:data": {"f:a": {}}},
    }
    listed = core.list_namespaced_config_map(namespace, field_selector=f"metadata.name={name}")
    assert managers(listed.items[0]) == managers(forced)


def test_apply_of_a_stateful_set_and_its_scale(apps, namespace):
    name = unique("web")
    body = apps.api_client.sanitize_for_serialization(stateful_set(name, replicas=1))
    created, status, _ = apps.patch_namespaced_stateful_set_with_http_info(
        name, namespace, body, field_manager="deploy", _content_type=APPLY
    )
    assert status == 201
    assert created.spec.replicas == 1
    with pytest.raises(ApiException) as conflict:
        apps.patch_namespaced_stateful_set_scale(
            name,
            namespace,
            {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": name}, "spec": {"replicas": 2}},
            field_manager="hpa",
            _content_type=APPLY,
        )
    assert conflict.value.status == 409
    causes = json.loads(conflict.value.body)["details"]["causes"]
    assert causes == [
        {"type": "FieldManagerConflict", "message": 'conflict with "deploy"', "field": ".spec.replicas"}
    ]
    scale = apps.patch_namespaced_stateful_set_scale(
        name,
        namespace,
        {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": name}, "spec": {"replicas": 2}},
        field_manager="hpa",
        force=True,
        _content_type=APPLY,
    )
    assert scale.spec.replicas == 2
    live = apps.read_namespaced_stateful_set(name, namespace)
    entries = {(e.manager, e.operation, e.subresource) for e in live.metadata.managed_fields}
    assert ("deploy", "Apply", None) in entries
    assert ("hpa", "Apply", "scale") in entries
