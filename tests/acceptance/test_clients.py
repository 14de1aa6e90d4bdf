"""Tests of the client plumbing (clients.py) against a small local server.

The server listens on 127.0.0.1 only and plays a Mastodon for any Host: it
records every request (with its Host header) and answers a few endpoints with
responses recorded from a real Mastodon 4.6.4 (the shared cassettes), so that
the real Mastodon.py and toot can register an app, log in and ask who they
are, each believing it talks to http://a.test. No server of Kererū is needed.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

import clients
from cassettes import json_responses
from mastodon_types import check_entity


def _recorded(method: str, path: str) -> dict:
    for it in json_responses():
        if it.method == method and it.path == path:
            return it.json()
    raise LookupError(f"{method} {path}")


RECORDED_TOKEN = _recorded("POST", "/oauth/token")
TOKEN = RECORDED_TOKEN["access_token"]


class FakeMastodon(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[dict] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def hosts(self) -> set[str]:
        return {r["host"] for r in self.seen}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _reply(self, status: int, body, headers: dict | None = None):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        host = self.headers.get("Host", "")
        hostname = host.split(":")[0]
        path = urlsplit(self.path).path
        form = {}
        ctype = self.headers.get("Content-Type", "")
        if raw and ctype.startswith("application/json"):
            form = json.loads(raw)
        elif raw and ctype.startswith("application/x-www-form-urlencoded"):
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        record = {
            "method": self.command, "target": self.path, "path": path, "host": host,
            "authorization": self.headers.get("Authorization"),
            "user_agent": self.headers.get("User-Agent"), "form": form,
        }
        with self.server.lock:
            self.server.seen.append(record)
        base = f"http://{host}"
        route = (self.command, path)
        if path.startswith("/echo"):
            return self._reply(200, record)
        if route == ("GET", "/redirect"):
            return self._reply(302, {}, {"Location": "/echo?from=redirect"})
        # Mastodon.py asks for /api/v1/instance/ and /api/v2/instance/ (with
        # the slash), toot for /api/v1/instance
        if self.command == "GET" and path in ("/api/v1/instance", "/api/v1/instance/"):
            body = _recorded("GET", "/api/v1/instance/")
            body["uri"] = hostname
            return self._reply(200, body)
        if self.command == "GET" and path in ("/api/v2/instance", "/api/v2/instance/"):
            body = _recorded("GET", "/api/v2/instance/")
            body["domain"] = hostname
            return self._reply(200, body)
        if route == ("GET", "/.well-known/oauth-authorization-server"):
            text = json.dumps(_recorded("GET", "/.well-known/oauth-authorization-server"))
            body = json.loads(text.replace("http://localhost:3000", base))
            body["grant_types_supported"] = sorted(
                set(body.get("grant_types_supported", [])) | {"password"})
            return self._reply(200, body)
        if route == ("POST", "/api/v1/apps"):
            return self._reply(200, _recorded("POST", "/api/v1/apps"))
        if route == ("POST", "/oauth/token"):
            if form.get("grant_type") != "password" or form.get("password") != "secret":
                return self._reply(400, {"error": "invalid_grant"})
            return self._reply(200, RECORDED_TOKEN)
        if route == ("GET", "/api/v1/accounts/verify_credentials"):
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._reply(401, {"error": "The access token is invalid"})
            return self._reply(200, _recorded("GET", "/api/v1/accounts/verify_credentials"))
        return self._reply(404, {"error": "Record not found"})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


@pytest.fixture
def fake():
    server = FakeMastodon()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# --------------------------------------------------------------------------
# tenant_session
# --------------------------------------------------------------------------

def test_tenant_session_sends_the_tenant_host_to_loopback(fake):
    s = clients.tenant_session("a.test", fake.url)
    r = s.get("http://a.test/echo/x?y=1", timeout=10)
    assert r.status_code == 200
    seen = r.json()
    assert seen["host"] == "a.test"
    assert seen["target"] == "/echo/x?y=1"
    # the client still sees the tenant's URL
    assert r.url == "http://a.test/echo/x?y=1"
    assert r.request.url == "http://a.test/echo/x?y=1"


def test_one_session_can_serve_several_tenants(fake):
    s = clients.tenant_session(["a.test", "B.Test"], fake.url)
    assert s.get("http://a.test/echo", timeout=10).json()["host"] == "a.test"
    assert s.get("http://b.test/echo", timeout=10).json()["host"] == "b.test"
    assert fake.hosts() == {"a.test", "b.test"}


def test_https_urls_and_explicit_ports_keep_their_host(fake):
    s = clients.tenant_session(["a.test", "c.test:8443"], fake.url)
    # the tenant's https URLs (public_scheme = "https") go to plain http on loopback
    assert s.get("https://a.test/echo", timeout=10).json()["host"] == "a.test"
    assert s.get("http://c.test:8443/echo", timeout=10).json()["host"] == "c.test:8443"


def test_idn_tenants_are_sent_in_ascii(fake):
    s = clients.tenant_session("bücher.example", fake.url)
    r = s.get("http://bücher.example/echo", timeout=10)
    assert r.json()["host"] == "xn--bcher-kva.example"


def test_relative_redirects_stay_on_the_tenant(fake):
    s = clients.tenant_session("a.test", fake.url)
    r = s.get("http://a.test/redirect", timeout=10)
    assert r.status_code == 200
    assert r.url == "http://a.test/echo?from=redirect"
    assert r.json()["host"] == "a.test"
    assert [h.status_code for h in r.history] == [302]


def test_posts_keep_their_body(fake):
    s = clients.tenant_session("a.test", fake.url)
    r = s.post("http://a.test/echo", data={"status": "kia ora"}, timeout=10)
    assert r.json()["form"] == {"status": "kia ora"}
    r = s.post("http://a.test/echo", json={"status": "kia ora"}, timeout=10)
    assert r.json()["form"] == {"status": "kia ora"}


def test_other_hosts_are_not_routed():
    s = clients.tenant_session("a.test", "http://127.0.0.1:9")
    assert isinstance(s.get_adapter("http://a.test/x"), clients.TenantAdapter)
    assert isinstance(s.get_adapter("https://a.test/x"), clients.TenantAdapter)
    for url in ("http://b.test/x", "http://a.test.evil/x", "http://xa.test/x"):
        assert not isinstance(s.get_adapter(url), clients.TenantAdapter), url
    assert s.trust_env is False  # no proxy from the environment


@pytest.mark.parametrize("target", ["http://10.0.0.1:8080", "http://example.com", "ftp://127.0.0.1"])
def test_only_loopback_targets_are_accepted(target):
    with pytest.raises(ValueError):
        clients.tenant_session("a.test", target)


@pytest.mark.parametrize(
    "url, ok",
    [("http://127.0.0.1:8080", True), ("http://127.1.2.3", True), ("http://[::1]:80", True),
     ("http://localhost:3000", True), ("http://192.168.1.1", False), ("http://a.test", False),
     ("127.0.0.1:8080", False)],
)
def test_is_loopback_url(url, ok):
    assert clients.is_loopback_url(url) is ok


def test_routes_round_trip():
    routes = {"a.test": "http://127.0.0.1:1", "Bücher.Example": "http://127.0.0.1:2"}
    text = clients.format_routes(routes)
    assert clients.parse_routes(text) == {"a.test": "http://127.0.0.1:1",
                                          "xn--bcher-kva.example": "http://127.0.0.1:2"}
    with pytest.raises(ValueError):
        clients.parse_routes("a.test")


# --------------------------------------------------------------------------
# Mastodon.py
# --------------------------------------------------------------------------

def test_mastodon_py_registers_logs_in_and_asks_through_the_tenant(fake):
    client_id, client_secret = clients.mastodon_create_app("a.test", fake.url, "kereru tests")
    assert (client_id, client_secret) == (_recorded("POST", "/api/v1/apps")["client_id"],
                                          _recorded("POST", "/api/v1/apps")["client_secret"])
    api = clients.mastodon_client("a.test", fake.url, client_id=client_id,
                                  client_secret=client_secret)
    assert api.api_base_url == "http://a.test"
    token = api.log_in("alice@example.com", "secret", allow_http=True)
    assert token == TOKEN
    me = api.account_verify_credentials()
    assert me.username == "mastodonpy_test"

    assert fake.hosts() == {"a.test"}
    paths = [(r["method"], r["path"]) for r in fake.seen]
    assert ("POST", "/api/v1/apps") in paths
    assert ("POST", "/oauth/token") in paths
    token_req = next(r for r in fake.seen if r["path"] == "/oauth/token")
    assert token_req["form"]["grant_type"] == "password"
    assert token_req["form"]["username"] == "alice@example.com"
    vc = [r for r in fake.seen if r["path"] == "/api/v1/accounts/verify_credentials"]
    assert vc and vc[-1]["authorization"] == f"Bearer {TOKEN}"


def test_mastodon_py_with_a_token_and_the_json_it_gets(fake):
    api = clients.mastodon_client("b.test", fake.url, access_token=TOKEN)
    me = api.account_verify_credentials()
    # the raw JSON passes the entity checker (as Kererū's must)
    raw = api.session.get("http://b.test/api/v1/accounts/verify_credentials",
                          headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).json()
    assert check_entity("CredentialAccount", raw, "4.6.4") == []
    assert me.acct == raw["acct"]
    assert fake.hosts() == {"b.test"}


def test_mastodon_py_errors_come_back_as_mastodon_errors(fake):
    from mastodon import MastodonUnauthorizedError

    api = clients.mastodon_client("a.test", fake.url, access_token="wrong")
    with pytest.raises(MastodonUnauthorizedError):
        api.account_verify_credentials()


# --------------------------------------------------------------------------
# toot
# --------------------------------------------------------------------------

def test_toot_logs_in_non_interactively_and_keeps_its_config_where_told(fake, toot_home):
    env = clients.toot_env({"a.test": fake.url}, toot_home)
    r = clients.run_toot(["login_cli", "--instance", "http://a.test",
                          "--email", "alice@example.com", "--password", "secret"], env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Successfully logged in" in r.stdout

    config = json.loads(clients.toot_config_path(toot_home).read_text())
    assert config["apps"]["a.test"]["base_url"] == "http://a.test"
    assert config["active_user"] == "mastodonpy_test@a.test"
    assert config["users"]["mastodonpy_test@a.test"]["access_token"] == TOKEN

    assert fake.hosts() == {"a.test"}
    paths = [(r["method"], r["path"]) for r in fake.seen]
    assert paths == [("GET", "/api/v1/instance"), ("POST", "/api/v1/apps"),
                     ("POST", "/oauth/token"), ("GET", "/api/v1/accounts/verify_credentials")]
    assert all(r["user_agent"].startswith("toot/") for r in fake.seen)

    r = clients.run_toot(["whoami", "--json"], env)
    assert r.returncode == 0, r.stderr
    assert check_entity("CredentialAccount", json.loads(r.stdout), "4.6.4") == []


def test_toot_uses_a_written_login_without_a_password(fake, toot_home):
    user = clients.write_toot_login(toot_home, "b.test", "mastodonpy_test", TOKEN)
    assert user == "mastodonpy_test@b.test"
    env = clients.toot_env({"b.test": fake.url}, toot_home)
    r = clients.run_toot(["whoami"], env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "@mastodonpy_test" in r.stdout
    assert [(x["host"], x["authorization"]) for x in fake.seen] == [("b.test", f"Bearer {TOKEN}")]
    # toot reads the same file back
    r = clients.run_toot(["auth"], env)
    assert "mastodonpy_test@b.test" in r.stdout and str(toot_home) in r.stdout


def test_toot_without_a_password_fails_instead_of_prompting(fake, toot_home):
    env = clients.toot_env({"a.test": fake.url}, toot_home)
    r = clients.run_toot(["login_cli", "--instance", "http://a.test",
                          "--email", "alice@example.com"], env, timeout=30)
    assert r.returncode != 0
    assert not clients.toot_config_path(toot_home).exists() or \
        not json.loads(clients.toot_config_path(toot_home).read_text())["users"]


def test_toot_reports_a_refused_login(fake, toot_home):
    env = clients.toot_env({"a.test": fake.url}, toot_home)
    r = clients.run_toot(["login_cli", "-i", "a.test", "-e", "alice@example.com",
                          "-p", "wrong"], env)
    # "-i a.test" without a scheme means https://a.test: routed all the same
    assert r.returncode != 0
    assert "Login failed" in r.stderr + r.stdout
    assert fake.hosts() == {"a.test"}


def test_the_routing_shim_does_nothing_without_routes(tmp_path):
    import subprocess
    import sys

    env = clients.toot_env({}, tmp_path)
    env.pop(clients.ROUTES_ENV)
    code = ("import requests; s = requests.Session(); "
            "print(type(s.get_adapter('http://a.test/')).__name__)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.stdout.strip() == "HTTPAdapter", out.stderr
    env[clients.ROUTES_ENV] = "a.test=http://127.0.0.1:9"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.stdout.strip() == "TenantAdapter", out.stderr


def test_requests_itself_is_unchanged_in_this_process():
    # install_routes is for toot's own process; the test process keeps plain sessions
    assert type(requests.Session().get_adapter("http://a.test/")).__name__ == "HTTPAdapter"
