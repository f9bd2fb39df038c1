"""List paging with limit and _continue, as client-go's pager and this
client's users do it.

A real kube-apiserver (storage/etcd3/store.go GetList) reads every page of
one list at the revision of its first page, so a continued list is a
consistent snapshot; it sets remainingItemCount on every page but the
last, except with a label or field selector (these lists use one, so it is
absent: "Instead of returning inaccurate count for non-empty selectors, we
return nil"); and a continue token whose revision has been compacted is 410
Expired, carrying a fresh token for an inconsistent remainder. The server
runs with --event-window 20 (tests/it/python_client.rs) so a few writes
compact.
"""

import json

import pytest
from kubernetes.client.exceptions import ApiException

from objects import NOT_ROOT_CA, config_map


def fill(core, namespace, count):
    names = [f"cm-{i:02}" for i in range(count)]
    for name in names:
        core.create_namespaced_config_map(namespace, config_map(name))
    return names


def pages(core, namespace, limit, between=None):
    """Every page of a list of the namespace's config maps, calling
    `between()` after each page but the last."""
    result = []
    token = None
    while True:
        page = core.list_namespaced_config_map(namespace, field_selector=NOT_ROOT_CA, limit=limit, _continue=token)
        result.append(page)
        token = page.metadata._continue
        if not token:
            return result
        if between:
            between()


def test_limit_and_continue_walk_the_whole_list_in_name_order(core, namespace):
    names = fill(core, namespace, 7)
    walked = pages(core, namespace, limit=3)
    assert [[item.metadata.name for item in p.items] for p in walked] == [
        names[0:3],
        names[3:6],
        names[6:7],
    ]
    assert [p.metadata.remaining_item_count for p in walked] == [None, None, None]
    # Every page of one list reports the revision of its first page.
    assert len({p.metadata.resource_version for p in walked}) == 1


def test_a_continued_list_is_a_snapshot(core, namespace):
    names = fill(core, namespace, 4)
    changes = iter(
        [
            lambda: core.create_namespaced_config_map(namespace, config_map("cm-99")),
            lambda: core.delete_namespaced_config_map(names[3], namespace),
        ]
    )
    walked = pages(core, namespace, limit=1, between=lambda: next(changes, lambda: None)())
    listed = [item.metadata.name for p in walked for item in p.items]
    assert listed == names, "objects created or deleted after the first page do not show"


def test_no_continue_without_a_limit_or_when_everything_fits(core, namespace):
    fill(core, namespace, 3)
    for limit in (None, 3, 10):
        page = core.list_namespaced_config_map(namespace, field_selector=NOT_ROOT_CA, limit=limit)
        assert len(page.items) == 3
        assert page.metadata._continue is None
        assert page.metadata.remaining_item_count is None


def test_an_invalid_continue_token_is_400(core, namespace):
    with pytest.raises(ApiException) as invalid:
        core.list_namespaced_config_map(namespace, field_selector=NOT_ROOT_CA, limit=1, _continue="not-a-token")
    assert invalid.value.status == 400
    assert json.loads(invalid.value.body)["reason"] == "BadRequest"


def test_a_compacted_continue_token_is_410_with_a_fresh_token(core, namespace):
    names = fill(core, namespace, 3)
    first = core.list_namespaced_config_map(namespace, field_selector=NOT_ROOT_CA, limit=1)
    for n in range(40):
        core.patch_namespaced_config_map(names[0], namespace, {"data": {"n": str(n)}})
    with pytest.raises(ApiException) as expired:
        core.list_namespaced_config_map(namespace, field_selector=NOT_ROOT_CA, limit=1, _continue=first.metadata._continue)
    assert expired.value.status == 410
    status = json.loads(expired.value.body)
    assert status["reason"] == "Expired"
    assert status["message"].startswith(
        "The provided continue parameter is too old to display a consistent list result."
    ), status
    # The token in the Status resumes after the same item, at the current state.
    rest = core.list_namespaced_config_map(
        namespace,
        field_selector=NOT_ROOT_CA,
        limit=5,
        _continue=status["metadata"]["continue"],
    )
    assert [item.metadata.name for item in rest.items] == names[1:]
