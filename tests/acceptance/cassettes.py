"""Reads the recorded Mastodon responses in the shared fixtures.

``mastodon-api/cassettes/*.yaml`` are VCR.py cassettes from Mastodon.py's test
suite, recorded against a real Mastodon 4.6.4: a mapping with ``version`` and
``interactions``, each a ``request`` (method, uri, headers, body) and a
``response`` (status.code, headers, body.string). In these files every
response body is a plain string; a bytes body (YAML ``!!binary``) or a
gzip-compressed one is decoded too, so that a re-recorded cassette still reads.
"""

from __future__ import annotations

import gzip
import json
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from mastodon_types import fixtures_dir

try:  # the C loader is ~10x faster; fall back when PyYAML was built without it
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class Interaction:
    cassette: str  # file name
    index: int  # position in the cassette
    method: str
    url: str
    status: int
    content_type: str
    text: str | None  # decoded body, None when empty

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def where(self) -> str:
        return f"{self.cassette}#{self.index} {self.method} {self.path} -> {self.status}"

    def json(self) -> Any:
        if self.text is None:
            raise ValueError(f"{self.where}: empty body")
        return json.loads(self.text)


def cassettes_dir() -> Path:
    return fixtures_dir() / "mastodon-api" / "cassettes"


def _header(headers: dict | None, name: str) -> str:
    for key, values in (headers or {}).items():
        if key.lower() == name:
            if isinstance(values, list):
                return str(values[0]) if values else ""
            return str(values)
    return ""


def decode_body(body: Any, content_encoding: str = "") -> str | None:
    """A VCR response body (``{"string": ...}``) as text."""
    raw = body.get("string") if isinstance(body, dict) else body
    if raw is None:
        return None
    if isinstance(raw, str):
        data = raw.encode("utf-8") if content_encoding else None
        if data is None:
            return raw if raw != "" else None
    else:
        data = bytes(raw)
    enc = content_encoding.lower()
    if enc == "gzip" or data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif enc == "deflate":
        data = zlib.decompress(data)
    text = data.decode("utf-8")
    return text if text != "" else None


@lru_cache(maxsize=1)
def load_interactions() -> tuple[Interaction, ...]:
    """Every recorded request/response pair of every cassette, in order."""
    out: list[Interaction] = []
    files = sorted(cassettes_dir().glob("*.yaml"))
    if not files:
        raise FileNotFoundError(f"no cassettes in {cassettes_dir()}")
    for path in files:
        with open(path, encoding="utf-8") as f:
            doc = yaml.load(f, Loader=_Loader)
        for i, it in enumerate(doc.get("interactions") or []):
            req, resp = it["request"], it["response"]
            headers = resp.get("headers") or {}
            out.append(
                Interaction(
                    cassette=path.name,
                    index=i,
                    method=str(req["method"]).upper(),
                    url=str(req["uri"]),
                    status=int(resp["status"]["code"]),
                    content_type=_header(headers, "content-type"),
                    text=decode_body(resp.get("body"), _header(headers, "content-encoding")),
                )
            )
    return tuple(out)


def json_responses() -> list[Interaction]:
    """Successful (2xx) responses with a JSON body."""
    return [
        it
        for it in load_interactions()
        if 200 <= it.status < 300
        and it.content_type.startswith("application/json")
        and it.text is not None
    ]
