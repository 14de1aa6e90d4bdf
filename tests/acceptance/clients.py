"""Pointing real Mastodon clients at one tenant of a Kererū on loopback.

Kererū picks the tenant by the Host header, but in tests every tenant lives on
one loopback address (``http://127.0.0.1:PORT``). Clients are therefore given
the tenant's own URL (``http://a.test``, so that every URL they build or get
back from the server names the tenant) and a ``requests`` session whose
transport adapter sends each request for ``http(s)://a.test/...`` to
127.0.0.1:PORT with ``Host: a.test``. Nothing resolves ``a.test``: no
/etc/hosts entry and no DNS lookup is needed, and only loopback is contacted.

* ``tenant_session(host, base_url)``: such a ``requests.Session``.
* ``mastodon_client(host, base_url, ...)``: a ``mastodon.Mastodon`` using it
  (Mastodon.py takes ``session=`` in its constructor and in ``create_app``).
* toot makes a fresh ``requests.Session()`` per request and has no option for
  one, so ``toot_env`` / ``run_toot`` run the real ``toot`` command in a
  subprocess whose ``sitecustomize`` (``tenant_routing/``) mounts the same
  adapter on every Session (``KERERU_TENANT_ROUTES``), with its config in a
  given XDG_CONFIG_HOME; ``write_toot_login`` logs toot in without a password.
* ``ResponseLog``: every response a client received through the routing
  adapter (method, URL, status, headers, raw body), in memory for this process
  (``tenant_session(..., log=)``, ``mastodon_client(..., log=)``) or appended to
  a JSON-lines file by toot's process (``toot_env(..., response_log=PATH)``,
  variable ``KERERU_RESPONSE_LOG``), so that tests can check the JSON the
  client really got rather than the objects the client made of it.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

HERE = Path(__file__).resolve().parent
ROUTING_DIR = HERE / "tenant_routing"
ROUTES_ENV = "KERERU_TENANT_ROUTES"
RESPONSE_LOG_ENV = "KERERU_RESPONSE_LOG"


def is_loopback_url(url: str) -> bool:
    """True for http://127.x.y.z[:port], http://[::1][:port] and http://localhost[:port]."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def normalize_host(host: str) -> str:
    """A tenant host as requests writes it in URLs: lower case, IDNs in
    their ASCII (punycode) form, an explicit port kept."""
    host = host.strip().rstrip("/")
    if "://" in host:
        raise ValueError(f"a host name, not a URL: {host!r}")
    name, _, port = host.partition(":")
    try:
        name.encode("ascii")
        ascii_name = name.lower()
    except UnicodeEncodeError:
        import idna  # a dependency of requests

        ascii_name = idna.encode(name, uts46=True).decode("ascii")
    return f"{ascii_name}:{port}" if port else ascii_name


