"""Fixtures for acceptance tests that drive a running Kererū with real clients.

Environment:
  KERERU_URL       base URL of a running Kererū on loopback, e.g. http://127.0.0.1:8080
  KERERU_TENANTS   its tenant host names, comma-separated, e.g. a.test,b.test
  KERERU_USERS     accounts that exist on those tenants, comma-separated
                   USERNAME@HOST=EMAIL, e.g. alice@a.test=alice@mail.test
  KERERU_PASSWORD  the password of every account in KERERU_USERS

Tests that need the server take the `kereru` fixture (or `kereru_url` /
`kereru_tenants`), or carry `@pytest.mark.server`; without KERERU_URL and
KERERU_TENANTS they are skipped with the reason. Tests that log in take
accounts with `kereru.user("alice")`, skipped when KERERU_USERS or
KERERU_PASSWORD does not provide them. Everything else (the entity checker's
tests, the client plumbing's tests) runs without a server.

The `api_log` fixture records every response a client gets (see
clients.ResponseLog) and checks each against the Mastodon entity that its
endpoint returns (ENDPOINT_ENTITIES), so that a test sees what the client
received rather than what the client made of it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import clients
from mastodon_types import check_entity

URL_ENV = "KERERU_URL"
TENANTS_ENV = "KERERU_TENANTS"
USERS_ENV = "KERERU_USERS"
PASSWORD_ENV = "KERERU_PASSWORD"
STRICT_ENV = "KERERU_STRICT"


def strict() -> bool:
    """KERERU_STRICT=1 (scripts/acceptance sets it): what would be skipped for
    want of a server or an account fails instead, so that a run that was
    meant to test a server cannot pass by skipping."""
    return os.environ.get(STRICT_ENV, "") not in ("", "0")


def skip_or_fail(reason: str):
    if strict():
        pytest.fail(f"{reason} ({STRICT_ENV} is set)", pytrace=False)
    pytest.skip(reason)


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
    users = [u.split("=")[0] for u in os.environ.get(USERS_ENV, "").split(",") if u.strip()]
    return (f"kereru: {url}, tenants {', '.join(tenants)}; "
            f"accounts {', '.join(users) or 'none'}{'' if os.environ.get(PASSWORD_ENV) else ' (no password)'}")


def pytest_collection_modifyitems(config, items):
    _, _, why = server_settings()
    if why is None:
        return
    if strict():
        raise pytest.UsageError(f"{STRICT_ENV} is set but there is no server to test: {why}")
    skip = pytest.mark.skip(reason=why)
    for item in items:
        if item.get_closest_marker("server"):
            item.add_marker(skip)


@dataclass(frozen=True)
class User:
    """An account provisioned on a tenant (KERERU_USERS), with its password."""

    username: str
    host: str
    email: str
    password: str = field(repr=False)

    @property
    def acct(self) -> str:
        """username@host, as another tenant names the account."""
        return f"{self.username}@{self.host}"


def parse_users(text: str, password: str) -> tuple[User, ...]:
    """'alice@a.test=alice@mail.test,bob@b.test=bob@mail.test' -> Users."""
    users = []
    for item in filter(None, (p.strip() for p in text.split(","))):
        acct, sep, email = item.partition("=")
        username, at, host = acct.partition("@")
        if not sep or not at or not username or not host or "@" not in email:
            raise ValueError(f"bad {USERS_ENV} entry {item!r} (want USERNAME@HOST=EMAIL)")
        users.append(User(username, clients.normalize_host(host), email, password))
    return tuple(users)


@dataclass(frozen=True)
class Kereru:
    """A running Kererū on loopback, its tenants and the accounts provisioned there."""

    url: str
    tenants: tuple[str, ...]
    users: tuple[User, ...] = ()

    def base_url(self, host: str) -> str:
        """What a client is given for a tenant: http://HOST."""
        return clients.tenant_base_url(host)

    def session(self, host: str, log: clients.ResponseLog | None = None):
        """A requests.Session whose http://HOST/... requests reach this Kererū."""
        return clients.tenant_session(host, self.url, log=log)

    def mastodon(self, host: str, log: clients.ResponseLog | None = None, **kwargs):
        """A Mastodon.py client for tenant `host` (kwargs go to Mastodon())."""
        return clients.mastodon_client(host, self.url, log=log, **kwargs)

    def create_app(self, host: str, client_name: str = "kereru-acceptance",
                   log: clients.ResponseLog | None = None, **kwargs):
        return clients.mastodon_create_app(host, self.url, client_name, log=log, **kwargs)

    def toot_env(self, config_home, response_log=None) -> dict[str, str]:
        """Environment for clients.run_toot: every tenant routed here (and,
        with response_log, every response toot gets appended to that file)."""
        return clients.toot_env({t: self.url for t in self.tenants}, config_home,
                                response_log=response_log)

    def user(self, username: str) -> User:
        """The provisioned account `username` (or `username@host`); skips the
        test when KERERU_USERS / KERERU_PASSWORD do not provide it."""
        name, _, host = username.partition("@")
        for u in self.users:
            if u.username == name and (not host or u.host == clients.normalize_host(host)):
                return u
        skip_or_fail(f"needs the account {username!r} in {USERS_ENV} (USERNAME@HOST=EMAIL,...) "
                     f"and its password in {PASSWORD_ENV}")


