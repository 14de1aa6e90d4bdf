"""The client-API acceptance scenario, driven by the toot command (0.52.1).

carol (first tenant) logs in with ``toot login_cli`` (app registration and the
password grant), posts, replies, reads the thread and her home and public
timelines, then follows ``dave@b.test`` on the OTHER tenant of the same host
with ``toot follow``; dave logs in on his tenant and reads the notification.
Then tenant isolation through toot: carol's token given to toot for dave's
tenant is refused, and her status is not found there.

Each toot runs as a real subprocess (clients.run_toot), routed to the tenant
by tenant_routing/sitecustomize.py, which also appends every response toot
receives to the test's response log: the fixture `api_log` checks each of
them against the Mastodon entity of its endpoint (conftest.ENDPOINT_ENTITIES),
and the assertions read that raw JSON (or toot's own --json output, which is
the response body). Commands are also run without --json, which makes toot
parse the JSON into its own dataclasses, as its users would.

Accounts: ``carol`` and ``dave`` from KERERU_USERS (on different tenants),
password KERERU_PASSWORD; the Mastodon.py scenario uses alice and bob.
"""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import urlsplit

import pytest

import clients

pytestmark = pytest.mark.server

DEADLINE = 20.0  # seconds: how long delivery between tenants may take


def tag() -> str:
    return uuid.uuid4().hex[:10]


class Toot:
    """One toot configuration (an XDG_CONFIG_HOME) whose responses go to the
    test's api_log."""

    def __init__(self, kereru, home, api_log):
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.api_log = api_log
        self.env = kereru.toot_env(home, response_log=api_log.path)

    def run(self, *args, ok: bool = True):
        r = clients.run_toot(list(args), self.env)
        if ok:
            assert r.returncode == 0, (f"toot {' '.join(args)} exited {r.returncode}\n"
                                       f"stdout: {r.stdout}\nstderr: {r.stderr}\n"
                                       f"responses: {[str(x) for x in self.api_log.entries[-5:]]}")
        return r

    def json(self, *args):
        r = self.run(*args, "--json")
        return json.loads(r.stdout)

    def config(self) -> dict:
        return json.loads(clients.toot_config_path(self.home).read_text())


def login(kereru, user, toot: Toot) -> dict:
    mark = len(toot.api_log.entries)
    r = toot.run("login_cli", "--instance", kereru.base_url(user.host),
                 "--email", user.email, "--password", user.password)
    assert "Successfully logged in" in r.stdout, r.stdout + r.stderr
    log = toot.api_log
    app = log.last("POST", "/api/v1/apps", since=mark).json()
    token = log.last("POST", "/oauth/token", since=mark, status=200).json()
    me = log.last("GET", "/api/v1/accounts/verify_credentials", since=mark).json()
    assert me["username"] == user.username
    config = toot.config()
    assert config["active_user"] == f"{user.username}@{user.host}"
    assert config["apps"][user.host]["client_id"] == app["client_id"]
    assert config["users"][config["active_user"]]["access_token"] == token["access_token"]
    # toot asked its tenant, and only its tenant
    assert {e.host for e in log.since(mark)} == {user.host}
    return me


def poll_toot(toot: Toot, args, ok, what: str):
    deadline = time.monotonic() + DEADLINE
    while True:
        result = toot.json(*args)
        if ok(result):
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {DEADLINE:.0f} s; last seen: {result!r:.1500}")
        time.sleep(0.1)


def test_toot_logs_in_posts_replies_and_reads_timelines(kereru, api_log, tmp_path):
    carol = kereru.user("carol")
    toot = Toot(kereru, tmp_path / "carol", api_log)
    t = tag()

    me = login(kereru, carol, toot)
    who = toot.json("whoami")
    assert who == api_log.last("GET", "/api/v1/accounts/verify_credentials").json()
    assert who["acct"] == carol.username
    r = toot.run("whoami")  # parsed into toot's Account
    assert f"@{carol.username}" in r.stdout
    api_log.check()

    # post
    posted = toot.json("post", f"Kia ora from toot {t}", "--visibility", "public")
    assert posted == api_log.last("POST", "/api/v1/statuses").json()
    assert f"Kia ora from toot {t}" in posted["content"]
    assert posted["account"]["id"] == me["id"]
    assert posted["visibility"] == "public"
    assert urlsplit(posted["url"]).hostname == carol.host

    # reply, the way toot's users do (plain output: "Toot posted: URL")
    r = toot.run("post", "--reply-to", posted["id"], f"and a reply {t}")
    reply = api_log.last("POST", "/api/v1/statuses").json()
    assert f"Toot posted: {reply['url']}" in r.stdout
    assert reply["in_reply_to_id"] == posted["id"]
    assert reply["in_reply_to_account_id"] == me["id"]

    # the thread, as JSON and as toot shows it
    context = toot.json("thread", posted["id"])
    assert [s["id"] for s in context["descendants"]] == [reply["id"]]
    r = toot.run("thread", posted["id"])
    assert f"Kia ora from toot {t}" in r.stdout and f"and a reply {t}" in r.stdout
    r = toot.run("status", reply["id"])
    assert f"and a reply {t}" in r.stdout
    api_log.check()

    # home timeline: both, newest first
    home = poll_toot(toot, ["timelines", "home", "--no-pager", "--no-clear"],
                     lambda ss: {posted["id"], reply["id"]} <= {s["id"] for s in ss},
                     "carol's post and reply on her home timeline")
    ids = [s["id"] for s in home]
    assert ids.index(reply["id"]) < ids.index(posted["id"])
    r = toot.run("timelines", "home", "--no-pager", "--no-clear")
    assert f"and a reply {t}" in r.stdout, r.stdout

    # public timelines, the local one too
    for extra in ([], ["--local"]):
        public = toot.json("timelines", "public", "--no-pager", "--no-clear", *extra)
        ids = [s["id"] for s in public]
        assert {posted["id"], reply["id"]} <= set(ids), (extra, ids)
        r = toot.run("timelines", "public", "--no-pager", "--no-clear", *extra)
        assert f"Kia ora from toot {t}" in r.stdout, r.stdout
    api_log.check()


