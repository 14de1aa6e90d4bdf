"""The social part of the client API through Mastodon.py's own methods
(issue 15): several accounts at once, account search, familiar followers,
endorsements, private notes, follow suggestions, the directory, the profile
settings update_credentials keeps, conversations and muted threads.

alice and carol share a tenant; bob is on the other. Every raw response is
checked against its Mastodon entity. What is changed here is undone at the
end (follows, endorsements, notes, settings, statuses), so other modules see
the accounts as they were.

Accounts: ``alice``, ``carol`` (same tenant) and ``bob`` from KERERU_USERS.
"""

from __future__ import annotations

import uuid

import pytest

from mastodon_types import check_entity
from test_scenario_mastodon_py import log_in, poll

pytestmark = pytest.mark.server


def test_accounts_endorsements_notes_suggestions_and_directory(kereru, api_log):
    alice, carol = kereru.user("alice"), kereru.user("carol")
    assert alice.host == carol.host
    a = log_in(kereru, alice, api_log)
    me = a.account_verify_credentials()
    carol_id = a.account_lookup(carol.username)["id"]

    # Several accounts at once, in the order asked.
    found = a.accounts([carol_id, me["id"]])
    assert [x["id"] for x in found] == [carol_id, me["id"]]
    assert check_entity("List[Account]", api_log.last("GET", "/api/v1/accounts").json()) == []

    # Search, then only among those followed.
    assert carol_id in [x["id"] for x in a.account_search(carol.username)]
    followed_before = a.account_relationships(carol_id)[0]["following"]
    try:
        a.account_follow(carol_id)
        poll(lambda: a.account_relationships(carol_id)[0], lambda r: r["following"], "alice follows carol")
        assert carol_id in [x["id"] for x in a.account_search(carol.username, following=True)]
        assert check_entity("List[Account]", api_log.last("GET", "/api/v1/accounts/search").json()) == []

        # Endorsements (pin/unpin and 4.4's endorse/unendorse) and the endorsements list.
        assert a.account_pin(carol_id)["endorsed"] is True
        assert carol_id in [x["id"] for x in a.endorsements()]
        assert a.account_unpin(carol_id)["endorsed"] is False
        assert a.account_endorse(carol_id)["endorsed"] is True
        assert a.account_unendorse(carol_id)["endorsed"] is False
        assert carol_id not in [x["id"] for x in a.endorsements()]

        # A private note.
        word = "note-" + uuid.uuid4().hex[:8]
        assert a.account_note_set(carol_id, word)["note"] == word
        assert a.account_relationships(carol_id)[0]["note"] == word
        assert a.account_note_set(carol_id, "")["note"] == ""

        # Familiar followers: a list with one entry per account asked.
        familiar = a.account_familiar_followers(carol_id)
        assert [f["id"] for f in familiar] == [carol_id]
        assert check_entity("List[FamiliarFollowers]",
                            api_log.last("GET", "/api/v1/accounts/familiar_followers").json()) == []
    finally:
        if not followed_before:
            a.account_unfollow(carol_id)

    # Suggestions (v1 and v2) and dismissing one; the directory.
    a.suggestions_v2()
    v2 = api_log.last("GET", "/api/v2/suggestions").json()
    assert check_entity("List[Suggestion]", v2) == []
    assert all(s["account"]["id"] != me["id"] for s in v2)
    v1 = a.suggestions_v1()
    if v1:
        a.suggestion_delete(v1[-1]["id"])
        assert v1[-1]["id"] not in [x["id"] for x in a.suggestions_v1()]
    local = a.directory(local=True, order="new", limit=80)
    assert me["id"] in [x["id"] for x in local] or not me.get("discoverable", True)
    assert a.directory(limit=1, offset=0) is not None

    # Settings Mastodon's update_credentials takes, kept and shown in `source`.
    try:
        updated = a.account_update_credentials(indexable=False, attribution_domains=["example.com"],
                                               default_quote_policy="followers")
        raw = api_log.last("PATCH", "/api/v1/accounts/update_credentials").json()
        assert check_entity("CredentialAccount", raw) == []
        assert updated["source"]["indexable"] is False
        assert raw["source"]["attribution_domains"] == ["example.com"]
        assert raw["source"]["quote_policy"] == "followers"
    finally:
        a.account_update_credentials(indexable=True, default_quote_policy="public")
    api_log.check()


def test_conversations_and_muted_threads(kereru, api_log):
    alice, bob = kereru.user("alice"), kereru.user("bob")
    a = log_in(kereru, alice, api_log)
    b = log_in(kereru, bob, api_log)
    word = "dm" + uuid.uuid4().hex[:8]
    dm = a.status_post(f"@{bob.acct} {word}", visibility="direct")
    uri = api_log.last("POST", "/api/v1/statuses").json()["uri"]
    try:
        def mine():
            return [c for c in b.conversations() if c["last_status"] and c["last_status"]["uri"] == uri]

        found = poll(mine, lambda cs: cs, "the message reaches bob's conversations")
        raw = api_log.last("GET", "/api/v1/conversations/?").json()
        assert check_entity("List[Conversation]", raw) == []
        assert found[0]["unread"] is True
        read = b.conversations_read(found[0]["id"])
        assert read["unread"] is False
        assert check_entity("Conversation", api_log.last("POST", r"/api/v1/conversations/[^/]+/read").json()) == []
        # The sender's own conversation is read.
        own = [c for c in a.conversations() if c["last_status"] and c["last_status"]["uri"] == uri]
        assert own and own[0]["unread"] is False

        # Muting the thread: the Status says so, until unmuted.
        assert a.status_mute(dm)["muted"] is True
        assert a.status(dm)["muted"] is True
        assert a.status_unmute(dm)["muted"] is False
    finally:
        a.status_delete(dm)
    poll(mine, lambda cs: cs == [], "the deleted message leaves bob's conversations")
    api_log.check()
