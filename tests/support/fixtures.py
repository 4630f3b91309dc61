"""Fixtures every test directory may use, registered once (tests/conftest.py). The test command
(`make test`) has already started the real services and exported their connection variables
(AIRFLOW_CONN_*, AERIS_*); these fixtures only connect to them."""

from __future__ import annotations

import json
import os
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest

from aeris_lib.db.migrate import apply_migrations
from aeris_lib.db.roles import fresh_database
from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.harmony.client import HarmonyClient
from aeris_lib.harmony.http import build_session
from harmony_emulator.server import HarmonyEmulator
from harmony_emulator.state import EMULATOR_PASSWORD, EMULATOR_USER
from tests.support.cluster import free_port
from tests.support.db import reset_circuit_breakers
from tests.support.emulator import Emulator

HARMONY_TEST_CONN_ID = "harmony_trigger_test"


def _require_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the suite through `make test`, which starts the services")
    return value


@pytest.fixture(scope="session")
def database_url() -> str:
    return _require_env("AERIS_DATABASE_URL")


@pytest.fixture(scope="session")
def audit_bucket() -> str:
    return _require_env("AERIS_S3_BUCKET")


@pytest.fixture
def conn(database_url):
    """A connection to the real PostGIS with the schema migrated (transactions: the test's to commit)."""
    connection = psycopg.connect(database_url)
    apply_migrations(connection)
    yield connection
    connection.close()


@pytest.fixture
def admin_conn(database_url):
    """The cluster's superuser on the AERIS database (set-up's login: role checks, never the pipeline)."""
    admin_url = os.environ.get("AERIS_ADMIN_DATABASE_URL")
    if not admin_url:
        pytest.skip("AERIS_ADMIN_DATABASE_URL is not set: the database's roles are its DBA's")
    connection = psycopg.connect(urlsplit(admin_url)._replace(path=urlsplit(database_url).path).geturl())
    yield connection
    connection.close()


@pytest.fixture
def db(database_url):
    """An autocommit connection to the real PostGIS, for reading what a DAG run wrote."""
    connection = psycopg.connect(database_url)
    connection.autocommit = True
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def scratch_url(database_url, request):
    """A database of its own for a test module whose answers depend on everything stored (latest
    hours, whole-table reads), dropped afterwards."""
    name = "aeris_scratch_" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    name += "_" + os.environ.get("PYTEST_XDIST_WORKER", "main")  # workers run side by side
    admin_url = os.environ.get("AERIS_ADMIN_DATABASE_URL")
    # Owned by the pipeline's role, as the AERIS database is; PostGIS made by the superuser.
    yield fresh_database(name, database_url, admin_url)
    admin = psycopg.connect(urlsplit(admin_url or database_url)._replace(path="/postgres").geturl())
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


@pytest.fixture
def emulator():
    """The emulator the local stack runs (the one the DAGs use), with no fault set, closed circuit
    breakers, and what it offers reset afterwards."""
    if os.environ.get("AERIS_HARMONY_MODE") != "emulator":
        pytest.skip("these tests run against the Harmony emulator (make test forces it)")
    reset_circuit_breakers()
    stack = Emulator(os.environ["HARMONY_BASE_URL"])
    stack.clear_faults()
    yield stack
    stack.clear_faults()


@pytest.fixture
def cmr(fresh_emulator, monkeypatch):
    """`fresh_emulator` as the CMR that publication waits ask, every hour within its deadline and NO2's
    breaker closed: a test decides what is listed."""
    monkeypatch.setenv("EARTHDATA_CMR_URL", fresh_emulator.base_url)
    monkeypatch.setenv("AERIS_PUBLICATION_DEADLINE_MINUTES", "10000000")
    monkeypatch.delenv("AIRFLOW_VAR_AERIS_CIRCUIT_NO2", raising=False)
    return fresh_emulator


@pytest.fixture
def fresh_emulator():
    """An emulator of the test's own on free ports (real HTTP), so faults and stats belong to one test.
    It offers a GeoTIFF subsetter: protocol tests are not about shapes (tests/e2e covers every mode)."""
    # NRT granules kept for ever: the suite's fixture hours are from 2024 (scripts/test.sh).
    server = HarmonyEmulator(job_seconds=0.5, capabilities="tiff", nrt_window_days=0).start()
    yield server
    server.stop()


@pytest.fixture
def harmony_conn(fresh_emulator, monkeypatch) -> str:
    """The id of a `harmony` connection to `fresh_emulator`, from the environment as in production."""
    conn = {"conn_type": "harmony", "host": fresh_emulator.base_url, "login": EMULATOR_USER,
            "password": EMULATOR_PASSWORD, "extra": {"urs_url": fresh_emulator.base_url,
                      "private_origins": [fresh_emulator.files_url, fresh_emulator.daac_url]}}  # fmt: skip
    monkeypatch.setenv(f"AIRFLOW_CONN_{HARMONY_TEST_CONN_ID.upper()}", json.dumps(conn))
    return HARMONY_TEST_CONN_ID


@pytest.fixture
def harmony_client(fresh_emulator) -> HarmonyClient:
    """Our Harmony client on `fresh_emulator`, with a short backoff so retry tests stay quick."""
    tokens = TokenProvider(fresh_emulator.base_url, username=EMULATOR_USER, password=EMULATOR_PASSWORD)
    return HarmonyClient(fresh_emulator.base_url, tokens, session=build_session(backoff_factor=0.1),
                         private_origins=[fresh_emulator.files_url, fresh_emulator.daac_url])  # fmt: skip


class _Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        import email
        from email import policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free port; `.env` turns AERIS alerts on and points the
    `aeris_smtp` connection at it; `.messages` are what arrived."""
    import json
    from types import SimpleNamespace

    from aiosmtpd.controller import Controller

    port = free_port()
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    extra = {"from_email": "aeris@aeris.test", "disable_ssl": True, "disable_tls": True, "retry_limit": 1}
    conn = {"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": extra}
    env = {"AERIS_ALERT_EMAILS": "ops@aeris.test", "AIRFLOW_CONN_AERIS_SMTP": json.dumps(conn)}
    yield SimpleNamespace(messages=inbox.messages, env=env, port=port)
    controller.stop()


@pytest.fixture
def sqs_queue():
    """(client, url, arn) of a fresh SQS queue on the stack's S3 server (moto serves SQS too), deleted
    afterwards: where the emulator sends CMR's granule events."""
    import boto3

    sqs = boto3.client("sqs", endpoint_url=_require_env("AERIS_S3_ENDPOINT_URL"), region_name="us-west-2")
    url = sqs.create_queue(QueueName=f"aeris-events-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    yield sqs, url, arn
    sqs.delete_queue(QueueUrl=url)
