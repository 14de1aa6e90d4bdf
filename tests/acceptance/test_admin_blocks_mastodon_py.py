"""Server-level blocks through Mastodon.py's admin calls (issue #13).

``admin`` (a.test's admin, `kereru user create --admin`) logs in with the
admin scopes, creates a domain block (``admin_create_domain_block``), lists
and reads it (``admin_domain_blocks``), changes it, is refused a duplicate
(422), deletes it; blocks an e-mail domain and an IP range; ``alice`` (a user
of the same tenant) is refused every admin call with 403. The published list
(``instance_domain_blocks``) is off by default: 404, as Mastodon answers.

Every response is checked against Mastodon's entities (fixture ``api_log``).
"""

from __future__ import annotations

import uuid

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError

pytestmark = pytest.mark.server

SCOPES = ["read", "write", "follow", "admin:read", "admin:write"]


def log_in(kereru, user, api_log):
    client_id, client_secret = kereru.create_app(user.host, "kereru-acceptance (admin)", log=api_log.log,
                                                 scopes=SCOPES)
    api = kereru.mastodon(user.host, log=api_log.log, client_id=client_id, client_secret=client_secret)
    api.log_in(user.email, user.password, scopes=SCOPES, allow_http=True)
    return api


def test_an_admin_manages_domain_blocks_and_a_user_may_not(kereru, api_log):
    admin = log_in(kereru, kereru.user("admin"), api_log)
    domain = f"blocked-{uuid.uuid4().hex[:8]}.example"

    created = admin.admin_create_domain_block(domain, severity="suspend", public_comment="spam",
                                              private_comment="reported twice")
    raw = api_log.last("POST", r"/api/v1/admin/domain_blocks/?", status=200).json()
    assert raw["domain"] == domain
    assert raw["severity"] == "suspend"
    assert raw["public_comment"] == "spam" and raw["private_comment"] == "reported twice"
    assert (raw["reject_media"], raw["reject_reports"], raw["obfuscate"]) == (False, False, False)

    listed = admin.admin_domain_blocks()
    assert domain in [b["domain"] for b in api_log.last("GET", r"/api/v1/admin/domain_blocks/?").json()]
    assert any(str(b.id) == str(created.id) for b in listed)
    admin.admin_domain_blocks(id=created.id)
    assert api_log.last("GET", r"/api/v1/admin/domain_blocks/\d+").json()["id"] == str(created.id)

    with pytest.raises(MastodonAPIError) as refused:
        admin.admin_create_domain_block(domain, severity="silence")
    assert "422" in str(refused.value)
    assert "stricter" in api_log.last("POST", r"/api/v1/admin/domain_blocks/?", status=422).json()["error"]

    admin.admin_update_domain_block(created.id, severity="silence", reject_media=True)
    changed = api_log.last("PUT", r"/api/v1/admin/domain_blocks/\d+", status=200).json()
    assert (changed["severity"], changed["reject_media"], changed["public_comment"]) == ("silence", True, "spam")

    alice = log_in(kereru, kereru.user("alice"), api_log)
    for call in (alice.admin_domain_blocks, lambda: alice.admin_create_domain_block("other.example")):
        with pytest.raises(MastodonAPIError) as forbidden:
            call()
        assert "403" in str(forbidden.value)

    admin.admin_delete_domain_block(created.id)
    assert api_log.last("DELETE", r"/api/v1/admin/domain_blocks/\d+").status == 200
    with pytest.raises(MastodonNotFoundError):
        admin.admin_domain_blocks(id=created.id)

    email_block = admin.admin_create_email_domain_block(f"spam-{uuid.uuid4().hex[:6]}.example")
    assert api_log.last("POST", r"/api/v1/admin/email_domain_blocks/?", status=200).json()["history"] == []
    admin.admin_delete_email_domain_block(email_block.id)
    ip_block = admin.admin_create_ip_block("192.0.2.7/24", "sign_up_block", comment="documentation range")
    assert api_log.last("POST", r"/api/v1/admin/ip_blocks/?", status=200).json()["ip"] == "192.0.2.0/24"
    admin.admin_update_ip_block(ip_block.id, severity="sign_up_requires_approval")
    assert api_log.last("PUT", r"/api/v1/admin/ip_blocks/\d+").json()["severity"] == "sign_up_requires_approval"
    admin.admin_delete_ip_block(ip_block.id)

    # Published to nobody unless the tenant chooses: 404, as Mastodon.
    with pytest.raises(MastodonNotFoundError):
        admin.instance_domain_blocks()
    api_log.check()
