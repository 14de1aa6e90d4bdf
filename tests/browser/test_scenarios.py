"""Whole scenarios as people live them: posting with a picture and finding it
on one's public profile; following someone on another tenant through the
remote-follow flow and seeing their next post at home."""

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


def test_a_person_on_another_tenant_follows_through_remote_follow_and_sees_the_next_post(
    kereru, browsers, screenshot
):
    alice, bob = kereru.person("alice"), kereru.person("bob")
    browser = browsers.new("bob")
    # Bob, signed in at home on two.test, finds alice's profile on one.test.
    sign_in(browser, kereru, bob)
    browser.open(kereru.url("one.test", "/@alice"))
    browser.click("Follow")
    assert "/@alice/remote_follow" in browser.url
    browser.fill("Your address", bob.acct)
    screenshot("remote-follow", browser)
    browser.submit("Go to my server")
    # His own server asks him to confirm.
    assert browser.url.startswith(kereru.url("two.test", "/authorize_interaction"))
    screenshot("authorize-interaction", browser)
    browser.submit("Follow")
    assert "You follow" in browser.find("h1").text

    # Alice posts; the post reaches bob's home feed on the other tenant.
    words = kereru.unique("news")
    kereru.api(alice).post("/api/v1/statuses", data={"status": f"Fresh {words} from one.test"})
    deadline = time.monotonic() + 30
    while True:
        browser.open(kereru.url("two.test", "/home"))
        if words in browser.text:
            break
        assert time.monotonic() < deadline, "alice's post never reached bob's home feed"
        time.sleep(0.5)
    screenshot("home-of-a-follower", browser)
