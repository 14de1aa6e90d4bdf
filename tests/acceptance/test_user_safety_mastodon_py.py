"""User safety tools through Mastodon.py (2.3.3): filters v2 and v1, and
personal domain blocks.

alice (first tenant) follows bob (the other tenant); bob posts a word alice
filters. A "warn" filter marks bob's post in her home timeline with a
FilterResult; switched to "hide", the post leaves it. A v1 filter is a v2
filter with one keyword. Blocking bob's host (another tenant of this server
is another server to her) hides his posts; unblocking brings them back.
Every raw response is checked against its Mastodon entity. Everything made
here is removed at the end, so the other modules see no filters or blocks.

Accounts: ``alice`` and ``bob`` from KERERU_USERS (on different tenants).
"""

from __future__ import annotations

import uuid

import pytest

from mastodon_types import check_entity
from test_scenario_mastodon_py import log_in, poll

pytestmark = pytest.mark.server


def test_filters_and_domain_blocks(kereru, api_log):
    alice, bob = kereru.user("alice"), kereru.user("bob")
    assert alice.host != bob.host
    word = "kw" + uuid.uuid4().hex[:8]
    a = log_in(kereru, alice, api_log)
    b = log_in(kereru, bob, api_log)

    # alice follows bob (as the other tenant sees him) and sees his posts at home.
    a.account_lookup(bob.acct)
    bob_on_a = api_log.last("GET", "/api/v1/accounts/lookup").json()
    a.account_follow(bob_on_a["id"])
    poll(lambda: a.account_relationships(bob_on_a["id"])[0], lambda r: r["following"], "alice follows bob")
    post = b.status_post(f"a post about {word}", visibility="public")
    uri = api_log.last("POST", "/api/v1/statuses").json()["uri"]

    def home():
        a.timeline_home(limit=40)
        return api_log.last("GET", "/api/v1/timelines/home").json()

    def bobs(page):
        return [s for s in page if s["uri"] == uri]

    poll(home, lambda page: bobs(page), "bob's post reaches alice's home")

    filter_ids = []
    try:
        # A warn filter: the post stays, with a FilterResult naming the filter and the keyword.
        a.create_filter_v2(f"No {word}", ["home", "public"], "warn",
                           keywords_attributes=[{"keyword": word, "whole_word": True}])
        created = api_log.last("POST", "/api/v2/filters").json()
        assert check_entity("FilterV2", created) == []
        filter_ids.append(created["id"])
        assert created["title"] == f"No {word}"
        assert created["context"] == ["home", "public"]
        assert [(k["keyword"], k["whole_word"]) for k in created["keywords"]] == [(word, True)]
        listed = a.filters_v2()
        assert [f.id for f in listed] == [created["id"]]
        assert check_entity("List[FilterV2]", api_log.last("GET", "/api/v2/filters").json()) == []
        hit = bobs(home())[0]
        assert [r["filter"]["id"] for r in hit["filtered"]] == [created["id"]]
        assert hit["filtered"][0]["keyword_matches"] == [word]
        assert check_entity("FilterResult", hit["filtered"][0]) == []

        # Keywords one by one.
        a.add_filter_keyword_v2(created["id"], "another" + word, whole_word=False)
        keywords = a.filter_keywords_v2(created["id"])
        assert sorted(k.keyword for k in keywords) == sorted([word, "another" + word])
        extra = [k for k in keywords if k.keyword != word][0]
        a.delete_filter_keyword_v2(extra)
        assert [k.keyword for k in a.filter_keywords_v2(created["id"])] == [word]

        # Hide: the post leaves alice's home.
        a.update_filter_v2(created["id"], filter_action="hide")
        assert api_log.last("PUT", rf"/api/v2/filters/{created['id']}").json()["filter_action"] == "hide"
        assert bobs(home()) == []

        # v1 filters are the same tables: each keyword is one.
        v1 = a.filter_create("v1" + word, ["home"], irreversible=False, whole_word=True)
        raw_v1 = api_log.last("POST", "/api/v1/filters").json()
        assert check_entity("Filter", raw_v1) == []
        assert raw_v1["phrase"] == "v1" + word
        phrases = sorted(f["phrase"] for f in a.filters())
        assert phrases == sorted([word, "v1" + word])
        assert len(a.filters_v2()) == 2
        a.filter_delete(v1)
        assert len(a.filters_v2()) == 1
    finally:
        for filter_id in filter_ids:
            a.delete_filter_v2(filter_id)
    assert a.filters_v2() == []
    assert bobs(home()), "without the filter the post is back"

    # A personal domain block of bob's host hides his posts; unblocking brings them back.
    try:
        a.domain_block(bob.host)
        assert a.domain_blocks() == [bob.host]
        assert bobs(home()) == []
        rel = a.account_relationships(bob_on_a["id"])
        assert rel[0]["domain_blocking"] is True
    finally:
        a.domain_unblock(bob.host)
    assert a.domain_blocks() == []
    assert bobs(home())
    b.status_delete(post)
    api_log.check()
