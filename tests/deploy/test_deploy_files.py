"""The files of deploy/ checked as far as this machine can check them
without running a container engine (scripts/container-test builds and runs
the image itself): the systemd units verify cleanly, and every setting the
compose file and the units give Kererū is one the real binary accepts.

Run by scripts/container-test as
    KERERU_BIN=... python -m pytest tests/deploy
"""

import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KERERU = os.environ.get("KERERU_BIN", "")
UNITS = ["kereru.service", "kereru-web.service", "kereru-worker.service"]


def check_config(environment, config_file=None):
    """Runs `kereru check-config` with only these KERERU_* variables set."""
    assert KERERU and os.access(KERERU, os.X_OK), "KERERU_BIN must name the kereru binary"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERERU_") and k != "DATABASE_URL"}
    env.update(environment)
    args = [KERERU]
    if config_file is not None:
        args += ["--config", str(config_file)]
    return subprocess.run(args + ["check-config"], env=env, capture_output=True, text=True, timeout=60)


def compose():
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def kereru_services(document):
    return {
        name: service
        for name, service in document["services"].items()
        if service.get("image", "").startswith("localhost/kereru")
    }


def test_the_units_verify_without_a_warning():
    """systemd-analyze verify, in a root of its own with this machine's
    systemd units and a stand-in executable at the units' ExecStart path."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (Debian package systemd) is needed"
    with tempfile.TemporaryDirectory() as root:
        root = pathlib.Path(root)
        shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
        (root / "usr/local/bin").mkdir(parents=True)
        shutil.copy("/bin/true", root / "usr/local/bin/kereru")
        units = root / "etc/systemd/system"
        units.mkdir(parents=True)
        for unit in UNITS:
            shutil.copy(DEPLOY / unit, units / unit)
        result = subprocess.run(
            [analyze, "verify", f"--root={root}", *UNITS], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr


def unit_environment(unit):
    """The KERERU_* variables of a unit's Environment= lines, unquoted as systemd does for '...'."""
    environment = {}
    for line in (DEPLOY / unit).read_text().splitlines():
        if line.startswith("Environment="):
            value = line[len("Environment="):]
            if value.startswith("'") and value.endswith("'"):
                value = value[1:-1]
            key, _, val = value.partition("=")
            environment[key] = val
    return environment


@pytest.mark.parametrize("unit", UNITS)
def test_each_units_settings_are_accepted(unit):
    environment = unit_environment(unit)
    environment["KERERU_DATABASE__URL"] = "postgres://kereru@127.0.0.1:1/kereru"
    result = check_config(environment)
    assert result.returncode == 0, result.stderr


def test_the_web_and_worker_units_split_the_roles():
    web = check_config({**unit_environment("kereru-web.service")})
    worker = check_config({**unit_environment("kereru-worker.service")})
    assert web.returncode == 0 and worker.returncode == 0, web.stderr + worker.stderr
    assert "roles: web\n" in web.stdout, web.stdout
    worker_roles = next(line for line in worker.stdout.splitlines() if line.startswith("roles: "))
    assert "web" not in worker_roles.split(": ", 1)[1].split(", "), worker_roles


def test_compose_has_the_parts_the_guide_names():
    document = compose()
    services = document["services"]
    for name in ["postgres", "s3", "prometheus"]:
        assert name in services, name
    nodes = kereru_services(document)
    serving = [name for name, service in nodes.items() if service.get("command") != ["migrate"]]
    assert len(serving) >= 2, nodes.keys()
    for name in nodes:
        assert nodes[name]["build"]["dockerfile"] == "deploy/Containerfile"
        assert (ROOT / nodes[name]["build"]["context"].replace("..", ".")).exists()


@pytest.mark.parametrize("name", sorted(kereru_services(compose())))
def test_compose_settings_are_accepted_by_kereru(name):
    """Each node's environment, as the container gets it (deploy/container.toml
    under it), is a configuration the binary accepts: a misspelt key or a
    bad value fails here, not at someone's first deploy."""
    service = kereru_services(compose())[name]
    environment = {k: str(v) for k, v in service["environment"].items()}
    result = check_config(environment, DEPLOY / "container.toml")
    assert result.returncode == 0, result.stderr
    assert "media: s3 bucket kereru-media" in result.stdout, result.stdout


def test_prometheus_scrapes_every_nodes_metrics_listener():
    document = compose()
    scraped = set()
    prometheus = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    for job in prometheus["scrape_configs"]:
        for config in job["static_configs"]:
            scraped.update(config["targets"])
    expected = set()
    for name, service in kereru_services(document).items():
        if service.get("command") == ["migrate"]:
            continue
        port = service["environment"]["KERERU_METRICS__LISTEN"].rsplit(":", 1)[1]
        expected.add(f"{name}:{port}")
    assert scraped == expected


def test_a_misspelt_setting_is_refused():
    """The check above could fail: an unknown key is an error, not ignored."""
    result = check_config({"KERERU_MEDIA__BUCKIT": "x"})
    assert result.returncode != 0
    assert "buckit" in result.stderr.lower(), result.stderr
