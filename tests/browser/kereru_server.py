"""A real `kereru serve` for one test session, as scripts/acceptance runs it.

A fresh temporary data directory (its own private PostgreSQL, as a
zero-config install has), tenants and accounts provisioned with the `kereru
domain` / `kereru user` commands, `serve --http 127.0.0.1:0`, the address
read from the line `kereru listening on http://ADDR`, SIGTERM at the end
(SIGKILL after a timeout), and nothing left behind: a PostgreSQL that
outlived its kereru is stopped, the directory removed. The server's logs are
copied to the artifacts directory first.

kereru runs with none of the caller's KERERU_* variables nor DATABASE_URL,
so that a developer's own settings never leak into the tested server.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests


class ServerError(RuntimeError):
    pass


@dataclass(frozen=True)
class Tenant:
    """A tenant to provision: `kereru domain add HOST --name NAME --registrations MODE`."""

    host: str
    name: str
    registrations: str = "closed"  # open | approval | closed


@dataclass(frozen=True)
class Person:
    """An account: provisioned (`kereru user create`) or only made up for a
    sign-up test (see the `new_person` fixture)."""

    username: str
    host: str
    email: str
    password: str = field(repr=False)

    @property
    def acct(self) -> str:
        """username@host, as another tenant names the account."""
        return f"{self.username}@{self.host}"

    @property
    def handle(self) -> str:
        """@username@host, as pages show the account."""
        return f"@{self.username}@{self.host}"


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without DATABASE_URL and KERERU_* (kereru
    reads those as settings), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERERU_") and k != "DATABASE_URL"}
    env.update(extra or {})
    return env


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the test process dies (even by
    SIGKILL), so that no kereru outlives its test run."""
    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def find_pg_ctl() -> str | None:
    found = shutil.which("pg_ctl")
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                        key=lambda p: [int(x) if x.isdigit() else x for x in p.parts[-3].split(".")])
    return str(candidates[-1]) if candidates else None


class KereruServer:
    """One kereru data directory and, once started, its `serve` process."""

    def __init__(self, binary: Path, *, logs_dir: Path, start_timeout: float = 120,
                 stop_timeout: float = 60, config_text: str = "", env: dict[str, str] | None = None):
        if not binary.is_file():
            raise ServerError(f"no kereru binary at {binary} (build it with `cargo build -p kereru-server`, "
                              "or set KERERU_BIN)")
        self.binary = binary
        self.logs_dir = logs_dir
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.env = dict(env or {})
        self.work = Path(tempfile.mkdtemp(prefix="kereru-browser."))
        # As root, PostgreSQL runs as the postgres user, who must reach the
        # cluster under the data directory (else kereru keeps it elsewhere).
        self.work.chmod(0o755)
        self.data = self.work / "data"
        self.config = self.work / "kereru.toml"
        self.config.write_text(config_text)
        self.process: subprocess.Popen | None = None
        self.address: str | None = None  # 127.0.0.1:PORT once listening

    # ------------------------------------------------------------------ CLI

    def cli(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        """Runs `kereru --config … --data-dir … ARGS` (beside the running
        server, on the same database); returns the finished process (text)."""
        cmd = [str(self.binary), "--config", str(self.config), "--data-dir", str(self.data), *args]
        done = subprocess.run(cmd, input=input, capture_output=True, text=True, env=clean_env(self.env),
                              timeout=self.start_timeout)
        if check and done.returncode != 0:
            raise ServerError(f"`kereru {' '.join(args)}` failed ({done.returncode}): "
                              f"{done.stderr.strip() or done.stdout.strip()}")
        return done

    def add_tenant(self, tenant: Tenant) -> None:
        self.cli("domain", "add", tenant.host, "--name", tenant.name, "--registrations", tenant.registrations)

    def add_person(self, person: Person, *, admin: bool = False) -> None:
        args = ["user", "create", "--domain", person.host, "--username", person.username, "--email", person.email]
        self.cli(*args, *(["--admin"] if admin else []), input=person.password + "\n")

    # ---------------------------------------------------------------- serve

    @property
    def port(self) -> int:
        assert self.address, "the server is not running"
        return int(self.address.rsplit(":", 1)[1])

    def start(self) -> str:
        """Starts `kereru serve` and waits until it listens; returns 127.0.0.1:PORT."""
        out = open(self.work / "server.out", "wb")
        err = open(self.work / "server.log", "wb")
        with out, err:
            self.process = subprocess.Popen(
                [str(self.binary), "--config", str(self.config), "--data-dir", str(self.data),
                 "serve", "--http", "127.0.0.1:0"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=clean_env(self.env),
                preexec_fn=_die_with_parent)
        deadline = time.monotonic() + self.start_timeout
        while True:
            text = (self.work / "server.out").read_text(errors="replace")
            for line in text.splitlines():
                if line.startswith("kereru listening on http://"):
                    self.address = line.removeprefix("kereru listening on http://").strip()
                    return self.address
            if self.process.poll() is not None:
                code, self.process = self.process.returncode, None
                raise ServerError(f"kereru serve exited ({code}) before listening:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise ServerError(f"kereru serve did not listen within {self.start_timeout:.0f}s:\n{self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join((self.work / "server.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def request(self, method: str, host: str, path: str, **kwargs) -> requests.Response:
        """An HTTP request to this server for tenant `host` (Host header set),
        without a browser: for setting things up (e.g. registering an app)."""
        headers = {"Host": host, **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 30)
        kwargs.setdefault("allow_redirects", False)
        return requests.request(method, f"http://{self.address}{path}", headers=headers, **kwargs)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after stop_timeout. Raises when the server did
        not exit by itself with status 0 (its shutdown is tested too)."""
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise ServerError(f"kereru serve did not stop within {self.stop_timeout:.0f}s of SIGTERM; "
                              f"killed it:\n{self.log_tail()}")
        if code != 0:
            raise ServerError(f"kereru serve exited with status {code} after SIGTERM:\n{self.log_tail()}")

    # -------------------------------------------------------------- cleanup

    def _stop_stray_postgres(self) -> None:
        pgdata = self.data / "postgres" / "pgdata"
        pg_ctl = find_pg_ctl()
        if not (pgdata / "postmaster.pid").is_file() or pg_ctl is None:
            return
        cmd = [pg_ctl, "stop", "-D", str(pgdata), "-m", "immediate", "-w", "-t", "30"]
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, capture_output=True, timeout=60)

    def cleanup(self) -> None:
        """Kills a server still running, keeps its logs, removes everything else."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        for name in ("server.log", "server.out", "kereru.toml"):
            if (self.work / name).is_file():
                shutil.copy(self.work / name, self.logs_dir / name)
        self._stop_stray_postgres()
        # kereru's fallback when postgres could not reach the data dir: a linked cluster
        linked = self.data / "postgres"
        target = os.readlink(linked) if linked.is_symlink() else ""
        shutil.rmtree(self.work, ignore_errors=True)
        if target.startswith("/var/lib/kereru/clusters/") and len(target) > len("/var/lib/kereru/clusters/"):
            shutil.rmtree(target, ignore_errors=True)


def random_password() -> str:
    return "kereru-" + secrets.token_hex(12)
