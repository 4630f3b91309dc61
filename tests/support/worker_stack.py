"""A namespace of its own on the local stack for each pytest-xdist worker (`make test` runs two).

Tests on one worker run one after another, as before; tests on different workers must not meet. So
each worker gets its own AERIS database, Airflow metadata database (a copy of `airflow`, with the
project's pool), Redis database, S3 bucket, staging and log directories, and its own Harmony emulator
on free ports, started here as `scripts/stack.sh` starts the stack's. The servers themselves
(PostgreSQL, Redis, the S3 endpoint) are shared. The environment is rewritten before any test module
is imported, through `scripts/stack_env.py`, the same rules every script uses.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from aeris_lib.defaults import libpq_url
from tests.support.cluster import free_port

ROOT = Path(__file__).resolve().parents[2]


def configure(worker: str) -> None:
    """Point this process (and every process it starts) at the worker's namespace."""
    number = int(worker.removeprefix("gw"))
    data_dir = Path(os.environ["AERIS_DATA_DIR"])
    ports = {name: str(free_port()) for name in
             ("AERIS_HARMONY_PORT", "AERIS_HARMONY_FILES_PORT", "AERIS_HARMONY_DAAC_PORT")}  # fmt: skip
    aeris_db, airflow_db = f"aeris_test_{worker}", f"airflow_test_{worker}"
    redis = urlsplit(os.environ["REDIS_URL"])
    overrides = {
        **ports,
        "REDIS_URL": redis._replace(path=f"/{10 + number}").geturl(),
        "AERIS_S3_BUCKET": f"{os.environ['AERIS_S3_BUCKET']}-{worker}",
        "AERIS_STAGING_DIR": str(data_dir / f"staging-{worker}"),
    }
    sys.path.insert(0, str(ROOT / "scripts"))
    import stack_env

    inherited = {k: v for k, v in os.environ.items() if v}
    if os.environ.get("AERIS_LOCAL_PG") == "1":  # derived from the local cluster: derive them again
        for name in ("AERIS_DATABASE_URL", "AERIS_VIEW_DATABASE_URL", "AERIS_WAITS_DATABASE_URL"):
            inherited.pop(name, None)
    env = {**stack_env.DEFAULTS, **inherited, **overrides}
    exports = stack_env.resolve(env)
    # The same servers as before: with the S3 endpoint now given, the events connection would point
    # at AWS itself instead of the stack's SQS.
    for name in ("AERIS_LOCAL_PG", "AERIS_LOCAL_REDIS", "AERIS_LOCAL_S3", "AIRFLOW_CONN_AERIS_EVENTS"):
        exports[name] = os.environ.get(name, exports[name])
    # Every login on the worker's own databases: the pipeline's, the view's, Airflow's.
    for name in (
        "AERIS_DATABASE_URL",
        "AERIS_VIEW_DATABASE_URL",
        "AERIS_WAITS_DATABASE_URL",
        "AIRFLOW_CONN_AERIS_POSTGRES",
        "AIRFLOW_CONN_AERIS_VIEW",
        "AIRFLOW_CONN_AERIS_WAITS",
    ):
        exports[name] = urlsplit(exports[name])._replace(path=f"/{aeris_db}").geturl()
    meta = urlsplit(exports["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    exports["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = meta._replace(path=f"/{airflow_db}").geturl()
    exports["AIRFLOW__LOGGING__BASE_LOG_FOLDER"] = str(data_dir / f"airflow-logs-{worker}")

    copied = _create_databases(
        exports.get("AERIS_ADMIN_DATABASE_URL") or exports["AERIS_DATABASE_URL"],
        exports["AERIS_DATABASE_URL"],
        libpq_url(exports["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]),
    )
    os.environ.update(exports)
    _migrate_aeris_db()
    if not copied:
        _migrate_airflow_db(worker, data_dir)
    _create_bucket(exports["AERIS_S3_BUCKET"])
    _start_emulator(worker, data_dir)


def _create_databases(admin_url: str, aeris_url: str, meta_url: str) -> bool:
    """Fresh databases each session, owned by the roles that use them: the AERIS one empty (the tests
    migrate it, as the pipeline), Airflow's a copy of the migrated `airflow` database (a second;
    `airflow db migrate` takes ~40 s). False when the copy was refused because something is connected
    to `airflow` (`make ui`): the DB is then left empty."""
    from aeris_lib.db.roles import fresh_database

    admin = psycopg.connect(urlsplit(admin_url)._replace(path="/postgres").geturl())
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(7341099)")  # one worker copies the template at a time
            try:
                fresh_database(urlsplit(aeris_url).path.lstrip("/"), aeris_url, admin_url)
                meta_db = urlsplit(meta_url).path.lstrip("/")
                try:
                    fresh_database(meta_db, meta_url, admin_url, template="airflow", postgis=False)
                    return True
                except psycopg.errors.ObjectInUse:
                    fresh_database(meta_db, meta_url, admin_url, postgis=False)
                    return False
            finally:
                cur.execute("SELECT pg_advisory_unlock(7341099)")
    finally:
        admin.close()


def _migrate_aeris_db() -> None:
    """The schema, as scripts/test.sh's ensure_schema gives the stack's database: DAG-run tests only read."""
    from aeris_lib.db.migrate import apply_migrations

    connection = psycopg.connect(os.environ["AERIS_DATABASE_URL"])
    try:
        apply_migrations(connection)
        connection.commit()
    finally:
        connection.close()


def _migrate_airflow_db(worker: str, data_dir: Path) -> None:
    """Airflow's metadata DB built from scratch, as scripts/lib.sh's ensure_airflow does."""
    log = data_dir / "logs" / f"airflow-db-migrate-{worker}.log"
    with open(log, "wb") as out:
        migrated = subprocess.run(
            [str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
            stdout=out, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip
        initialised = migrated.returncode == 0 and subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "airflow_init.py"), str(data_dir / f"airflow-db-{worker}.json")],
            stdout=out, stderr=subprocess.STDOUT, check=False,
        ).returncode == 0  # fmt: skip
    if not initialised:
        raise RuntimeError(f"Airflow's metadata DB of {worker} could not be set up: see {log}")


def _create_bucket(bucket: str) -> None:
    import boto3

    s3 = boto3.client("s3", endpoint_url=os.environ["AERIS_S3_ENDPOINT_URL"])
    if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=bucket)


def _start_emulator(worker: str, data_dir: Path) -> None:
    """The worker's own Harmony emulator, as scripts/stack.sh runs the stack's."""
    log = open(data_dir / "logs" / f"harmony-{worker}.log", "wb")  # noqa: SIM115 - closed at exit
    process = subprocess.Popen(
        [sys.executable, "-m", "harmony_emulator.server",
         "--port", os.environ["AERIS_HARMONY_PORT"], "--files-port", os.environ["AERIS_HARMONY_FILES_PORT"],
         "--daac-port", os.environ["AERIS_HARMONY_DAAC_PORT"],
         "--capabilities", os.environ.get("AERIS_EMULATOR_CAPABILITIES") or "native",
         "--slow-job-seconds", "5", "--job-seconds", os.environ.get("AERIS_EMULATOR_JOB_SECONDS") or "1.5",
         "--nrt-window-days", os.environ.get("AERIS_EMULATOR_NRT_WINDOW_DAYS") or "14"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()

    atexit.register(stop)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(os.environ["HARMONY_BASE_URL"] + "/versions", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the Harmony emulator of {worker} did not start: see {log.name}"
                ) from None
            time.sleep(0.2)
