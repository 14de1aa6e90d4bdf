"""The OAuth authorize page, as a Mastodon app opens it in a browser."""

from urllib.parse import urlencode

OOB = "urn:ietf:wg:oauth:2.0:oob"


def register_app(kereru, host: str, name: str = "Browser Test App") -> dict:
    """POST /api/v1/apps, as an app does before sending its user to the browser."""
    resp = kereru.request("POST", host, "/api/v1/apps", data={
        "client_name": name, "redirect_uris": OOB, "scopes": "read write",
        "website": "https://app.example"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def authorize_url(kereru, host: str, app: dict, scope: str = "read write") -> str:
    query = urlencode({"client_id": app["client_id"], "redirect_uri": OOB,
                       "response_type": "code", "scope": scope})
    return kereru.url(host, f"/oauth/authorize?{query}")


def test_authorize_page_is_a_login_form_with_labelled_inputs(kereru, browser, screenshot):
    app = register_app(kereru, "one.test")
    browser.open(authorize_url(kereru, "one.test", app))

    assert "Browser Test App" in browser.find("h1").text
    assert "Tūī Gardens" in browser.text
    login, password = browser.control("Username or e-mail"), browser.control("Password")
    assert login.get_attribute("autocomplete") == "username"
    assert password.get_attribute("type") == "password"
    assert browser.unlabelled_controls() == []
    assert {"Authorize", "Deny"} <= set(browser.button_names())
    screenshot("oauth-authorize")


def test_logging_in_on_the_authorize_page_gives_the_code(kereru, browser, screenshot):
    alice = kereru.person("alice")
    app = register_app(kereru, "one.test")
    browser.open(authorize_url(kereru, "one.test", app))

    browser.fill("Username or e-mail", alice.username).fill("Password", alice.password)
    browser.submit("Authorize")

    assert "is authorized" in browser.find("h1").text
    code = browser.control("Authorization code").get_attribute("value")
    assert len(code) >= 20
    screenshot("oauth-code")

    # the code is worth a token, as the app will find
    resp = kereru.request("POST", "one.test", "/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": app["client_id"],
        "client_secret": app["client_secret"], "redirect_uri": OOB})
    assert resp.status_code == 200, resp.text
    assert resp.json()["token_type"].lower() == "bearer"


def test_a_wrong_password_on_the_authorize_page_shows_the_error(kereru, browser):
    app = register_app(kereru, "one.test")
    browser.open(authorize_url(kereru, "one.test", app))

    browser.fill("Username or e-mail", "alice").fill("Password", "not her password")
    browser.submit("Authorize")

    assert browser.find("[role=alert]").text
    assert browser.control("Username or e-mail").get_attribute("value") == "alice"
    assert browser.control("Password").get_attribute("value") == ""


def test_an_account_of_one_tenant_cannot_log_in_on_another(kereru, browser):
    # alice exists on one.test only: two.test's authorize page does not know her
    app = register_app(kereru, "two.test")
    browser.open(authorize_url(kereru, "two.test", app))
    browser.fill("Username or e-mail", "alice").fill("Password", kereru.person("alice").password)
    browser.submit("Authorize")

    assert browser.find("[role=alert]").text
    assert "is authorized" not in browser.text
