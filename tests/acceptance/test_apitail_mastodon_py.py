"""The client API's last endpoints of issue 15 through Mastodon.py's own calls:
statuses (several at once), account_delete_avatar / account_delete_header,
instance_terms_of_service (404 while the tenant publishes none),
email_resend_confirmation (for a fresh sign-up, refused once confirmed), and
annual_reports / annual_report / annual_report_state (none generated). Every
raw response is checked against its Mastodon entity.

Accounts: ``alice`` and ``bob`` from KERERU_USERS (on different tenants); a
new account is signed up on alice's tenant for the confirmation mail.
"""

from __future__ import annotations

import io
import struct
import uuid
import zlib

import pytest
from mastodon import MastodonAPIError, MastodonNotFoundError

from test_scenario_mastodon_py import log_in

pytestmark = pytest.mark.server


def png(width: int = 64, height: int = 48) -> bytes:
    """A small RGB PNG, written by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (x * 4 % 256, y * 5 % 256, 120))
                    for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_several_statuses_at_once(kereru, api_log):
    alice, bob = kereru.user("alice"), kereru.user("bob")
    a = log_in(kereru, alice, api_log)
    b = log_in(kereru, bob, api_log)
    first = a.status_post("the first of two", visibility="public")
    second = a.status_post("the second, for followers", visibility="private")
    try:
        got = a.statuses([second["id"], first["id"]])
        raw = api_log.last("GET", "/api/v1/statuses").json()
        assert [s["id"] for s in raw] == [second["id"], first["id"]], "in the order asked"
        assert [s.id for s in got] == [second["id"], first["id"]]
        # bob's tenant knows neither id.
        assert b.statuses([first["id"]]) == []
    finally:
        a.status_delete(first["id"])
        a.status_delete(second["id"])
    api_log.check()


def test_deleting_the_avatar_and_header(kereru, api_log):
    alice = kereru.user("alice")
    a = log_in(kereru, alice, api_log)
    before = a.account_verify_credentials()
    a.account_update_credentials(avatar=io.BytesIO(png()), avatar_mime_type="image/png",
                                 header=io.BytesIO(png(90, 30)), header_mime_type="image/png")
    updated = api_log.last("PATCH", "/api/v1/accounts/update_credentials").json()
    assert updated["avatar"] != before["avatar"]
    a.account_delete_avatar()
    raw = api_log.last("DELETE", "/api/v1/profile/avatar", status=200).json()
    assert raw["avatar"] == before["avatar"] and raw["header"] == updated["header"]
    assert "source" in raw, "a CredentialAccount"
    account = a.account_delete_header()
    raw = api_log.last("DELETE", "/api/v1/profile/header", status=200).json()
    assert raw["header"] == before["header"] and account.header == before["header"]
    api_log.check()


def test_terms_of_service_are_404_until_published(kereru, api_log):
    alice = kereru.user("alice")
    a = log_in(kereru, alice, api_log)
    a44 = kereru.mastodon(alice.host, log=api_log.log, access_token=a.access_token, version_check_mode="none")
    with pytest.raises(MastodonNotFoundError):
        a44.instance_terms_of_service()
    api_log.last("GET", "/api/v1/instance/terms_of_service", status=404)
    api_log.check()


def test_the_sign_up_app_may_ask_for_the_confirmation_mail_again(kereru, api_log):
    alice = kereru.user("alice")
    # alice's tenant takes sign-ups by approval: the new login is unconfirmed and unapproved.
    client_id, client_secret = kereru.create_app(alice.host, "kereru-acceptance (confirmation)", log=api_log.log)
    newcomer = kereru.mastodon(alice.host, log=api_log.log, client_id=client_id, client_secret=client_secret)
    name = f"new{uuid.uuid4().hex[:8]}"
    token = newcomer.create_account(name, "a long enough password", f"{name}@mail.test", agreement=True,
                                    reason="to test the confirmation mail")
    assert token
    newcomer.email_resend_confirmation()
    assert api_log.last("POST", "/api/v1/emails/confirmations", status=200).json() == {}
    # A confirmed person (through another app than any sign-up) is refused, as Mastodon.
    a = log_in(kereru, alice, api_log)
    with pytest.raises(MastodonAPIError):
        a.email_resend_confirmation()
    api_log.last("POST", "/api/v1/emails/confirmations", status=403)
    api_log.check()


def test_annual_reports_none_generated(kereru, api_log):
    alice = kereru.user("alice")
    a = log_in(kereru, alice, api_log)
    a46 = kereru.mastodon(alice.host, log=api_log.log, access_token=a.access_token, version_check_mode="none")
    reports = a46.annual_reports()
    assert reports.annual_reports == [] and reports.accounts == [] and reports.statuses == []
    assert a46.annual_report(2025).annual_reports == []
    assert a46.annual_report_state(2025).state == "ineligible"
    a46.annual_report_read(2025)
    api_log.last("POST", r"/api/v1/annual_reports/2025/read", status=200)
    api_log.check()