@dataclass
class RecordedResponse:
    """One response as the client received it. `body` is the raw bytes, or
    None for a streamed response (``stream=True``, e.g. SSE), whose body the
    client reads itself and which is not touched here."""

    method: str
    url: str  # the URL the client asked for (the tenant's, not 127.0.0.1)
    status: int
    headers: dict[str, str]
    body: bytes | None
    request_headers: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    @property
    def query(self) -> str:
        return urlsplit(self.url).query

    @property
    def content_type(self) -> str:
        for k, v in self.headers.items():
            if k.lower() == "content-type":
                return v
        return ""

    @property
    def streamed(self) -> bool:
        return self.body is None

    @property
    def text(self) -> str:
        return (self.body or b"").decode("utf-8", errors="replace")

    def json(self):
        if self.body is None:
            raise ValueError(f"{self.method} {self.url}: a streamed response has no recorded body")
        return json.loads(self.body)

    def to_dict(self) -> dict:
        return {
            "method": self.method, "url": self.url, "status": self.status,
            "headers": self.headers, "request_headers": self.request_headers,
            "body": None if self.body is None else base64.b64encode(self.body).decode("ascii"),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "RecordedResponse":
        body = d.get("body")
        return cls(method=d["method"], url=d["url"], status=d["status"], headers=d["headers"],
                   body=None if body is None else base64.b64decode(body),
                   request_headers=d.get("request_headers", {}))

    def __str__(self) -> str:
        return f"{self.method} {self.url} -> {self.status}"


class ResponseLog:
    """The responses clients received, in order. In memory; with `path`, each
    one is also appended to that file as a JSON line (how toot's process
    hands them back), and `entries` reads the file's lines too."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else None
        self._entries: list[RecordedResponse] = []
        self._lock = threading.Lock()

    def record(self, response, streamed: bool) -> RecordedResponse:
        request = response.request
        entry = RecordedResponse(
            method=(request.method or "GET").upper(),
            url=request.url,
            status=response.status_code,
            headers=dict(response.headers),
            body=None if streamed else response.content,
            request_headers={k: v for k, v in request.headers.items()
                             if k.lower() != "authorization"},
        )
        with self._lock:
            self._entries.append(entry)
            if self.path is not None:
                line = json.dumps(entry.to_dict()) + "\n"
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(line)
        return entry

    @property
    def entries(self) -> list[RecordedResponse]:
        """Everything recorded: this process's responses, or, with a file,
        every line of it (whichever process wrote it)."""
        with self._lock:
            if self.path is None:
                return list(self._entries)
            if not self.path.exists():
                return []
            return [RecordedResponse.from_dict(json.loads(line))
                    for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def __len__(self) -> int:
        return len(self.entries)


class TenantAdapter(HTTPAdapter):
    """Sends every request it gets to `target` (a loopback base URL such as
    http://127.0.0.1:8080), keeping the original host in the Host header and
    the original URL on the request and response (so redirects, cookies and
    Link headers stay on the tenant's URL)."""

    def __init__(self, target: str, log: ResponseLog | None = None, **kwargs):
        if not is_loopback_url(target):
            raise ValueError(f"refusing to route tenants to a non-loopback address: {target!r}")
        t = urlsplit(target)
        self.target_scheme = t.scheme
        self.target_netloc = t.netloc
        self.target_path = t.path.rstrip("/")
        self.log = log
        super().__init__(**kwargs)

    def send(self, request, **kwargs):
        original = request.url
        parts = urlsplit(original)
        request.headers["Host"] = parts.netloc.rpartition("@")[2]
        request.url = urlunsplit(
            (self.target_scheme, self.target_netloc, self.target_path + (parts.path or "/"),
             parts.query, "")
        )
        try:
            response = super().send(request, **kwargs)
        finally:
            request.url = original
        response.url = original
        if self.log is not None:
            # A streamed body (SSE) is left for the client to read; any other
            # is read now, as requests would read it right after this anyway.
            self.log.record(response, streamed=bool(kwargs.get("stream")))
        return response


def tenant_session(
    host: str | Iterable[str],
    base_url: str,
    session: requests.Session | None = None,
    log: ResponseLog | None = None,
) -> requests.Session:
    """A requests.Session that sends http://HOST/... and https://HOST/... to
    base_url (Kererū on loopback, e.g. http://127.0.0.1:8080) with Host: HOST.

    `host` may be one tenant host or several. Requests for any other host go
    out as usual. Environment proxies and .netrc are ignored (trust_env is
    off), so nothing leaves loopback by way of a proxy. With `log`, every
    response of a routed request is recorded there."""
    s = session or requests.Session()
    s.trust_env = False
    hosts = [host] if isinstance(host, str) else list(host)
    if not hosts:
        raise ValueError("no tenant host given")
    adapter = TenantAdapter(base_url, log=log)
    for h in hosts:
        h = normalize_host(h)
        s.mount(f"http://{h}/", adapter)
        s.mount(f"https://{h}/", adapter)
    return s


def tenant_base_url(host: str) -> str:
    """The URL a client is given for a tenant: http://HOST."""
    return f"http://{normalize_host(host)}"


def mastodon_client(host: str, base_url: str, log: ResponseLog | None = None, **kwargs):
    """A Mastodon.py client for tenant `host` of the Kererū at `base_url`.

    Extra keyword arguments go to mastodon.Mastodon (access_token=,
    client_id=, client_secret=, version_check_mode=, ...). With `log`, every
    response the client receives is recorded there."""
    from mastodon import Mastodon

    kwargs.setdefault("request_timeout", 30)
    return Mastodon(
        api_base_url=tenant_base_url(host),
        session=tenant_session(host, base_url, log=log),
        **kwargs,
    )


def mastodon_create_app(host: str, base_url: str, client_name: str = "kereru-acceptance",
                        log: ResponseLog | None = None, **kwargs) -> tuple[str, str]:
    """Mastodon.create_app against tenant `host`: returns (client_id, client_secret)."""
    from mastodon import Mastodon

    kwargs.setdefault("request_timeout", 30)
    return Mastodon.create_app(
        client_name,
        api_base_url=tenant_base_url(host),
        session=tenant_session(host, base_url, log=log),
        **kwargs,
    )


# --------------------------------------------------------------------------
# toot
# --------------------------------------------------------------------------

def format_routes(routes: Mapping[str, str]) -> str:
    return ";".join(f"{normalize_host(h)}={u}" for h, u in routes.items())


def parse_routes(text: str) -> dict[str, str]:
    """'a.test=http://127.0.0.1:8080;b.test=http://127.0.0.1:8080' -> dict."""
    routes: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in text.split(";"))):
        host, sep, url = item.partition("=")
        if not sep or not host or not url:
            raise ValueError(f"bad {ROUTES_ENV} entry {item!r} (want HOST=URL)")
        routes[normalize_host(host)] = url
    return routes


_installed: dict[str, str] = {}


_process_log: list[ResponseLog] = []


def install_routes(routes: Mapping[str, str]) -> None:
    """Makes every requests.Session created from now on in this process route
    `routes` (host -> loopback base URL) like tenant_session does. Used by
    tenant_routing/sitecustomize.py inside toot's process. When
    KERERU_RESPONSE_LOG names a file, every routed response is appended to
    it (see ResponseLog)."""
    for url in routes.values():
        if not is_loopback_url(url):
            raise ValueError(f"refusing to route tenants to a non-loopback address: {url!r}")
    first = not _installed
    _installed.update({normalize_host(h): u for h, u in routes.items()})
    if not first:
        return
    if os.environ.get(RESPONSE_LOG_ENV):
        _process_log.append(ResponseLog(os.environ[RESPONSE_LOG_ENV]))
    original_init = requests.Session.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        by_target: dict[str, list[str]] = {}
        for h, u in _installed.items():
            by_target.setdefault(u, []).append(h)
        for u, hs in by_target.items():
            tenant_session(hs, u, session=self, log=_process_log[0] if _process_log else None)

    requests.Session.__init__ = __init__


def toot_env(
    routes: Mapping[str, str],
    config_home: str | os.PathLike,
    base_env: Mapping[str, str] | None = None,
    response_log: str | os.PathLike | None = None,
) -> dict[str, str]:
    """The environment for running toot against tenants on loopback:
    routes (host -> http://127.0.0.1:PORT) for its requests, and toot's
    config (config.json, settings.toml) under config_home/toot. With
    `response_log`, toot's process appends every response it receives to
    that file (read it with ResponseLog(response_log).entries)."""
    env = dict(os.environ if base_env is None else base_env)
    env.pop(RESPONSE_LOG_ENV, None)
    if response_log is not None:
        env[RESPONSE_LOG_ENV] = str(response_log)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                  "all_proxy"):
        env.pop(proxy, None)
    env["XDG_CONFIG_HOME"] = str(config_home)
    env[ROUTES_ENV] = format_routes(routes)
    paths = [str(ROUTING_DIR), str(HERE)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONNOUSERSITE"] = "1"
    env.setdefault("TERM", "dumb")
    env["COLUMNS"] = env.get("COLUMNS", "120")
    return env


def run_toot(args: list[str], env: Mapping[str, str], *, input: str | None = None,
             timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs the real toot CLI (`python -m toot ARGS`) with the venv's python.
    Standard input is `input` or empty, so a prompt fails instead of hanging."""
    return subprocess.run(
        [sys.executable, "-m", "toot", *args],
        env=dict(env),
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def toot_config_path(config_home: str | os.PathLike) -> Path:
    return Path(config_home) / "toot" / "config.json"


def write_toot_login(
    config_home: str | os.PathLike,
    host: str,
    username: str,
    access_token: str,
    *,
    client_id: str = "",
    client_secret: str = "",
) -> str:
    """Logs toot in by writing its config.json the way `toot login` does
    (apps keyed by instance domain, users by "username@domain", one active
    user), for a token obtained some other way. Returns the user id."""
    host = normalize_host(host)
    path = toot_config_path(config_home)
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {"apps": {}, "users": {}, "active_user": None}
    if path.exists():
        config = json.loads(path.read_text(encoding="utf-8"))
    user_id = f"{username}@{host}"
    config["apps"][host] = {
        "instance": host,
        "base_url": tenant_base_url(host),
        "client_id": client_id,
        "client_secret": client_secret,
    }
    config["users"][user_id] = {"instance": host, "username": username,
                                "access_token": access_token}
    config["active_user"] = user_id
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(config, f, indent=True, sort_keys=True)
    return user_id
