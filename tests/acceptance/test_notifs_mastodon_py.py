"""Notifications as Mastodon 4.3+ apps read them, through Mastodon.py's own
methods: the unread counts (v1 and grouped), types/exclude_types/account_id,
grouped notifications (list, one group, its accounts, dismiss), and the
notification policy with its requests (dismiss one, accept one, in bulk too).

carol favourites and mentions alice (both on the first tenant). With the
policy filtering people alice doesn't follow, carol's next mentions are held
in a request: dismissed, the held mention goes; accepted, it joins the others
and carol is let through from then on. Every raw response is checked against
its Mastodon entity. alice's policy is put back and what carol caused is
dismissed at the end, so the other modules see alice as she was.

Accounts: ``alice`` and ``carol`` from KERERU_USERS (the same tenant).
"""

from __future__ import annotations

import uuid

import pytest

from mastodon_types import check_entity
from test_scenario_mastodon_py import log_in

pytestmark = pytest.mark.server


def test_notifications_grouped_policy_and_requests(kereru, api_log):
    alice, carol = kereru.user("alice"), kereru.user("carol")
    assert alice.host == carol.host
    a = log_in(kereru, alice, api_log)
    c = log_in(kereru, carol, api_log)
    me = a.me()
    carol_id = c.me()["id"]
    tag = uuid.uuid4().hex[:8]
    post = a.status_post(f"a post to like {tag}", visibility="public")

    try:
        # Read up to now; carol's favourite and mention are then the unread ones.
        a.notifications(limit=1)
        newest = api_log.last("GET", "/api/v1/notifications").json()
        if newest:
            a.markers_set(["notifications"], [newest[0]["id"]])
        c.status_favourite(post["id"])
        mention = c.status_post(f"@{alice.username} hello {tag}", visibility="public")
        assert a.notifications_unread_count()["count"] == 2
        assert check_entity("UnreadNotificationsCount",
                            api_log.last("GET", "/api/v1/notifications/unread_count").json()) == []
        assert a.unread_grouped_notifications_count() == 2

        # types[], exclude_types[], account_id.
        favs = a.notifications(types=["favourite"], account_id=carol_id)
        assert [(n["type"], n["status"]["id"]) for n in favs] == [("favourite", post["id"])]
        others = a.notifications(exclude_types=["favourite"], account_id=carol_id)
        assert [n["type"] for n in others] == ["mention"]
        assert a.notifications(types=["nonsense"]) == []

        # Grouped: the favourite is a group of its post; the mention stands alone.
        a.grouped_notifications(limit=10)
        grouped = api_log.last("GET", "/api/v2/notifications").json()
        assert check_entity("GroupedNotificationsResults", grouped) == []
        groups = {g["type"]: g for g in grouped["notification_groups"] if carol_id in g["sample_account_ids"]}
        fav_group = groups["favourite"]
        assert fav_group["status_id"] == post["id"]
        assert fav_group["notifications_count"] == 1
        assert groups["mention"]["group_key"].startswith("ungrouped-")
        assert carol_id in [acct["id"] for acct in grouped["accounts"]]
        assert {post["id"], mention["id"]} <= {s["id"] for s in grouped["statuses"]}
        a.grouped_notifications(limit=10, expand_accounts="full", grouped_types=["follow"])
        assert check_entity("GroupedNotificationsResults", api_log.last("GET", "/api/v2/notifications").json()) == []

        key = fav_group["group_key"]
        a.grouped_notification(key)
        one = api_log.last("GET", rf"/api/v2/notifications/{key}").json()
        assert check_entity("GroupedNotificationsResults", one) == []
        assert [g["group_key"] for g in one["notification_groups"]] == [key]
        assert [acct["id"] for acct in a.grouped_notification_accounts(key)] == [carol_id]
        a.dismiss_grouped_notification(key)
        a.grouped_notifications(limit=10)
        after = api_log.last("GET", "/api/v2/notifications").json()
        assert key not in [g["group_key"] for g in after["notification_groups"]]

        # The policy: filter whoever alice doesn't follow.
        policy = a.notifications_policy()
        assert check_entity("NotificationPolicy", api_log.last("GET", "/api/v2/notifications/policy").json()) == []
        assert policy["for_not_following"] == "accept"
        a.update_notifications_policy(for_not_following="filter")
        updated = api_log.last("PATCH", "/api/v2/notifications/policy").json()
        assert check_entity("NotificationPolicy", updated) == []
        assert updated["for_not_following"] == "filter"

        # Held, then dismissed: the held mention goes.
        held = c.status_post(f"@{alice.username} held {tag}", visibility="public")
        assert held["id"] not in [n["status"]["id"] for n in a.notifications(types=["mention"]) if n.get("status")]
        requests = a.notification_requests()
        listed = api_log.last("GET", "/api/v1/notifications/requests").json()
        assert check_entity("List[NotificationRequest]", listed) == []
        assert [r["account"]["id"] for r in listed] == [carol_id]
        assert listed[0]["notifications_count"] == "1"
        assert listed[0]["last_status"]["id"] == held["id"]
        assert a.notifications_policy()["summary"]["pending_notifications_count"] == 1
        a.notification_request(requests[0])
        assert check_entity("NotificationRequest",
                            api_log.last("GET", rf"/api/v1/notifications/requests/{listed[0]['id']}").json()) == []
        a.dismiss_notification_request(requests[0])
        assert a.notification_requests() == []
        assert held["id"] not in [n["status"]["id"] for n in a.notifications(account_id=carol_id) if n.get("status")]

        # Held again, accepted (in bulk): it joins the others, and carol is let through.
        again = c.status_post(f"@{alice.username} again {tag}", visibility="public")
        requests = a.notification_requests()
        assert len(requests) == 1
        a.accept_multiple_notification_requests([requests[0]])
        assert a.notifications_merged() is True
        assert a.notification_requests() == []
        assert again["id"] in [n["status"]["id"] for n in a.notifications(types=["mention"]) if n.get("status")]
        through = c.status_post(f"@{alice.username} through {tag}", visibility="public")
        assert through["id"] in [n["status"]["id"] for n in a.notifications(types=["mention"]) if n.get("status")]
    finally:
        a.update_notifications_policy(for_not_following="accept")
        for n in a.notifications(account_id=carol_id, limit=40):
            a.notifications_dismiss(n["id"])
        a.status_delete(post["id"])
    assert me["id"]
