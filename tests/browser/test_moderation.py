"""Moderation as people do it in a browser: someone reports a post from the
post itself; the tenant's admin finds the report in the queue, suspends the
account from the report (after saying yes to the confirmation), resolves the
report saying what was done, and finds both acts in the audit log; the
suspended person can no longer log in, and the reporter is never named."""

from kereru_server import Person, random_password


def sign_in(browser, kereru, person, return_to="/home"):
    browser.open(kereru.url(person.host, f"/auth/sign_in?return_to={return_to}"))
    browser.fill("Username or e-mail", person.username).fill("Password", person.password)
    return browser.submit("Log in")


def person(kereru, host, prefix, *, admin=False):
    who = Person(kereru.unique(prefix), host, f"{kereru.unique(prefix)}@mail.test", random_password())
    return kereru.add_person(who, admin=admin)


def test_a_report_is_worked_from_the_queue_to_a_suspension(kereru, browsers, screenshot):
    host = f"{kereru.unique('mod')}.test"
    kereru.cli("domain", "add", host, "--name", "Harbour Watch", "--registrations", "open")
    admin = person(kereru, host, "warden", admin=True)
    rita = person(kereru, host, "rita")
    spammer = person(kereru, host, "spam")
    posted = kereru.api(spammer).post("/api/v1/statuses", data={"status": "Cheap watches, follow the link!"})
    assert posted.status_code == 200, posted.text[:300]
    post_id = posted.json()["id"]

    # Rita reports the post from the post's own page.
    reporter = browsers.new("rita")
    sign_in(reporter, kereru, rita)
    reporter.open(kereru.url(host, f"/@{spammer.username}/{post_id}"))
    reporter.open(reporter.find("a.report-action").get_attribute("href"))  # "⚐ Report" under the post
    assert not reporter.unlabelled_controls(), reporter.unlabelled_controls()
    reporter.fill("It is spam: ads, scams, repeated unwanted replies", True)
    reporter.fill("Anything else the moderators should know?", "Posted the same link to everyone.")
    screenshot("report-form", reporter)
    reporter.submit("Send report")
    assert "Thank you for your report" in reporter.text

    # The admin works the queue.
    warden = browsers.new("warden")
    sign_in(warden, kereru, admin)
    warden.click("Administration")
    warden.open(kereru.url(host, "/admin/reports"))
    assert spammer.username in warden.text
    screenshot("admin-reports", warden)
    warden.open(warden.find("a.report-link").get_attribute("href"))
    assert "Posted the same link to everyone." in warden.text
    assert "Cheap watches" in warden.text, "the reported post is shown"
    warden.submit("Assign to me")
    screenshot("admin-report", warden)

    warden.click("Act on this account")
    assert spammer.username in warden.text
    assert warden.find("form.admin-action button.danger") is not None
    warden.driver.execute_script("window.confirm = () => true")  # the admin says yes
    warden.submit("Suspend")
    assert "The account is suspended." in warden.text
    screenshot("admin-account-suspended", warden)

    warden.open(kereru.url(host, "/admin/reports"))
    warden.open(warden.find("a.report-link").get_attribute("href"))
    warden.fill("What was done", "Suspended the account.")
    warden.submit("Mark as resolved")
    assert "Reopen report" in warden.text

    warden.open(kereru.url(host, "/admin/action_logs"))
    log = warden.text
    assert "suspend" in log.lower() and spammer.username in log
    assert admin.username in log, "the log names who acted"
    screenshot("admin-action-logs", warden)

    # The suspended person can no longer log in; nothing they see names Rita.
    suspended = browsers.new("spammer")
    suspended.open(kereru.url(host, "/auth/sign_in"))
    suspended.fill("Username or e-mail", spammer.username).fill("Password", spammer.password)
    suspended.submit("Log in")
    assert "/auth/sign_in" in suspended.url
    assert rita.username not in suspended.text
