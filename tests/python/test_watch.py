"""Watches through kubernetes.watch.Watch: resume from a list's
resourceVersion and from the last event, bookmarks, timeout_seconds, and
410 Gone for a compacted revision.

The server runs with --bookmark-interval 1s and --event-window 20
(tests/it/python_client.rs), so bookmarks and compaction happen within a
few seconds and a few writes.
"""

import time

import pytest
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from objects import NOT_ROOT_CA, config_map


def events(core, namespace, count, **kwargs):
    """The first `count` events of a watch on the namespace's config maps,
    and the Watch (which remembers the last resourceVersion)."""
    w = watch.Watch()
    seen = []
    for event in w.stream(
        core.list_namespaced_config_map, namespace, field_selector=NOT_ROOT_CA, timeout_seconds=10, **kwargs
    ):
        if event["type"] != "BOOKMARK":
            seen.append(event)
        if len(seen) == count:
            w.stop()
    assert len(seen) == count, f"the watch ended after {[e['type'] for e in seen]}"
    return seen, w


def test_watch_from_a_list_sees_every_change_in_order(core, namespace):
    listed = core.list_namespaced_config_map(namespace, field_selector=NOT_ROOT_CA)
    core.create_namespaced_config_map(namespace, config_map("one", {"v": "1"}))
    core.create_namespaced_config_map(namespace, config_map("two"))
    core.patch_namespaced_config_map("one", namespace, {"data": {"v": "2"}})
    core.delete_namespaced_config_map("two", namespace)

    seen, _ = events(core, namespace, 4, resource_version=listed.metadata.resource_version)
    assert [(e["type"], e["object"].metadata.name) for e in seen] == [
        ("ADDED", "one"),
        ("ADDED", "two"),
        ("MODIFIED", "one"),
        ("DELETED", "two"),
    ]
    assert all(isinstance(e["object"], client.V1ConfigMap) for e in seen)
    assert seen[2]["object"].data == {"v": "2"}
    versions = [int(e["object"].metadata.resource_version) for e in seen]
    assert versions == sorted(versions) and len(set(versions)) == 4


def test_watch_resumes_after_the_last_event(core, namespace):
    listed = core.list_namespaced_config_map(namespace, field_selector=NOT_ROOT_CA)
    core.create_namespaced_config_map(namespace, config_map("first"))
    seen, w = events(core, namespace, 1, resource_version=listed.metadata.resource_version)
    last = seen[0]["object"].metadata.resource_version
    assert w.resource_version == last

    core.create_namespaced_config_map(namespace, config_map("second"))
    resumed, _ = events(core, namespace, 1, resource_version=w.resource_version)
    assert [(e["type"], e["object"].metadata.name) for e in resumed] == [("ADDED", "second")]


def test_watch_without_a_resource_version_starts_with_the_current_state(core, namespace):
    core.create_namespaced_config_map(namespace, config_map("present"))
    seen, _ = events(core, namespace, 1)
    assert [(e["type"], e["object"].metadata.name) for e in seen] == [("ADDED", "present")]


def stream_all(core, namespace, **kwargs):
    """Every event of a watch until the server ends it, and how long it took."""
    start = time.monotonic()
    seen = list(watch.Watch().stream(core.list_namespaced_config_map, namespace, field_selector=NOT_ROOT_CA, **kwargs))
    return seen, time.monotonic() - start


def test_bookmarks_carry_the_resource_version_and_timeout_ends_the_watch(core, namespace):
    created = core.create_namespaced_config_map(namespace, config_map("marked"))
    seen, took = stream_all(
        core,
        namespace,
        resource_version=created.metadata.resource_version,
        allow_watch_bookmarks=True,
        timeout_seconds=3,
    )
    assert 2.5 <= took < 6, f"a 3 s watch lasted {took:.1f} s"
    bookmarks = [e for e in seen if e["type"] == "BOOKMARK"]
    assert bookmarks, f"no bookmark in {[e['type'] for e in seen]}"
    assert [e["type"] for e in seen if e["type"] != "BOOKMARK"] == []
    for bookmark in bookmarks:
        obj = bookmark["raw_object"]
        assert obj["kind"] == "ConfigMap" and obj["apiVersion"] == "v1", obj
        assert int(obj["metadata"]["resourceVersion"]) >= int(
            created.metadata.resource_version
        ), obj


def test_no_bookmarks_unless_asked(core, namespace):
    seen, took = stream_all(core, namespace, timeout_seconds=2)
    assert 1.5 <= took < 5, f"a 2 s watch lasted {took:.1f} s"
    assert seen == []


def test_a_compacted_resource_version_is_410_gone(core, namespace):
    old = core.create_namespaced_config_map(namespace, config_map("churn", {"n": "0"}))
    for n in range(1, 40):
        core.patch_namespaced_config_map("churn", namespace, {"data": {"n": str(n)}})
    # With timeout_seconds the Watch does not retry, so the ERROR event
    # (200, then {"type":"ERROR","object":Status 410 Expired}) is raised.
    with pytest.raises(ApiException) as gone:
        list(
            watch.Watch().stream(
                core.list_namespaced_config_map,
                namespace,
                resource_version=old.metadata.resource_version,
                timeout_seconds=5,
            )
        )
    assert gone.value.status == 410
    assert gone.value.reason.startswith("Expired: too old resource version: "), gone.value.reason
