"""The tenant's front page: its name and its people, and only its own."""


def test_front_page_shows_the_tenant_and_its_people(kereru, browser, screenshot):
    browser.open(kereru.url("one.test"))

    assert "Tūī Gardens" in browser.title
    assert browser.find("h1").text == "Tūī Gardens"
    assert "@alice@one.test" in browser.text
    # one.test takes sign-ups: the page offers them, and logging in
    assert browser.has_link("Log in")
    assert browser.has_link("Create an account")
    screenshot("front-page")


def test_front_page_of_another_tenant_shows_only_its_own(kereru, browser, screenshot):
    browser.open(kereru.url("two.test"))

    assert browser.find("h1").text == "Kōwhai Hill"
    assert "@bob@two.test" in browser.text
    assert "alice" not in browser.text
    assert "Tūī Gardens" not in browser.text
    assert "one.test" not in browser.html
    screenshot("front-page-two")


def test_a_person_on_the_front_page_links_to_their_profile(kereru, browser):
    browser.open(kereru.url("one.test"))

    assert browser.link("@alice@one.test").get_attribute("href") == "http://one.test/@alice"


def test_a_host_that_is_no_tenant_gets_a_page_about_kereru_only(kereru, browser, screenshot):
    for url in (kereru.url("nobody.test"), f"http://127.0.0.1:{kereru.port}/"):
        browser.open(url)
        assert "Kererū runs here" in browser.find("h1").text, url
        for tenant in kereru.tenants:
            assert tenant.host not in browser.html and tenant.name not in browser.html, url
    screenshot("no-tenant")



def test_the_profile_page_shows_the_person(kereru, browser, screenshot):
    browser.open(kereru.url("one.test")).click("@alice@one.test")

    assert browser.url == "http://one.test/@alice"
    assert "@alice@one.test" in browser.find("main").text
    screenshot("profile")
