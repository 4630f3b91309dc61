#!/usr/bin/env python3
"""Turn `.env` plus the process environment into the shell exports every script uses.

Standard library only: it runs before the virtualenv exists. Prints `export NAME=value` lines for
`eval`; on a missing or malformed value it prints one line naming the variable to stderr and exits 2.

Precedence: a variable already set in the environment wins over `.env`, which wins over the defaults
below. Service URLs (`AERIS_DATABASE_URL`, `REDIS_URL`, `AERIS_S3_ENDPOINT_URL`) point the project at
services the user already runs; when empty, `scripts/stack.sh` starts local ones on the ports below.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aeris_lib import config, defaults
from aeris_lib.config import SettingError as ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_STACK, _EARTHDATA, _STORAGE, _BBOX = (
    config.LocalStack(),
    config.Earthdata(),
    config.Storage(),
    defaults.CONUS,
)
# What the scripts export when neither the shell nor `.env` sets it: aeris_lib.config's defaults, and
# the local stack's own (its AWS keys are moto's, which accepts any).
DEFAULTS = {
    **{name: str(port) for name, port in config.LocalStack.PORTS.items()},
    "AERIS_DATA_DIR": str(_STACK.data_dir),
    "AERIS_EMULATOR_CAPABILITIES": _STACK.emulator_capabilities,
    "AERIS_EMULATOR_GRANULE_SIZES": _STACK.emulator_granule_sizes,
    "AERIS_EMULATOR_NRT_WINDOW_DAYS": f"{_STACK.emulator_nrt_window_days:g}",
    "AERIS_HARMONY_CAPABILITIES_TTL_HOURS": f"{_EARTHDATA.capabilities_ttl_hours:g}",
    "AERIS_S3_BUCKET": _STORAGE.bucket,
    "AERIS_STAGING": _STORAGE.staging,
    "AWS_ACCESS_KEY_ID": "aeris-local",
    "AWS_SECRET_ACCESS_KEY": "aeris-local-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AIRFLOW_ADMIN_PASSWORD": "admin",
    **{name: str(value) for name, value in zip(config.BBOX_NAMES, _BBOX, strict=True)},
}
PRODUCTION_HARMONY_URL = defaults.HARMONY_URL
PRODUCTION_URS_URL = defaults.EARTHDATA_LOGIN_URL
PRODUCTION_CMR_URL = defaults.CMR_URL
# The local cluster's superuser: set-up only (scripts/stack.sh, the tests' databases), never a task.
LOCAL_PG_USER = "aeris"
# Not a word of the product's names: Airflow masks every connection password in task logs, and a
# password "aeris" turned aeris_tempo_hourly into ***_tempo_hourly. Clusters made with the old one are
# moved to this one by scripts/stack.sh.
LOCAL_PG_PASSWORD = "local-pg-9f3c"
OLD_LOCAL_PG_PASSWORD = "aeris"
# The roles the stack runs as (aeris_lib.db.roles makes them): the pipeline owns the AERIS database,
# Airflow its metadata database, the AERIS view may read the ledger. None is a superuser.
LOCAL_ROLES = {
    "pipeline": ("aeris_pipeline", "local-pipe-5b21"),
    "airflow": ("aeris_airflow", "local-meta-83d0"),
    "view": ("aeris_view", "local-view-c47e"),
    "waits": ("aeris_waits", "local-waits-2e71"),
}


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines; `#` comments, blank lines, optional quotes and `export ` prefixes."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        key, sep, value = line.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ConfigError(f"{path.name} line {number}: expected NAME=value, got {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key.strip()] = value
    return values


def resolve(env: dict[str, str]) -> dict[str, str]:
    """Check `env` (defaults already merged) with aeris_lib.config and return every variable the
    scripts export."""
    config.Settings.from_env(env)  # every product setting, checked before anything starts
    stack = config.LocalStack.from_env(env, root=PROJECT_ROOT)
    out = {key: env[key] for key in DEFAULTS}
    out["AERIS_PROJECT_ROOT"] = str(PROJECT_ROOT)
    out["AERIS_DATA_DIR"] = str(stack.data_dir)
    out["AERIS_STAGING_DIR"] = env.get("AERIS_STAGING_DIR") or str(stack.data_dir / "staging")

    out.update(_service_urls(env))
    out.update(_harmony(env))
    out.update(_airflow(env, stack.data_dir, out))
    return out


def _service_urls(env: dict[str, str]) -> dict[str, str]:
    out = {}
    if env.get("AERIS_DATABASE_URL"):
        out["AERIS_DATABASE_URL"] = config.url(env, "AERIS_DATABASE_URL", ("postgresql", "postgres"))
        # A database the user runs: the view's read-only login is theirs to give (README "Security").
        out["AERIS_VIEW_DATABASE_URL"] = (
            config.url(env, "AERIS_VIEW_DATABASE_URL", ("postgresql", "postgres"))
            if env.get("AERIS_VIEW_DATABASE_URL")
            else out["AERIS_DATABASE_URL"]
        )
        out["AERIS_WAITS_DATABASE_URL"] = (
            config.url(env, "AERIS_WAITS_DATABASE_URL", ("postgresql", "postgres"))
            if env.get("AERIS_WAITS_DATABASE_URL")
            else out["AERIS_DATABASE_URL"]
        )
        out["AERIS_LOCAL_PG"] = "0"
    else:
        server = f"127.0.0.1:{env['AERIS_PG_PORT']}"
        pipeline, view = LOCAL_ROLES["pipeline"], LOCAL_ROLES["view"]
        out["AERIS_DATABASE_URL"] = f"postgresql://{pipeline[0]}:{pipeline[1]}@{server}/aeris"
        out["AERIS_VIEW_DATABASE_URL"] = f"postgresql://{view[0]}:{view[1]}@{server}/aeris"
        waits = LOCAL_ROLES["waits"]
        out["AERIS_WAITS_DATABASE_URL"] = f"postgresql://{waits[0]}:{waits[1]}@{server}/aeris"
        out["AERIS_ADMIN_DATABASE_URL"] = (
            f"postgresql://{LOCAL_PG_USER}:{LOCAL_PG_PASSWORD}@{server}/postgres"
        )
        out["AERIS_LOCAL_PG"] = "1"
        out["AERIS_LOCAL_PG_PASSWORD"] = LOCAL_PG_PASSWORD
        out["AERIS_OLD_LOCAL_PG_PASSWORD"] = OLD_LOCAL_PG_PASSWORD
    if env.get("REDIS_URL"):
        out["REDIS_URL"] = config.url(env, "REDIS_URL", ("redis", "rediss"))
        out["AERIS_LOCAL_REDIS"] = "0"
    else:
        out["REDIS_URL"] = f"redis://127.0.0.1:{env['AERIS_REDIS_PORT']}/0"
        out["AERIS_LOCAL_REDIS"] = "1"
    if env.get("AERIS_S3_ENDPOINT_URL"):
        out["AERIS_S3_ENDPOINT_URL"] = config.url(env, "AERIS_S3_ENDPOINT_URL", ("http", "https"))
        out["AERIS_LOCAL_S3"] = "0"
    else:
        out["AERIS_S3_ENDPOINT_URL"] = f"http://127.0.0.1:{env['AERIS_S3_PORT']}"
        out["AERIS_LOCAL_S3"] = "1"
    return out


def _harmony(env: dict[str, str]) -> dict[str, str]:
    """Production Harmony when Earthdata credentials are configured, else the bundled emulator."""
    has_credentials = bool(env.get("BEARER_TOKEN") or env.get("EARTHDATA_USERNAME"))
    if env.get("EARTHDATA_USERNAME") and not env.get("EARTHDATA_PASSWORD"):
        raise ConfigError("EARTHDATA_PASSWORD is required when EARTHDATA_USERNAME is set")
    forced = env.get("AERIS_HARMONY_MODE", "")
    if forced not in ("", "emulator", "production"):
        raise ConfigError(f"AERIS_HARMONY_MODE must be 'emulator' or 'production', got {forced!r}")
    mode = forced or ("production" if has_credentials else "emulator")
    if mode == "emulator":
        # The emulator answers Harmony, Earthdata Login and CMR's granule search on one port; its DAAC
        # (native granules, behind the Earthdata token) is on another.
        base = f"http://127.0.0.1:{env['AERIS_HARMONY_PORT']}"
        daac = f"http://127.0.0.1:{env['AERIS_HARMONY_DAAC_PORT']}"
        # Its file host (S3's stand-in) answers as `localhost`: a loopback origin downloads may reach.
        files = f"http://localhost:{env['AERIS_HARMONY_FILES_PORT']}"
        return {"AERIS_HARMONY_MODE": mode, "HARMONY_BASE_URL": base, "EARTHDATA_URS_URL": base,
                "EARTHDATA_CMR_URL": base, "AERIS_EARTHDATA_DATA_ORIGINS": daac,
                "AERIS_PRIVATE_ORIGINS": files}  # fmt: skip
    if not has_credentials:
        raise ConfigError("AERIS_HARMONY_MODE=production needs BEARER_TOKEN or EARTHDATA_USERNAME/PASSWORD")
    out = {
        "AERIS_HARMONY_MODE": mode,
        "HARMONY_BASE_URL": env.get("HARMONY_BASE_URL") or PRODUCTION_HARMONY_URL,
        "EARTHDATA_URS_URL": env.get("EARTHDATA_URS_URL") or PRODUCTION_URS_URL,
        "EARTHDATA_CMR_URL": env.get("EARTHDATA_CMR_URL") or PRODUCTION_CMR_URL,
        "AERIS_EARTHDATA_DATA_ORIGINS": ",".join(config.Earthdata.from_env(env).data_origins),
        "AERIS_PRIVATE_ORIGINS": ",".join(config.Earthdata.from_env(env).private_origins),
    }
    for name in ("HARMONY_BASE_URL", "EARTHDATA_URS_URL", "EARTHDATA_CMR_URL"):
        config.url(out, name, ("http", "https"))
    return out


def _airflow(env: dict[str, str], data_dir: Path, resolved: dict[str, str]) -> dict[str, str]:
    """Airflow settings and the four connections, all from the environment (no metadata-DB rows)."""
    database = urlsplit(resolved["AERIS_DATABASE_URL"])
    if resolved["AERIS_LOCAL_PG"] == "1":
        role, password = LOCAL_ROLES["airflow"]
        database = database._replace(netloc=f"{role}:{password}@{database.hostname}:{database.port}")
    meta_url = database._replace(scheme="postgresql+psycopg", path="/airflow").geturl()
    harmony = urlsplit(resolved["HARMONY_BASE_URL"])
    harmony_conn = {
        "conn_type": "harmony",
        "host": f"{harmony.scheme}://{harmony.netloc}{harmony.path}",
        "extra": {"urs_url": resolved["EARTHDATA_URS_URL"]},
    }
    if resolved["AERIS_HARMONY_MODE"] == "production":
        if env.get("EARTHDATA_USERNAME"):
            harmony_conn["login"] = env["EARTHDATA_USERNAME"]
            harmony_conn["password"] = env["EARTHDATA_PASSWORD"]
        if env.get("BEARER_TOKEN"):
            harmony_conn["extra"]["token"] = env["BEARER_TOKEN"]
    else:
        # The emulator's Earthdata endpoint accepts these fixed credentials (see harmony_emulator).
        harmony_conn["login"] = "aeris-emulator"
        harmony_conn["password"] = "aeris-emulator-password"
    s3_conn = {
        "conn_type": "aws",
        "login": env["AWS_ACCESS_KEY_ID"],
        "password": env["AWS_SECRET_ACCESS_KEY"],
        "extra": {
            "endpoint_url": resolved["AERIS_S3_ENDPOINT_URL"],
            "region_name": env["AWS_DEFAULT_REGION"],
        },
    }
    redis = urlsplit(resolved["REDIS_URL"])
    redis_conn = {
        "conn_type": "redis",
        "host": redis.hostname,
        "port": redis.port or 6379,
        "password": redis.password,
        "extra": {"db": int(redis.path.strip("/") or 0), "ssl": redis.scheme == "rediss"},
    }
    airflow_home = data_dir / "airflow"
    return {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": env.get("AIRFLOW__CORE__EXECUTOR", "LocalExecutor"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": meta_url,
        "AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE": "True",
        # Why: airflow.cfg.template, [workers] min_heartbeat_interval.
        "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(airflow_home / "passwords.json"),
        "AIRFLOW__API__PORT": env["AIRFLOW_API_PORT"],
        "AIRFLOW__API__HOST": "127.0.0.1",  # the local UI (admin/admin) is for this machine only
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{env['AIRFLOW_API_PORT']}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{env['AIRFLOW_API_PORT']}/execution/",
        "AIRFLOW_CONN_AERIS_POSTGRES": resolved["AERIS_DATABASE_URL"].replace(
            "postgresql://", "postgres://", 1
        ),
        "AIRFLOW_CONN_AERIS_VIEW": resolved["AERIS_VIEW_DATABASE_URL"].replace(
            "postgresql://", "postgres://", 1
        ),
        "AIRFLOW_CONN_AERIS_WAITS": resolved["AERIS_WAITS_DATABASE_URL"].replace(
            "postgresql://", "postgres://", 1
        ),
        "AIRFLOW_CONN_AERIS_S3": json.dumps(s3_conn),
        "AIRFLOW_CONN_AERIS_REDIS": json.dumps(redis_conn),
        "AIRFLOW_CONN_HARMONY_DEFAULT": json.dumps(harmony_conn),
        # CMR's granule events: SQS on the local moto server, or AWS itself (its credential chain).
        "AIRFLOW_CONN_AERIS_EVENTS": json.dumps(
            s3_conn if resolved["AERIS_LOCAL_S3"] == "1" else {"conn_type": "aws", "extra": {}}
        ),
        "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), str(PROJECT_ROOT / "plugins")]),
    }


def main() -> int:
    try:
        env = dict(DEFAULTS)
        env.update(read_dotenv(PROJECT_ROOT / ".env"))
        env.update({key: value for key, value in os.environ.items() if value != ""})
        exports = resolve(env)
    except ConfigError as error:
        print(f"aeris: configuration error: {error}", file=sys.stderr)
        return 2
    for key, value in exports.items():
        print(f"export {key}={shlex.quote(value)}")
    # Credentials pass through unchanged so the Python settings object sees them too.
    for key in ("BEARER_TOKEN", "EARTHDATA_USERNAME", "EARTHDATA_PASSWORD"):
        if env.get(key):
            print(f"export {key}={shlex.quote(env[key])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
