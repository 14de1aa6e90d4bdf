"""Announcements and trends through Mastodon.py's own calls (#15).

``ada``, an admin of the first tenant, publishes an announcement on the admin
page (``/admin/announcements``, signed in on the web). ``alice`` sees it with
``announcements()``, reacts (``announcement_reaction_create``), takes the
reaction back (``announcement_reaction_delete``) and dismisses it
(``announcement_dismiss``); ``bob``, on the other tenant, sees none and
reaches none by id. ``alice`` and ``carol`` use a fresh hashtag in public
posts: it trends (``trending_tags``, and the older ``trends``), with
``trending_statuses`` and ``trending_links`` answering in Mastodon's shapes.
The announcement is deleted and the posts removed at the end.

Every raw response is checked against its Mastodon entity (``api_log``).
"""

from __future__ import annotations

import re
import uuid

import pytest
from mastodon.errors import MastodonNotFoundError

from test_scenario_mastodon_py import log_in

pytestmark = pytest.mark.server


def _csrf(html: str) -> str:
    found = re.search(r'name="authenticity_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _web_admin(kereru, user):
    """A signed-in web session of `user` (an admin)."""
    web = kereru.session(user.host)
    page = web.get(f"http://{user.host}/auth/sign_in")
    signed = web.post(f"http://{user.host}/auth/sign_in", allow_redirects=False,
                      data={"authenticity_token": _csrf(page.text), "login": user.username,
                            "password": user.password})
    assert signed.status_code == 303, signed.text[:500]
    return web


def _admin_post(web, host, action, fields):
    page = web.get(f"http://{host}/admin/announcements")
    assert page.status_code == 200, page.text[:500]
    done = web.post(f"http://{host}{action}", allow_redirects=False,
                    data={"authenticity_token": _csrf(page.text), **fields})
    assert done.status_code == 303, done.text[:500]


def test_announcements_and_trends(kereru, api_log):
    ada, alice, carol, bob = (kereru.user(n) for n in ("ada", "alice", "carol", "bob"))
    assert ada.host == alice.host == carol.host != bob.host
    word = uuid.uuid4().hex[:8]
    web = _web_admin(kereru, ada)
    text = f"Acceptance announcement {word}"
    _admin_post(web, ada.host, "/admin/announcements", {"text": text, "publish": "on"})

    a = log_in(kereru, alice, api_log)
    b = log_in(kereru, bob, api_log)
    c = log_in(kereru, carol, api_log)
    posts = []
    announcement_id = None
    try:
        listed = a.announcements()
        raw = api_log.last("GET", "/api/v1/announcements", status=200).json()
        mine = [x for x in raw if text in x["content"]]
        assert len(mine) == 1, raw
        announcement_id = mine[0]["id"]
        assert mine[0]["read"] is False and mine[0]["reactions"] == []
        assert announcement_id in [str(x.id) for x in listed]

        a.announcement_reaction_create(announcement_id, "👍")
        seen = next(x for x in a.announcements() if str(x.id) == announcement_id)
        assert [(r.name, r.count, r.me) for r in seen.reactions] == [("👍", 1, True)]
        a.announcement_reaction_delete(announcement_id, "👍")
        seen = next(x for x in a.announcements() if str(x.id) == announcement_id)
        assert seen.reactions == []

        a.announcement_dismiss(announcement_id)
        seen = next(x for x in a.announcements() if str(x.id) == announcement_id)
        assert seen.read is True

        # The other tenant: none of these, and nothing by id.
        assert announcement_id not in [str(x.id) for x in b.announcements()]
        with pytest.raises(MastodonNotFoundError):
            b.announcement_dismiss(announcement_id)
        with pytest.raises(MastodonNotFoundError):
            b.announcement_reaction_create(announcement_id, "👍")

        # Two accounts use a fresh hashtag in public: it trends here.
        tag = f"trend{word}"
        posts.append((a, a.status_post(f"first #{tag}", visibility="public")))
        posts.append((c, c.status_post(f"second #{tag}", visibility="public")))
        c.status_favourite(posts[0][1]["id"])

        def trending_names():
            names = []
            for offset in range(0, 100, 20):
                page = a.trending_tags(limit=20, offset=offset) if offset else a.trending_tags(limit=20)
                names += [t.name for t in page]
                if len(page) < 20:
                    break
            return names

        assert tag in trending_names()
        raw = api_log.last("GET", "/api/v1/trends/tags", status=200).json()
        found = next((t for t in raw if t["name"] == tag), None)
        if found is not None:
            assert found["history"][0]["accounts"] == "2", found
        a.trending_statuses()
        statuses = api_log.last("GET", "/api/v1/trends/statuses", status=200).json()
        assert str(posts[0][1]["id"]) in [s["id"] for s in statuses] or len(statuses) == 20, statuses
        a.trending_links()
        api_log.last("GET", "/api/v1/trends/links", status=200)
    finally:
        for client, post in posts:
            client.status_delete(post["id"])
        if announcement_id is not None:
            _admin_post(web, ada.host, f"/admin/announcements/{announcement_id}/remove", {})
    assert announcement_id not in [str(x.id) for x in a.announcements()]