def test_toot_follows_an_account_of_the_other_tenant_which_is_notified(
        kereru, api_log, tmp_path):
    carol, dave = kereru.user("carol"), kereru.user("dave")
    assert carol.host != dave.host, "carol and dave must be on different tenants"
    as_carol = Toot(kereru, tmp_path / "carol", api_log)
    as_dave = Toot(kereru, tmp_path / "dave", api_log)
    login(kereru, carol, as_carol)
    login(kereru, dave, as_dave)

    # carol follows dave@b.test
    mark = len(api_log.entries)
    r = as_carol.run("follow", dave.acct)
    assert f"You are now following {dave.acct}" in r.stdout, r.stdout
    rel = api_log.last("POST", r"/api/v1/accounts/[^/]+/follow", since=mark).json()
    assert rel["following"] is True, rel
    following = as_carol.json("following")
    assert dave.acct in [a["acct"] for a in following]
    api_log.check()

    # dave reads his notifications on his own tenant
    notes = poll_toot(as_dave, ["notifications"],
                      lambda ns: any(n["type"] == "follow" and n["account"]["acct"] == carol.acct
                                     for n in ns),
                      f"a follow notification from {carol.acct} for {dave.acct}")
    follow = next(n for n in notes if n["type"] == "follow")
    assert urlsplit(follow["account"]["url"]).hostname == carol.host
    r = as_dave.run("notifications")
    assert carol.acct in r.stdout and "follow" in r.stdout.lower(), r.stdout

    # dave posts: it reaches carol's home timeline
    t = tag()
    posted = as_dave.json("post", f"Hello from the other tenant {t}", "--visibility", "public")
    home = poll_toot(as_carol, ["timelines", "home", "--no-pager", "--no-clear"],
                     lambda ss: any(s["uri"] == posted["uri"] for s in ss),
                     f"{dave.acct}'s post on the home timeline of {carol.acct}")
    seen = next(s for s in home if s["uri"] == posted["uri"])
    assert seen["account"]["acct"] == dave.acct
    r = as_carol.run("timelines", "home", "--no-pager", "--no-clear")
    assert f"Hello from the other tenant {t}" in r.stdout
    api_log.check()


def test_toot_with_a_token_of_one_tenant_is_refused_by_the_other(kereru, api_log, tmp_path):
    carol, dave = kereru.user("carol"), kereru.user("dave")
    as_carol = Toot(kereru, tmp_path / "carol", api_log)
    login(kereru, carol, as_carol)
    token = as_carol.config()["users"][f"{carol.username}@{carol.host}"]["access_token"]

    # carol's token, written into a toot config for dave's tenant
    misplaced = Toot(kereru, tmp_path / "misplaced", api_log)
    clients.write_toot_login(misplaced.home, dave.host, carol.username, token)
    mark = len(api_log.entries)
    r = misplaced.run("whoami", ok=False)
    assert r.returncode != 0, r.stdout
    got = api_log.last("GET", "/api/v1/accounts/verify_credentials", since=mark)
    assert (got.host, got.status) == (dave.host, 401)
    mark = len(api_log.entries)
    r = misplaced.run("post", f"must not be posted {tag()}", ok=False)
    assert r.returncode != 0, r.stdout
    got = api_log.last("POST", "/api/v1/statuses", since=mark)
    assert (got.host, got.status) == (dave.host, 401)
    # on her own tenant the same token works
    assert as_carol.json("whoami")["username"] == carol.username
    api_log.check()


def test_toot_does_not_find_a_status_on_a_tenant_that_never_received_it(
        kereru, api_log, tmp_path):
    carol, dave = kereru.user("carol"), kereru.user("dave")
    as_carol = Toot(kereru, tmp_path / "carol", api_log)
    as_dave = Toot(kereru, tmp_path / "dave", api_log)
    login(kereru, carol, as_carol)
    login(kereru, dave, as_dave)

    # delivered to nobody: direct, mentioning no one
    note = as_carol.json("post", f"a note to myself {tag()}", "--visibility", "direct")
    assert as_carol.json("status", note["id"])["id"] == note["id"]
    mark = len(api_log.entries)
    r = as_dave.run("status", note["id"], ok=False)
    assert r.returncode != 0, r.stdout
    got = api_log.last("GET", r"/api/v1/statuses/[^/]+", since=mark)
    assert (got.host, got.status) == (dave.host, 404)

    # public, but no one on dave's tenant follows carol (in these tests only
    # carol follows dave): dave's tenant never received it
    public = as_carol.json("post", f"only on my tenant {tag()}", "--visibility", "public")
    assert as_carol.json("status", public["id"])["uri"] == public["uri"]
    mark = len(api_log.entries)
    r = as_dave.run("status", public["id"], ok=False)
    assert r.returncode != 0, r.stdout
    got = api_log.last("GET", r"/api/v1/statuses/[^/]+", since=mark)
    assert (got.host, got.status) == (dave.host, 404)
    mark = len(api_log.entries)
    r = as_dave.run("thread", public["id"], ok=False)
    assert r.returncode != 0, r.stdout
    got = api_log.last("GET", r"/api/v1/statuses/[^/]+/context", since=mark)
    assert (got.host, got.status) == (dave.host, 404)
    api_log.check()