@pytest.fixture(scope="session")
def kereru_url() -> str:
    url, _, why = server_settings()
    if url is None:
        skip_or_fail(why)
    if not clients.is_loopback_url(url):
        pytest.fail(f"{URL_ENV}={url!r}: the acceptance tests only talk to loopback "
                    "(127.0.0.1, ::1, localhost)")
    return url


@pytest.fixture(scope="session")
def kereru_tenants() -> list[str]:
    _, tenants, why = server_settings()
    if not tenants:
        skip_or_fail(why)
    return tenants


@pytest.fixture(scope="session")
def kereru(kereru_url, kereru_tenants) -> Kereru:
    password = os.environ.get(PASSWORD_ENV, "")
    users = parse_users(os.environ.get(USERS_ENV, ""), password) if password else ()
    for u in users:
        if u.host not in {clients.normalize_host(t) for t in kereru_tenants}:
            pytest.fail(f"{USERS_ENV}: {u.acct} is not on a tenant of {TENANTS_ENV}")
    return Kereru(url=kereru_url, tenants=tuple(kereru_tenants), users=users)


@pytest.fixture
def toot_home(tmp_path, monkeypatch) -> Path:
    """A fresh XDG_CONFIG_HOME for toot (its config lands in toot_home/toot/),
    set in this process's environment too, so no test reads or writes the
    real ~/.config/toot."""
    home = tmp_path / "xdg-config"
    home.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


# --------------------------------------------------------------------------
# What each endpoint returns, and checking every recorded response against it
# --------------------------------------------------------------------------

def _token_problems(body: Any) -> list[str]:
    """POST /oauth/token: Mastodon's Token (not in return_types.json)."""
    if not isinstance(body, dict):
        return [f"Token: not an object: {body!r:.200}"]
    problems = []
    for key, kind in (("access_token", str), ("token_type", str), ("scope", str),
                      ("created_at", int)):
        if not isinstance(body.get(key), kind) or isinstance(body.get(key), bool):
            problems.append(f"Token.{key}: want {kind.__name__}, got {body.get(key)!r:.100}")
    if isinstance(body.get("token_type"), str) and body["token_type"].lower() != "bearer":
        problems.append(f"Token.token_type: want Bearer, got {body['token_type']!r}")
    return problems


def _credential_application_problems(body: Any) -> list[str]:
    """POST /api/v1/apps: an Application with client_id and client_secret."""
    problems = check_entity("Application", body)
    for key in ("client_id", "client_secret"):
        if not isinstance(body, dict) or not isinstance(body.get(key), str) or not body[key]:
            problems.append(f"CredentialApplication.{key}: missing or not a non-empty string")
    return problems


