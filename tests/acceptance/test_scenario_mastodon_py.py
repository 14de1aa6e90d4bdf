"""The client-API acceptance scenario, driven by Mastodon.py (2.3.3).

alice (first tenant) registers an app and logs in with the password grant,
posts, replies, reads her home and public timelines, looks up bob on the
OTHER tenant of the same host as ``bob@b.test`` and follows him; bob logs in
on his tenant and finds the follow notification; bob's posts reach alice's
home timeline and her reply to him reaches his notifications. Then tenant
isolation through the client (a token of one tenant is refused by the other,
a status is not visible on a tenant that never received it), and the user
stream over SSE.

Every response Mastodon.py receives is recorded by the routing adapter and
checked against the Mastodon entity its endpoint returns (fixture `api_log`,
conftest.ENDPOINT_ENTITIES): assertions read the raw JSON that the client
got, not the AttribAccessDicts it made of it.

Accounts: ``alice`` and ``bob`` from KERERU_USERS (on different tenants),
password KERERU_PASSWORD. The toot scenario uses other accounts, so the two
modules do not see each other's follows and notifications.
"""

from __future__ import annotations

import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest
from mastodon import (MastodonNetworkError, MastodonNotFoundError, MastodonUnauthorizedError,
                      StreamListener)

import clients
from conftest import ApiLog
from mastodon_types import check_entity

pytestmark = pytest.mark.server

DEADLINE = 20.0  # seconds: how long anything asynchronous (delivery, streaming) may take


