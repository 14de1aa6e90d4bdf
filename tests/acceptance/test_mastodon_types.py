"""Tests of the entity checker (mastodon_types.py) against real Mastodon JSON.

The recorded responses of a real Mastodon 4.6.4 (the shared fixtures'
cassettes) must pass; copies of them with one thing broken must fail with a
problem that names the broken field. No server is needed.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import pytest

import mastodon_types as mt
from cassettes import Interaction, decode_body, json_responses, load_interactions
from mastodon_types import assert_entity, check_entity, find_problems

RECORDED_VERSION = "4.6.4"  # the Mastodon the cassettes were recorded against


def _status_or_scheduled(body: dict) -> str:
    # POST /api/v1/statuses with scheduled_at answers with a ScheduledStatus.
    return "ScheduledStatus" if "params" in body and "scheduled_at" in body else "Status"


# Which entity each recorded endpoint returns: (methods, path regex, type).
# The type is a type expression for mastodon_types, or a function of the body.
ENDPOINTS: list[tuple[str, str, str | Callable[[Any], str]]] = [
    ("GET", r"/api/v1/accounts/verify_credentials", "CredentialAccount"),
    ("PATCH", r"/api/v1/accounts/update_credentials", "CredentialAccount"),
    ("DELETE", r"/api/v1/profile/(avatar|header)", "CredentialAccount"),
    ("GET", r"/api/v1/accounts/lookup", "Account"),
    ("GET", r"/api/v1/accounts/search", "List[Account]"),
    ("GET", r"/api/v1/accounts/relationships", "List[Relationship]"),
    ("GET", r"/api/v1/accounts/familiar_followers", "List[FamiliarFollowers]"),
    ("GET", r"/api/v1/accounts", "List[Account]"),
    ("GET", r"/api/v1/accounts/\d+", "Account"),
    (
        "POST",
        r"/api/v1/accounts/\d+/(follow|unfollow|block|unblock|mute|unmute|pin|unpin"
        r"|endorse|unendorse|note|remove_from_followers)",
        "Relationship",
    ),
    ("GET", r"/api/v1/accounts/\d+/(followers|following)", "List[Account]"),
    ("GET", r"/api/v1/accounts/\d+/statuses", "List[Status]"),
    ("GET", r"/api/v1/accounts/\d+/featured_tags", "List[FeaturedTag]"),
    ("GET", r"/api/v1/accounts/\d+/lists", "List[UserList]"),
    ("POST", r"/api/v1/statuses", _status_or_scheduled),
    ("GET|PUT", r"/api/v1/statuses/\d+", "Status"),
    ("DELETE", r"/api/v1/statuses/\d+", "DeletedStatus"),
    (
        "POST",
        r"/api/v1/statuses/\d+/(favourite|unfavourite|reblog|unreblog|bookmark|unbookmark"
        r"|mute|unmute|pin|unpin)",
        "Status",
    ),
    ("POST", r"/api/v1/statuses/\d+/quotes/\d+/revoke", "Status"),
    ("PUT", r"/api/v1/statuses/\d+/interaction_policy", "Status"),
    ("GET", r"/api/v1/statuses/\d+/context", "Context"),
    ("GET", r"/api/v1/statuses/\d+/(favourited_by|reblogged_by)", "List[Account]"),
    ("GET", r"/api/v1/statuses/\d+/history", "List[StatusEdit]"),
    ("GET", r"/api/v1/statuses/\d+/source", "StatusSource"),
    ("GET", r"/api/v1/statuses/\d+/quotes", "List[Status]"),
    ("GET", r"/api/v1/timelines/(home|public|tag/[^/]+|list/\d+)", "List[Status]"),
    ("GET", r"/api/v1/(bookmarks|favourites|trends/statuses)", "List[Status]"),
    ("GET", r"/api/v1/(blocks|endorsements|follow_requests|directory|suggestions)", "List[Account]"),
    ("GET", r"/api/v1/mutes", "List[MutedAccount]"),
    ("GET", r"/api/v1/domain_blocks", "List[str]"),
    ("POST", r"/api/v1/follow_requests/\d+/(authorize|reject)", "Relationship"),
    ("GET", r"/api/v1/notifications", "List[Notification]"),
    ("GET", r"/api/v1/notifications/\d+", "Notification"),
    ("GET", r"/api/v1/notifications/unread_count", "UnreadNotificationsCount"),
    ("GET", r"/api/v1/notifications/requests", "List[NotificationRequest]"),
    ("GET", r"/api/v1/notifications/requests/\d+", "NotificationRequest"),
    ("GET", r"/api/v2/notifications", "GroupedNotificationsResults"),
    ("GET", r"/api/v2/notifications/[a-z_.]+-\d+-\d+", "GroupedNotificationsResults"),
    ("GET", r"/api/v2/notifications/[^/]+/accounts", "List[Account]"),
    ("GET|PATCH", r"/api/v2/notifications/policy", "NotificationPolicy"),
    ("GET", r"/api/v1/instance/?", "Instance"),
    ("GET", r"/api/v2/instance/?", "InstanceV2"),
    ("GET", r"/api/v1/instance/activity", "List[Activity]"),
    ("GET", r"/api/v1/instance/rules", "List[Rule]"),
    ("GET", r"/api/v1/instance/extended_description", "ExtendedDescription"),
    ("GET", r"/api/v1/instance/peers", "List[str]"),
    ("GET", r"/api/v1/instance/languages", "List[SupportedLocale]"),
    ("GET", r"/api/v1/instance/translation_languages", "Dict[str, List[str]]"),
    ("GET", r"/nodeinfo/2.0", "Nodeinfo"),
    ("GET", r"/.well-known/oauth-authorization-server", "OAuthServerInfo"),
    ("POST", r"/api/v2/media", "MediaAttachment"),
    ("GET|PUT", r"/api/v1/media/\d+", "MediaAttachment"),
    ("GET", r"/api/v1/polls/\d+", "Poll"),
    ("POST", r"/api/v1/polls/\d+/votes", "Poll"),
    ("GET", r"/api/v1/preferences", "Preferences"),
    ("GET|POST", r"/api/v1/markers", "Dict[str, Marker]"),
    ("GET", r"/api/v1/lists", "List[UserList]"),
    ("POST", r"/api/v1/lists", "UserList"),
    ("GET|PUT", r"/api/v1/lists/\d+", "UserList"),
    ("GET", r"/api/v1/lists/\d+/accounts", "List[Account]"),
    ("GET", r"/api/v1/conversations/?", "List[Conversation]"),
    ("POST", r"/api/v1/conversations/\d+/read", "Conversation"),
    ("GET", r"/api/v1/scheduled_statuses", "List[ScheduledStatus]"),
    ("GET|PUT", r"/api/v1/scheduled_statuses/\d+", "ScheduledStatus"),
    ("POST", r"/api/v2/filters", "FilterV2"),
    ("GET|PUT", r"/api/v2/filters/\d+", "FilterV2"),
    ("GET", r"/api/v2/filters/\d+/keywords", "List[FilterKeyword]"),
    ("POST", r"/api/v2/filters/\d+/keywords", "FilterKeyword"),
    ("GET", r"/api/v2/filters/\d+/statuses", "List[FilterStatus]"),
    ("POST", r"/api/v2/filters/\d+/statuses", "FilterStatus"),
    ("GET", r"/api/v2/filters/statuses/\d+", "FilterStatus"),
    ("GET", r"/api/v2/search", "SearchV2"),
    ("GET", r"/api/v1/(featured_tags/suggestions|followed_tags|trends/tags)", "List[Tag]"),
    ("GET", r"/api/v1/tags/[^/]+", "Tag"),
    ("POST", r"/api/v1/tags/[^/]+/(follow|unfollow|feature|unfeature)", "Tag"),
    ("POST", r"/api/v1/featured_tags", "FeaturedTag"),
    ("GET", r"/api/v1/trends/links", "List[PreviewCard]"),
    ("GET", r"/api/v2/suggestions", "List[Suggestion]"),
    ("GET", r"/api/v1/custom_emojis", "List[CustomEmoji]"),
    ("GET|POST|PUT", r"/api/v1/push/subscription", "WebPushSubscription"),
    ("POST", r"/api/v1/reports/?", "Report"),
    ("POST", r"/api/v1/apps", "Application"),
    ("GET", r"/api/v1/apps/verify_credentials", "Application"),
    ("GET", r"/api/v[12]/admin/accounts", "List[AdminAccount]"),
    ("GET", r"/api/v1/admin/accounts/\d+", "AdminAccount"),
    ("POST", r"/api/v1/admin/accounts/\d+/(enable|unsensitive|unsilence|unsuspend)", "AdminAccount"),
    ("GET", r"/api/v1/admin/reports", "List[AdminReport]"),
    ("GET", r"/api/v1/admin/reports/\d+", "AdminReport"),
    ("POST", r"/api/v1/admin/reports/\d+/(assign_to_self|reopen|resolve|unassign)", "AdminReport"),
    ("GET", r"/api/v1/admin/domain_blocks/?", "List[AdminDomainBlock]"),
    ("POST", r"/api/v1/admin/domain_blocks/?", "AdminDomainBlock"),
    ("GET|PUT", r"/api/v1/admin/domain_blocks/\d+", "AdminDomainBlock"),
    ("GET", r"/api/v1/admin/canonical_email_blocks", "List[AdminCanonicalEmailBlock]"),
    ("POST", r"/api/v1/admin/canonical_email_blocks", "AdminCanonicalEmailBlock"),
    ("GET", r"/api/v1/admin/canonical_email_blocks/\d+", "AdminCanonicalEmailBlock"),
    ("POST", r"/api/v1/admin/canonical_email_blocks/test", "List[AdminCanonicalEmailBlock]"),
    ("GET", r"/api/v1/admin/email_domain_blocks", "List[AdminEmailDomainBlock]"),
    ("POST", r"/api/v1/admin/email_domain_blocks", "AdminEmailDomainBlock"),
    ("GET", r"/api/v1/admin/email_domain_blocks/\d+", "AdminEmailDomainBlock"),
    ("GET", r"/api/v1/admin/ip_blocks", "List[AdminIpBlock]"),
    ("POST", r"/api/v1/admin/ip_blocks", "AdminIpBlock"),
    ("GET|PUT", r"/api/v1/admin/ip_blocks/\d+", "AdminIpBlock"),
    ("POST", r"/api/v1/admin/measures", "List[AdminMeasure]"),
    ("POST", r"/api/v1/admin/dimensions", "List[AdminDimension]"),
    ("POST", r"/api/v1/admin/retention", "List[AdminRetention]"),
    ("GET", r"/api/v1/admin/trends/tags", "List[Tag]"),
    ("GET", r"/api/v1/admin/trends/statuses", "List[Status]"),
    ("GET", r"/api/v1/admin/trends/links", "List[PreviewCard]"),
]

# 2xx JSON responses that no entity describes (besides the empty {} that many
# actions answer with): tokens, {"merged": true}, the NodeInfo discovery links.
UNTYPED = [
    ("POST", r"/oauth/token"),
    ("POST", r"/api/v1/accounts"),  # registration answers with a token
    ("GET", r"/api/v1/notifications/requests/merged"),
    ("GET", r"/.well-known/nodeinfo"),
]


def _endpoint_id(entry) -> str:
    method, path, t = entry
    return f"{method} {path} -> {t if isinstance(t, str) else t.__name__}"


def _matches(method_re: str, path_re: str, it: Interaction) -> bool:
    return bool(re.fullmatch(method_re, it.method) and re.fullmatch(path_re, it.path))


def _type_for(it: Interaction) -> str | None:
    for method_re, path_re, t in ENDPOINTS:
        if _matches(method_re, path_re, it):
            return t(it.json()) if callable(t) else t
    return None


@lru_cache(maxsize=1)
def _typed_responses() -> tuple[tuple[Interaction, str, Any], ...]:
    out = []
    for it in json_responses():
        t = _type_for(it)
        if t is not None:
            out.append((it, t, it.json()))
    return tuple(out)


def _sample(method: str, path_re: str, pred: Callable[[Any], bool] = lambda b: True) -> Any:
    """A deep copy of the first recorded response body of that endpoint."""
    for it in json_responses():
        if _matches(method, path_re, it):
            body = it.json()
            if pred(body):
                return copy.deepcopy(body)
    raise LookupError(f"no recorded response for {method} {path_re}")


def _named(problems: list[str], path: str) -> list[str]:
    """The problems about exactly `path` (not a field below or beside it)."""
    return [p for p in problems if p.startswith(path + ":")]


# --------------------------------------------------------------------------
# The fixtures are what this file expects
# --------------------------------------------------------------------------

def test_fixtures_dir_defaults_beside_the_repo_and_follows_the_env(monkeypatch, tmp_path):
    monkeypatch.delenv("KERERU_FIXTURES", raising=False)
    default = mt.fixtures_dir()
    assert default.name == "fixtures" and default.parent.name == "shared"
    assert (default / "mastodon-api" / "return_types.json").is_file()
    monkeypatch.setenv("KERERU_FIXTURES", str(tmp_path))
    assert mt.fixtures_dir() == tmp_path
    assert mt.return_types_path() == tmp_path / "mastodon-api" / "return_types.json"


def test_schema_reads_every_entity_of_return_types_json():
    raw = json.loads(mt.return_types_path().read_text(encoding="utf-8"))
    schema = mt.load_schema()
    names = {e["python_name"] for e in raw}
    assert len(names) == len(raw) > 100
    assert names <= set(schema.entities)
    assert set(schema.entities) - names == set(mt.DERIVED_ENTITIES)
    acct_id = schema.entities["Account"].fields["id"]
    assert (acct_id.type, acct_id.optional, acct_id.nullable, acct_id.added) == (
        "MaybeSnowflakeIdType", False, False, (0, 1, 0))
    last = schema.entities["Account"].fields["last_status_at"]
    assert last.nullable and last.date_only_since == (3, 1, 0)
    text_url = schema.entities["MediaAttachment"].fields["text_url"]
    assert text_url.removed == (3, 5, 0)
    vis = schema.entities["Status"].fields["visibility"]
    assert vis.enum and {"public", "unlisted", "private", "direct"} <= vis.enum
    assert schema.entities["Status"].fields["quotes_count"].added == (4, 5, 0)


def test_every_field_type_in_return_types_json_is_understood():
    schema = mt.load_schema(None, errata=False)
    unknown = []
    for ent in schema.entities.values():
        for f in ent.fields.values():
            for text in filter(None, (f.type, f.subtype)):
                for name in mt._names(mt.parse_type(text)):
                    if name not in mt._BUILTIN_TYPES and name not in schema.entities:
                        unknown.append(f"{ent.name}.{f.name}: {text}")
    assert unknown == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("4.6.4", (4, 6, 4)),
        ("4.3.0rc1", (4, 3, 0)),
        ("4.0", (4, 0, 0)),
        ("4.2.1+glitch", (4, 2, 1)),
    ],
)
def test_parse_version(text, expected):
    assert mt.parse_version(text) == expected


def test_cassettes_are_read_whole():
    interactions = load_interactions()
    files = {it.cassette for it in interactions}
    assert len(files) == len(list((mt.fixtures_dir() / "mastodon-api" / "cassettes").glob("*.yaml")))
    assert len(interactions) > 800
    vc = [it for it in interactions if it.path == "/api/v1/accounts/verify_credentials"]
    assert vc and all(it.status == 200 for it in vc)
    assert vc[0].json()["username"]


def test_decode_body_handles_text_bytes_and_gzip():
    import gzip

    assert decode_body({"string": '{"a":1}'}) == '{"a":1}'
    assert decode_body({"string": b'{"a":1}'}) == '{"a":1}'
    assert decode_body({"string": gzip.compress(b'{"a":1}')}) == '{"a":1}'
    assert decode_body({"string": gzip.compress(b'{"a":1}')}, "gzip") == '{"a":1}'
    assert decode_body({"string": ""}) is None
    assert decode_body({"string": None}) is None


# --------------------------------------------------------------------------
# Real responses pass
# --------------------------------------------------------------------------

def test_every_recorded_json_response_is_classified():
    unclassified = []
    for it in json_responses():
        if _type_for(it) is not None or it.json() == {}:
            continue
        if any(_matches(m, p, it) for m, p in UNTYPED):
            continue
        unclassified.append(it.where)
    assert unclassified == []
    assert len(_typed_responses()) > 700


@pytest.mark.parametrize("entry", ENDPOINTS, ids=_endpoint_id)
def test_recorded_responses_pass(entry):
    method_re, path_re, _ = entry
    found = [(it, t, body) for it, t, body in _typed_responses()
             if _matches(method_re, path_re, it) and _type_for(it) is not None]
    # each entry must be the first match of at least one response
    found = [(it, t, b) for it, t, b in found
             if next(e for e in ENDPOINTS if _matches(e[0], e[1], it)) is entry]
    assert found, f"no recorded response for {_endpoint_id(entry)}"
    failures = []
    for it, t, body in found:
        problems = check_entity(t, body, RECORDED_VERSION)
        if problems:
            failures.append(f"{it.where} as {t}:\n    " + "\n    ".join(problems[:10]))
    assert not failures, "\n".join(failures)


def test_recorded_responses_pass_at_the_default_version_too():
    failures = [f"{it.where}: {check_entity(t, b)[:3]}" for it, t, b in _typed_responses()
                if check_entity(t, b)]
    assert failures == []


@lru_cache(maxsize=1)
def _strict_problems() -> tuple[mt.Problem, ...]:
    out = []
    for _, t, body in _typed_responses():
        out.extend(find_problems(t, body, RECORDED_VERSION, strict_schema=True))
    return tuple(out)


@pytest.mark.parametrize("key", list(mt.ERRATA), ids=lambda k: f"{k[0]}.{k[1]}")
def test_every_erratum_is_needed_by_a_real_response(key):
    entity, fname = key
    erratum = mt.ERRATA[key]
    assert erratum.get("why"), "each erratum says what was seen"
    if erratum.get("new"):
        # an added field: the key must really be sent
        assert any(f'"{fname}"' in (it.text or "") for it in json_responses())
        return
    needed = [p for p in _strict_problems()
              if any(e == entity and (fname == "*" or f == fname) for e, f in p.fields)]
    assert needed, f"no recorded response breaks {entity}.{fname} as return_types.json has it"


# --------------------------------------------------------------------------
# Broken copies of real responses fail, naming the field
# --------------------------------------------------------------------------

def _credential_account():
    return _sample("GET", r"/api/v1/accounts/verify_credentials")


def _status():
    return _sample("POST", r"/api/v1/statuses", lambda b: "content" in b and b.get("poll") is None)


def _notifications():
    return _sample("GET", r"/api/v1/notifications", lambda b: any(n.get("status") for n in b))


def _instance_v2():
    return _sample("GET", r"/api/v2/instance/?")


def _relationships():
    return _sample("GET", r"/api/v1/accounts/relationships", lambda b: len(b) > 0)


def _media():
    return _sample("POST", r"/api/v2/media", lambda b: b.get("url"))


SAMPLES = {
    "CredentialAccount": _credential_account,
    "Status": _status,
    "List[Notification]": _notifications,
    "InstanceV2": _instance_v2,
    "List[Relationship]": _relationships,
    "MediaAttachment": _media,
}


def test_the_samples_pass_unbroken():
    for name, make in SAMPLES.items():
        assert check_entity(name, make(), RECORDED_VERSION) == [], name


def _get(value, path):
    for key in path:
        value = value[key]
    return value


@pytest.mark.parametrize(
    "name, path, field",
    [
        ("CredentialAccount", (), "acct"),
        ("CredentialAccount", (), "created_at"),
        ("CredentialAccount", ("source",), "privacy"),
        ("Status", (), "content"),
        ("Status", (), "visibility"),
        ("Status", ("account",), "username"),
        ("List[Notification]", (0,), "type"),
        ("List[Notification]", (0,), "group_key"),
        ("InstanceV2", (), "domain"),
        ("InstanceV2", ("configuration", "statuses"), "max_characters"),
        ("List[Relationship]", (0,), "following"),
        ("MediaAttachment", (), "type"),
    ],
)
def test_a_removed_required_field_is_named(name, path, field):
    value = SAMPLES[name]()
    del _get(value, path)[field]
    where = ".".join([name] + [f"[{p}]" if isinstance(p, int) else p for p in path] + [field])
    where = where.replace(".[", "[")
    problems = check_entity(name, value, RECORDED_VERSION)
    named = _named(problems, where)
    assert named and "missing required field" in named[0], problems
    assert len(problems) == 1, problems


@pytest.mark.parametrize(
    "name, path, field, bad",
    [
        ("Status", (), "id", 117020582917124092),  # an int id, not a string
        ("Status", ("account",), "id", 5),
        ("CredentialAccount", (), "display_name", 5),
        ("CredentialAccount", (), "followers_count", "0"),  # a string count
        ("CredentialAccount", (), "followers_count", True),  # a bool is no int
        ("CredentialAccount", (), "locked", "false"),
        ("List[Relationship]", (0,), "id", 1),
        ("List[Notification]", (0,), "id", 42),
        ("InstanceV2", ("usage", "users"), "active_month", "12"),
        ("MediaAttachment", ("meta",), "focus", "center"),
    ],
)
def test_a_wrong_type_is_named(name, path, field, bad):
    value = SAMPLES[name]()
    _get(value, path)[field] = bad
    where = ".".join([name] + [f"[{p}]" if isinstance(p, int) else p for p in path] + [field])
    where = where.replace(".[", "[")
    problems = check_entity(name, value, RECORDED_VERSION)
    named = _named(problems, where)
    assert named and "expected" in named[0], problems
    assert len(problems) == 1, problems


@pytest.mark.parametrize(
    "name, path, field",
    [
        ("Status", (), "created_at"),
        ("Status", (), "account"),
        ("Status", (), "media_attachments"),
        ("Status", ("account",), "acct"),
        ("CredentialAccount", (), "locked"),
        ("CredentialAccount", (), "note"),
        ("List[Notification]", (0,), "account"),
        ("InstanceV2", (), "configuration"),
    ],
)
def test_null_in_a_non_nullable_field_is_named(name, path, field):
    value = SAMPLES[name]()
    _get(value, path)[field] = None
    where = ".".join([name] + [f"[{p}]" if isinstance(p, int) else p for p in path] + [field])
    where = where.replace(".[", "[")
    problems = check_entity(name, value, RECORDED_VERSION)
    named = _named(problems, where)
    assert named and "not nullable" in named[0], problems
    assert len(problems) == 1, problems


def test_null_where_nullable_passes():
    status = _status()
    status["in_reply_to_id"] = None
    status["spoiler_text"] = ""
    status["card"] = None
    account = _credential_account()
    account["last_status_at"] = None
    assert check_entity("Status", status, RECORDED_VERSION) == []
    assert check_entity("CredentialAccount", account, RECORDED_VERSION) == []


def test_a_nested_account_without_acct_is_named_wherever_it_is():
    status = _status()
    del status["account"]["acct"]
    assert _named(check_entity("Status", status, RECORDED_VERSION), "Status.account.acct")

    notes = _notifications()
    i = next(i for i, n in enumerate(notes) if n.get("status"))
    del notes[i]["status"]["account"]["acct"]
    problems = check_entity("List[Notification]", notes, RECORDED_VERSION)
    assert _named(problems, f"List[Notification][{i}].status.account.acct"), problems
    assert len(problems) == 1

    reblog = _sample("POST", r"/api/v1/statuses/\d+/reblog", lambda b: b.get("reblog"))
    del reblog["reblog"]["account"]["acct"]
    problems = check_entity("Status", reblog, RECORDED_VERSION)
    assert _named(problems, "Status.reblog.account.acct"), problems

    inst = _sample("GET", r"/api/v1/instance/?", lambda b: b.get("contact_account"))
    del inst["contact_account"]["acct"]
    assert _named(check_entity("Instance", inst, RECORDED_VERSION), "Instance.contact_account.acct")


def test_a_nested_entity_that_is_not_an_object_is_named():
    status = _status()
    status["account"] = "117020565966271181"
    problems = check_entity("Status", status, RECORDED_VERSION)
    assert _named(problems, "Status.account") and "Account object" in problems[0]
    status = _status()
    status["mentions"] = {"id": "1"}
    assert "a list" in _named(check_entity("Status", status, RECORDED_VERSION), "Status.mentions")[0]
    status = _status()
    status["emojis"] = ["blobcat"]
    assert _named(check_entity("Status", status, RECORDED_VERSION), "Status.emojis[0]")


def test_an_unknown_enum_value_is_named():
    status = _status()
    status["visibility"] = "everyone"
    problems = check_entity("Status", status, RECORDED_VERSION)
    assert _named(problems, "Status.visibility") and "enum" in problems[0]
    notes = _notifications()
    notes[0]["type"] = "poke"
    assert _named(check_entity("List[Notification]", notes, RECORDED_VERSION),
                  "List[Notification][0].type")


@pytest.mark.parametrize(
    "value, ok",
    [
        ("2026-11-25T12:00:00.000Z", True),
        ("2026-11-25T12:00:00Z", True),
        ("2020-09-29T00:00:00+00:00", True),
        ("2026-11-25T12:00:00.123456789-05:30", True),
        ("2026-11-25", False),  # a date alone is not a datetime
        ("2026-11-25T12:00:00", False),  # no zone
        ("2026-11-25 12:00:00Z", False),
        ("2026-13-01T00:00:00Z", False),
        ("2026-02-30T00:00:00Z", False),
        ("1785592262", False),
        (1785592262, False),
        ("", False),
    ],
)
def test_datetimes_are_iso8601_with_time_and_zone(value, ok):
    status = _status()
    status["created_at"] = value
    problems = check_entity("Status", status, RECORDED_VERSION)
    assert (problems == []) is ok, problems
    if not ok:
        assert _named(problems, "Status.created_at")


def test_date_only_fields_take_a_date_or_a_datetime():
    account = _credential_account()
    for value in ("2026-08-01", "2026-08-01T00:00:00.000Z"):
        account["last_status_at"] = value
        assert check_entity("CredentialAccount", account, RECORDED_VERSION) == []
    account["last_status_at"] = "2026-08-32"
    assert _named(check_entity("CredentialAccount", account, RECORDED_VERSION),
                  "CredentialAccount.last_status_at")
    # before 3.1.0 the field was a full datetime
    account["last_status_at"] = "2026-08-01"
    assert _named(check_entity("CredentialAccount", account, "3.0.0"),
                  "CredentialAccount.last_status_at")


def test_urls_must_be_absolute():
    status = _status()
    status["account"]["avatar"] = "/avatars/original/missing.png"
    problems = check_entity("Status", status, RECORDED_VERSION)
    assert _named(problems, "Status.account.avatar") and "absolute URL" in problems[0]
    status = _status()
    status["url"] = "https://a.test/@alice/1"
    status["account"]["avatar"] = "http://127.0.0.1:8080/avatars/x.png"
    assert check_entity("Status", status, RECORDED_VERSION) == []


def test_fields_added_after_the_version_are_not_required():
    account = _credential_account()
    del account["avatar_description"]  # added in 4.6.0
    assert _named(check_entity("CredentialAccount", account, RECORDED_VERSION),
                  "CredentialAccount.avatar_description")
    assert check_entity("CredentialAccount", account, "4.5.0") == []
    assert check_entity("CredentialAccount", account, "4.3.0") == []

    notes = _notifications()
    del notes[0]["group_key"]  # added in 4.3.0
    assert _named(check_entity("List[Notification]", notes, "4.3.0"),
                  "List[Notification][0].group_key")
    assert check_entity("List[Notification]", notes, "4.2.0") == []


def test_fields_present_before_they_were_added_are_still_type_checked():
    account = _credential_account()
    account["avatar_description"] = 7
    assert _named(check_entity("CredentialAccount", account, "4.3.0"),
                  "CredentialAccount.avatar_description")


def test_extra_fields_are_allowed():
    status = _status()
    status["kereru_extension"] = {"anything": [1, None]}
    status["account"]["another_new_field"] = None
    assert check_entity("Status", status, RECORDED_VERSION) == []


def test_optional_fields_may_be_absent():
    status = _status()
    for key in ("reblogged", "favourited", "bookmarked", "muted", "pinned", "filtered"):
        status.pop(key, None)
    assert check_entity("Status", status, RECORDED_VERSION) == []


def test_credential_account_needs_source_but_account_does_not():
    account = _credential_account()
    del account["source"]
    assert check_entity("Account", account, RECORDED_VERSION) == []
    assert _named(check_entity("CredentialAccount", account, RECORDED_VERSION),
                  "CredentialAccount.source")


def test_every_problem_is_reported_not_just_the_first():
    status = _status()
    del status["uri"]
    status["reblogs_count"] = "3"
    status["account"]["bot"] = None
    problems = check_entity("Status", status, RECORDED_VERSION)
    assert [p.split(":")[0] for p in problems] == [
        "Status.uri", "Status.account.bot", "Status.reblogs_count"]


def test_problems_carry_the_definitions_they_broke():
    notes = _notifications()
    del notes[0]["account"]["acct"]
    (problem,) = find_problems("List[Notification]", notes, RECORDED_VERSION)
    assert problem.path == "List[Notification][0].account.acct"
    assert problem.fields == (("Notification", "account"), ("Account", "acct"))


def test_assert_entity_lists_all_problems():
    status = _status()
    assert_entity("Status", status, RECORDED_VERSION)  # no exception
    del status["content"]
    status["account"]["id"] = 1
    with pytest.raises(AssertionError) as exc:
        assert_entity("Status", status, RECORDED_VERSION)
    message = str(exc.value)
    assert "2 problem(s)" in message
    assert "Status.content: missing required field" in message
    assert "Status.account.id: expected an id as a string" in message


def test_unknown_entity_names_are_an_error():
    with pytest.raises(KeyError):
        check_entity("Tooot", {})
    with pytest.raises(KeyError):
        check_entity("List[Tooot]", [])
    with pytest.raises(ValueError):
        check_entity("List[Status", [])


def test_unions_take_either_side():
    fv2 = _sample("POST", r"/api/v2/filters")
    assert check_entity("Union[Filter, FilterV2]", fv2, RECORDED_VERSION) == []
    del fv2["title"]
    problems = check_entity("Union[Filter, FilterV2]", fv2, RECORDED_VERSION)
    assert len(problems) == 1 and "matches none of" in problems[0]


def test_the_command_line_reports_problems(tmp_path):
    account = _credential_account()
    here = Path(mt.__file__).parent
    ok = subprocess.run([sys.executable, str(here / "mastodon_types.py"), "CredentialAccount",
                         RECORDED_VERSION], input=json.dumps(account), capture_output=True,
                        text=True, timeout=60)
    assert ok.returncode == 0 and ok.stdout == ""
    del account["acct"]
    bad = subprocess.run([sys.executable, str(here / "mastodon_types.py"), "CredentialAccount",
                          RECORDED_VERSION], input=json.dumps(account), capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 1 and bad.stdout.startswith("CredentialAccount.acct: missing")
