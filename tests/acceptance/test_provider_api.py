"""The provisioning API (issue 14) as a hosting provider's script drives it:
plain HTTP with `requests`, a provider key, the provider host. The OpenAPI
document it serves is validated as OpenAPI 3.1 (openapi-spec-validator) and
is the one kept in the repository.

Needs, besides KERERU_URL: KERERU_PROVIDER_HOST (the server's [provider]
host) and KERERU_PROVIDER_KEY (a read-write key), as scripts/acceptance sets.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import requests
from openapi_spec_validator import validate

from conftest import skip_or_fail

pytestmark = pytest.mark.server

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "provider-openapi.json"


@pytest.fixture
def provider(kereru_url):
    host = os.environ.get("KERERU_PROVIDER_HOST", "").strip()
    key = os.environ.get("KERERU_PROVIDER_KEY", "").strip()
    if not host or not key:
        skip_or_fail("needs KERERU_PROVIDER_HOST and KERERU_PROVIDER_KEY")
    return Provider(kereru_url, host, key)


class Provider:
    def __init__(self, url: str, host: str, key: str):
        self.url, self.host, self.key = url, host, key
        self.session = requests.Session()

    def call(self, method: str, path: str, *, host: str | None = None, key: str | None = "default", **kwargs):
        headers = {"Host": host or self.host}
        key = self.key if key == "default" else key
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return self.session.request(method, f"{self.url}/api/provider/v1{path}", headers=headers,
                                    allow_redirects=False, timeout=30, **kwargs)

    def site(self, host: str, path: str = "/") -> int:
        return self.session.get(f"{self.url}{path}", headers={"Host": host}, allow_redirects=False,
                                timeout=30).status_code


def test_the_served_document_is_valid_openapi_3_1_and_the_repository_s(provider):
    response = provider.call("GET", "/openapi.json", key=None)
    assert response.status_code == 200
    served = response.json()
    validate(served)
    assert served == json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert served["openapi"] == "3.1.0"
    assert "/tenants/{host}/restore" in served["paths"]


def test_a_provider_script_creates_suspends_activates_deletes_and_restores_a_tenant(provider):
    host = f"p{uuid.uuid4().hex[:10]}.test"
    assert provider.call("GET", "/tenants", key=None).status_code == 401
    assert provider.call("GET", "/tenants", key="kereru_pk_wrong").status_code == 401
    # Not on a tenant's host.
    assert provider.call("GET", "/tenants", host="a.test").status_code == 404

    bad = provider.call("POST", "/tenants", json={"account_host": "203.0.113.9"})
    assert bad.status_code == 422 and bad.json()["field"] == "account_host", bad.text
    plan = f"small-{uuid.uuid4().hex[:8]}"
    made = provider.call("POST", "/plans", json={"name": plan, "posts_per_day": 50})
    assert made.status_code == 201, made.text
    created = provider.call("POST", "/tenants", json={
        "account_host": host, "plan": plan, "owner_email": f"owner@{host}", "registrations": "closed"})
    assert created.status_code == 201, created.text
    tenant = created.json()
    assert (tenant["account_host"], tenant["state"], tenant["plan"]) == (host, "active", plan)
    assert tenant["owner"] == {"username": "admin", "email": f"owner@{host}", "activated": False}
    assert provider.site(host) == 200
    taken = provider.call("POST", "/tenants", json={"account_host": host})
    assert taken.status_code == 422 and taken.json()["field"] == "account_host"

    listed = provider.call("GET", "/tenants", params={"host_prefix": host[:6]}).json()
    assert [t["account_host"] for t in listed["tenants"]] == [host]
    shown = provider.call("GET", f"/tenants/{host}").json()
    assert shown["hosts"][0]["host"] == host and "tls" in shown["hosts"][0]
    assert provider.call("POST", f"/tenants/{host}/owner/resend").status_code == 202

    suspended = provider.call("POST", f"/tenants/{host}/suspend")
    assert suspended.status_code == 200 and suspended.json()["state"] == "suspended"
    assert provider.site(host) == 404
    assert provider.site(host, "/.well-known/nodeinfo") == 404
    assert provider.call("POST", f"/tenants/{host}/activate").json()["state"] == "active"
    assert provider.site(host) == 200

    deleted = provider.call("DELETE", f"/tenants/{host}")
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True and deleted.json()["purge_after"]
    assert provider.site(host) == 404
    restored = provider.call("POST", f"/tenants/{host}/restore")
    assert restored.status_code == 200, restored.text
    assert (restored.json()["state"], restored.json()["deleted"]) == ("active", False)
    assert provider.site(host) == 200
    assert provider.call("POST", f"/tenants/{host}/restore").status_code == 409
