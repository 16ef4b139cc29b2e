"""LocalKeystone with a Keystone-validating Swift proxy, driven with plain requests.

One smoke path per auth scheme: v1.0 through tempauth, v3 password (domain by
name and by id) and v3 application credential through Keystone, each ending in
a PUT and GET of an object.
"""

from __future__ import annotations

from typing import Any

import requests

from swiftsvc.testing import LocalKeystone, LocalSwift


def _object_store_url(token_body: dict[str, Any]) -> str:
    for service in token_body["catalog"]:
        if service["type"] == "object-store":
            for endpoint in service["endpoints"]:
                if endpoint["interface"] == "public":
                    return str(endpoint["url"])
    raise AssertionError("no public object-store endpoint in the catalog")


def _v3_token(keystone: LocalKeystone, auth: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    answer = requests.post(f"{keystone.url}/auth/tokens", json={"auth": auth}, timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.headers["X-Subject-Token"], answer.json()["token"]


def _put_and_get(storage_url: str, token: str, container: str) -> None:
    headers = {"X-Auth-Token": token}
    assert requests.put(f"{storage_url}/{container}", headers=headers, timeout=10).status_code in (
        201,
        202,
    )
    put = requests.put(
        f"{storage_url}/{container}/hello.txt", data=b"hello swift", headers=headers, timeout=10
    )
    assert put.status_code == 201
    got = requests.get(f"{storage_url}/{container}/hello.txt", headers=headers, timeout=10)
    assert (got.status_code, got.content) == (200, b"hello swift")


def test_v1_tempauth_put_and_get(local_swift: LocalSwift, container_name: str) -> None:
    options = local_swift.auth_options("tester")
    answer = requests.get(
        options["auth"],
        timeout=10,
        headers={"X-Auth-User": options["user"], "X-Auth-Key": options["key"]},
    )
    assert answer.status_code == 200
    assert answer.headers["X-Storage-Url"] == local_swift.storage_url("tester")
    _put_and_get(answer.headers["X-Storage-Url"], answer.headers["X-Auth-Token"], container_name)


def test_v3_password_put_and_get_through_the_keystone_proxy(
    local_swift: LocalSwift, local_keystone: LocalKeystone, container_name: str
) -> None:
    options = local_swift.keystone_options("demo")
    assert options == local_keystone.demo_options()
    token, body = _v3_token(
        local_keystone,
        {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": options["os_username"],
                        "password": options["os_password"],
                        "domain": {"name": options["os_user_domain_name"]},
                    }
                },
            },
            "scope": {
                "project": {
                    "name": options["os_project_name"],
                    "domain": {"name": options["os_project_domain_name"]},
                }
            },
        },
    )
    storage_url = _object_store_url(body)
    assert storage_url == (
        f"{local_swift.keystone_proxy_url}/v1/AUTH_{local_keystone.demo_ids.project_id}"
    )
    assert body["project"]["id"] == local_keystone.demo_ids.project_id
    _put_and_get(storage_url, token, container_name)
    # the tempauth proxy does not accept Keystone tokens
    refused = requests.get(
        local_swift.storage_url("tester"), headers={"X-Auth-Token": token}, timeout=10
    )
    assert refused.status_code == 401


def test_v3_domain_ids_and_application_credential(
    local_keystone: LocalKeystone, container_name: str
) -> None:
    other = local_keystone.other_options()
    token, body = _v3_token(
        local_keystone,
        {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": other["os_username"],
                        "password": other["os_password"],
                        "domain": {"id": other["os_user_domain_id"]},
                    }
                },
            },
            "scope": {
                "project": {
                    "name": other["os_project_name"],
                    "domain": {"id": other["os_project_domain_id"]},
                }
            },
        },
    )
    assert body["user"]["domain"]["name"] == "other"
    _put_and_get(_object_store_url(body), token, container_name)

    credential = local_keystone.app_credential
    token, body = _v3_token(
        local_keystone,
        {
            "identity": {
                "methods": ["application_credential"],
                "application_credential": {"id": credential.id, "secret": credential.secret},
            }
        },
    )
    assert body["project"]["id"] == local_keystone.demo_ids.project_id
    _put_and_get(_object_store_url(body), token, container_name)
