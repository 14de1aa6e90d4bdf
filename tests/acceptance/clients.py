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
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

HERE = Path(__file__).resolve().parent
ROUTING_DIR = HERE / "tenant_routing"
ROUTES_ENV = "KERERU_TENANT_ROUTES"


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


class TenantAdapter(HTTPAdapter):
    """Sends every request it gets to `target` (a loopback base URL such as
    http://127.0.0.1:8080), keeping the original host in the Host header and
    the original URL on the request and response (so redirects, cookies and
    Link headers stay on the tenant's URL)."""

    def __init__(self, target: str, **kwargs):
        if not is_loopback_url(target):
            raise ValueError(f"refusing to route tenants to a non-loopback address: {target!r}")
        t = urlsplit(target)
        self.target_scheme = t.scheme
        self.target_netloc = t.netloc
        self.target_path = t.path.rstrip("/")
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
        return response


def tenant_session(
    host: str | Iterable[str],
    base_url: str,
    session: requests.Session | None = None,
) -> requests.Session:
    """A requests.Session that sends http://HOST/... and https://HOST/... to
    base_url (Kererū on loopback, e.g. http://127.0.0.1:8080) with Host: HOST.

    `host` may be one tenant host or several. Requests for any other host go
    out as usual. Environment proxies and .netrc are ignored (trust_env is
    off), so nothing leaves loopback by way of a proxy."""
    s = session or requests.Session()
    s.trust_env = False
    hosts = [host] if isinstance(host, str) else list(host)
    if not hosts:
        raise ValueError("no tenant host given")
    adapter = TenantAdapter(base_url)
    for h in hosts:
        h = normalize_host(h)
        s.mount(f"http://{h}/", adapter)
        s.mount(f"https://{h}/", adapter)
    return s


def tenant_base_url(host: str) -> str:
    """The URL a client is given for a tenant: http://HOST."""
    return f"http://{normalize_host(host)}"


def mastodon_client(host: str, base_url: str, **kwargs):
    """A Mastodon.py client for tenant `host` of the Kererū at `base_url`.

    Extra keyword arguments go to mastodon.Mastodon (access_token=,
    client_id=, client_secret=, version_check_mode=, ...)."""
    from mastodon import Mastodon

    kwargs.setdefault("request_timeout", 30)
    return Mastodon(
        api_base_url=tenant_base_url(host),
        session=tenant_session(host, base_url),
        **kwargs,
    )


def mastodon_create_app(host: str, base_url: str, client_name: str = "kereru-acceptance",
                        **kwargs) -> tuple[str, str]:
    """Mastodon.create_app against tenant `host`: returns (client_id, client_secret)."""
    from mastodon import Mastodon

    kwargs.setdefault("request_timeout", 30)
    return Mastodon.create_app(
        client_name,
        api_base_url=tenant_base_url(host),
        session=tenant_session(host, base_url),
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


def install_routes(routes: Mapping[str, str]) -> None:
    """Makes every requests.Session created from now on in this process route
    `routes` (host -> loopback base URL) like tenant_session does. Used by
    tenant_routing/sitecustomize.py inside toot's process."""
    for url in routes.values():
        if not is_loopback_url(url):
            raise ValueError(f"refusing to route tenants to a non-loopback address: {url!r}")
    first = not _installed
    _installed.update({normalize_host(h): u for h, u in routes.items()})
    if not first:
        return
    original_init = requests.Session.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        by_target: dict[str, list[str]] = {}
        for h, u in _installed.items():
            by_target.setdefault(u, []).append(h)
        for u, hs in by_target.items():
            tenant_session(hs, u, session=self)

    requests.Session.__init__ = __init__


def toot_env(
    routes: Mapping[str, str],
    config_home: str | os.PathLike,
    base_env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment for running toot against tenants on loopback:
    routes (host -> http://127.0.0.1:PORT) for its requests, and toot's
    config (config.json, settings.toml) under config_home/toot."""
    env = dict(os.environ if base_env is None else base_env)
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
