"""Builders for the objects the tests send, and unique names."""

import uuid

from kubernetes import client


def unique(prefix):
    """A DNS-1123 name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def container(name="app", image="nginx:1.25"):
    return client.V1Container(name=name, image=image)


def labels_for(app):
    return {"app": app}


def stateful_set(name, replicas=1, kind=True):
    """An apps/v1 StatefulSet of `replicas` pets of nginx; `kind=False`
    leaves apiVersion and kind out, as most users of the typed API do."""
    selector = labels_for(name)
    spec = client.V1StatefulSetSpec(
        replicas=replicas,
        service_name=name,
        selector=client.V1LabelSelector(match_labels=selector),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels=selector),
            spec=client.V1PodSpec(containers=[container()]),
        ),
    )
    meta = client.V1ObjectMeta(name=name)
    if kind:
        return client.V1StatefulSet(
            api_version="apps/v1", kind="StatefulSet", metadata=meta, spec=spec
        )
    return client.V1StatefulSet(metadata=meta, spec=spec)


def pet_set(name, replicas=1):
    """An apps/v1alpha1 PetSet as a dict, for the DynamicClient."""
    selector = labels_for(name)
    return {
        "apiVersion": "apps/v1alpha1",
        "kind": "PetSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": selector},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
            },
        },
    }


def config_map(name, data=None, kind=True):
    meta = client.V1ObjectMeta(name=name)
    if kind:
        return client.V1ConfigMap(api_version="v1", kind="ConfigMap", metadata=meta, data=data)
    return client.V1ConfigMap(metadata=meta, data=data)


# Every namespace has the root CA's config map (the publisher puts it there,
# as kube-controller-manager's does): tests about config maps they create
# leave it out by field selector.
NOT_ROOT_CA = "metadata.name!=kube-root-ca.crt"
