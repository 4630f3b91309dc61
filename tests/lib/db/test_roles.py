"""Who runs as what: the pipeline owns the AERIS database and is not a superuser, Airflow's metadata
has a role of its own, the AERIS view may only read the ledger; slice tables reach SQL only as
quoted identifiers of names the loader makes (checked in code and by a CHECK constraint)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from urllib.parse import urlsplit

import psycopg
import pytest

from aeris_lib.db.roles import fresh_database, hand_over
from aeris_lib.db.sql import identifier, slice_table
from aeris_lib.defaults import libpq_url


def _login(url: str):
    return psycopg.connect(libpq_url(url.replace("postgres://", "postgresql://", 1)))


def _role(conn) -> tuple:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT current_user, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles"
            " WHERE rolname = current_user"
        )
        return cur.fetchone()


def test_the_pipeline_is_not_a_superuser_and_owns_every_aeris_object(conn):
    for url in (os.environ["AERIS_DATABASE_URL"], os.environ["AIRFLOW_CONN_AERIS_POSTGRES"]):
        login = _login(url)
        try:
            name, *powers = _role(login)
        finally:
            login.close()
        assert powers == [False, False, False, False], (name, powers)
    with conn.cursor() as cur:
        cur.execute(
            "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c"
            " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S')"
            "   AND pg_get_userbyid(c.relowner) <> current_user"
            "   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
        )
        assert cur.fetchall() == []  # spatial_ref_sys is PostGIS's, everything else the pipeline's
    conn.rollback()


def test_airflows_metadata_has_its_own_role_the_pipeline_cannot_read():
    meta_url = libpq_url(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    meta = psycopg.connect(meta_url)
    try:
        meta_role, *powers = _role(meta)
    finally:
        meta.close()
    pipeline_url = urlsplit(os.environ["AERIS_DATABASE_URL"])
    assert powers == [False, False, False, False] and meta_role != pipeline_url.username
    intruder = psycopg.connect(pipeline_url._replace(path=urlsplit(meta_url).path).geturl())
    try:
        with intruder.cursor() as cur, pytest.raises(psycopg.errors.InsufficientPrivilege):
            cur.execute("SELECT key FROM variable")  # Variables hold the circuit breakers and the catalog
    finally:
        intruder.close()


@pytest.mark.parametrize(
    ("statement", "allowed"),
    [
        ("SELECT count(*) FROM ingest_log", True),
        ("SELECT count(*) FROM publication_wait", True),  # "Waiting now" (migration 0013)
        ("DELETE FROM publication_wait", False),
        ("SELECT count(*) FROM obs_partition", False),
        ("SELECT count(*) FROM pollution_obs_no2", False),
        ("SELECT count(*) FROM saved_routes", False),
        ("SELECT count(*) FROM harmony_job", False),
        ("INSERT INTO ingest_log (gas_type, obs_time, status) VALUES ('NO2', now(), 'failed')", False),
        ("DELETE FROM ingest_log", False),
        ("CREATE TABLE view_was_here (x int)", False),
    ],
)
def test_the_view_may_only_read_the_ledger(conn, statement, allowed):
    view = _login(os.environ["AIRFLOW_CONN_AERIS_VIEW"])
    try:
        assert _role(view)[1:] == (False, False, False, False)
        with view.cursor() as cur:
            if allowed:
                cur.execute(statement)
            else:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    cur.execute(statement)
    finally:
        view.close()


@pytest.mark.parametrize(
    "name",
    [
        "ingest_log",
        'pobs_no2_2024090217_1a2b3c4d"; DROP TABLE ingest_log; --',
        "pobs_no2_2024090217_1A2B3C4D",
        "",
    ],
)
def test_only_a_loader_made_name_reaches_drop_or_analyze(conn, name):
    with conn.cursor() as cur:
        with pytest.raises(ValueError, match="not a slice table's name"):
            slice_table(cur, name)
        assert slice_table(cur, "pobs_ch2o_2024090217_1a2b3c4d") == '"pobs_ch2o_2024090217_1a2b3c4d"'
        assert identifier(cur, 'odd"name') == '"odd""name"'
        with pytest.raises(psycopg.errors.CheckViolation):
            cur.execute(
                "INSERT INTO obs_partition (gas_type, obs_time, table_name, row_count) VALUES ('NO2', %s, %s, 0)",
                (datetime(1999, 1, 1, tzinfo=UTC), name or "x"),
            )
    conn.rollback()


def test_a_database_made_before_the_roles_is_handed_over(database_url, admin_conn):
    admin_url = os.environ["AERIS_ADMIN_DATABASE_URL"]
    name = f"aeris_handover_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    owned_url = fresh_database(name, database_url, admin_url)
    admin = psycopg.connect(urlsplit(admin_url)._replace(path=f"/{name}").geturl())
    try:
        with admin.cursor() as cur:  # as migrations made them when everything ran as the superuser
            cur.execute("CREATE TABLE legacy (id serial PRIMARY KEY, g geometry(Point, 4326))")
            cur.execute("CREATE VIEW legacy_view AS SELECT id FROM legacy")
            cur.execute(
                "CREATE FUNCTION legacy_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM legacy'"
            )
        admin.commit()
        pipeline = urlsplit(database_url).username
        assert hand_over(admin, pipeline) == 3  # the table (and its sequence), the view, the function
        assert hand_over(admin, pipeline) == 0  # idempotent
        with admin.cursor() as cur:
            cur.execute(
                "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname IN ('legacy', 'legacy_id_seq')"
            )
            assert {row[0] for row in cur.fetchall()} == {pipeline}
            cur.execute("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'spatial_ref_sys'")
            assert cur.fetchone()[0] != pipeline  # PostGIS's own table stays the extension owner's
        owner = psycopg.connect(owned_url)
        with owner.cursor() as cur:
            cur.execute("DROP VIEW legacy_view")
            cur.execute("DROP TABLE legacy")
        owner.commit()
        owner.close()
    finally:
        admin.close()
        cleanup = psycopg.connect(urlsplit(admin_url)._replace(path="/postgres").geturl())
        cleanup.autocommit = True
        with cleanup.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cleanup.close()


def test_a_scram_verifier_is_postgresqls_own():
    """The verifier of RFC 7677's example user: its StoredKey and ServerKey, base64 as PostgreSQL keeps them."""
    import base64

    from aeris_lib.db.roles import scram_verifier

    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = scram_verifier("pencil", salt=salt, iterations=4096)
    assert verifier == (
        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
        "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
    )