def _health_problems(resp: clients.RecordedResponse) -> list[str]:
    return [] if resp.body in (b"OK", b"success") else [
        f"streaming health: want OK, got {resp.text[:100]!r}"]


def _event_stream_problems(resp: clients.RecordedResponse) -> list[str]:
    if not resp.content_type.startswith("text/event-stream"):
        return [f"want Content-Type text/event-stream, got {resp.content_type!r}"]
    return []


# (method, path regex, what a 2xx answer holds): an entity name for
# mastodon_types.check_entity, or a function of the parsed JSON body (json=)
# or of the RecordedResponse (raw=) returning problems. Mastodon's own routes.
ID = r"[^/]+"
def _empty_object_problems(body) -> list[str]:
    return [] if body == {} else [f"want {{}}: {body!r:.100}"]


def _status_or_scheduled_problems(body) -> list[str]:
    """POST /api/v1/statuses: a Status, or a ScheduledStatus when `scheduled_at` was ahead."""
    if isinstance(body, dict) and "params" in body and "scheduled_at" in body:
        return check_entity("ScheduledStatus", body)
    return check_entity("Status", body)


def _v1_policy_problems(body) -> list[str]:
    """/api/v1/notifications/policy: Mastodon 4.3's v1 view, booleans and a summary."""
    fields = ("filter_not_following", "filter_not_followers", "filter_new_accounts", "filter_private_mentions")
    problems = [f"{f}: want a boolean" for f in fields if not isinstance(body.get(f), bool)]
    return problems + check_entity("NotificationPolicySummary", body.get("summary"))


def _media_problems(body) -> list[str]:
    """A MediaAttachment; `url` is null while video or audio is processed
    (Mastodon's 202 and 206 answers), which return_types.json does not allow."""
    if isinstance(body, dict) and body.get("url") is None and body.get("type") in ("video", "gifv", "audio"):
        body = {**body, "url": "https://processing.invalid/"}
    return check_entity("MediaAttachment", body)


def _card_problems(body) -> list[str]:
    """GET /api/v1/statuses/:id/card (gone from Mastodon 3.0): a PreviewCard, or {} without one."""
    return [] if body == {} else check_entity("PreviewCard", body)


def _annual_reports_problems(body) -> list[str]:
    """WrappedAnnualReports (not in return_types.json): three lists."""
    keys = ("annual_reports", "accounts", "statuses")
    if not isinstance(body, dict) or any(not isinstance(body.get(k), list) for k in keys):
        return [f"want {{annual_reports, accounts, statuses}} lists: {body!r:.100}"]
    return []


def _host_list_problems(body) -> list[str]:
    """GET /api/v1/domain_blocks: a list of host names (strings)."""
    if not isinstance(body, list) or not all(isinstance(h, str) and h for h in body):
        return [f"want a list of host names: {body!r:.100}"]
    return []


