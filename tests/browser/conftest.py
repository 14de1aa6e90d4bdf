"""Fixtures for browser tests: a real `kereru serve`, a real SMTP receiver and
headless Chromium, once per session (see README.md).

  kereru      the server (session): tenants one.test (open sign-up) and
              two.test (sign-up by approval), people alice@one.test and
              bob@two.test; kereru.url(host, path), kereru.cli(...),
              kereru.request(...), kereru.person("alice"), kereru.api(person)
  mailbox     what the SMTP receiver got: mailbox.wait_for(to=...) -> Mail
              (.subject, .text, .html, .links, .link(containing))
  browser     a fresh headless Chromium (own profile, own cookies) for this test
  browsers    more of them: browsers.new("bob") for a second person
  screenshot  screenshot("name") saves the page at phone and desktop width
  new_person  new_person("one.test") -> a Person who does not exist yet
  artifacts   the artifacts directory (session)

Environment:
  KERERU_BIN                  the kereru binary (default $CARGO_TARGET_DIR/debug/kereru,
                              CARGO_TARGET_DIR defaulting to ~/.cache/kereru-target)
  KERERU_ARTIFACTS            where screenshots, mails and logs go (default
                              $CARGO_TARGET_DIR/browser-artifacts, else /tmp/kereru-browser-artifacts)
  KERERU_CHROMIUM, KERERU_CHROMEDRIVER   default /usr/bin/chromium, /usr/bin/chromedriver
  KERERU_BROWSER_START_TIMEOUT, KERERU_BROWSER_STOP_TIMEOUT   seconds for the server
                              to listen (120) and to stop after SIGTERM (60)
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import signal
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chromium import Browser
from kereru_server import KereruServer, Person, ServerError, Tenant, random_password
from smtp_mailbox import Mailbox, SmtpReceiver

TENANTS = (
    Tenant("one.test", "Tūī Gardens", registrations="open"),
    Tenant("two.test", "Kōwhai Hill", registrations="approval"),
)
PASSWORD = random_password()
PEOPLE = (
    Person("alice", "one.test", "alice@mail.test", PASSWORD),
    Person("bob", "two.test", "bob@mail.test", PASSWORD),
)
MAIL_FROM = "Kererū <kereru@mail.test>"


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR") or Path.home() / ".cache" / "kereru-target")


def kereru_binary() -> Path:
    return Path(os.environ.get("KERERU_BIN") or target_dir() / "debug" / "kereru")


def artifacts_dir() -> Path:
    if os.environ.get("KERERU_ARTIFACTS"):
        return Path(os.environ["KERERU_ARTIFACTS"])
    if os.environ.get("CARGO_TARGET_DIR"):
        return Path(os.environ["CARGO_TARGET_DIR"]) / "browser-artifacts"
    return Path("/tmp/kereru-browser-artifacts")


def pytest_configure(config):
    # SIGTERM (scripts/browser-tests' timeout, CI) ends the run as Ctrl-C
    # does, so that the fixtures still stop the server and the browsers.
    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, interrupt)


def pytest_report_header(config):
    return f"kereru: {kereru_binary()}; artifacts in {artifacts_dir()}"


@dataclass
class Site:
    """The running server, its tenants and the people provisioned on them."""

    server: KereruServer = field(repr=False)
    tenants: tuple[Tenant, ...]
    people: tuple[Person, ...]
    mail_configured: bool
    mail_refused: str = field(default="", repr=False)  # why the server refused the [mail] settings
    _names: itertools.count = field(default_factory=lambda: itertools.count(1), repr=False)

    @property
    def port(self) -> int:
        return self.server.port

    def url(self, host: str, path: str = "/") -> str:
        """The URL a person types: http://HOST/PATH (the browser maps every
        *.test host to this server, port included)."""
        return f"http://{host}{path if path.startswith('/') else '/' + path}"

    def tenant(self, host: str) -> Tenant:
        return next(t for t in self.tenants if t.host == host)

    def person(self, username: str) -> Person:
        """A provisioned person by username (or username@host)."""
        name, _, host = username.partition("@")
        return next(p for p in self.people if p.username == name and (not host or p.host == host))

    def cli(self, *args: str, input: str | None = None, check: bool = True):
        """`kereru ARGS` on the server's data directory (e.g. to approve someone)."""
        return self.server.cli(*args, input=input, check=check)

    def request(self, method: str, host: str, path: str, **kwargs):
        """An HTTP request without a browser (requests), for tenant `host`."""
        return self.server.request(method, host, path, **kwargs)

    def add_person(self, person: Person, *, admin: bool = False) -> Person:
        """Creates `person`'s account with the CLI (kereru user create)."""
        self.server.add_person(person, admin=admin)
        return person

    def api(self, person: Person, scopes: str = "read write follow push") -> "Api":
        """The client API as `person` (a token by the password grant): for
        setting things up without a browser, e.g. kereru.api(alice).post(
        "/api/v1/statuses", data={"status": "hello"})."""
        app = self.request("POST", person.host, "/api/v1/apps", data={
            "client_name": "browser-tests setup", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": scopes})
        assert app.status_code == 200, f"POST /api/v1/apps on {person.host}: {app.status_code} {app.text[:300]}"
        token = self.request("POST", person.host, "/oauth/token", data={
            "grant_type": "password", "username": person.username, "password": person.password,
            "client_id": app.json()["client_id"], "client_secret": app.json()["client_secret"], "scope": scopes})
        assert token.status_code == 200, f"password grant for {person.acct}: {token.status_code} {token.text[:300]}"
        return Api(self, person.host, token.json()["access_token"])

    def unique(self, prefix: str = "p") -> str:
        """A name no other test of this session uses: prefix + counter + random."""
        return f"{prefix}{next(self._names)}{secrets.token_hex(2)}"


class Api:
    """The client API of one tenant with one person's token (see Site.api)."""

    def __init__(self, site: Site, host: str, token: str):
        self.site, self.host, self.token = site, host, token

    def request(self, method: str, path: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return self.site.request(method, self.host, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The artifacts directory; its screenshots/, mail/, failures/ and logs/
    are emptied at the start of the session (nothing else in it is touched)."""
    root = artifacts_dir()
    for sub in ("screenshots", "mail", "failures", "logs"):
        shutil.rmtree(root / sub, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture(scope="session")
def smtp(artifacts) -> SmtpReceiver:
    """The real SMTP receiver (aiosmtpd on 127.0.0.1), for the whole session."""
    receiver = SmtpReceiver(Mailbox(save_dir=artifacts / "mail"))
    receiver.start()
    yield receiver
    receiver.stop()


# The password grant lets kereru.api(person) get a token without a browser
# (for setting things up quickly: posts, follows), as scripts/acceptance has it.
BASE_CONFIG = "[oauth]\npassword_grant = true\n"


def _mail_config(smtp: SmtpReceiver) -> str:
    return (f'[mail]\nserver = "{smtp.host}"\nport = {smtp.port}\ntls = "none"\n'
            f'from = "{MAIL_FROM}"\n')


@pytest.fixture(scope="session")
def kereru(artifacts, smtp) -> Site:
    """A real `kereru serve` with TENANTS and PEOPLE, mailing through `smtp`."""
    server = KereruServer(
        kereru_binary(), logs_dir=artifacts / "logs", config_text=BASE_CONFIG + _mail_config(smtp),
        start_timeout=float(os.environ.get("KERERU_BROWSER_START_TIMEOUT", "120")),
        stop_timeout=float(os.environ.get("KERERU_BROWSER_STOP_TIMEOUT", "60")))
    try:
        mail_configured, refused = True, ""
        try:
            server.add_tenant(TENANTS[0])
        except ServerError as e:
            # A server without [mail] settings yet refuses the section (its
            # config denies unknown keys): run without, and say so.
            if "unknown field" not in str(e) or "`mail`" not in str(e):
                raise
            mail_configured, refused = False, str(e)
            server.config.write_text(BASE_CONFIG)
            server.add_tenant(TENANTS[0])
        for tenant in TENANTS[1:]:
            server.add_tenant(tenant)
        for person in PEOPLE:
            server.add_person(person)
        server.start()
        yield Site(server, TENANTS, PEOPLE, mail_configured, refused)
        server.stop()
    finally:
        server.cleanup()


@pytest.fixture
def mailbox(kereru, smtp) -> Mailbox:
    """Every mail the server sent this session (through the real SMTP
    receiver); skips the test when the server does not take [mail] settings."""
    if not kereru.mail_configured:
        pytest.skip(f"this kereru does not take the [mail] settings yet: {kereru.mail_refused}")
    return smtp.mailbox


class Browsers:
    """Starts Browsers for one test and quits them all at its end."""

    def __init__(self, kereru: Site, artifacts: Path, test_name: str):
        self.kereru = kereru
        self.artifacts = artifacts
        self.test_name = test_name
        self.started: list[Browser] = []

    def new(self, name: str = "") -> Browser:
        """A fresh Chromium with its own empty profile (a person of its own)."""
        # *.test reaches the server (port included); no other name resolves
        # (127.0.0.1 itself stays reachable, for the page of a host that is no tenant).
        rules = f"MAP *.test 127.0.0.1:{self.kereru.port}, MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"
        browser = Browser(host_rules=rules, artifacts=self.artifacts,
                          name=name or f"browser{len(self.started) + 1}")
        self.started.append(browser)
        return browser

    def close(self, failed: bool) -> None:
        for browser in self.started:
            if failed:
                browser.save_failure(f"{self.test_name}-{browser.name}")
            browser.quit()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keeps each phase's report on the item, so fixtures can tell a failed test.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def browsers(request, kereru, artifacts) -> Browsers:
    """A factory of browsers for this test: browsers.new("bob"); all quit at
    the end (after saving the page of each as failures/TEST-NAME.png/.html
    when the test failed)."""
    it = Browsers(kereru, artifacts, request.node.name.replace("/", "_"))
    yield it
    report = getattr(request.node, "report_call", None)
    it.close(failed=bool(report and report.failed))


@pytest.fixture
def browser(browsers) -> Browser:
    """A fresh headless Chromium for this test (its own profile and cookies)."""
    return browsers.new("browser")


@pytest.fixture(scope="session")
def _screenshot_names() -> dict[str, str]:
    return {}


@pytest.fixture
def screenshot(request, _screenshot_names):
    """screenshot("front-page") saves the page of `browser` (or of the browser
    given: screenshot("x", bobs_browser)) as screenshots/front-page-phone.png
    (390x844, grown to the page's height) and -desktop.png (1366x900). Each
    name is taken once per session, so that no test overwrites another's."""
    def take(name: str, of: Browser | None = None) -> list[Path]:
        other = _screenshot_names.setdefault(name, request.node.nodeid)
        assert other == request.node.nodeid and name not in take.names, (
            f"screenshot {name!r} was already taken by {other}")
        take.names.add(name)
        # `browser` only when asked for: a test of browsers.new() starts no extra one
        return (of or request.getfixturevalue("browser")).screenshot(name)

    take.names = set()

    return take


@pytest.fixture
def new_person(kereru):
    """new_person("one.test") -> a Person (unique username, e-mail at
    mail.test, random password) who has no account yet: for sign-up tests.
    kereru.add_person(p) creates the account directly instead."""
    def make(host: str, prefix: str = "p") -> Person:
        username = kereru.unique(prefix)
        return Person(username, host, f"{username}@mail.test", random_password())
    return make
