"""Checks JSON values against the Mastodon REST API's entity definitions.

The definitions come from ``mastodon-api/return_types.json`` in the shared
fixtures (the Mastodon.py project's machine-readable description of every
entity). That file is a JSON list of entities; each has a ``python_name``
(``Account``, ``Status``, ``InstanceV2``, ...) and ``fields``, a mapping from
the JSON key to::

    field_type            "str" | "int" | "float" | "bool" | "datetime" |
                          "IdType" | "MaybeSnowflakeIdType" | an entity name |
                          "NonPaginatableList" (element type in field_subtype) |
                          "AttribAccessDict" / "AttribAccessDict[str, Entity]" |
                          "Union[A, B]"
    field_subtype         element type of a list field, or null
    is_optional           the key may be absent
    is_nullable           the value may be null
    version_history       [[version, note], ...]; the first entry is when the
                          field was "added"; a later "removed" note ends it
    enum                  {value: description} for closed string sets, or null
    field_structuretype   a hint: "URL", "HTML", "VisibilityEnum", ...

``check_entity(name, value, version)`` returns a list of human-readable
problems (empty when the value is fine) for a value of type ``name`` as a
Mastodon of ``version`` would send it:

* a field is required when it is neither optional nor added after
  ``version`` nor removed by it; fields the definition does not list are
  allowed (Mastodon keeps adding fields);
* ``str``/``int``/``float``/``bool`` are JSON types (a bool is not an int);
  ids (``IdType``, ``MaybeSnowflakeIdType``) are non-empty strings;
* a ``datetime`` is an ISO 8601 string with date, time and zone, as Mastodon
  sends them (``2026-11-25T12:00:00.000Z``); fields that the history says
  return a date only (``Account.last_status_at``) may be ``YYYY-MM-DD``;
* null only where the field is nullable (or was removed by ``version``);
  enum values only from the enum; fields marked ``URL`` hold absolute URLs
  (or "", which Mastodon sends for an absent one);
* nested entities, lists and dicts are checked recursively, and every problem
  names its path, e.g. ``Status.account.acct``, and the definition it broke.

``name`` may also be a type expression: ``List[Notification]``,
``Union[Filter, FilterV2]``, ``Optional[Status]``, ``Dict[str, Marker]``.
Besides return_types.json's entities there are a few that Mastodon's
documentation names but that file folds into others (``CredentialAccount``,
``MutedAccount``, ``DeletedStatus``, ...): see ``DERIVED_ENTITIES``.

return_types.json is data written by another project and is not edited. The
places where it disagrees with what a real Mastodon (4.6.4) sends, shown by the
recorded responses in ``mastodon-api/cassettes``, are listed in ``ERRATA``
below with the evidence; ``strict_schema=True`` ignores them.

Command line: ``python mastodon_types.py ENTITY [VERSION] < value.json``.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable

__all__ = [
    "check_entity",
    "assert_entity",
    "find_problems",
    "Problem",
    "entity_names",
    "fixtures_dir",
    "load_schema",
    "parse_version",
    "ERRATA",
    "DERIVED_ENTITIES",
]

DEFAULT_VERSION = "4.3.0"


# --------------------------------------------------------------------------
# Locating and reading return_types.json
# --------------------------------------------------------------------------

def fixtures_dir() -> Path:
    """The shared fixtures folder: $KERERU_FIXTURES, else <repo>/../shared/fixtures."""
    env = os.environ.get("KERERU_FIXTURES")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    return repo.parent / "shared" / "fixtures"


def return_types_path() -> Path:
    return fixtures_dir() / "mastodon-api" / "return_types.json"


def parse_version(text: str) -> tuple[int, int, int]:
    """'4.6.4' -> (4, 6, 4); '4.3.0rc1' -> (4, 3, 0); '4.0' -> (4, 0, 0)."""
    nums = [int(n) for n in re.findall(r"\d+", str(text).split("+")[0])[:3]]
    if not nums:
        raise ValueError(f"not a version: {text!r}")
    while len(nums) < 3:
        nums.append(0)
    return (nums[0], nums[1], nums[2])


@dataclass(frozen=True)
class Field:
    entity: str
    name: str  # the JSON key
    type: str
    subtype: str | None
    optional: bool
    nullable: bool
    added: tuple[int, int, int]
    removed: tuple[int, int, int] | None
    date_only_since: tuple[int, int, int] | None
    enum: frozenset[str] | None
    structure: str | None

    def required_at(self, version: tuple[int, int, int]) -> bool:
        if self.optional or self.added > version:
            return False
        return self.removed is None or self.removed > version


@dataclass
class Entity:
    name: str
    title: str
    fields: dict[str, Field] = field(default_factory=dict)


def _first_version(history: list, word: str) -> tuple[int, int, int] | None:
    for entry in history:
        if len(entry) >= 2 and re.search(word, str(entry[1]), re.I):
            return parse_version(entry[0])
    return None


def _parse_field(entity: str, key: str, raw: dict) -> Field:
    history = raw.get("version_history") or []
    added = _first_version(history, r"^added") or (
        parse_version(history[0][0]) if history else (0, 0, 0)
    )
    # "removed" / "v1 removed" end a field; "no longer includes ..." does not.
    removed = _first_version(history, r"(^|\s)removed\b")
    date_only = _first_version(history, r"date only")
    enum = raw.get("enum")
    return Field(
        entity=entity,
        name=key,
        type=raw["field_type"],
        subtype=raw.get("field_subtype"),
        optional=bool(raw.get("is_optional")),
        nullable=bool(raw.get("is_nullable")),
        added=added,
        removed=removed,
        date_only_since=date_only,
        enum=frozenset(enum) if isinstance(enum, dict) and enum else None,
        structure=raw.get("field_structuretype"),
    )


# Known disagreements between return_types.json and the JSON that a real
# Mastodon sends, each seen in the recorded responses (cassettes) of
# Mastodon 4.6.4 and checked by test_mastodon_types.py (an erratum that no
# recorded response needs fails that test). Keys: (entity, field), or
# (entity, "*") for every field. Values override the definition: "optional",
# "nullable", "type", "subtype", "date_only" (a date without time is fine);
# "new": True adds a field the definition lacks. "why" says what was seen.
ERRATA: dict[tuple[str, str], dict[str, Any]] = {
    ("Account", "mute_expires_at"): {
        "optional": True,
        "why": "only GET /api/v1/mutes sends it (see MutedAccount); every other Account lacks it",
    },
    ("Account", "hide_collections"): {
        "nullable": True,
        "why": "null for accounts that never chose (verify_credentials in test_account.yaml)",
    },
    ("CredentialAccountSource", "hide_collections"): {
        "nullable": True,
        "why": "source.hide_collections is null like Account.hide_collections",
    },
    ("AdminAccount", "locale"): {
        "nullable": True,
        "why": "null for an account without a locale (test_admin_accounts.yaml)",
    },
    ("AdminReport", "account"): {
        "type": "AdminAccount",
        "why": "admin reports carry AdminAccount objects (test_admin_reports.yaml)",
    },
    ("AdminReport", "target_account"): {
        "type": "AdminAccount",
        "why": "admin reports carry AdminAccount objects (test_admin_reports.yaml)",
    },
    ("Activity", "week"): {"type": "IntString", "why": "a UNIX time as a string: \"1785592262\""},
    ("Activity", "statuses"): {"type": "IntString", "why": "counts are strings: \"18\""},
    ("Activity", "logins"): {"type": "IntString", "why": "counts are strings"},
    ("Activity", "registrations"): {"type": "IntString", "why": "counts are strings"},
    ("TagHistory", "day"): {"type": "IntString", "why": "a UNIX time as a string: \"1785542400\""},
    ("AdminEmailDomainBlockHistory", "day"): {"type": "IntString", "why": "a UNIX time as a string"},
    ("AdminEmailDomainBlockHistory", "accounts"): {"type": "IntString", "why": "counts are strings"},
    ("AdminEmailDomainBlockHistory", "uses"): {"type": "IntString", "why": "counts are strings"},
    ("AdminMeasure", "human_value"): {"optional": True, "why": "absent from most measures"},
    ("AdminMeasure", "previous_total"): {"optional": True, "why": "absent from some measures"},
    ("AdminMeasureData", "date"): {
        "date_only": True,
        "why": "both 2020-10-04T00:00:00Z and 2020-10-04 are sent (test_admin_stats.yaml)",
    },
    ("AdminMeasureData", "value"): {"type": "IntString", "why": "values are strings: \"0\""},
    ("AdminDimensionData", "value"): {"type": "IntString", "why": "values are strings: \"20230959\""},
    ("AdminCohort", "value"): {"type": "IntString", "why": "values are strings"},
    ("WebPushSubscription", "id"): {"type": "int", "why": "push subscription ids are numbers: 5"},
    ("WebPushSubscriptionAlerts", "*"): {
        "optional": True,
        "why": "only the alerts that were set are listed; {} is common (test_push_*.yaml)",
    },
    ("WebPushSubscriptionAlerts", "admin.sign_up"): {
        "new": True, "type": "bool", "optional": True, "nullable": True,
        "why": "the JSON keys are admin.sign_up / admin.report, not admin_sign_up / admin_report",
    },
    ("WebPushSubscriptionAlerts", "admin.report"): {
        "new": True, "type": "bool", "optional": True, "nullable": True,
        "why": "the JSON keys are admin.sign_up / admin.report, not admin_sign_up / admin_report",
    },
    ("NotificationGroup", "most_recent_notification_id"): {
        "type": "int",
        "why": "a number, not a string: 42 (test_grouped_notifications.yaml)",
    },
    ("ScheduledStatusParams", "application_id"): {
        "type": "int", "why": "a number, not a string (test_scheduled_status.yaml)",
    },
    ("InstanceConfiguration", "accounts"): {
        "type": "InstanceAccountConfigurationV1",
        "why": "/api/v1/instance lists only max_featured_tags (test_instance_v1.yaml)",
    },
    ("InstanceConfiguration", "media_attachments"): {
        "type": "InstanceMediaConfigurationV1",
        "why": "/api/v1/instance has no description_limit (test_instance_v1.yaml)",
    },
    ("Poll", "own_votes"): {
        "optional": True, "why": "absent without a user token (test_public_tl_anonymous.yaml)",
    },
    ("Poll", "voted"): {
        "optional": True, "why": "absent without a user token (test_public_tl_anonymous.yaml)",
    },
    ("Report", "rules_ids"): {
        "optional": True, "why": "the key is rule_ids (test_admin_reports.yaml)",
    },
    ("Report", "rule_ids"): {
        "new": True, "type": "NonPaginatableList", "subtype": "IdType", "nullable": True,
        "why": "the key is rule_ids, and it is null when no rule was given",
    },
    ("MediaAttachment", "url"): {
        "nullable": True, "why": "null while the upload is processed (POST /api/v2/media -> 202)",
    },
    ("Status", "application"): {
        "nullable": True, "type": "StatusApplication",
        "why": "null or just {name, website} (see StatusApplication)",
    },
    ("Instance", "contact_account"): {"nullable": True, "why": "null with no contact account set"},
    ("InstanceContact", "account"): {"nullable": True, "why": "null with no contact account set"},
    ("InstanceV2", "wrapstodon"): {"nullable": True, "why": "null outside the annual report season"},
    ("InstanceURLsV2", "status"): {"nullable": True, "why": "null with no status page set"},
    ("InstanceURLsV2", "terms_of_service"): {"nullable": True, "why": "null with no terms set"},
    ("ExtendedDescription", "updated_at"): {
        "nullable": True, "why": "null while the description was never edited",
    },
}

# Entities that Mastodon's documentation has but return_types.json folds into
# another: name -> (base entity, {field: changes as in ERRATA}, title).
DERIVED_ENTITIES: dict[str, tuple[str, dict[str, dict[str, Any]], str]] = {
    # GET /api/v1/accounts/verify_credentials, PATCH update_credentials:
    # an Account with its `source` (and, since 4.0.0, `role`).
    "CredentialAccount": (
        "Account",
        {"source": {"optional": False}, "role": {"optional": False}},
        "Account with source and role",
    ),
    # GET /api/v1/mutes: an Account with `mute_expires_at`.
    "MutedAccount": (
        "Account", {"mute_expires_at": {"optional": False}}, "Account with mute_expires_at",
    ),
    # DELETE /api/v1/statuses/:id: the deleted Status with its source `text`
    # instead of `content` (for "delete and redraft"); its quote, if any, holds
    # such a status too.
    "DeletedStatus": (
        "Status",
        {
            "content": {"optional": True},
            "text": {"new": True, "type": "str"},
            "quote": {"type": "Union[DeletedQuote, ShallowQuote]"},
            "reblog": {"type": "DeletedStatus"},
        },
        "Status as returned by its deletion",
    ),
    "DeletedQuote": (
        "Quote", {"quoted_status": {"type": "DeletedStatus"}}, "Quote inside a DeletedStatus",
    ),
    # /api/v1/instance's configuration: fewer fields than v2's.
    "InstanceAccountConfigurationV1": (
        "InstanceAccountConfiguration",
        {k: {"optional": True} for k in (
            "max_pinned_statuses", "max_display_name_length", "max_note_length",
            "max_avatar_description_length", "max_header_description_length",
            "max_profile_fields", "profile_field_name_limit", "profile_field_value_limit",
        )},
        "Instance account configuration (v1)",
    ),
    "InstanceMediaConfigurationV1": (
        "InstanceMediaConfiguration",
        {"description_limit": {"optional": True}},
        "Instance media attachment configuration (v1)",
    ),
    # Status.application: {"name": ..., "website": ...} only.
    "StatusApplication": (
        "Application",
        {k: {"optional": True} for k in ("id", "vapid_key", "redirect_uri", "redirect_uris", "scopes")},
        "the application a status was posted with",
    ),
}


@dataclass
class Schema:
    entities: dict[str, Entity]
    path: Path

    def entity(self, name: str) -> Entity | None:
        return self.entities.get(name)


def _apply(field_: Field, changes: dict[str, Any]) -> Field:
    kw = dict(field_.__dict__)
    for key in ("optional", "nullable", "type", "subtype"):
        if key in changes:
            kw[key] = changes[key]
    if changes.get("date_only"):
        kw["date_only_since"] = (0, 0, 0)
    return Field(**kw)


def _new_field(entity: str, name: str, changes: dict[str, Any]) -> Field:
    return _apply(
        Field(entity=entity, name=name, type=changes["type"], subtype=None, optional=False,
              nullable=False, added=(0, 0, 0), removed=None, date_only_since=None,
              enum=None, structure=None),
        changes,
    )


@functools.lru_cache(maxsize=8)
def load_schema(path: str | None = None, errata: bool = True) -> Schema:
    """Reads return_types.json (default: the shared fixtures' copy)."""
    p = Path(path) if path else return_types_path()
    with open(p, encoding="utf-8") as f:
        raw = json.load(f)
    if not isinstance(raw, list):
        raise ValueError(f"{p}: expected a JSON list of entities")
    entities: dict[str, Entity] = {}
    for item in raw:
        name = item["python_name"]
        ent = Entity(name=name, title=item.get("name", name))
        for key, fraw in item["fields"].items():
            if key.startswith("_"):
                # Mastodon.py's own additions (_pagination_next/_prev, made
                # from Link headers), not part of the JSON
                continue
            ent.fields[key] = _parse_field(name, key, fraw)
        entities[name] = ent
    if errata:
        for (ename, fname), changes in ERRATA.items():
            ent = entities.get(ename)
            if ent is None:
                raise ValueError(f"erratum for unknown entity {ename}")
            if changes.get("new"):
                ent.fields[fname] = _new_field(ename, fname, changes)
                continue
            names = list(ent.fields) if fname == "*" else [fname]
            for n in names:
                if n not in ent.fields:
                    raise ValueError(f"erratum for unknown field {ename}.{n}")
                ent.fields[n] = _apply(ent.fields[n], changes)
    for name, (base, changes, title) in DERIVED_ENTITIES.items():
        d = Entity(name=name, title=title, fields=dict(entities[base].fields))
        for fname, ch in changes.items():
            if ch.get("new"):
                d.fields[fname] = _new_field(name, fname, ch)
            else:
                d.fields[fname] = _apply(d.fields[fname], ch)
        entities[name] = d
    return Schema(entities=entities, path=p)


def entity_names() -> list[str]:
    return sorted(load_schema().entities)


# --------------------------------------------------------------------------
# Type expressions: "Status", "NonPaginatableList[Status]", "Union[A, B]"
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class TypeExpr:
    name: str
    args: tuple["TypeExpr", ...] = ()

    def __str__(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name}[{', '.join(str(a) for a in self.args)}]"


@functools.lru_cache(maxsize=1024)
def parse_type(text: str) -> TypeExpr:
    tokens = re.findall(r"[A-Za-z_][A-Za-z0-9_.]*|[\[\],]", text)
    if "".join(tokens) != re.sub(r"\s+", "", text):
        raise ValueError(f"bad type expression {text!r}")
    pos = 0

    def parse() -> TypeExpr:
        nonlocal pos
        if pos >= len(tokens) or tokens[pos] in "[],":
            raise ValueError(f"bad type expression {text!r}")
        name = tokens[pos]
        pos += 1
        args: list[TypeExpr] = []
        if pos < len(tokens) and tokens[pos] == "[":
            pos += 1
            args.append(parse())
            while pos < len(tokens) and tokens[pos] == ",":
                pos += 1
                args.append(parse())
            if pos >= len(tokens) or tokens[pos] != "]":
                raise ValueError(f"bad type expression {text!r}")
            pos += 1
        return TypeExpr(name, tuple(args))

    result = parse()
    if pos != len(tokens):
        raise ValueError(f"bad type expression {text!r}")
    return result


LIST_TYPES = {"NonPaginatableList", "PaginatableList", "EntityList", "List", "list"}
DICT_TYPES = {"AttribAccessDict", "Dict", "dict"}
ID_TYPES = {"IdType", "MaybeSnowflakeIdType"}
# Not in return_types.json: a decimal integer sent as a string ("18",
# "1785592262"), as Mastodon sends counts and UNIX times in history entries.
INT_STRING = "IntString"
_INT_STRING_RE = re.compile(r"^-?\d+$")


# --------------------------------------------------------------------------
# Checking
# --------------------------------------------------------------------------

_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(Z|[+-]\d{2}:\d{2})$"
)
_URL_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(//[^/?#\s]+)?\S*$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def _valid_datetime(text: str) -> bool:
    m = _DATETIME_RE.match(text)
    if not m:
        return False
    y, mo, d, h, mi, s, frac, zone = m.groups()
    try:
        tz = timezone.utc
        if zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=tz)
    except ValueError:
        return False
    return True