def poll(fetch, ok, what: str, timeout: float = DEADLINE):
    """Calls fetch() until ok(result) holds, for at most `timeout` seconds;
    fails with the last result otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if ok(result):
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f} s; last seen: {result!r:.1500}")
        time.sleep(0.1)


def tag() -> str:
    return uuid.uuid4().hex[:10]


def log_in(kereru, user, api_log, app_name="kereru-acceptance (Mastodon.py)"):
    """create_app + log_in with the password grant, as a Mastodon.py user would."""
    client_id, client_secret = kereru.create_app(user.host, app_name, log=api_log.log)
    app = api_log.last("POST", "/api/v1/apps").json()
    assert (app["client_id"], app["client_secret"]) == (client_id, client_secret)
    assert app["name"] == app_name
    api = kereru.mastodon(user.host, log=api_log.log, client_id=client_id,
                          client_secret=client_secret)
    token = api.log_in(user.email, user.password, allow_http=True)
    granted = api_log.last("POST", "/oauth/token", status=200).json()
    assert granted["access_token"] == token
    assert set(granted["scope"].split()) >= {"read", "write", "follow", "push"}
    return api


def raw_ids(resp) -> list[str]:
    return [s["id"] for s in resp.json()]


@pytest.fixture(scope="module")
def tokens(kereru):
    """Access tokens of alice and bob for the tests after the scenario
    (which logs in itself), got through Mastodon.py and checked too."""
    log = ApiLog(clients.ResponseLog())
    alice, bob = kereru.user("alice"), kereru.user("bob")
    out = {}
    for user in (alice, bob):
        api = log_in(kereru, user, log)
        out[user.username] = api.access_token
    log.check()
    return out


def client_for(kereru, user, tokens, api_log, host=None):
    return kereru.mastodon(host or user.host, log=api_log.log,
                           access_token=tokens[user.username])


# --------------------------------------------------------------------------
# The scenario
# --------------------------------------------------------------------------

def test_scenario_app_login_post_reply_timelines(kereru, api_log):
    alice, bob = kereru.user("alice"), kereru.user("bob")
    assert alice.host != bob.host, "alice and bob must be on different tenants"
    t = tag()

    # alice registers an app and logs in with her password
    a = log_in(kereru, alice, api_log)
    a.account_verify_credentials()
    me = api_log.last("GET", "/api/v1/accounts/verify_credentials").json()
    assert me["username"] == alice.username
    assert me["acct"] == alice.username  # local accounts have no domain in acct
    assert urlsplit(me["url"]).hostname == alice.host
    api_log.check()

    # posts
    post = a.status_post(f"Kia ora from Mastodon.py {t}", visibility="public")
    raw_post = api_log.last("POST", "/api/v1/statuses").json()
    assert raw_post["id"] == post.id
    assert f"Kia ora from Mastodon.py {t}" in raw_post["content"]
    assert raw_post["account"]["id"] == me["id"]
    assert raw_post["visibility"] == "public"
    assert raw_post["in_reply_to_id"] is None
    assert urlsplit(raw_post["uri"]).hostname == alice.host

    # replies (to her own post: Mastodon.py adds no mention of herself)
    a.status_reply(post, f"and a reply {t}")
    raw_reply = api_log.last("POST", "/api/v1/statuses").json()
    assert raw_reply["in_reply_to_id"] == raw_post["id"]
    assert raw_reply["in_reply_to_account_id"] == me["id"]
    assert raw_reply["visibility"] == "public"  # status_reply keeps the visibility
    a.status_context(post)
    context = api_log.last("GET", r"/api/v1/statuses/[^/]+/context").json()
    assert [s["id"] for s in context["descendants"]] == [raw_reply["id"]]
    assert context["ancestors"] == []
    a.status_context(raw_reply["id"])
    context = api_log.last("GET", r"/api/v1/statuses/[^/]+/context").json()
    assert [s["id"] for s in context["ancestors"]] == [raw_post["id"]]
    api_log.check()

    # home timeline: both, newest first
    def home_ids():
        a.timeline_home()
        return raw_ids(api_log.last("GET", "/api/v1/timelines/home"))

    ids = poll(home_ids, lambda ids: {raw_post["id"], raw_reply["id"]} <= set(ids),
               "alice's post and reply on her home timeline")
    assert ids.index(raw_reply["id"]) < ids.index(raw_post["id"])

    # public timeline (and the local one)
    for local in (False, True):
        a.timeline_public(local=local)
        ids = raw_ids(api_log.last("GET", "/api/v1/timelines/public"))
        assert {raw_post["id"], raw_reply["id"]} <= set(ids), (local, ids)
        assert ids.index(raw_reply["id"]) < ids.index(raw_post["id"])
    api_log.check()


def test_scenario_follow_across_tenants_notify_deliver_mention(kereru, api_log):
    alice, bob = kereru.user("alice"), kereru.user("bob")
    assert alice.host != bob.host, "alice and bob must be on different tenants"
    t = tag()
    a = log_in(kereru, alice, api_log)

    # bob, on the other tenant of this host, looked up as bob@b.test
    a.account_lookup(bob.acct)
    raw_bob = api_log.last("GET", "/api/v1/accounts/lookup").json()
    assert raw_bob["acct"] == bob.acct  # a remote account: acct names its domain
    assert raw_bob["username"] == bob.username
    assert urlsplit(raw_bob["url"]).hostname == bob.host
    assert urlsplit(raw_bob["uri"]).hostname == bob.host

    # alice follows him
    a.account_follow(raw_bob["id"])
    rel = api_log.last("POST", r"/api/v1/accounts/[^/]+/follow").json()
    assert rel["id"] == raw_bob["id"]
    assert rel["following"] is True, rel
    assert rel["requested"] is False, rel
    a.account_relationships([raw_bob["id"]])
    (rel,) = api_log.last("GET", "/api/v1/accounts/relationships").json()
    assert rel["id"] == raw_bob["id"] and rel["following"] is True, rel
    api_log.check()

    # bob logs in on his tenant and is notified of the follow
    b = log_in(kereru, bob, api_log)
    b.account_verify_credentials()
    bob_me = api_log.last("GET", "/api/v1/accounts/verify_credentials").json()
    assert bob_me["acct"] == bob.username

    def bob_notifications():
        b.notifications()
        return api_log.last("GET", "/api/v1/notifications").json()

    notes = poll(bob_notifications,
                 lambda ns: any(n["type"] == "follow" and n["account"]["acct"] == alice.acct
                                for n in ns),
                 f"a follow notification from {alice.acct} for {bob.acct}")
    follow = next(n for n in notes if n["type"] == "follow" and n["account"]["acct"] == alice.acct)
    assert urlsplit(follow["account"]["url"]).hostname == alice.host
    b.notifications(id=follow["id"])
    assert api_log.last("GET", r"/api/v1/notifications/[^/]+").json()["id"] == follow["id"]
    b.account_followers(bob_me["id"])
    followers = api_log.last("GET", r"/api/v1/accounts/[^/]+/followers").json()
    assert alice.acct in [f["acct"] for f in followers]
    api_log.check()

    # bob posts: it reaches alice's home timeline on her tenant
    b.status_post(f"Hello from the other tenant {t}", visibility="public")
    bobs = api_log.last("POST", "/api/v1/statuses").json()

    parsed = {}

    def alice_home():
        parsed["home"] = a.timeline_home()
        return api_log.last("GET", "/api/v1/timelines/home").json()

    home = poll(alice_home, lambda ss: any(s["uri"] == bobs["uri"] for s in ss),
                f"{bob.acct}'s post on the home timeline of {alice.acct}, who follows him")
    seen = next(s for s in home if s["uri"] == bobs["uri"])
    assert seen["account"]["acct"] == bob.acct
    assert f"Hello from the other tenant {t}" in seen["content"]

    # alice replies to it: Mastodon.py mentions @bob@b.test, bob is notified
    a.status_reply(next(s for s in parsed["home"] if s.uri == bobs["uri"]), f"welcome {t}")
    raw_answer = api_log.last("POST", "/api/v1/statuses").json()
    assert raw_answer["in_reply_to_id"] == seen["id"]
    assert [m["acct"] for m in raw_answer["mentions"]] == [bob.acct]
    notes = poll(bob_notifications,
                 lambda ns: any(n["type"] == "mention" and n.get("status")
                                and n["status"]["uri"] == raw_answer["uri"] for n in ns),
                 f"a mention notification for {bob.acct} of alice's reply")
    mention = next(n for n in notes if n["type"] == "mention" and n.get("status")
                   and n["status"]["uri"] == raw_answer["uri"])
    assert mention["account"]["acct"] == alice.acct
    # on bob's tenant the reply points at bob's own status
    assert mention["status"]["in_reply_to_id"] == bobs["id"]
    api_log.check()


# --------------------------------------------------------------------------
# Tenant isolation through the client
# --------------------------------------------------------------------------

def test_a_token_of_one_tenant_is_refused_by_the_other(kereru, tokens, api_log):
    alice, bob = kereru.user("alice"), kereru.user("bob")
    own = client_for(kereru, alice, tokens, api_log)
    own.timeline_home()
    r = api_log.last("GET", "/api/v1/timelines/home")
    assert (r.host, r.status) == (alice.host, 200)

    elsewhere = client_for(kereru, alice, tokens, api_log, host=bob.host)
    with pytest.raises(MastodonUnauthorizedError):
        elsewhere.account_verify_credentials()
    r = api_log.last("GET", "/api/v1/accounts/verify_credentials")
    assert (r.host, r.status) == (bob.host, 401)
    with pytest.raises(MastodonUnauthorizedError):
        elsewhere.status_post(f"must not be posted {tag()}")
    r = api_log.last("POST", "/api/v1/statuses")
    assert (r.host, r.status) == (bob.host, 401)
    with pytest.raises(MastodonUnauthorizedError):
        elsewhere.timeline_home()
    assert api_log.last("GET", "/api/v1/timelines/home").status == 401
    api_log.check()


def test_a_status_is_not_found_on_a_tenant_that_never_received_it(kereru, tokens, api_log):
    alice, bob = kereru.user("alice"), kereru.user("bob")
    a = client_for(kereru, alice, tokens, api_log)
    b = client_for(kereru, bob, tokens, api_log)
    anonymous_b = kereru.mastodon(bob.host, log=api_log.log)

    # bob does not follow alice (unfollow to be sure)
    b.account_lookup(alice.acct)
    alice_on_b = api_log.last("GET", "/api/v1/accounts/lookup").json()
    assert alice_on_b["acct"] == alice.acct
    b.account_unfollow(alice_on_b["id"])
    assert api_log.last("POST", r"/api/v1/accounts/[^/]+/unfollow").json()["following"] is False

    t = tag()
    a.status_post(f"only on my tenant {t}", visibility="public")
    first = api_log.last("POST", "/api/v1/statuses").json()
    a.status(first["id"])
    assert api_log.last("GET", r"/api/v1/statuses/[^/]+").json()["uri"] == first["uri"]

    with pytest.raises(MastodonNotFoundError):
        b.status(first["id"])
    r = api_log.last("GET", r"/api/v1/statuses/[^/]+")
    assert (r.host, r.status) == (bob.host, 404)
    with pytest.raises(MastodonNotFoundError):
        anonymous_b.status(first["id"])
    assert api_log.last("GET", r"/api/v1/statuses/[^/]+").status == 404
    with pytest.raises(MastodonNotFoundError):
        b.status_context(first["id"])
    assert api_log.last("GET", r"/api/v1/statuses/[^/]+/context").status == 404

    # ... unless b.test received it: bob follows alice, alice posts again
    b.account_follow(alice_on_b["id"])
    assert api_log.last("POST", r"/api/v1/accounts/[^/]+/follow").json()["following"] is True
    a.status_post(f"delivered to my followers {t}", visibility="public")
    second = api_log.last("POST", "/api/v1/statuses").json()

    def bob_home():
        b.timeline_home()
        return api_log.last("GET", "/api/v1/timelines/home").json()

    home = poll(bob_home, lambda ss: any(s["uri"] == second["uri"] for s in ss),
                f"alice's new post on the home timeline of {bob.acct}, who follows her")
    received = next(s for s in home if s["uri"] == second["uri"])
    assert received["account"]["acct"] == alice.acct
    b.status(received["id"])
    got = api_log.last("GET", r"/api/v1/statuses/[^/]+")
    assert (got.host, got.status) == (bob.host, 200)
    assert got.json()["uri"] == second["uri"]
    # a status that is delivered to no one (direct, mentioning nobody) never
    # reaches b.test, follower or not
    a.status_post(f"a note to myself {t}", visibility="direct")
    note = api_log.last("POST", "/api/v1/statuses").json()
    assert note["visibility"] == "direct"
    a.status(note["id"])
    assert api_log.last("GET", r"/api/v1/statuses/[^/]+").status == 200
    with pytest.raises(MastodonNotFoundError):
        b.status(note["id"])
    r = api_log.last("GET", r"/api/v1/statuses/[^/]+")
    assert (r.host, r.status) == (bob.host, 404)
    api_log.check()


# --------------------------------------------------------------------------
# Streaming (SSE, as Mastodon.py does it without websocket-client)
# --------------------------------------------------------------------------

class RecordingListener(StreamListener):
    """Keeps every event as received (name and raw data), and the objects
    Mastodon.py made of the updates and notifications."""

    def __init__(self):
        self.lock = threading.Lock()
        self.raw: list[dict] = []
        self.updates = []
        self.notifications = []
        self.aborted: list[Exception] = []

    def _dispatch(self, event):
        # recorded once Mastodon.py has handled it (on_update etc. have run)
        try:
            return super()._dispatch(event)
        finally:
            with self.lock:
                self.raw.append(dict(event))

    def on_update(self, status):
        with self.lock:
            self.updates.append(status)

    def on_notification(self, notification):
        with self.lock:
            self.notifications.append(notification)

    def on_abort(self, err):
        with self.lock:
            self.aborted.append(err)

    def on_unknown_event(self, name, unknown_event=None):
        pass

    def events(self, name: str) -> list[dict]:
        import json

        with self.lock:
            return [json.loads(e["data"]) for e in self.raw
                    if e.get("event") == name and e.get("data") is not None]


@pytest.fixture
def streaming_exists(kereru, tokens, api_log):
    alice = kereru.user("alice")
    api = client_for(kereru, alice, tokens, api_log)
    try:
        assert api.stream_healthy()
    except MastodonNotFoundError:
        r = api_log.last("GET", "/api/v1/streaming/health")
        pytest.skip(f"streaming is not there yet: GET {r.url} answers {r.status}")
    api_log.check()


def open_user_stream(api, api_log, listener):
    """stream_user over SSE in Mastodon.py's own thread; returns the handle
    once the server has answered 200 (bounded)."""
    mark = len(api_log.entries)
    handle = api.stream_user(listener, run_async=True, timeout=60)
    deadline = time.monotonic() + DEADLINE
    while True:
        answered = api_log.find("GET", "/api/v1/streaming/user", since=mark)
        if answered:
            r = answered[0]
            if r.status != 200:
                close_in_background(handle)
                pytest.fail(f"stream_user: {r} ({listener.aborted})")
            assert r.content_type.startswith("text/event-stream"), r.headers
            return handle
        if time.monotonic() > deadline:
            close_in_background(handle)
            pytest.fail(f"stream_user: no answer within {DEADLINE:.0f} s ({listener.aborted})")
        time.sleep(0.05)


def close_in_background(handle):
    """SSEStreamHandle.close() waits for the reading thread's current read,
    i.e. for the server's next heartbeat: let it, without holding up the test
    (the thread is a daemon; the socket goes when the read returns or the
    test process ends)."""
    threading.Thread(target=handle.close, daemon=True).start()


def wait_for(listener, what, found):
    deadline = time.monotonic() + DEADLINE
    while True:
        hit = found()
        if hit is not None:
            return hit
        if time.monotonic() > deadline:
            with listener.lock:
                seen = list(listener.raw)
            pytest.fail(f"{what}: no such event within {DEADLINE:.0f} s; events: {seen!r:.2000}; "
                        f"aborted: {listener.aborted}")
        time.sleep(0.05)


def test_the_user_stream_brings_a_followed_accounts_post_and_a_mention(
        kereru, tokens, api_log, streaming_exists):
    alice, bob = kereru.user("alice"), kereru.user("bob")
    a = client_for(kereru, alice, tokens, api_log)
    b = client_for(kereru, bob, tokens, api_log)
    a.account_lookup(bob.acct)
    bob_on_a = api_log.last("GET", "/api/v1/accounts/lookup").json()
    a.account_follow(bob_on_a["id"])
    assert api_log.last("POST", r"/api/v1/accounts/[^/]+/follow").json()["following"] is True

    listener = RecordingListener()
    handle = open_user_stream(a, api_log, listener)
    try:
        t = tag()
        b.status_post(f"streamed across tenants {t}", visibility="public")
        posted = api_log.last("POST", "/api/v1/statuses").json()
        update = wait_for(listener, "an update event with bob's post on alice's user stream",
                          lambda: next((s for s in listener.events("update")
                                        if s.get("uri") == posted["uri"]), None))
        assert check_entity("Status", update) == []
        assert update["account"]["acct"] == bob.acct
        assert f"streamed across tenants {t}" in update["content"]
        # Mastodon.py parsed the same event into a Status
        with listener.lock:
            assert update["id"] in [s.id for s in listener.updates]

        b.status_post(f"@{alice.acct} are you there? {t}", visibility="public")
        mentioning = api_log.last("POST", "/api/v1/statuses").json()
        assert [m["acct"] for m in mentioning["mentions"]] == [alice.acct]
        note = wait_for(listener, "a mention notification event on alice's user stream",
                        lambda: next((n for n in listener.events("notification")
                                      if n.get("type") == "mention" and n.get("status")
                                      and n["status"]["uri"] == mentioning["uri"]), None))
        assert check_entity("Notification", note) == []
        assert note["account"]["acct"] == bob.acct
        with listener.lock:
            assert note["id"] in [n.id for n in listener.notifications]
        # every event that came is a Mastodon event with a valid payload
        for name, entity in (("update", "Status"), ("notification", "Notification"),
                             ("status.update", "Status")):
            for payload in listener.events(name):
                assert check_entity(entity, payload) == [], (name, payload)
        assert not listener.aborted, listener.aborted
    finally:
        close_in_background(handle)
    api_log.check()


def test_the_user_stream_needs_a_token_of_its_tenant(kereru, tokens, api_log, streaming_exists):
    alice, bob = kereru.user("alice"), kereru.user("bob")
    elsewhere = client_for(kereru, alice, tokens, api_log, host=bob.host)
    mark = len(api_log.entries)
    listener = RecordingListener()
    with pytest.raises(MastodonNetworkError):
        # blocking: Mastodon.py raises when the stream is refused
        elsewhere.stream_user(listener, timeout=DEADLINE)
    (r,) = api_log.find("GET", "/api/v1/streaming/user", since=mark)
    assert (r.host, r.status) == (bob.host, 401)
    api_log.check()
