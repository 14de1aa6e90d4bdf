"""Lists and hashtags through Mastodon.py (2.x), each with the library's own
method: lists (create, update, show, delete, members, an account's lists,
the list timeline), followed tags, featured tags and their suggestions.

alice (first tenant) follows bob (the other tenant) and puts him on an
exclusive list: his post shows in the list's timeline and leaves her home.
Someone she does not follow cannot be added (422); bob cannot see her list
(404). alice follows and features a hashtag she used. Every raw response is
checked against its Mastodon entity; what is made here is removed at the end
(alice's follow of bob is left as it was found).

Accounts: ``alice`` and ``bob`` from KERERU_USERS (on different tenants), and
``dave`` (bob's tenant), looked up only.
"""

from __future__ import annotations

import uuid

import pytest
from mastodon.errors import MastodonAPIError, MastodonNotFoundError

from test_scenario_mastodon_py import log_in, poll

pytestmark = pytest.mark.server


def test_lists(kereru, api_log):
    alice, bob, dave = kereru.user("alice"), kereru.user("bob"), kereru.user("dave")
    assert alice.host != bob.host
    word = "lw" + uuid.uuid4().hex[:8]
    a = log_in(kereru, alice, api_log)
    b = log_in(kereru, bob, api_log)
    a.account_lookup(bob.acct)
    bob_on_a = api_log.last("GET", "/api/v1/accounts/lookup").json()
    a.account_lookup(dave.acct)
    dave_on_a = api_log.last("GET", "/api/v1/accounts/lookup").json()
    was_following = a.account_relationships(bob_on_a["id"])[0]["following"]
    a.account_follow(bob_on_a["id"])
    poll(lambda: a.account_relationships(bob_on_a["id"])[0], lambda r: r["following"], "alice follows bob")

    created = a.list_create(f"Birds {word}", replies_policy="list", exclusive=False)
    raw = api_log.last("POST", "/api/v1/lists").json()
    assert (raw["title"], raw["replies_policy"], raw["exclusive"]) == (f"Birds {word}", "list", False)
    list_id = raw["id"]
    post = None
    try:
        updated = a.list_update(list_id, f"Doves {word}", replies_policy="followed", exclusive=True)
        raw = api_log.last("PUT", rf"/api/v1/lists/{list_id}").json()
        assert (raw["title"], raw["replies_policy"], raw["exclusive"]) == (f"Doves {word}", "followed", True)
        assert updated.title == f"Doves {word}"
        assert list_id in [lst["id"] for lst in a.lists()]
        assert a.list(list_id)["title"] == f"Doves {word}"

        a.list_accounts_add(list_id, [bob_on_a["id"]])
        assert [acct["id"] for acct in a.list_accounts(list_id)] == [bob_on_a["id"]]
        assert [lst["id"] for lst in a.account_lists(bob_on_a["id"])] == [list_id]
        # Only accounts one follows (Mastodon: 422); twice neither.
        assert a.account_relationships(dave_on_a["id"])[0]["following"] is False
        with pytest.raises(MastodonAPIError):
            a.list_accounts_add(list_id, [dave_on_a["id"]])
        assert api_log.last("POST", rf"/api/v1/lists/{list_id}/accounts").status == 422
        with pytest.raises(MastodonAPIError):
            a.list_accounts_add(list_id, [bob_on_a["id"]])
        # Bob cannot reach alice's list (nor its timeline).
        with pytest.raises(MastodonNotFoundError):
            b.list(list_id)
        with pytest.raises(MastodonNotFoundError):
            b.timeline_list(list_id)

        # Bob's post: in the list's timeline, and (the list is exclusive) not at alice's home.
        post = b.status_post(f"a list post {word}", visibility="public")
        uri = api_log.last("POST", "/api/v1/statuses").json()["uri"]

        def listed():
            a.timeline_list(list_id)
            return api_log.last("GET", rf"/api/v1/timelines/list/{list_id}").json()

        poll(listed, lambda page: any(s["uri"] == uri for s in page), "bob's post in the list")
        a.timeline_home(limit=40)
        home = api_log.last("GET", "/api/v1/timelines/home").json()
        assert not any(s["uri"] == uri for s in home), "exclusive: not at home"

        a.list_accounts_delete(list_id, [bob_on_a["id"]])
        assert a.list_accounts(list_id) == []
    finally:
        a.list_delete(list_id)
        if post is not None:
            b.status_delete(post)
        if not was_following:
            a.account_unfollow(bob_on_a["id"])
    assert list_id not in [lst["id"] for lst in a.lists()]
    with pytest.raises(MastodonNotFoundError):
        a.list(list_id)
    api_log.check()


def test_followed_and_featured_tags(kereru, api_log):
    alice = kereru.user("alice")
    tag = "kt" + uuid.uuid4().hex[:8]
    a = log_in(kereru, alice, api_log)
    # tag_feature and tag_unfeature are Mastodon 4.4's; the same token without the version check.
    a44 = kereru.mastodon(alice.host, log=api_log.log, access_token=a.access_token, version_check_mode="none")

    shown = a.tag(tag)
    assert (shown["name"], shown["following"]) == (tag, False)
    followed = a.tag_follow(tag)
    assert followed["following"] is True
    assert tag in [t["name"] for t in a.followed_tags()]
    assert a.tag_unfollow(tag)["following"] is False
    assert tag not in [t["name"] for t in a.followed_tags()]

    post = a.status_post(f"about #{tag}", visibility="unlisted")
    featured = None
    try:
        a.featured_tag_suggestions()
        suggested = api_log.last("GET", "/api/v1/featured_tags/suggestions").json()
        assert tag in [t["name"] for t in suggested]
        featured = a.featured_tag_create(tag)
        raw = api_log.last("POST", "/api/v1/featured_tags").json()
        assert (raw["name"], raw["statuses_count"]) == (tag, "1")
        assert [t["name"] for t in a.featured_tags()] == [tag]
        a.account_featured_tags(a.me()["id"])
        on_profile = api_log.last("GET", r"/api/v1/accounts/[^/]+/featured_tags").json()
        assert [t["id"] for t in on_profile] == [raw["id"]]
        with pytest.raises(MastodonAPIError):
            a.featured_tag_create(tag)
        a.featured_tag_delete(featured)
        featured = None
        assert a.featured_tags() == []

        assert a44.tag_feature(tag)["featuring"] is True
        assert [t["name"] for t in a.featured_tags()] == [tag]
        assert a44.tag_unfeature(tag)["featuring"] is False
        assert a.featured_tags() == []
    finally:
        if featured is not None:
            a.featured_tag_delete(featured)
        a.status_delete(post)
    api_log.check()
