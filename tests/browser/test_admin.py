"""The administration area as its staff use it: a tenant's admin finds the
Administration link, changes the server's settings and adds a rule that the
about page then shows; a host admin adds a tenant and sees the DNS records to
set, then suspends and removes it after typing its host. Each test makes its
own tenant, so the session's tenants keep their settings."""


from kereru_server import Person, random_password


def sign_in(browser, kereru, person, return_to="/home"):
    browser.open(kereru.url(person.host, f"/auth/sign_in?return_to={return_to}"))
    browser.fill("Username or e-mail", person.username).fill("Password", person.password)
    return browser.submit("Log in")


def own_tenant(kereru, prefix):
    """A fresh tenant (open sign-ups) and its admin, made with the CLI."""
    host = f"{kereru.unique(prefix)}.test"
    kereru.cli("domain", "add", host, "--name", "Harbour Club", "--registrations", "open")
    admin = Person(kereru.unique("admin"), host, f"{kereru.unique('a')}@mail.test", random_password())
    kereru.add_person(admin, admin=True)
    return host, admin


def test_an_admin_changes_the_settings_and_adds_a_rule(kereru, browsers, screenshot):
    host, admin = own_tenant(kereru, "settings")
    browser = browsers.new("admin")
    sign_in(browser, kereru, admin)
    browser.click("Administration")
    assert browser.url == kereru.url(host, "/admin")
    assert "open report" in browser.text and "waiting for approval" in browser.text
    screenshot("admin-dashboard", browser)

    browser.click("Server settings")
    assert browser.url == kereru.url(host, "/admin/settings")
    assert not browser.unlabelled_controls(), browser.unlabelled_controls()
    browser.fill("Name", "Harbour Friends")
    browser.fill("Description", "Sailors and their friends, around the harbour.")
    browser.fill("Anyone, after approval", True)
    browser.fill("Everyone may invite people", True)
    browser.submit("Save settings")
    assert "The settings are saved." in browser.text
    assert browser.control("Name").get_attribute("value") == "Harbour Friends"
    assert browser.control("Anyone, after approval").is_selected()
    screenshot("admin-settings", browser)

    # A blank name is refused next to the field; nothing changes.
    browser.fill("Name", " ")
    browser.driver.execute_script("document.getElementById('name').removeAttribute('required')")
    browser.submit("Save settings")
    assert "Give the server a name." in browser.find("#name-error").text
    assert browser.control("Name").get_attribute("aria-invalid") == "true"
    screenshot("admin-settings-error", browser)

    browser.click("Rules")
    browser.fill("Rule", "Be kind to each other.")
    browser.submit("Add the rule")
    browser.fill("Rule", "No advertising.")
    browser.submit("Add the rule")
    assert "The rule is added." in browser.text
    browser.submit("Move rule 2 up")
    texts = [el.get_attribute("value") for el in browser.find_all("ol.admin-rules textarea")]
    assert texts == ["No advertising.", "Be kind to each other."], texts
    screenshot("admin-rules", browser)

    visitor = browsers.new("visitor")
    visitor.open(kereru.url(host, "/about"))
    assert "Harbour Friends" in visitor.text
    assert "Sailors and their friends" in visitor.text
    assert visitor.text.index("No advertising.") < visitor.text.index("Be kind to each other.")
    assert not visitor.has_link("Administration")


def test_a_user_sees_no_administration(kereru, browsers):
    alice = kereru.person("alice")
    browser = browsers.new("alice")
    sign_in(browser, kereru, alice)
    assert not browser.has_link("Administration")
    browser.open(kereru.url(alice.host, "/admin/settings"))
    assert "not allowed" in browser.text.lower()


def make_host_admin(kereru, person):
    kereru.cli("admin", "grant", "--host-admin", "--domain", person.host, "--username", person.username)


def test_a_host_admin_adds_a_tenant_and_sees_its_dns_records(kereru, browsers, screenshot):
    host, root = own_tenant(kereru, "host")
    make_host_admin(kereru, root)
    browser = browsers.new("root")
    sign_in(browser, kereru, root)
    browser.click("Administration")
    assert browser.has_link("Tenants") and browser.has_link("Delivery queue")
    browser.click("Tenants")
    assert host in browser.text
    new_host = f"{kereru.unique('new')}.test"
    browser.fill_form({"Domain": new_host, "Name (optional)": "Gulls", "Who may sign up": "Anyone, after approval"})
    browser.submit("Add the tenant")
    assert "The tenant is added." in browser.text
    assert "dns records to set" in browser.text.lower()
    records = browser.find("table.dns-records").text
    assert f"{new_host}." in records and "AAAA" in records
    screenshot("admin-host-tenant-added", browser)

    assert browser.find("form[action$='/suspend']").get_attribute("data-confirm"), "suspending asks first"
    browser.driver.execute_script("window.confirm = () => true")  # the person says yes
    browser.submit("Suspend")
    assert "suspended" in browser.text
    browser.click("Remove…")
    browser.fill(f"Type {new_host} to confirm", "wrong.test")
    browser.submit(f"Remove {new_host} for ever")
    assert "Type" in browser.find("[role=alert]").text
    screenshot("admin-host-tenant-remove", browser)
    browser.fill(f"Type {new_host} to confirm", new_host)
    browser.submit(f"Remove {new_host} for ever")
    assert "The tenant is removed" in browser.text
    assert new_host not in browser.find(".tenant-list").text
    screenshot("admin-host-tenants", browser)

    browser.click("Delivery queue")
    assert "received activities" in browser.text.lower()
    screenshot("admin-host-queue", browser)

    browser.click("Moderation everywhere")
    assert host in browser.find("table").text, "every tenant has a row"
    screenshot("admin-host-moderation", browser)


def test_an_admin_publishes_an_announcement_and_turns_trends_off(kereru, browsers, screenshot):
    host, admin = own_tenant(kereru, "news")
    browser = browsers.new("admin")
    sign_in(browser, kereru, admin)
    browser.open(kereru.url(host, "/admin"))
    browser.click("Announcements")
    assert browser.url == kereru.url(host, "/admin/announcements")
    assert "No announcements yet." in browser.text
    assert not browser.unlabelled_controls(), browser.unlabelled_controls()
    browser.fill("Text", "The harbour festival is on Saturday! #festival")
    browser.fill("Publish now", True)
    browser.submit("Save the announcement")
    assert "The announcement is published." in browser.text
    assert "The harbour festival is on Saturday!" in browser.text
    assert "Published" in browser.text
    assert not browser.unlabelled_controls(), browser.unlabelled_controls()
    screenshot("admin-announcements", browser)

    browser.click("Trends")
    assert browser.url == kereru.url(host, "/admin/trends")
    browser.fill("Show trends", False)
    browser.submit("Save")
    assert "Saved." in browser.text
    assert not browser.control("Show trends").is_selected()
    screenshot("admin-trends", browser)