def _valid_date(text: str) -> bool:
    m = _DATE_RE.match(text)
    if not m:
        return False
    try:
        date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return False
    return True


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Problem:
    """One problem: where (a path like ``Status.account.acct``), what, and the
    chain of (entity, field) definitions that led there."""

    path: str
    message: str
    fields: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class _Checker:
    def __init__(self, schema: Schema, version: tuple[int, int, int]):
        self.schema = schema
        self.version = version
        self.problems: list[Problem] = []
        self.chain: list[tuple[str, str]] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message, tuple(self.chain)))

    # A value against a type expression. `fld` carries field-level facts
    # (enum, date-only, its name for messages) down to the leaves of a list.
    def value(self, path: str, t: TypeExpr, value: Any, fld: Field | None) -> None:
        name = t.name
        if name == "Optional":
            if value is not None:
                self.value(path, t.args[0], value, fld)
            return
        if value is None:
            self.problem(path, f"null, but {t} is not nullable here{self.of(fld)}")
            return
        if name == "Union":
            self.union(path, t, value, fld)
        elif name in LIST_TYPES:
            if not isinstance(value, list):
                self.wrong(path, f"a list ({t})", value, fld)
                return
            elem = t.args[0] if t.args else (
                parse_type(fld.subtype) if fld is not None and fld.subtype else None
            )
            if elem is None:
                return
            for i, item in enumerate(value):
                if item is None:
                    self.problem(f"{path}[{i}]", f"null item in a list{self.of(fld)}")
                    continue
                self.value(f"{path}[{i}]", elem, item, fld)
        elif name in DICT_TYPES:
            if not isinstance(value, dict):
                self.wrong(path, "an object", value, fld)
                return
            if len(t.args) == 2:
                for k, v in value.items():
                    self.value(f"{path}[{k!r}]", t.args[1], v, None)
        elif name == "str":
            if not isinstance(value, str):
                self.wrong(path, "a string", value, fld)
            else:
                self.enum(path, value, fld)
                self.url(path, value, fld)
        elif name in ID_TYPES:
            if not isinstance(value, str):
                self.wrong(path, "an id as a string", value, fld)
            elif value == "":
                self.problem(path, f"empty string as id{self.of(fld)}")
        elif name == INT_STRING:
            if not isinstance(value, str) or not _INT_STRING_RE.match(value):
                self.wrong(path, 'an integer as a string ("18")', value, fld)
        elif name == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                self.wrong(path, "an integer", value, fld)
        elif name == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.wrong(path, "a number", value, fld)
        elif name == "bool":
            if not isinstance(value, bool):
                self.wrong(path, "a boolean", value, fld)
        elif name == "datetime":
            self.datetime(path, value, fld)
        elif self.schema.entity(name) is not None:
            self.entity(path, name, value, fld)
        else:
            self.problem(path, f"unknown type {t} (not in {self.schema.path.name})")

    @staticmethod
    def of(fld: Field | None) -> str:
        return f" ({fld.entity}.{fld.name}: {_describe(fld)})" if fld is not None else ""

    def wrong(self, path: str, expected: str, value: Any, fld: Field | None) -> None:
        self.problem(
            path, f"expected {expected}, got {_json_kind(value)} {_show(value)}{self.of(fld)}"
        )

    def enum(self, path: str, value: str, fld: Field | None) -> None:
        if fld is not None and fld.enum is not None and value not in fld.enum:
            allowed = ", ".join(sorted(fld.enum))
            self.problem(
                path, f"{_show(value)} is not one of the enum values ({allowed}){self.of(fld)}"
            )

    def url(self, path: str, value: str, fld: Field | None) -> None:
        # Fields marked "URL" hold absolute URLs (clients do not resolve
        # relative ones); Mastodon sends "" for an absent one (PreviewCard) and
        # urn:ietf:wg:oauth:2.0:oob among redirect URIs.
        if fld is None or fld.structure != "URL" or value == "":
            return
        m = _URL_RE.match(value)
        if not m or (m[1].lower() in ("http", "https", "ws", "wss") and not m[2]):
            self.problem(path, f"expected an absolute URL, got {_show(value)}{self.of(fld)}")

    def datetime(self, path: str, value: Any, fld: Field | None) -> None:
        if not isinstance(value, str):
            self.wrong(path, "an ISO 8601 datetime string", value, fld)
            return
        if _valid_datetime(value):
            return
        date_ok = (
            fld is not None
            and fld.date_only_since is not None
            and fld.date_only_since <= self.version
        )
        if date_ok and _valid_date(value):
            return
        expected = "an ISO 8601 date (YYYY-MM-DD) or datetime" if date_ok else (
            "an ISO 8601 datetime with time and zone, like 2026-11-25T12:00:00.000Z"
        )
        self.problem(path, f"expected {expected}, got {_show(value)}{self.of(fld)}")

    def union(self, path: str, t: TypeExpr, value: Any, fld: Field | None) -> None:
        best: list[Problem] | None = None
        for alt in t.args:
            sub = _Checker(self.schema, self.version)
            sub.chain = list(self.chain)
            sub.value(path, alt, value, fld)
            if not sub.problems:
                return
            if best is None or len(sub.problems) < len(best):
                best = sub.problems
        closest = "; ".join(str(p) for p in best or [])
        self.problem(path, f"matches none of {t}{self.of(fld)}; closest: {closest}")

    def entity(self, path: str, name: str, value: Any, via: Field | None) -> None:
        ent = self.schema.entities[name]
        if not isinstance(value, dict):
            self.wrong(path, f"a {name} object", value, via)
            return
        for key, fld in ent.fields.items():
            fpath = f"{path}.{key}"
            self.chain.append((fld.entity, key))
            try:
                if key not in value:
                    if fld.required_at(self.version):
                        added = ".".join(map(str, fld.added))
                        self.problem(
                            fpath,
                            f"missing required field ({fld.entity}.{key}: {_describe(fld)},"
                            f" added in {added})",
                        )
                    continue
                v = value[key]
                if v is None:
                    gone = fld.removed is not None and fld.removed <= self.version
                    if not fld.nullable and not gone:
                        self.problem(
                            fpath,
                            f"null, but {fld.entity}.{key} ({_describe(fld)}) is not nullable",
                        )
                    continue
                self.value(fpath, parse_type(fld.type), v, fld)
            finally:
                self.chain.pop()


