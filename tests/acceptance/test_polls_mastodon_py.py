"""Polls and scheduled statuses through Mastodon.py's own calls (issue 15):
status_post with make_poll, poll, poll_vote (and its refusals), status_update
with a new poll; status_post with scheduled_at, scheduled_statuses,
scheduled_status, scheduled_status_update, scheduled_status_delete. Every raw
response is checked against its Mastodon entity. What is made here is deleted
at the end.

Accounts: ``alice`` and ``bob`` from KERERU_USERS (on different tenants: bob
sees alice's poll because she mentions him).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from mastodon import MastodonAPIError

from test_scenario_mastodon_py import log_in

pytestmark = pytest.mark.server


def test_polls(kereru, api_log):
    alice, bob = kereru.user("alice"), kereru.user("bob")
    a = log_in(kereru, alice, api_log)
    b = log_in(kereru, bob, api_log)

    a.status_post(f"@{bob.acct} tea or coffee?", visibility="public",
                  poll=a.make_poll(["tea", "coffee"], expires_in=600))
    status = api_log.last("POST", "/api/v1/statuses").json()
    poll = status["poll"]
    assert [o["title"] for o in poll["options"]] == ["tea", "coffee"]
    assert poll["voted"] is False and poll["own_votes"] == [] and poll["expired"] is False
    try:
        b.poll(poll["id"])
        assert api_log.last("GET", "/api/v1/polls/[^/]+").json()["id"] == poll["id"]
        b.poll_vote(poll["id"], [1])
        voted = api_log.last("POST", "/api/v1/polls/[^/]+/votes").json()
        assert voted["voted"] is True and voted["own_votes"] == [1]
        assert [o["votes_count"] for o in voted["options"]] == [0, 1]
        with pytest.raises(MastodonAPIError) as again:
            b.poll_vote(poll["id"], [0])
        assert "already voted" in str(again.value)
        with pytest.raises(MastodonAPIError) as own:
            a.poll_vote(poll["id"], [0])
        assert "own polls" in str(own.value)

        a.status_update(status["id"], "pick any now",
                        poll=a.make_poll(["red", "green", "blue"], expires_in=900, multiple=True))
        edited = api_log.last("PUT", "/api/v1/statuses/[^/]+").json()
        assert [o["title"] for o in edited["poll"]["options"]] == ["red", "green", "blue"]
        assert edited["poll"]["multiple"] is True and edited["poll"]["votes_count"] == 0
    finally:
        a.status_delete(status["id"])
    api_log.check()


def test_scheduled_statuses(kereru, api_log):
    alice = kereru.user("alice")
    a = log_in(kereru, alice, api_log)
    when = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=1)
    a.status_post("please ensure adequate headroom", scheduled_at=when)
    scheduled = api_log.last("POST", "/api/v1/statuses").json()
    assert scheduled["params"]["text"] == "please ensure adequate headroom"
    try:
        listed = a.scheduled_statuses()
        assert scheduled["id"] in [s["id"] for s in listed]
        a.scheduled_status(scheduled["id"])
        assert api_log.last("GET", "/api/v1/scheduled_statuses/[^/]+").json()["id"] == scheduled["id"]
        a.scheduled_status_update(scheduled["id"], when + timedelta(hours=1))
        moved = api_log.last("PUT", "/api/v1/scheduled_statuses/[^/]+").json()
        assert moved["scheduled_at"].startswith((when + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"))
        with pytest.raises(MastodonAPIError):
            a.scheduled_status_update(scheduled["id"], datetime.now(timezone.utc) + timedelta(minutes=1))
    finally:
        a.scheduled_status_delete(scheduled["id"])
    assert scheduled["id"] not in [s["id"] for s in a.scheduled_statuses()]
    api_log.check()
