"""Whole scenarios as people live them: signing up, confirming by the mailed
link, posting a picture and finding it on one's public profile; being followed
from another tenant through the remote-follow flow, whose follower sees the
next post at home; a sign-up by approval that waits for the staff."""

import struct
import time
import zlib


def png_file(tmp_path, name="picture.png", size=(24, 16)):
    """A small real PNG (a colour gradient), written to `tmp_path`."""
    width, height = size
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 10 % 256, y * 15 % 256, 120)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    path = tmp_path / name
    path.write_bytes(png)
    return path


def sign_in(browser, kereru, person, return_to="/home"):
    browser.open(kereru.url(person.host, f"/auth/sign_in?return_to={return_to}"))
    browser.fill("Username or e-mail", person.username).fill("Password", person.password)
    return browser.submit("Log in")


def test_a_person_posts_a_picture_and_it_is_on_their_public_profile(kereru, browsers, tmp_path, screenshot):
    alice = kereru.person("alice")
    browser = browsers.new("alice")
    sign_in(browser, kereru, alice)
    assert browser.url == kereru.url("one.test", "/home")
    words = kereru.unique("garden")
    browser.fill("What's on your mind?", f"Kererū in the {words} #birds")
    browser.find("details.compose-images summary").click()
    browser.fill("Image 1", str(png_file(tmp_path)))
    browser.fill("Alt text of image 1", f"A wood pigeon in the {words}")
    screenshot("compose", browser)
    browser.submit("Post")
    assert browser.url == kereru.url("one.test", "/home")
    assert words in browser.text, "the post is at the top of the home feed"
    screenshot("home-after-post", browser)

    visitor = browsers.new("visitor")
    visitor.open(kereru.url("one.test", "/@alice"))
    assert words in visitor.text
    images = [img for img in visitor.find_all("article img") if words in (img.get_attribute("alt") or "")]
    assert images, "the picture is on the profile with its alt text"
    assert visitor.driver.execute_script("return arguments[0].naturalWidth", images[0]) > 0, "and it loads"
    screenshot("profile-with-post", visitor)


def sign_up(browser, kereru, person, reason=None):
    browser.open(kereru.url(person.host))
    browser.click("Sign up")
    browser.fill_form({
        "Username": person.username,
        "E-mail address": person.email,
        "Password": person.password,
        "Password again": person.password,
    })
    if reason is not None:
        browser.fill("Why do you want to join?", reason)
    browser.fill(f"I accept the rules and the privacy policy of {tenant_name(kereru, person.host)}", True)
    return browser


def tenant_name(kereru, host):
    return next(t.name for t in kereru.tenants if t.host == host)


def test_a_person_signs_up_posts_a_picture_and_is_followed_from_another_tenant(
    kereru, browsers, mailbox, new_person, tmp_path, screenshot
):
    ann = new_person("one.test")
    browser = browsers.new("ann")
    sign_up(browser, kereru, ann)
    screenshot("sign-up", browser)
    browser.submit("Create my account")
    assert browser.url == kereru.url("one.test", "/auth/sign_up/check_email")
    screenshot("sign-up-check-email", browser)

    # Before confirming, the password alone does not let her in.
    sign_in(browser, kereru, ann)
    assert "confirm your e-mail address" in browser.find("[role=alert]").text
    screenshot("sign-in-unconfirmed", browser)

    mail = mailbox.wait_for(to=ann.email, subject="Confirm your e-mail address")
    browser.open(mail.link("/auth/confirmation"))
    assert "Your address is confirmed" in browser.find("h1").text
    screenshot("confirmed", browser)

    sign_in(browser, kereru, ann)
    assert browser.url == kereru.url("one.test", "/home")
    words = kereru.unique("first")
    browser.fill("What's on your mind?", f"My {words} post, with a picture")
    browser.find("details.compose-images summary").click()
    browser.fill("Image 1", str(png_file(tmp_path, "first.png")))
    browser.fill("Alt text of image 1", f"The view from my {words} window")
    browser.submit("Post")

    browser.open(kereru.url("one.test", f"/@{ann.username}"))
    assert words in browser.text
    alts = [img.get_attribute("alt") or "" for img in browser.find_all("article img")]
    assert f"The view from my {words} window" in alts
    screenshot("new-person-profile", browser)

    # Bob, signed in at home on two.test, follows her through the remote-follow flow.
    bob = kereru.person("bob")
    bobs = browsers.new("bob")
    sign_in(bobs, kereru, bob)
    bobs.open(kereru.url("one.test", f"/@{ann.username}"))
    bobs.click("Follow")
    assert f"/@{ann.username}/remote_follow" in bobs.url
    bobs.fill("Your address", bob.acct)
    screenshot("remote-follow", bobs)
    bobs.submit("Go to my server")
    # His own server asks him to confirm.
    assert bobs.url.startswith(kereru.url("two.test", "/authorize_interaction"))
    screenshot("authorize-interaction", bobs)
    bobs.submit("Follow")
    assert "You follow" in bobs.find("h1").text

    # Her next post reaches his home page on the other tenant.
    news = kereru.unique("news")
    browser.open(kereru.url("one.test", "/home"))
    browser.fill("What's on your mind?", f"Hello to my first follower, {news}")
    browser.submit("Post")
    deadline = time.monotonic() + 30
    while True:
        bobs.open(kereru.url("two.test", "/home"))
        if news in bobs.text:
            break
        assert time.monotonic() < deadline, "her post never reached bob's home page"
        time.sleep(0.5)
    screenshot("home-of-a-follower", bobs)


def test_a_sign_up_by_approval_waits_until_the_staff_approves_it(kereru, browsers, mailbox, new_person, screenshot):
    cat = new_person("two.test")
    browser = browsers.new("cat")
    sign_up(browser, kereru, cat, reason="I live on Kōwhai Hill")
    screenshot("sign-up-approval", browser)
    browser.submit("Create my account")
    mail = mailbox.wait_for(to=cat.email, subject="Confirm your e-mail address")
    browser.open(mail.link("/auth/confirmation"))
    assert "waits for approval" in browser.text

    sign_in(browser, kereru, cat)
    assert "waiting for approval" in browser.find("[role=alert]").text
    assert "Log out" not in browser.button_names()
    screenshot("sign-in-awaiting-approval", browser)

    # The tenant's staff approve (from the command line until the admin pages exist).
    out = kereru.cli("user", "approve", "--domain", "two.test", "--username", cat.username)
    assert out.stdout.startswith("approved"), out.stdout
    approved = mailbox.wait_for(to=cat.email, subject="is approved")
    assert "/auth/sign_in" in approved.text

    sign_in(browser, kereru, cat)
    assert browser.url == kereru.url("two.test", "/home")
    assert "Log out" in browser.button_names()
