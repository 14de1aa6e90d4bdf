"""Reports through Mastodon.py (2.3.3): alice reports a post of carol's
(both on the first tenant) with `report()`; ada, an admin of that tenant
(`kereru user create --admin`), finds it with `admin_reports()`, assigns it
to herself, resolves it with `admin_report_resolve()`, finds it among the
resolved ones and reopens it. A person who is not staff is refused the
admin API with Mastodon's 403.

Every response is checked against its Mastodon entity (Report, AdminReport)
by the `api_log` fixture.
"""

from __future__ import annotations

import uuid

import pytest
from mastodon import MastodonAPIError

from conftest import ApiLog

pytestmark = pytest.mark.server

ADMIN_SCOPES = ["read", "write", "follow", "push", "admin:read", "admin:write"]


def log_in(kereru, user, api_log: ApiLog, scopes=None):
    scopes = scopes or ["read", "write", "follow", "push"]
    client_id, client_secret = kereru.create_app(user.host, "kereru-acceptance (reports)", log=api_log.log,
                                                 scopes=scopes)
    api = kereru.mastodon(user.host, log=api_log.log, client_id=client_id, client_secret=client_secret)
    api.log_in(user.email, user.password, scopes=scopes, allow_http=True)
    return api


def test_a_report_is_filed_worked_and_resolved_through_mastodon_py(kereru, api_log: ApiLog):
    alice, carol, ada = kereru.user("alice"), kereru.user("carol"), kereru.user("ada")
    assert alice.host == carol.host == ada.host
    alice_api = log_in(kereru, alice, api_log)
    carol_api = log_in(kereru, carol, api_log)
    text = f"buy cheap things {uuid.uuid4().hex[:8]}"
    carol_api.status_post(text, visibility="public")
    post = api_log.last("POST", "/api/v1/statuses", status=200).json()
    carol_id = post["account"]["id"]

    alice_api.report(carol_id, status_ids=[post["id"]], comment="spam, please look", category="spam")
    report = api_log.last("POST", "/api/v1/reports/?", status=200).json()
    assert report["target_account"]["id"] == carol_id
    assert report["status_ids"] == [post["id"]]
    assert report["category"] == "spam"
    assert report["action_taken"] is False
    assert "account" not in report, "the reporter is not named"

    # Not staff: Mastodon's 403.
    alice_admin = log_in(kereru, alice, api_log, scopes=ADMIN_SCOPES)
    with pytest.raises(MastodonAPIError):
        alice_admin.admin_reports()
    refused = api_log.last("GET", "/api/v1/admin/reports")
    assert refused.status == 403
    assert refused.json() == {"error": "This action is not allowed"}

    ada_api = log_in(kereru, ada, api_log, scopes=ADMIN_SCOPES)
    ada_api.admin_reports()
    listed = api_log.last("GET", "/api/v1/admin/reports", status=200).json()
    mine = [r for r in listed if r["id"] == report["id"]]
    assert len(mine) == 1, listed
    assert mine[0]["comment"] == "spam, please look"
    assert mine[0]["target_account"]["account"]["id"] == carol_id
    assert [s["id"] for s in mine[0]["statuses"]] == [post["id"]]

    ada_api.admin_report(report["id"])
    assert api_log.last("GET", rf"/api/v1/admin/reports/{report['id']}", status=200).json()["id"] == report["id"]
    ada_api.admin_report_assign(report["id"])
    assigned = api_log.last("POST", rf"/api/v1/admin/reports/{report['id']}/assign_to_self", status=200).json()
    assert assigned["assigned_account"]["username"] == "ada"

    ada_api.admin_report_resolve(report["id"])
    resolved = api_log.last("POST", rf"/api/v1/admin/reports/{report['id']}/resolve", status=200).json()
    assert resolved["action_taken"] is True
    assert resolved["action_taken_by_account"]["username"] == "ada"
    ada_api.admin_reports()
    assert report["id"] not in [r["id"] for r in api_log.last("GET", "/api/v1/admin/reports", status=200).json()]
    ada_api.admin_reports(resolved=True)
    assert report["id"] in [r["id"] for r in api_log.last("GET", "/api/v1/admin/reports", status=200).json()]

    ada_api.admin_report_reopen(report["id"])
    reopened = api_log.last("POST", rf"/api/v1/admin/reports/{report['id']}/reopen", status=200).json()
    assert reopened["action_taken"] is False
    api_log.check()