def _describe(fld: Field) -> str:
    if fld.subtype and "[" not in fld.type:
        return f"{fld.type}[{fld.subtype}]"
    return fld.type


_BUILTIN_TYPES = LIST_TYPES | DICT_TYPES | ID_TYPES | {
    "Union", "Optional", "str", "int", "float", "bool", "datetime", INT_STRING,
}


def _names(t: TypeExpr) -> list[str]:
    out = [t.name]
    for a in t.args:
        out.extend(_names(a))
    return out


def find_problems(
    name: str,
    value: Any,
    version: str = DEFAULT_VERSION,
    *,
    strict_schema: bool = False,
) -> list[Problem]:
    """Like check_entity, as Problem objects (path, message, fields)."""
    schema = load_schema(None, errata=not strict_schema)
    t = parse_type(name)
    unknown = [n for n in _names(t) if n not in _BUILTIN_TYPES and schema.entity(n) is None]
    if unknown:
        raise KeyError(
            f"unknown Mastodon entity {unknown[0]!r} in {name!r};"
            f" known: {', '.join(sorted(schema.entities))}"
        )
    checker = _Checker(schema, parse_version(version))
    checker.value(str(t), t, value, None)
    return checker.problems


def check_entity(
    name: str,
    value: Any,
    version: str = DEFAULT_VERSION,
    *,
    strict_schema: bool = False,
) -> list[str]:
    """Problems of `value` as the Mastodon entity (or type expression) `name`,
    as a Mastodon of `version` sends it; [] when there are none. Raises
    KeyError for an entity name that return_types.json does not define.

    strict_schema=True checks against return_types.json as written, without
    ERRATA (derived entities are still there)."""
    return [str(p) for p in find_problems(name, value, version, strict_schema=strict_schema)]


def assert_entity(name: str, value: Any, version: str = DEFAULT_VERSION, **kw: Any) -> None:
    """Raises AssertionError listing every problem of `value` as `name`."""
    problems = check_entity(name, value, version, **kw)
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise AssertionError(
            f"{name} (Mastodon {version}) has {len(problems)} problem(s):\n{lines}"
        )


def _main(argv: Iterable[str]) -> int:
    """python mastodon_types.py ENTITY [VERSION] < value.json"""
    import sys

    args = list(argv)
    if not args:
        print(_main.__doc__, file=sys.stderr)
        return 2
    value = json.load(sys.stdin)
    problems = check_entity(args[0], value, args[1] if len(args) > 1 else DEFAULT_VERSION)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    import sys

    raise SystemExit(_main(sys.argv[1:]))
