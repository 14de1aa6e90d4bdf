"""Issue 15, through Mastodon.py's own calls: quote posts (``status_post``
with ``quoted_status_id``, ``status_quotes``, ``status_quote_revoke``,
``status_update_quote_approval_policy``), delete-and-redraft
(``status_delete`` keeps the media for the new post), the instance's weekly
activity (``instance_activity``) and sign-up errors (``create_account`` with
``return_detailed_error``: every field's problem, Mastodon's codes).

Accounts: ``alice`` and ``carol`` (one tenant), ``root`` for its host.
"""

from __future__ import annotations

import uuid

import pytest
from mastodon import MastodonAPIError

from test_scenario_mastodon_py import log_in

pytestmark = pytest.mark.server

def png(size: int = 8) -> bytes:
    """A small, valid PNG (grey gradient)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes((x * 30 + y * 7) % 256 for x in range(size)) for y in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_quote_posts(kereru, api_log):
    a = log_in(kereru, kereru.user("alice"), api_log)
    b = log_in(kereru, kereru.user("carol"), api_log)
    original = a.status_post("quote me " + uuid.uuid4().hex[:6], visibility="public")
    quoting = b.status_post("quoting", quoted_status_id=original["id"])
    raw = api_log.last("POST", "/api/v1/statuses", status=200).json()
    assert raw["quote"]["state"] == "accepted"
    assert raw["quote"]["quoted_status"]["id"] == str(original["id"])
    assert raw["quote_approval"] == {"automatic": ["public"], "manual": [], "current_user": "automatic"}

    listed = a.status_quotes(original["id"])
    assert [str(s["id"]) for s in listed] == [str(quoting["id"])]
    assert a.status(original["id"])["quotes_count"] == 1

    revoked = a.status_quote_revoke(original["id"], quoting["id"])
    assert revoked["quote"]["state"] == "revoked"
    assert a.status_quotes(original["id"]) == []

    a.status_update_quote_approval_policy(original["id"], "nobody")
    policy = api_log.last("PUT", r"/api/v1/statuses/\d+/interaction_policy", status=200).json()
    assert policy["quote_approval"]["automatic"] == []
    with pytest.raises(MastodonAPIError):
        b.status_post("not allowed", quoted_status_id=original["id"])
    assert api_log.last("POST", "/api/v1/statuses").status == 403
    api_log.check()


def test_delete_and_redraft_reuses_the_media(kereru, api_log):
    a = log_in(kereru, kereru.user("alice"), api_log)
    media = a.media_post(png(), mime_type="image/png", description="a gradient")
    first = a.status_post("first draft", media_ids=[media["id"]])
    deleted = a.status_delete(first["id"])
    assert deleted["text"] == "first draft"
    assert [str(m["id"]) for m in deleted["media_attachments"]] == [str(media["id"])]
    redraft = a.status_post(deleted["text"] + ", again", media_ids=[m["id"] for m in deleted["media_attachments"]])
    assert [str(m["id"]) for m in redraft["media_attachments"]] == [str(media["id"])]
    a.status_delete(redraft["id"], delete_media=True)
    with pytest.raises(MastodonAPIError):
        a.status_post("third", media_ids=[media["id"]])
    api_log.check()


def test_instance_activity(kereru, api_log):
    a = log_in(kereru, kereru.user("alice"), api_log)
    weeks = a.instance_activity()
    raw = api_log.last("GET", "/api/v1/instance/activity", status=200).json()
    assert len(raw) == 12 and len(weeks) == 12
    assert all(isinstance(w[k], str) for w in raw for k in ("week", "statuses", "logins", "registrations"))
    assert int(raw[0]["logins"]) >= 1, "alice just signed in"
    api_log.check()


def test_sign_up_errors_name_each_field(kereru, api_log):
    root = kereru.user("root")
    client_id, client_secret = kereru.create_app(root.host, "kereru-acceptance (sign-up errors)", log=api_log.log)
    newcomer = kereru.mastodon(root.host, log=api_log.log, client_id=client_id, client_secret=client_secret)
    token, error = newcomer.create_account("no spaces!", "short", "not-an-address", agreement=False,
                                           return_detailed_error=True)
    assert token is None
    raw = api_log.last("POST", "/api/v1/accounts", status=422).json()
    assert raw["error"].startswith("Validation failed: ")
    codes = {field: [e["error"] for e in errors] for field, errors in raw["details"].items()}
    assert codes == {"username": ["ERR_INVALID"], "email": ["ERR_INVALID"], "password": ["ERR_TOO_SHORT"],
                     "agreement": ["ERR_ACCEPTED"]}
    assert error["details"]["password"][0]["error"] == "ERR_TOO_SHORT"
    api_log.check()
