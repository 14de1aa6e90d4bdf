"""Account moderation through Mastodon.py's admin calls (#13).

Someone signs up on the first tenant (which takes sign-ups by approval) with
``create_account``; ``root``, an admin of that tenant (KERERU_USERS, made
with ``kereru user create --admin``), finds the sign-up with
``admin_accounts_v2(status="pending")`` and approves it with
``admin_account_approve``; then suspends ``alice`` (``admin_account_moderate``),
who is gone from the tenant while suspended and whose token is refused, and
unsuspends her (``admin_account_unsuspend``), which restores everything. A
plain user's token is refused by the admin API, and the other tenant's
admins never see the first tenant's accounts.

Every response Mastodon.py receives is checked against the Mastodon entity
of its endpoint (``api_log``), AdminAccount included.
"""

from __future__ import annotations

import uuid

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError

pytestmark = pytest.mark.server

ADMIN_SCOPES = ["read", "write", "follow", "push", "admin:read", "admin:write"]


def log_in(kereru, user, api_log, scopes=None):
    scopes = scopes or ["read", "write", "follow", "push"]
    client_id, client_secret = kereru.create_app(user.host, "kereru-acceptance (admin)", log=api_log.log,
                                                 scopes=scopes)
    api = kereru.mastodon(user.host, log=api_log.log, client_id=client_id, client_secret=client_secret)
    api.log_in(user.email, user.password, allow_http=True, scopes=scopes)
    return api


def test_an_admin_approves_a_sign_up_and_suspends_and_unsuspends(kereru, api_log):
    root = kereru.user("root")
    alice = kereru.user("alice")
    admin = log_in(kereru, root, api_log, ADMIN_SCOPES)

    # Someone signs up; the tenant takes sign-ups by approval.
    name = "new" + uuid.uuid4().hex[:8]
    client_id, client_secret = kereru.create_app(root.host, "kereru-acceptance (sign-up)", log=api_log.log)
    newcomer = kereru.mastodon(root.host, log=api_log.log, client_id=client_id, client_secret=client_secret)
    newcomer.create_account(name, "a long enough password", f"{name}@mail.test", agreement=True,
                            reason="I'd like to join, please")

    pending = admin.admin_accounts_v2(status="pending")
    raw = api_log.last("GET", "/api/v2/admin/accounts", status=200).json()
    entry = next(a for a in raw if a["username"] == name)
    assert entry["approved"] is False
    assert entry["invite_request"] == "I'd like to join, please"
    assert entry["domain"] is None
    assert name in [a["username"] for a in pending]

    admin.admin_account_approve(entry["id"])
    approved = api_log.last("POST", r"/api/v1/admin/accounts/[^/]+/approve", status=200).json()
    assert approved["id"] == entry["id"] and approved["approved"] is True
    assert name not in [a["username"] for a in admin.admin_accounts_v2(status="pending")]
    api_log.check()

    # Suspend alice: her token is refused, she is gone from the tenant.
    alice_api = log_in(kereru, alice, api_log)
    alice_id = str(alice_api.account_verify_credentials()["id"])
    admin.admin_account_moderate(alice_id, action="suspend", text="acceptance test",
                                 send_email_notification=False)
    assert api_log.last("POST", r"/api/v1/admin/accounts/[^/]+/action", status=200).json() == {}
    shown = admin.admin_account(alice_id)
    assert api_log.last("GET", rf"/api/v1/admin/accounts/{alice_id}", status=200).json()["suspended"] is True
    assert shown["suspended"] is True
    suspended = admin.admin_accounts_v2(status="suspended")
    assert alice_id in [str(a["id"]) for a in suspended]
    with pytest.raises(MastodonAPIError):
        alice_api.account_verify_credentials()
    refused = api_log.last("GET", "/api/v1/accounts/verify_credentials")
    assert refused.status == 403
    assert refused.json()["error"] == "Your login is currently disabled"
    with pytest.raises(MastodonNotFoundError):
        admin.account(alice_id)

    # Unsuspend restores her.
    admin.admin_account_unsuspend(alice_id)
    restored = api_log.last("POST", r"/api/v1/admin/accounts/[^/]+/unsuspend", status=200).json()
    assert restored["suspended"] is False
    assert str(alice_api.account_verify_credentials()["id"]) == alice_id
    assert str(admin.account(alice_id)["id"]) == alice_id
    api_log.check()


def test_the_admin_api_refuses_users_and_other_tenants(kereru, api_log):
    root = kereru.user("root")
    carol = kereru.user("carol")
    dave = kereru.user("dave")
    # A user's token, even with the admin scopes, is refused: their role does not reach.
    user_api = log_in(kereru, carol, api_log, ADMIN_SCOPES)
    with pytest.raises(MastodonAPIError):
        user_api.admin_accounts_v2()
    refused = api_log.last("GET", "/api/v2/admin/accounts")
    assert refused.status == 403 and refused.json()["error"] == "This action is not allowed"
    # The other tenant's admin, if any, never sees this tenant's accounts: an
    # account id of this tenant is 404 there (dave is a user: 403 first).
    admin = log_in(kereru, root, api_log, ADMIN_SCOPES)
    carol_id = str(next(a["id"] for a in admin.admin_accounts_v2(username=carol.username)))
    other = log_in(kereru, dave, api_log, ADMIN_SCOPES)
    with pytest.raises(MastodonAPIError):
        other.admin_account(carol_id)
    assert api_log.last("GET", rf"/api/v1/admin/accounts/{carol_id}").status in (403, 404)
    api_log.check()
