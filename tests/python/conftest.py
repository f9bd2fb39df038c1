"""Fixtures for driving `petctl local up` with the official Python client.

tests/it/python_client.rs starts one local control plane per test file and
runs pytest with KUBECONFIG naming that server's kubeconfig (a bearer token
and the server's CA: TLS is verified, never switched off).

Each test gets its own namespace, so tests in one file share the server
without seeing each other's objects. The namespace is created with an
explicit apiVersion and kind so that a test about something else (watch,
paging, subresources) does not fail on how bodies without a kind are
treated; test_crud.py covers those bodies.
"""

import os

import pytest
from kubernetes import client, config, dynamic

from objects import unique


@pytest.fixture(scope="session")
def api_client():
    path = os.environ["KUBECONFIG"]
    configuration = client.Configuration()
    config.load_kube_config(config_file=path, client_configuration=configuration)
    assert configuration.verify_ssl, "the harness verifies the server's certificate"
    assert configuration.ssl_ca_cert, "the kubeconfig names the server's CA"
    with client.ApiClient(configuration) as api:
        yield api


@pytest.fixture(scope="session")
def core(api_client):
    return client.CoreV1Api(api_client)


@pytest.fixture(scope="session")
def apps(api_client):
    return client.AppsV1Api(api_client)


@pytest.fixture(scope="session")
def storage(api_client):
    return client.StorageV1Api(api_client)


@pytest.fixture(scope="session")
def coordination(api_client):
    return client.CoordinationV1Api(api_client)


@pytest.fixture(scope="session")
def dyn(api_client):
    return dynamic.DynamicClient(api_client)


@pytest.fixture(scope="session")
def petsets(dyn):
    return dyn.resources.get(api_version="apps/v1alpha1", kind="PetSet")


@pytest.fixture
def namespace(core):
    name = unique("py")
    core.create_namespace(
        client.V1Namespace(
            api_version="v1", kind="Namespace", metadata=client.V1ObjectMeta(name=name)
        )
    )
    return name