ENDPOINT_ENTITIES: list[tuple[str, str, Any]] = [
    ("GET", r"/\.well-known/oauth-authorization-server", "OAuthServerInfo"),
    ("POST", r"/oauth/token", ("json", _token_problems)),
    ("POST", r"/oauth/revoke", ("json", lambda body: [] if body == {} else [f"want {{}}: {body!r:.100}"])),
    ("POST", r"/api/v1/apps", ("json", _credential_application_problems)),
    ("GET", r"/api/v1/apps/verify_credentials", "Application"),
    ("GET", r"/api/v1/instance/?", "Instance"),
    ("GET", r"/api/v2/instance/?", "InstanceV2"),
    ("GET", r"/api/v1/accounts/verify_credentials", "CredentialAccount"),
    ("GET", r"/api/v1/accounts/lookup", "Account"),
    ("GET", r"/api/v1/accounts/relationships", "List[Relationship]"),
    # The social part of issue 15 (test_social_mastodon_py.py); before `accounts/{ID}`, which would match.
    ("GET", r"/api/v1/accounts", "List[Account]"),
    ("PATCH", r"/api/v1/accounts/update_credentials", "CredentialAccount"),
    ("GET", r"/api/v1/accounts/search", "List[Account]"),
    ("GET", r"/api/v1/accounts/familiar_followers", "List[FamiliarFollowers]"),
    ("GET", rf"/api/v1/accounts/{ID}/endorsements", "List[Account]"),
    ("GET", r"/api/v1/endorsements", "List[Account]"),
    ("GET", r"/api/v1/suggestions", "List[Account]"),
    ("GET", r"/api/v2/suggestions", "List[Suggestion]"),
    ("DELETE", rf"/api/v1/suggestions/{ID}", ("json", _empty_object_problems)),
    ("GET", r"/api/v1/directory", "List[Account]"),
    # Announcements and trends (test_announce_mastodon_py.py).
    ("GET", r"/api/v1/announcements", "List[Announcement]"),
    ("POST", rf"/api/v1/announcements/{ID}/dismiss", ("json", _empty_object_problems)),
    ("PUT", rf"/api/v1/announcements/{ID}/reactions/[^/]+", ("json", _empty_object_problems)),
    ("DELETE", rf"/api/v1/announcements/{ID}/reactions/[^/]+", ("json", _empty_object_problems)),
    ("GET", r"/api/v1/trends(/tags)?", "List[Tag]"),
    ("GET", r"/api/v1/trends/statuses", "List[Status]"),
    ("GET", r"/api/v1/trends/links", "List[PreviewCard]"),
    ("GET", r"/api/v1/conversations/?", "List[Conversation]"),
    ("POST", rf"/api/v1/conversations/{ID}/read", "Conversation"),
    ("DELETE", rf"/api/v1/conversations/{ID}", ("json", _empty_object_problems)),
    ("GET", rf"/api/v1/accounts/{ID}", "Account"),
    ("GET", rf"/api/v1/accounts/{ID}/statuses", "List[Status]"),
    ("GET", rf"/api/v1/accounts/{ID}/(followers|following)", "List[Account]"),
    ("POST", rf"/api/v1/accounts/{ID}/(follow|unfollow|block|unblock|mute|unmute|"
             r"remove_from_followers|note|pin|unpin|endorse|unendorse)", "Relationship"),
    ("GET", r"/api/v1/follow_requests", "List[Account]"),
    ("POST", rf"/api/v1/follow_requests/{ID}/(authorize|reject)", "Relationship"),
    ("POST", r"/api/v1/statuses", ("json", _status_or_scheduled_problems)),
    ("GET", rf"/api/v1/statuses/{ID}", "Status"),
    ("PUT", rf"/api/v1/statuses/{ID}", "Status"),
    ("DELETE", rf"/api/v1/statuses/{ID}", "DeletedStatus"),
    ("GET", rf"/api/v1/statuses/{ID}/context", "Context"),
    ("GET", rf"/api/v1/statuses/{ID}/history", "List[StatusEdit]"),
    ("GET", rf"/api/v1/statuses/{ID}/source", "StatusSource"),
    ("POST", r"/api/v[12]/media", ("json", _media_problems)),
    ("GET", rf"/api/v1/media/{ID}", ("json", _media_problems)),
    ("PUT", rf"/api/v1/media/{ID}", ("json", _media_problems)),
    ("GET", rf"/api/v1/statuses/{ID}/card", ("json", _card_problems)),
    ("GET", rf"/api/v1/statuses/{ID}/(favourited_by|reblogged_by)", "List[Account]"),
    ("POST", rf"/api/v1/statuses/{ID}/(favourite|unfavourite|reblog|unreblog|bookmark|"
             r"unbookmark|pin|unpin|mute|unmute)", "Status"),
    ("GET", r"/api/v1/timelines/(home|public|tag/[^/]+|list/[^/]+)", "List[Status]"),
    ("GET", r"/api/v1/(favourites|bookmarks)", "List[Status]"),
    ("GET", r"/api/v1/notifications", "List[Notification]"),
    # Unread counts, the policy and its requests, before the `{ID}` route (#15, test_notifs_mastodon_py.py).
    ("GET", r"/api/v[12]/notifications/unread_count", "UnreadNotificationsCount"),
    ("GET", r"/api/v2/notifications/policy", "NotificationPolicy"),
    ("PATCH", r"/api/v2/notifications/policy", "NotificationPolicy"),
    ("GET", r"/api/v1/notifications/requests", "List[NotificationRequest]"),
    ("GET", r"/api/v1/notifications/requests/merged",
     ("json", lambda b: [] if b == {"merged": True} else [f"want {{'merged': true}}: {b!r:.100}"])),
    ("GET", r"/api/v1/notifications/policy", ("json", _v1_policy_problems)),
    ("PATCH", r"/api/v1/notifications/policy", ("json", _v1_policy_problems)),
    ("PUT", r"/api/v1/notifications/policy", ("json", _v1_policy_problems)),
    ("POST", r"/api/v1/notifications/requests/(accept|dismiss)", ("json", _empty_object_problems)),
    ("GET", rf"/api/v1/notifications/requests/{ID}", "NotificationRequest"),
    ("POST", rf"/api/v1/notifications/requests/{ID}/(accept|dismiss)", ("json", _empty_object_problems)),
    ("GET", r"/api/v2/notifications", "GroupedNotificationsResults"),
    ("GET", rf"/api/v2/notifications/{ID}/accounts", "List[Account]"),
    ("POST", rf"/api/v2/notifications/{ID}/dismiss", ("json", _empty_object_problems)),
    ("GET", rf"/api/v2/notifications/{ID}", "GroupedNotificationsResults"),
    ("GET", rf"/api/v1/notifications/{ID}", "Notification"),
    ("POST", r"/api/v1/notifications/clear", ("json", lambda b: [] if b == {} else [f"want {{}}: {b!r:.100}"])),
    ("POST", rf"/api/v1/notifications/{ID}/dismiss", ("json", lambda b: [] if b == {} else [f"want {{}}: {b!r:.100}"])),
    ("GET", r"/api/v2/search", "SearchV2"),
    # A person's safety tools: filters (v2 and v1) and domain blocks.
    ("GET", r"/api/v2/filters", "List[FilterV2]"),
    ("POST", r"/api/v2/filters", "FilterV2"),
    ("GET", rf"/api/v2/filters/{ID}", "FilterV2"),
    ("PUT", rf"/api/v2/filters/{ID}", "FilterV2"),
    ("DELETE", rf"/api/v2/filters/{ID}", ("json", _empty_object_problems)),
    ("GET", rf"/api/v2/filters/{ID}/keywords", "List[FilterKeyword]"),
    ("POST", rf"/api/v2/filters/{ID}/keywords", "FilterKeyword"),
    ("GET", rf"/api/v2/(filters/keywords|filter_keywords)/{ID}", "FilterKeyword"),
    ("PUT", rf"/api/v2/(filters/keywords|filter_keywords)/{ID}", "FilterKeyword"),
    ("DELETE", rf"/api/v2/(filters/keywords|filter_keywords)/{ID}", ("json", _empty_object_problems)),
    ("GET", rf"/api/v2/filters/{ID}/statuses", "List[FilterStatus]"),
    ("POST", rf"/api/v2/filters/{ID}/statuses", "FilterStatus"),
    ("GET", rf"/api/v2/(filters/statuses|filter_statuses)/{ID}", "FilterStatus"),
    ("DELETE", rf"/api/v2/(filters/statuses|filter_statuses)/{ID}", ("json", _empty_object_problems)),
    ("GET", r"/api/v1/filters", "List[Filter]"),
    ("POST", r"/api/v1/filters", "Filter"),
    ("GET", rf"/api/v1/filters/{ID}", "Filter"),
    ("PUT", rf"/api/v1/filters/{ID}", "Filter"),
    ("DELETE", rf"/api/v1/filters/{ID}", ("json", _empty_object_problems)),
    ("GET", r"/api/v1/domain_blocks", ("json", _host_list_problems)),
    ("POST", r"/api/v1/domain_blocks", ("json", _empty_object_problems)),
    ("DELETE", r"/api/v1/domain_blocks", ("json", _empty_object_problems)),
    # Web Push subscriptions (issue 15, test_push_mastodon_py.py).
    ("POST", r"/api/v1/push/subscription", "WebPushSubscription"),
    ("GET", r"/api/v1/push/subscription", "WebPushSubscription"),
    ("PUT", r"/api/v1/push/subscription", "WebPushSubscription"),
    ("DELETE", r"/api/v1/push/subscription", ("json", _empty_object_problems)),
    # Lists and hashtags (issue 15, test_lists_mastodon_py.py).
    ("GET", r"/api/v1/lists", "List[UserList]"),
    ("POST", r"/api/v1/lists", "UserList"),
    ("GET", rf"/api/v1/lists/{ID}", "UserList"),
    ("PUT", rf"/api/v1/lists/{ID}", "UserList"),
    ("DELETE", rf"/api/v1/lists/{ID}", ("json", _empty_object_problems)),
    ("GET", rf"/api/v1/lists/{ID}/accounts", "List[Account]"),
    ("POST", rf"/api/v1/lists/{ID}/accounts", ("json", _empty_object_problems)),
    ("DELETE", rf"/api/v1/lists/{ID}/accounts", ("json", _empty_object_problems)),
    ("GET", rf"/api/v1/accounts/{ID}/lists", "List[UserList]"),
    ("GET", rf"/api/v1/tags/{ID}", "Tag"),
    ("POST", rf"/api/v1/tags/{ID}/(follow|unfollow|feature|unfeature)", "Tag"),
    ("GET", r"/api/v1/followed_tags", "List[Tag]"),
    ("GET", r"/api/v1/featured_tags", "List[FeaturedTag]"),
    ("POST", r"/api/v1/featured_tags", "FeaturedTag"),
    ("GET", r"/api/v1/featured_tags/suggestions", "List[Tag]"),
    ("DELETE", rf"/api/v1/featured_tags/{ID}", ("json", _empty_object_problems)),
    ("GET", rf"/api/v1/accounts/{ID}/featured_tags", "List[FeaturedTag]"),
    ("POST", r"/api/v1/reports/?", "Report"),
    ("GET", r"/api/v1/admin/reports", "List[AdminReport]"),
    ("GET", rf"/api/v1/admin/reports/{ID}", "AdminReport"),
    ("PUT", rf"/api/v1/admin/reports/{ID}", "AdminReport"),
    ("POST", rf"/api/v1/admin/reports/{ID}/(assign_to_self|unassign|resolve|reopen)", "AdminReport"),
    # Sign-up (Mastodon.py's create_account) answers a Token.
    ("POST", r"/api/v1/accounts", ("json", _token_problems)),
    # The admin accounts API (#13).
    ("GET", r"/api/v[12]/admin/accounts", "List[AdminAccount]"),
    ("GET", rf"/api/v1/admin/accounts/{ID}", "AdminAccount"),
    ("DELETE", rf"/api/v1/admin/accounts/{ID}", "AdminAccount"),
    ("POST", rf"/api/v1/admin/accounts/{ID}/(approve|reject|enable|unsilence|unsuspend|unsensitive)", "AdminAccount"),
    ("POST", rf"/api/v1/admin/accounts/{ID}/action", ("json", lambda b: [] if b == {} else [f"want {{}}: {b!r:.100}"])),
    # Server-level blocks (issue #13, test_admin_blocks_mastodon_py.py).
    ("GET", r"/api/v1/admin/domain_blocks/?", "List[AdminDomainBlock]"),
    ("POST", r"/api/v1/admin/domain_blocks/?", "AdminDomainBlock"),
    ("GET", rf"/api/v1/admin/domain_blocks/{ID}", "AdminDomainBlock"),
    ("PUT", rf"/api/v1/admin/domain_blocks/{ID}", "AdminDomainBlock"),
    ("DELETE", rf"/api/v1/admin/domain_blocks/{ID}", ("json", lambda b: [] if b == {} else [f"want {{}}: {b!r:.100}"])),
    ("GET", r"/api/v1/admin/email_domain_blocks/?", "List[AdminEmailDomainBlock]"),
    ("POST", r"/api/v1/admin/email_domain_blocks/?", "AdminEmailDomainBlock"),
    ("DELETE", rf"/api/v1/admin/email_domain_blocks/{ID}", ("json", lambda b: [] if b == {} else [f"want {{}}: {b!r:.100}"])),
    ("GET", r"/api/v1/admin/ip_blocks/?", "List[AdminIpBlock]"),
    ("POST", r"/api/v1/admin/ip_blocks/?", "AdminIpBlock"),
    ("PUT", rf"/api/v1/admin/ip_blocks/{ID}", "AdminIpBlock"),
    ("DELETE", rf"/api/v1/admin/ip_blocks/{ID}", ("json", lambda b: [] if b == {} else [f"want {{}}: {b!r:.100}"])),
    ("GET", r"/api/v1/instance/domain_blocks", "List[DomainBlock]"),
    ("GET", r"/api/v1/instance/rules", "List[Rule]"),
    # Scheduled statuses and polls (issue #15, test_polls_mastodon_py.py).
    ("GET", r"/api/v1/scheduled_statuses/?", "List[ScheduledStatus]"),
    ("GET", rf"/api/v1/scheduled_statuses/{ID}", "ScheduledStatus"),
    ("PUT", rf"/api/v1/scheduled_statuses/{ID}", "ScheduledStatus"),
    ("DELETE", rf"/api/v1/scheduled_statuses/{ID}", ("json", _empty_object_problems)),
    ("GET", rf"/api/v1/polls/{ID}", "Poll"),
    ("POST", rf"/api/v1/polls/{ID}/votes", "Poll"),
    ("GET", r"/api/v1/instance/extended_description", "ExtendedDescription"),
    ("GET", r"/api/v1/instance/peers", ("json", _host_list_problems)),
    ("GET", r"/api/v1/instance/languages", "List[SupportedLocale]"),
    ("GET", r"/api/v1/instance/translation_languages", ("json", _empty_object_problems)),
    ("GET", r"/api/v1/instance/activity", "List[Activity]"),
    # Quote posts (Mastodon 4.5).
    ("GET", rf"/api/v1/statuses/{ID}/quotes", "List[Status]"),
    ("POST", rf"/api/v1/statuses/{ID}/quotes/{ID}/revoke", "Status"),
    ("PUT", rf"/api/v1/statuses/{ID}/interaction_policy", "Status"),
    # The client API's tail (issue 15, test_apitail_mastodon_py.py).
    ("GET", r"/api/v1/statuses", "List[Status]"),
    ("DELETE", r"/api/v1/profile/(avatar|header)", "CredentialAccount"),
    ("GET", r"/api/v1/instance/terms_of_service(/[0-9-]+)?", "TermsOfService"),
    ("POST", r"/api/v1/emails/confirmations", ("json", _empty_object_problems)),
    ("GET", r"/api/v1/emails/check_confirmation",
     ("json", lambda b: [] if isinstance(b, bool) else [f"want a boolean: {b!r:.100}"])),
    ("GET", r"/api/v1/annual_reports(/[0-9]+)?", ("json", _annual_reports_problems)),
    ("GET", r"/api/v1/annual_reports/[0-9]+/state",
     ("json", lambda b: [] if b.get("state") in ("available", "generating", "eligible", "ineligible")
      else [f"want a state: {b!r:.100}"])),
    ("POST", r"/api/v1/annual_reports/[0-9]+/(read|generate)", ("json", _empty_object_problems)),
    ("GET", r"/api/v1/streaming/health", ("raw", _health_problems)),
    ("GET", r"/api/v1/streaming/(user|user/notification|public|public/local|hashtag|list|direct)",
     ("raw", _event_stream_problems)),
]


