"""A report's category and rules changed through Mastodon's admin API
(`PUT /api/v1/admin/reports/{id}`, Mastodon 4.x; Mastodon.py 2.x has no
method for it, so plain `requests` with the admin's token): alice reports
carol with Mastodon.py's `report()`, ada (an admin of the tenant) makes it a
spam report, a bad category is refused with 422 and changes nothing, and
alice (not staff) is refused with Mastodon's 403.

Every response is checked against its Mastodon entity (AdminReport) by the
`api_log` fixture.
"""

from __future__ import annotations

import uuid

import pytest

from conftest import ApiLog

pytestmark = pytest.mark.server

SCOPES = ["read", "write", "follow", "push"]
ADMIN_SCOPES = SCOPES + ["admin:read", "admin:write"]


def log_in(kereru, user, api_log: ApiLog, scopes):
    client_id, client_secret = kereru.create_app(user.host, "kereru-acceptance (modfed)", log=api_log.log,
                                                 scopes=scopes)
    api = kereru.mastodon(user.host, log=api_log.log, client_id=client_id, client_secret=client_secret)
    api.log_in(user.email, user.password, scopes=scopes, allow_http=True)
    return api


def test_a_moderator_changes_a_reports_category_with_put(kereru, api_log: ApiLog):
    alice, carol, ada = kereru.user("alice"), kereru.user("carol"), kereru.user("ada")
    assert alice.host == carol.host == ada.host
    alice_api = log_in(kereru, alice, api_log, SCOPES)
    carol_api = log_in(kereru, carol, api_log, SCOPES)
    carol_api.status_post(f"cheap watches {uuid.uuid4().hex[:8]}", visibility="public")
    post = api_log.last("POST", "/api/v1/statuses", status=200).json()
    alice_api.report(post["account"]["id"], status_ids=[post["id"]], comment="looks like spam")
    report = api_log.last("POST", "/api/v1/reports/?", status=200).json()
    assert report["category"] == "other"

    ada_api = log_in(kereru, ada, api_log, ADMIN_SCOPES)
    http = kereru.session(ada.host, log=api_log.log)
    url = f"{kereru.base_url(ada.host)}/api/v1/admin/reports/{report['id']}"
    admin = {"Authorization": f"Bearer {ada_api.access_token}"}

    changed = http.put(url, json={"category": "spam"}, headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["category"] == "spam"
    assert changed.json()["rules"] == []

    refused = http.put(url, json={"category": "nonsense"}, headers=admin)
    assert refused.status_code == 422, refused.text
    assert "nonsense" in refused.json()["error"]

    alice_admin = log_in(kereru, alice, api_log, ADMIN_SCOPES)
    not_staff = http.put(url, json={"category": "legal"}, headers={"Authorization": f"Bearer {alice_admin.access_token}"})
    assert not_staff.status_code == 403
    assert not_staff.json() == {"error": "This action is not allowed"}

    ada_api.admin_report(report["id"])
    assert api_log.last("GET", rf"/api/v1/admin/reports/{report['id']}", status=200).json()["category"] == "spam"
    api_log.check()
