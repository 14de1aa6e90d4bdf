"""Web Push subscriptions through Mastodon.py's own calls: push_subscription_set,
push_subscription, push_subscription_update, push_subscription_delete; the
server key as the instance and the app show it. Every raw response is checked
against its Mastodon entity. (Pushes themselves, decrypted and verified, are
tested in tests/tests/push.rs against a push service on loopback.)

Accounts: ``alice`` and ``bob`` from KERERU_USERS (different tenants).
"""

from __future__ import annotations

import pytest
from mastodon.errors import MastodonNotFoundError

from mastodon_types import check_entity
from test_scenario_mastodon_py import log_in

pytestmark = pytest.mark.server

# A subscriber's key: a P-256 point (uncompressed) and a 16-byte auth secret,
# as push_subscription_generate_keys() makes them (that needs the optional
# `cryptography`; a fixed key does for subscribing).
SUBSCRIBER = {
    "pubkey": bytes.fromhex(
        "04daeed784fedc39d09f06be775c27246119fe9e12d7eb0158529463731a61a1f0"
        "b3e7b7e55d8e974c35df7d35e7c5f7473c81ec1cd1a3e7ede8e2381ae2b92f35"
    ),
    "auth": bytes(range(16)),
}
ENDPOINT = "https://push.invalid/kereru-acceptance"


def test_push_subscription_lifecycle(kereru, api_log):
    alice, bob = kereru.user("alice"), kereru.user("bob")
    a = log_in(kereru, alice, api_log)
    a.app_verify_credentials()
    server_key = a.instance_v2().configuration.vapid.public_key
    assert len(server_key) == 88, server_key
    assert api_log.last("POST", "/api/v1/apps").json()["vapid_key"] == server_key
    assert api_log.last("GET", "/api/v1/apps/verify_credentials").json()["vapid_key"] == server_key
    b = log_in(kereru, bob, api_log)

    with pytest.raises(MastodonNotFoundError):
        a.push_subscription()

    # (Mastodon.py 2.3.3 takes `standard` but does not send it: Mastodon's default, false.)
    sub = a.push_subscription_set(ENDPOINT, SUBSCRIBER, mention_events=True, follow_events=False,
                                  favourite_events=True)
    raw = api_log.last("POST", "/api/v1/push/subscription").json()
    assert check_entity("WebPushSubscription", raw) == []
    assert raw["alerts"] == {"mention": True, "follow": False, "favourite": True}
    assert (raw["endpoint"], raw["server_key"], raw["policy"], raw["standard"]) == (ENDPOINT, server_key, "all", False)
    assert sub.alerts.mention is True

    assert dict(a.push_subscription().alerts) == dict(sub.alerts)
    assert check_entity("WebPushSubscription", api_log.last("GET", "/api/v1/push/subscription").json()) == []

    updated = a.push_subscription_update(reblog_events=True, admin_sign_up_events=False, policy="followed")
    raw = api_log.last("PUT", "/api/v1/push/subscription").json()
    assert check_entity("WebPushSubscription", raw) == []
    assert raw["alerts"] == {"reblog": True, "admin.sign_up": False}, "PUT replaces the alerts, as Mastodon"
    assert updated.policy == "followed"

    # Another tenant's person: no subscription of alice's is visible, and the key is b.test's own.
    with pytest.raises(MastodonNotFoundError):
        b.push_subscription()
    b.push_subscription_set(ENDPOINT + "/b", SUBSCRIBER, mention_events=True)
    assert api_log.last("POST", "/api/v1/push/subscription").json()["server_key"] != server_key
    b.push_subscription_delete()

    a.push_subscription_delete()
    assert api_log.last("DELETE", "/api/v1/push/subscription").json() == {}
    with pytest.raises(MastodonNotFoundError):
        a.push_subscription()
    api_log.check()