def expected_for(method: str, path: str):
    for m, pattern, what in ENDPOINT_ENTITIES:
        if m == method and re.fullmatch(pattern, path):
            return what
    return None


def response_problems(resp: clients.RecordedResponse) -> list[str]:
    """What is wrong with one recorded response, as Mastodon's API defines it:
    2xx bodies against the endpoint's entity, errors as {"error": "..."}."""
    where = str(resp)
    if 300 <= resp.status < 400:
        return []
    if resp.status >= 400:
        if resp.streamed:
            return []  # an SSE request refused: its body is the client's to read
        try:
            body = resp.json()
        except ValueError:
            return [f"{where}: an error without a JSON body: {resp.text[:200]!r}"]
        if not isinstance(body, dict) or not isinstance(body.get("error"), str):
            return [f"{where}: an error body without \"error\": {body!r:.200}"]
        return []
    what = expected_for(resp.method, resp.path)
    if what is None:
        return [f"{where}: no entity known for this endpoint (add it to conftest.ENDPOINT_ENTITIES)"]
    if isinstance(what, tuple) and what[0] == "raw":
        return [f"{where}: {p}" for p in what[1](resp)]
    if resp.streamed:
        return [f"{where}: streamed, but this endpoint returns JSON"]
    if not resp.content_type.startswith("application/json"):
        return [f"{where}: Content-Type {resp.content_type!r}, not application/json"]
    try:
        body = resp.json()
    except ValueError as e:
        return [f"{where}: body is not JSON ({e}): {resp.text[:200]!r}"]
    if isinstance(what, tuple):
        return [f"{where}: {p}" for p in what[1](body)]
    return [f"{where}: {p}" for p in check_entity(what, body)]


