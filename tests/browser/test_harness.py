"""The harness itself: the SMTP receiver and the browser's closed network."""

import smtplib
from email.message import EmailMessage

import pytest

from chromium import PageLoadError


def test_the_receiver_keeps_mails_and_finds_their_links(smtp):
    message = EmailMessage()
    message["From"] = "Kererū <kereru@mail.test>"
    message["To"] = "harness@mail.test"
    message["Subject"] = "Confirm your e-mail address"
    message.set_content("Confirm it here: http://one.test/auth/confirm?token=abc123.\n")
    message.add_alternative('<p><a href="http://one.test/auth/confirm?token=abc123">Confirm</a></p>',
                            subtype="html")
    with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as client:
        client.send_message(message)

    mail = smtp.mailbox.wait_for(to="Harness@mail.test", subject="confirm", timeout=10)
    assert mail.sender == "Kererū <kereru@mail.test>"
    assert mail.link("/auth/confirm") == "http://one.test/auth/confirm?token=abc123"
    assert "Confirm it here" in mail.text


def test_the_browser_reaches_no_host_but_the_tenants(kereru, browser):
    for url in ("http://example.com/", "https://www.google.com/"):
        with pytest.raises(PageLoadError):
            browser.open(url)

    browser.open(kereru.url("one.test"))
    assert browser.find("h1").text == "Tūī Gardens"


def test_the_api_sets_things_up_as_a_person(kereru):
    alice = kereru.api(kereru.person("alice"))
    me = alice.get("/api/v1/accounts/verify_credentials")
    assert me.status_code == 200 and me.json()["acct"] == "alice"

    text = f"Set up through the API {kereru.unique('post')}"
    posted = alice.post("/api/v1/statuses", data={"status": text, "visibility": "public"})
    assert posted.status_code == 200, posted.text
    assert text in posted.json()["content"]
