"""Fixtures for acceptance tests that drive a running Kererū with real clients.

Environment:
  KERERU_URL      base URL of a running Kererū on loopback, e.g. http://127.0.0.1:8080
  KERERU_TENANTS  its tenant host names, comma-separated, e.g. a.test,b.test

Tests that need the server take the `kereru` fixture (or `kereru_url` /
`kereru_tenants`), or carry `@pytest.mark.server`; without KERERU_URL and
KERERU_TENANTS they are skipped with the reason. Everything else (the entity
checker's tests, the client plumbing's tests) runs without a server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

import clients

URL_ENV = "KERERU_URL"
TENANTS_ENV = "KERERU_TENANTS"


def server_settings() -> tuple[str | None, list[str], str | None]:
    """(url, tenants, why-not): why-not is None when a server is configured."""
    url = os.environ.get(URL_ENV, "").strip().rstrip("/")
    tenants = [t.strip() for t in os.environ.get(TENANTS_ENV, "").split(",") if t.strip()]
    if not url:
        return None, tenants, (
            f"needs a running Kererū: set {URL_ENV} (e.g. http://127.0.0.1:8080) "
            f"and {TENANTS_ENV} (e.g. a.test,b.test)"
        )
    if not tenants:
        return url, tenants, f"needs {TENANTS_ENV}, the tenant hosts of the Kererū at {url}"
    return url, tenants, None


def pytest_report_header(config):
    url, tenants, why = server_settings()
    if why:
        return f"kereru: no server ({why})"
    return f"kereru: {url}, tenants {', '.join(tenants)}"


def pytest_collection_modifyitems(config, items):
    _, _, why = server_settings()
    if why is None:
        return
    skip = pytest.mark.skip(reason=why)
    for item in items:
        if item.get_closest_marker("server"):
            item.add_marker(skip)


@dataclass(frozen=True)
class Kereru:
    """A running Kererū on loopback and its tenants."""

    url: str
    tenants: tuple[str, ...]

    def base_url(self, host: str) -> str:
        """What a client is given for a tenant: http://HOST."""
        return clients.tenant_base_url(host)

    def session(self, host: str):
        """A requests.Session whose http://HOST/... requests reach this Kererū."""
        return clients.tenant_session(host, self.url)

    def mastodon(self, host: str, **kwargs):
        """A Mastodon.py client for tenant `host` (kwargs go to Mastodon())."""
        return clients.mastodon_client(host, self.url, **kwargs)

    def create_app(self, host: str, client_name: str = "kereru-acceptance", **kwargs):
        return clients.mastodon_create_app(host, self.url, client_name, **kwargs)

    def toot_env(self, config_home) -> dict[str, str]:
        """Environment for clients.run_toot: every tenant routed here."""
        return clients.toot_env({t: self.url for t in self.tenants}, config_home)


@pytest.fixture(scope="session")
def kereru_url() -> str:
    url, _, why = server_settings()
    if url is None:
        pytest.skip(why)
    if not clients.is_loopback_url(url):
        pytest.fail(f"{URL_ENV}={url!r}: the acceptance tests only talk to loopback "
                    "(127.0.0.1, ::1, localhost)")
    return url


@pytest.fixture(scope="session")
def kereru_tenants() -> list[str]:
    _, tenants, why = server_settings()
    if not tenants:
        pytest.skip(why)
    return tenants


@pytest.fixture(scope="session")
def kereru(kereru_url, kereru_tenants) -> Kereru:
    return Kereru(url=kereru_url, tenants=tuple(kereru_tenants))


@pytest.fixture
def toot_home(tmp_path, monkeypatch) -> Path:
    """A fresh XDG_CONFIG_HOME for toot (its config lands in toot_home/toot/),
    set in this process's environment too, so no test reads or writes the
    real ~/.config/toot."""
    home = tmp_path / "xdg-config"
    home.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home
