"""Logging in and out with the tenant's own form, and a session that is worth
nothing on another tenant."""


def sign_in(browser, kereru, person, return_to="/"):
    browser.open(kereru.url(person.host, f"/auth/sign_in?return_to={return_to}"))
    browser.fill("Username or e-mail", person.username).fill("Password", person.password)
    return browser.submit("Log in")


def test_sign_in_form_has_labelled_inputs(kereru, browser, screenshot):
    browser.open(kereru.url("one.test", "/auth/sign_in"))

    assert browser.find("h1").text == "Log in to Tūī Gardens"
    assert browser.control("Username or e-mail").get_attribute("autocomplete") == "username"
    assert browser.control("Password").get_attribute("type") == "password"
    assert browser.unlabelled_controls() == []
    screenshot("sign-in")


def test_a_person_logs_in_and_out(kereru, browser, screenshot):
    sign_in(browser, kereru, kereru.person("alice"))

    assert browser.url == "http://one.test/"
    assert "Log out" in browser.button_names()
    assert "Log in" not in browser.links()
    screenshot("front-page-signed-in")

    browser.click("Log out")
    assert browser.url == "http://one.test/"
    assert browser.has_link("Log in")
    assert "Log out" not in browser.button_names()


def test_a_wrong_password_shows_the_form_again_with_the_error(kereru, browser, screenshot):
    browser.open(kereru.url("one.test", "/auth/sign_in"))
    browser.fill("Username or e-mail", "alice").fill("Password", "not her password")
    browser.submit("Log in")

    assert "Invalid login or password" in browser.find("[role=alert]").text
    assert browser.control("Username or e-mail").get_attribute("value") == "alice"
    assert browser.control("Password").get_attribute("value") == ""
    screenshot("sign-in-error")


def test_a_session_on_one_tenant_is_not_a_session_on_another(kereru, browser):
    sign_in(browser, kereru, kereru.person("alice"))
    assert "Log out" in browser.button_names()

    browser.open(kereru.url("two.test"))
    assert "Log out" not in browser.button_names()
    assert browser.has_link("Log in")


def test_two_people_in_two_browsers_have_their_own_sessions(kereru, browsers):
    alice, bob = kereru.person("alice"), kereru.person("bob")
    alices, bobs = browsers.new("alice"), browsers.new("bob")
    sign_in(alices, kereru, alice)
    sign_in(bobs, kereru, bob)

    assert "Log out" in alices.button_names() and alices.url == "http://one.test/"
    assert "Log out" in bobs.button_names() and bobs.url == "http://two.test/"
    # bob's browser is not logged in on one.test
    bobs.open(kereru.url("one.test"))
    assert "Log out" not in bobs.button_names()