def test_role_passwords_reach_the_server_as_verifiers_only(admin_conn):
    """With log_statement=ddl the server logs every CREATE/ALTER ROLE: the statement carries the
    verifier, never the password, and the role logs in with the password."""
    from aeris_lib.db.roles import ensure_role

    password = "plain-text-never-sent-7f3a"
    statements: list[str] = []

    class Recording:  # what the server receives, statement by statement
        def __init__(self, cur):
            self.cur = cur

        def execute(self, query, params=None):
            statements.append(query.as_string(self.cur) if hasattr(query, "as_string") else str(query))
            return self.cur.execute(query, params)

        def fetchone(self):
            return self.cur.fetchone()

    with admin_conn.cursor() as cur:
        ensure_role(Recording(cur), "aeris_scram_probe", password)
        cur.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'aeris_scram_probe'")
        stored = cur.fetchone()[0]
    admin_conn.commit()
    assert stored.startswith("SCRAM-SHA-256$4096:")
    assert all(password not in statement for statement in statements) and any(stored in s for s in statements)
    server = urlsplit(os.environ["AERIS_DATABASE_URL"])
    login = psycopg.connect(
        server._replace(netloc=f"aeris_scram_probe:{password}@{server.hostname}:{server.port}").geturl()
    )
    login.close()
    with admin_conn.cursor() as cur:
        cur.execute("DROP ROLE aeris_scram_probe")
    admin_conn.commit()