@dataclass
class ApiLog:
    """Every response the clients of one test received, and which of them
    have been checked. `log` goes to kereru.mastodon(..., log=) and
    kereru.create_app(..., log=); `path` to kereru.toot_env(home, path)."""

    log: clients.ResponseLog
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.log.path

    @property
    def entries(self) -> list[clients.RecordedResponse]:
        return self.log.entries

    def since(self, mark: int) -> list[clients.RecordedResponse]:
        return self.entries[mark:]

    def find(self, method: str, path_regex: str, *, status: int | None = None,
             since: int = 0) -> list[clients.RecordedResponse]:
        """Recorded responses of `method` whose path matches `path_regex` (fully)."""
        return [r for r in self.entries[since:]
                if r.method == method and re.fullmatch(path_regex, r.path)
                and (status is None or r.status == status)]

    def last(self, method: str, path_regex: str, **kw) -> clients.RecordedResponse:
        found = self.find(method, path_regex, **kw)
        assert found, (f"the client never received a response to {method} {path_regex}; "
                       f"it got: {[str(r) for r in self.entries]}")
        return found[-1]

    def check(self) -> None:
        """Checks every response recorded since the last check; fails with
        all the problems found."""
        entries = self.entries
        new, self.checked = entries[self.checked:], len(entries)
        problems = [p for r in new for p in response_problems(r)]
        self.problems.extend(problems)
        assert not problems, "responses that are not what Mastodon sends:\n" + "\n".join(problems)


@pytest.fixture
def api_log(tmp_path) -> ApiLog:
    """An ApiLog for this test. After the test, any response not yet checked
    is checked (a failure there is reported as an error of the test)."""
    it = ApiLog(clients.ResponseLog(tmp_path / "responses.jsonl"))
    yield it
    if len(it.entries) > it.checked:
        it.check()
