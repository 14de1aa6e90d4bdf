"""The families built for issue 15, driven by toot (0.52.1)'s own commands —
and, where toot has an API function but no command (conversations), by that
function run in a toot process: lists, followed (and featured) tags,
notifications, polls (a poll by dave on b.test voted on by carol on a.test),
scheduled posts, direct messages and conversations, bookmarks and
favourites, and video and audio uploads (toot waits for their processing).

Every response toot receives is checked against its Mastodon entity (the
fixture `api_log`, as test_scenario_toot.py explains). Accounts: ``carol``
(a.test) and ``dave`` (b.test) from KERERU_USERS, as the toot scenario.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest

import clients
from test_scenario_toot import Toot, login, poll_toot, tag

pytestmark = pytest.mark.server

DEADLINE = 20.0


def toot_api(toot: Toot, code: str):
    """Runs `code` in a toot process (routed and logged as the CLI is) with
    `api`, `app` and `user` of toot's active login; returns what it prints as JSON."""
    script = ("import json\nfrom toot import api, config\nuser, app = config.get_active_user_app()\n" + code)
    r = subprocess.run([sys.executable, "-c", script], env=dict(toot.env), capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, f"toot api: {r.stderr}"
    return json.loads(r.stdout)


def test_toot_lists_and_tags(kereru, api_log, tmp_path):
    carol, dave = kereru.user("carol"), kereru.user("dave")
    toot = Toot(kereru, tmp_path / "carol", api_log)
    login(kereru, carol, toot)
    t = tag()
    toot.run("follow", dave.acct)

    title = f"toot list {t}"
    created = toot.json("lists", "create", title, "--replies-policy", "list")
    assert created == api_log.last("POST", "/api/v1/lists").json()
    assert created["title"] == title and created["replies_policy"] == "list"
    try:
        assert title in [entry["title"] for entry in toot.json("lists", "list")]
        toot.run("lists", "add", title, dave.acct)
        members = toot.json("lists", "accounts", title)
        assert [m["acct"] for m in members] == [dave.acct]
        r = toot.run("timeline", "--list", created["id"], "--once")
        assert r.returncode == 0
        toot.run("lists", "remove", title, dave.acct)
        assert toot.json("lists", "accounts", title) == []
    finally:
        toot.run("lists", "delete", title)
    assert title not in [entry["title"] for entry in toot.json("lists", "list")]

    name = f"kereru{t}"
    # toot finds a tag by searching for it, and search finds tags that posts use.
    tagged = toot.json("post", f"about #{name}", "--visibility", "public")
    followed = toot.json("tags", "follow", name)
    assert followed["name"] == name and followed["following"] is True
    assert name in [x["name"] for x in toot.json("tags", "followed")]
    info = toot.json("tags", "info", name)
    assert info["name"] == name and info["following"] is True
    toot.json("tags", "unfollow", name)
    assert name not in [x["name"] for x in toot.json("tags", "followed")]
    featured = toot.json("tags", "feature", name)
    assert featured["name"] == name
    assert name in [x["name"] for x in toot.json("tags", "featured")]
    toot.run("tags", "unfeature", name)
    assert name not in [x["name"] for x in toot.json("tags", "featured")]
    toot.run("delete", tagged["id"])
    api_log.check()


def test_toot_polls_and_notifications_across_tenants(kereru, api_log, tmp_path):
    carol, dave = kereru.user("carol"), kereru.user("dave")
    as_carol = Toot(kereru, tmp_path / "carol", api_log)
    as_dave = Toot(kereru, tmp_path / "dave", api_log)
    login(kereru, carol, as_carol)
    login(kereru, dave, as_dave)
    t = tag()
    # dave asks carol (a mention reaches her tenant), with a poll.
    posted = as_dave.json("post", f"@{carol.acct} tea or coffee {t}", "--visibility", "public",
                          "--poll-option", "tea", "--poll-option", "coffee", "--poll-expires-in", "1h")
    assert [o["title"] for o in posted["poll"]["options"]] == ["tea", "coffee"]
    try:
        notes = poll_toot(as_carol, ["notifications", "--type", "mention"],
                          lambda ns: any(t in (n.get("status") or {}).get("content", "") for n in ns),
                          "dave's poll as a mention on carol's tenant")
        mention = next(n for n in notes if t in n["status"]["content"])
        assert mention["type"] == "mention" and mention["account"]["acct"] == dave.acct
        poll_id = mention["status"]["poll"]["id"]
        shown = as_carol.json("polls", "show", poll_id)
        assert shown["voted"] is False and shown["id"] == poll_id
        voted = as_carol.json("polls", "vote", poll_id, "1")
        assert voted["voted"] is True and voted["own_votes"] == [1]
        r = as_carol.run("polls", "vote", poll_id, "0", ok=False)
        assert r.returncode != 0, "a second vote is refused"
        r = as_dave.run("polls", "vote", posted["poll"]["id"], "0", ok=False)
        assert r.returncode != 0, "no vote on one's own poll"
        # The vote reaches dave's tenant.
        poll_toot(as_dave, ["polls", "show", posted["poll"]["id"]],
                  lambda p: p["votes_count"] == 1, "carol's vote counted on dave's tenant")
        # Notifications as toot shows them, and filtered by type.
        r = as_carol.run("notifications")
        assert f"tea or coffee {t}" in r.stdout, r.stdout
        assert not any(n["type"] == "mention" for n in as_carol.json("notifications", "--exclude-type", "mention"))
    finally:
        as_dave.run("delete", posted["id"])
    api_log.check()


def test_toot_scheduled_posts_direct_messages_bookmarks_and_favourites(kereru, api_log, tmp_path):
    carol, dave = kereru.user("carol"), kereru.user("dave")
    toot = Toot(kereru, tmp_path / "carol", api_log)
    login(kereru, carol, toot)
    t = tag()

    scheduled = toot.json("post", f"later {t}", "--scheduled-in", "1d")
    raw = api_log.last("POST", "/api/v1/statuses").json()
    assert scheduled == raw and raw["params"]["text"] == f"later {t}" and "scheduled_at" in raw
    r = toot.run("post", f"later again {t}", "--scheduled-in", "1d")
    assert "Toot scheduled for" in r.stdout, r.stdout
    again = api_log.last("POST", "/api/v1/statuses").json()
    listed = toot_api(toot, "print(json.dumps(api.scheduled_statuses(app, user)))")
    assert {scheduled["id"], again["id"]} <= {s["id"] for s in listed}

    # A direct message to dave is a conversation (toot's API function for it).
    direct = toot.json("post", f"@{dave.acct} just between us {t}", "--visibility", "direct")
    conversations = toot_api(
        toot, "print(json.dumps(next(api.conversation_timeline_generator(app, user, limit=20))))")
    assert direct["id"] in [s["id"] for s in conversations]

    # Bookmarks and favourites, by toot's commands.
    status = toot.json("post", f"keep this {t}", "--visibility", "public")
    try:
        assert toot.json("bookmark", status["id"])["bookmarked"] is True
        r = toot.run("bookmarks", "--once")
        assert f"keep this {t}" in r.stdout, r.stdout
        assert toot.json("favourite", status["id"])["favourited"] is True
        favourites = toot.json("timelines", "favourites")
        assert status["id"] in [s["id"] for s in favourites]
        assert toot.json("unbookmark", status["id"])["bookmarked"] is False
        assert toot.json("unfavourite", status["id"])["favourited"] is False
        assert status["id"] not in [s["id"] for s in toot.json("timelines", "favourites")]
    finally:
        toot.run("delete", status["id"])
        toot.run("delete", direct["id"])
    api_log.check()


def ffmpeg(path, *args):
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is not installed (scripts/ensure-test-deps installs it)")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args, str(path)], check=True)


def test_toot_uploads_video_and_audio(kereru, api_log, tmp_path):
    carol = kereru.user("carol")
    toot = Toot(kereru, tmp_path / "carol", api_log)
    login(kereru, carol, toot)
    t = tag()
    clip, tone = tmp_path / "clip.mp4", tmp_path / "tone.mp3"
    # With sound: a silent video is a `gifv`, as Mastodon classifies it.
    ffmpeg(clip, "-f", "lavfi", "-i", "testsrc=duration=1:size=64x48:rate=10", "-f", "lavfi", "-i",
           "sine=frequency=440:duration=1", "-pix_fmt", "yuv420p", "-shortest")
    ffmpeg(tone, "-f", "lavfi", "-i", "sine=frequency=440:duration=1")

    uploaded = toot.json("upload", str(tone), "--description", "a tone")
    assert uploaded["type"] == "audio" and uploaded["description"] == "a tone"
    # toot post waits until the server has processed the media, then posts it.
    r = toot.run("post", f"a clip {t}", "--media", str(clip), "--description", "test pattern", "--json")
    # toot says it waits for the processing before the JSON it prints.
    posted = json.loads(r.stdout[r.stdout.index("{"):])
    assert posted == api_log.last("POST", "/api/v1/statuses").json()
    assert api_log.last("GET", "/api/v1/media/[^/]+", status=200).json()["url"], "toot waited for the URL"
    try:
        media = posted["media_attachments"]
        assert [m["type"] for m in media] == ["video"], media
        assert media[0]["url"] and media[0]["description"] == "test pattern"
        deadline = time.monotonic() + DEADLINE
        while toot.json("status", posted["id"])["media_attachments"][0]["url"] is None:
            assert time.monotonic() < deadline, "the video never got its URL"
            time.sleep(0.2)
    finally:
        toot.run("delete", posted["id"])
    api_log.check()
