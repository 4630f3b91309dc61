"""Deployment artefacts: docker-compose.yaml (validated, not run: no Docker engine here) and
airflow.cfg.template rendered into a config Airflow itself reads."""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

ROOT = Path(__file__).resolve().parents[2]
CONNECTIONS = ("AIRFLOW_CONN_AERIS_POSTGRES", "AIRFLOW_CONN_AERIS_S3", "AIRFLOW_CONN_AERIS_REDIS",
               "AIRFLOW_CONN_HARMONY_DEFAULT")  # fmt: skip


def compose_cli() -> list[str]:
    """Docker Compose v2: `docker compose`, or the plugin binary itself where there is no Docker client
    (it runs standalone). Compose v1 is not accepted: it validates against an older schema."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    plugin = Path(os.environ.get("DOCKER_CONFIG", Path.home() / ".docker")) / "cli-plugins" / "docker-compose"
    if plugin.is_file():
        return [str(plugin)]
    pytest.fail("no Docker Compose v2 (`docker compose`); `make test` installs it (scripts/lib.sh)")


SECRETS = {
    "AIRFLOW_JWT_SECRET": "0" * 64,
    "AIRFLOW_FERNET_KEY": "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=",
    "AIRFLOW_API_SECRET_KEY": "1" * 64,
    "AIRFLOW_ADMIN_PASSWORD": "ui-admin-secret",
    "AERIS_DB_ADMIN_PASSWORD": "db-admin-secret",
    "AERIS_DB_PASSWORD": "db-pipeline-secret",
    "AIRFLOW_DB_PASSWORD": "db-airflow-secret",
    "AERIS_VIEW_DB_PASSWORD": "db-view-secret",
    "AERIS_WAITS_DB_PASSWORD": "db-waits-secret",
    "AERIS_REDIS_PASSWORD": "redis-secret",
    "MINIO_ROOT_USER": "aeris-admin",
    "MINIO_ROOT_PASSWORD": "minio-secret",
    "AERIS_S3_ACCESS_KEY": "aeris-audit-writer",
    "AERIS_S3_SECRET_KEY": "audit-secret",
}


def compose_config(secrets: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """`docker compose config` with only `secrets` set (no .env file, nothing from this shell)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "AERIS", "AWS", "MINIO"))}
    return subprocess.run(
        [*compose_cli(), "--env-file", os.devnull, "-f", str(ROOT / "docker-compose.yaml"), "config", *args],
        cwd=ROOT, env={**env, **secrets}, capture_output=True, text=True,
    )  # fmt: skip


def test_compose_file_is_valid_with_its_secrets_set():
    result = compose_config(SECRETS, "-q")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_run_without_each_secret(missing):
    result = compose_config({k: v for k, v in SECRETS.items() if k != missing}, "-q")
    assert result.returncode != 0 and missing in result.stderr, result.stderr


def test_every_published_port_is_bound_to_localhost():
    config = json.loads(compose_config(SECRETS, "--format", "json").stdout)
    published = [(name, port) for name, svc in config["services"].items() for port in svc.get("ports", [])]
    assert published, "expected the UI and the MinIO console to be published"
    for name, port in published:
        assert port.get("host_ip") == "127.0.0.1", (name, port)


def test_compose_cli_is_v2():
    version = subprocess.run([*compose_cli(), "version", "--short"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.strip().startswith("2."), version.stdout


def test_compose_runs_the_celery_stack_with_the_project_mounted():
    compose = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())
    services = compose["services"]
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                 "airflow-worker", "airflow-init", "postgis", "redis", "minio", "minio-init"):  # fmt: skip
        assert name in services, name
    assert services["postgis"]["image"].startswith("postgis/postgis:")
    worker = services["airflow-worker"]
    assert worker["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert all(name in worker["environment"] for name in CONNECTIONS)
    mounts = {volume.split(":")[1] for volume in worker["volumes"]}
    assert {
        "/opt/airflow/dags",
        "/opt/airflow/plugins",
        "/opt/airflow/include",
        "/opt/airflow/aeris_lib",
    } <= mounts
    assert "mb --ignore-existing" in services["minio-init"]["entrypoint"]


def test_airflow_cfg_template_renders_a_config_airflow_reads(tmp_path):
    cfg = tmp_path / "airflow.cfg"
    env = {
        "PATH": os.environ["PATH"],
        "AERIS_PROJECT_ROOT": str(ROOT),
        "AIRFLOW_DATABASE_URL": "postgresql+psycopg://aeris:secret@db/airflow",
        "AIRFLOW_EXECUTOR": "LocalExecutor",
        "AIRFLOW_CELERY_BROKER_URL": "redis://:redis-secret@redis:6379/1",
        "AIRFLOW_CELERY_RESULT_BACKEND": "db+postgresql://aeris_airflow:meta-secret@db/airflow",
    }
    rendered = subprocess.run(
        [sys.executable, str(ROOT / "scripts/render_airflow_cfg.py"), "--output", str(cfg)],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    assert "${" not in cfg.read_text()

    # Read back by Airflow itself, every value in one `airflow config list` (one start-up, not three).
    listed = subprocess.run(
        [shutil.which("airflow") or str(Path(sys.executable).with_name("airflow")),
         "config", "list", "--show-values", "--color", "off", "--exclude-providers"],
        env={**env, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW_CONFIG": str(cfg)},
        capture_output=True, text=True,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr[-1000:]
    effective = configparser.ConfigParser(interpolation=None, strict=False)
    effective.read_string(listed.stdout)
    assert effective.get("core", "executor") == "LocalExecutor"
    assert effective.get("core", "dags_folder") == str(ROOT / "dags")
    assert effective.get("operators", "default_deferrable").lower() == "true"


def test_airflow_cfg_template_names_a_missing_variable(tmp_path):
    rendered = subprocess.run(
        [sys.executable, str(ROOT / "scripts/render_airflow_cfg.py"), "--output", str(tmp_path / "a.cfg")],
        env={"PATH": os.environ["PATH"], "AERIS_PROJECT_ROOT": str(ROOT)}, capture_output=True, text=True,
    )  # fmt: skip
    assert rendered.returncode != 0
    assert "AIRFLOW_DATABASE_URL" in rendered.stderr and "Traceback" not in rendered.stderr
    # The Celery result backend and broker are required: no superuser or password defaults to them.
    assert (
        "AIRFLOW_CELERY_RESULT_BACKEND" in rendered.stderr and "AIRFLOW_CELERY_BROKER_URL" in rendered.stderr
    )
    assert "aeris:aeris@" not in (ROOT / "airflow.cfg.template").read_text()


def _rendered() -> dict:
    return json.loads(compose_config(SECRETS, "--format", "json").stdout)["services"]


def _env_text(service: dict) -> str:
    return json.dumps(service.get("environment", {}))


def test_superuser_credentials_reach_only_set_up():
    """The PostgreSQL superuser's and MinIO's root secrets are in set-up services only; every task,
    the scheduler and the api-server log in as roles that are not."""
    services = _rendered()
    for secret, allowed in (("db-admin-secret", {"postgis", "airflow-init"}),
                            ("minio-secret", {"minio", "minio-init"})):  # fmt: skip
        holders = {name for name, svc in services.items() if secret in _env_text(svc)}
        assert holders == allowed, (secret, holders)
    worker = services["airflow-worker"]["environment"]
    assert worker["AIRFLOW_CONN_AERIS_POSTGRES"].startswith("postgres://aeris_pipeline:db-pipeline-secret@")
    assert worker["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg://aeris_airflow:")
    assert json.loads(worker["AIRFLOW_CONN_AERIS_S3"])["login"] == "aeris-audit-writer"
    api = services["airflow-apiserver"]["environment"]
    assert api["AIRFLOW_CONN_AERIS_VIEW"].startswith("postgres://aeris_view:db-view-secret@")
    for name in (
        "AIRFLOW_CONN_AERIS_POSTGRES",
        "AIRFLOW_CONN_HARMONY_DEFAULT",
        "BEARER_TOKEN",
        "EARTHDATA_PASSWORD",
    ):
        assert not api.get(name), name  # the UI holds neither the pipeline's login nor Earthdata's
    init = services["airflow-init"]
    assert "python -m aeris_lib.db.roles" in " ".join(init["command"])


def test_minio_init_gives_airflow_a_user_scoped_to_the_audit_bucket(tmp_path):
    """minio-init's own shell command, run with a recording `mc`: the policy it writes is valid JSON
    that allows the audit bucket only, and it is attached to the audit user."""
    service = _rendered()["minio-init"]
    fake_mc = tmp_path / "mc"
    fake_mc.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {tmp_path}/calls\n'
        f'[ "$1 $2 $3" = "admin policy create" ] && cp "$6" {tmp_path}/policy.json\n'
        "exit 0\n"
    )
    fake_mc.chmod(0o755)
    shell, flag, script = service["entrypoint"]
    env = {**service["environment"], "PATH": f"{tmp_path}:/usr/bin:/bin"}
    # `compose config` keeps `$$` (its escape for a literal `$`); the container's shell sees one `$`.
    done = subprocess.run([shell, flag, script.replace("$$", "$")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    policy = json.loads((tmp_path / "policy.json").read_text())
    resources = {r for statement in policy["Statement"] for r in statement["Resource"]}
    assert resources == {"arn:aws:s3:::aeris-audit", "arn:aws:s3:::aeris-audit/*"}
    actions = {a for statement in policy["Statement"] for a in statement["Action"]}
    assert actions == {
        "s3:ListBucket",
        "s3:GetBucketLocation",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
    }
    calls = (tmp_path / "calls").read_text()
    assert "admin user add local aeris-audit-writer audit-secret" in calls
    assert "admin policy attach local aeris-audit --user aeris-audit-writer" in calls


DEV_ONLY = ("pytest", "pytest-xdist", "pytest-timeout", "moto", "playwright", "ruff", "aiosmtpd", "harmony-py",
            "geoalchemy2", "netcdf4")  # fmt: skip


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        if "==" in line and not line.startswith(("#", " ")):
            package, version = line.split("==", 1)
            pins[package.split("[")[0].strip().lower()] = version.split(";")[0].strip()
    return pins


def test_the_image_ships_the_runtime_pins_and_the_code_not_the_test_tools():
    dockerfile = "\n".join(
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if not line.startswith("#")
    )  # the instructions
    runtime, dev = _pins("requirements.txt"), _pins("requirements-dev.txt")
    # Installs the runtime pins only, and copies the code the components run.
    assert "-r /requirements.txt" in dockerfile and "requirements-dev" not in dockerfile
    for folder in ("dags", "plugins", "include", "aeris_lib"):
        assert f"COPY --chown=airflow:root {folder}/ /opt/airflow/{folder}/" in dockerfile, folder
    # The Airflow version is named once (an ARG used by FROM and pip), and it is the pinned one.
    versions = [
        line.split("=", 1)[1] for line in dockerfile.splitlines() if line.startswith("ARG AIRFLOW_VERSION=")
    ]
    assert versions == [runtime["apache-airflow"]] and dockerfile.count("3.3.") == 1
    # No test tool, emulator dependency or linter among the runtime pins; the dev file adds them, and
    # pins every runtime package at the same version (the tests run what the image ships).
    assert [p for p in DEV_ONLY if p in runtime] == []
    assert all(p in dev for p in DEV_ONLY)
    assert {p: v for p, v in runtime.items() if dev.get(p) != v} == {}
    # The build context holds only what the image copies: no tests, emulator, scripts or dev pins.
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored[ignored.index("*") + 1 :][:5] == ["!requirements.txt", "!dags/", "!plugins/", "!include/",
                                                     "!aeris_lib/"]  # fmt: skip
    assert not any(line.startswith("!") and "test" in line for line in ignored)


# Each secret as the test sets it, by what it is.
HELD = {
    "fernet": SECRETS["AIRFLOW_FERNET_KEY"], "jwt": SECRETS["AIRFLOW_JWT_SECRET"],
    "metadata": "db-airflow-secret", "pipeline": "db-pipeline-secret", "view": "db-view-secret",
    "waits": "db-waits-secret", "redis": "redis-secret", "bucket": "audit-secret",
    "earthdata": "edl-password-secret", "admin": "db-admin-secret", "minio": "minio-secret",
    "ui-session": SECRETS["AIRFLOW_API_SECRET_KEY"], "ui-admin": "ui-admin-secret",
}  # fmt: skip
EXPECTED = {
    "airflow-dag-processor": {"metadata"},
    "airflow-apiserver": {"metadata", "fernet", "ui-session", "jwt", "view", "bucket"},
    "airflow-scheduler": {"metadata", "fernet", "jwt", "redis"},
    "airflow-triggerer": {"metadata", "fernet", "waits", "earthdata"},
    "airflow-worker": {"metadata", "jwt", "redis", "pipeline", "bucket", "earthdata"},
    "airflow-init": {"metadata", "admin", "pipeline", "view", "waits", "ui-admin"},
    "postgis": {"admin"},
    "redis": {"redis"},
    "minio": {"minio"},
    "minio-init": {"minio", "bucket"},
}


def test_each_service_gets_only_the_secrets_it_uses():
    """docs/security.md's table, read back from the file as compose resolves it."""
    services = json.loads(
        compose_config({**SECRETS, "EARTHDATA_USERNAME": "edl-user", "EARTHDATA_PASSWORD": "edl-password-secret"},
                       "--format", "json").stdout
    )["services"]  # fmt: skip
    held = {
        name: {what for what, secret in HELD.items() if secret in json.dumps(svc.get("environment", {}))
               or secret in json.dumps(svc.get("command", ""))}
        for name, svc in services.items()
    }  # fmt: skip
    assert held == EXPECTED


def test_redis_wants_a_password_and_everything_that_uses_it_sends_one():
    services = _rendered()
    assert "--requirepass" in services["redis"]["command"]
    for name in ("airflow-scheduler", "airflow-worker"):
        assert services[name]["environment"]["AIRFLOW__CELERY__BROKER_URL"].startswith(
            "redis://:redis-secret@"
        )
    assert services["airflow-worker"]["environment"]["AIRFLOW_CONN_AERIS_REDIS"].startswith(
        "redis://:redis-secret@"
    )


def test_compose_logs_in_through_fab_with_the_aeris_viewer_role_made_at_init():
    services = _rendered()
    managers = {svc["environment"].get("AIRFLOW__CORE__AUTH_MANAGER") for name, svc in services.items()
                if name.startswith("airflow-")}  # fmt: skip
    assert managers == {"airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"}
    init = " ".join(services["airflow-init"]["command"])
    assert init.index("airflow db migrate") < init.index("python -m aeris.ui.viewer_role")
    assert "airflow users create --role Admin" in init and "SIMPLE_AUTH" not in json.dumps(services)
