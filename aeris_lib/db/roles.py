"""The database roles AERIS runs as, set up once by a superuser; nothing else runs as one.

- the pipeline (`AERIS_DATABASE_URL`'s user, `aeris_pipeline` locally): owner of the AERIS database and
  of every object in it, so migrations, loads, swaps and purges need no more; not a superuser, cannot
  create roles or databases;
- Airflow (the metadata URL's user, `aeris_airflow`): owner of Airflow's database, nothing in AERIS's;
- the AERIS view (`AERIS_VIEW_DATABASE_URL`'s user, `aeris_view`): may `SELECT` the ledger, the one
  table the view shows (granted by migration 0012), nothing else;
- the triggerer (`AERIS_WAITS_DATABASE_URL`'s user, `aeris_waits`): may write `publication_wait`
  (INSERT/UPDATE/DELETE, granted by migration 0014), nothing else: the process that runs every
  trigger holds no owner's login;
- `aeris_reader` (NOLOGIN): the app's read contract (migration 0007); logins are granted it by the DBA.

PostGIS is not a trusted extension, so the superuser creates it in the AERIS database. A database
made before the roles existed is handed over: its schema and every object in it that no extension
owns move to the owner role. Run `python -m aeris_lib.db.roles` with `AERIS_ADMIN_DATABASE_URL` (the
superuser) beside the URLs above; `scripts/stack.sh` and compose's `airflow-init` do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import sql

from aeris_lib import config
from aeris_lib.db.sql import load_sql
from aeris_lib.defaults import libpq_url

log = logging.getLogger(__name__)

READER_ROLE = "aeris_reader"
# PostgreSQL's own default (scram_iterations).
SCRAM_ITERATIONS = 4096


@dataclass(frozen=True)
class Login:
    """A login role and the database it owns (None: it owns none), from a connection URL."""

    role: str
    password: str
    database: str | None

    @classmethod
    def from_url(cls, url: str, *, owns_database: bool = True) -> Login:
        parts = urlsplit(libpq_url(url))
        if not parts.username or not parts.password:
            raise ValueError(
                f"{parts.scheme}://…@{parts.hostname}{parts.path}: the URL names no user and password"
            )
        database = unquote(parts.path.lstrip("/")) or None
        return cls(unquote(parts.username), unquote(parts.password), database if owns_database else None)


def scram_verifier(password: str, *, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """PostgreSQL's SCRAM-SHA-256 verifier of `password` (RFC 5802/7677, as libpq's
    PQencryptPasswordConn builds it): the server stores it as given and never sees the password, so
    no statement log (`log_statement=ddl`) or `pg_stat_activity` can show it."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    encode = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{encode(salt)}${encode(stored_key)}:{encode(server_key)}"


def ensure_role(cur: Any, role: str, password: str | None) -> None:
    """The role exists, without superuser, role or database creation, with this password (None: NOLOGIN),
    sent as a SCRAM verifier computed here. Its password is set every time, so changing it in the
    configuration is enough."""
    cur.execute(load_sql("roles/role_exists.sql"), {"role": role})
    verb = "ALTER" if cur.fetchone() else "CREATE"
    login = (
        sql.SQL("LOGIN PASSWORD {}").format(sql.Literal(scram_verifier(password)))
        if password
        else sql.SQL("NOLOGIN")
    )
    cur.execute(
        sql.SQL(load_sql("roles/ensure_role.sql")).format(
            verb=sql.SQL(verb), role=sql.Identifier(role), login=login
        )
    )


def ensure_database(cur: Any, name: str, owner: str, template: str | None = None) -> bool:
    """The database exists and belongs to `owner` (an autocommit admin cursor); True when created."""
    names = {"name": sql.Identifier(name), "owner": sql.Identifier(owner)}
    cur.execute(load_sql("roles/database_exists.sql"), {"name": name})
    if cur.fetchone():
        cur.execute(sql.SQL(load_sql("roles/give_database.sql")).format(**names))
        return False
    if template:
        cur.execute(
            sql.SQL(load_sql("roles/create_database_from.sql")).format(
                **names, template=sql.Identifier(template)
            )
        )
    else:
        cur.execute(sql.SQL(load_sql("roles/create_database.sql")).format(**names))
    return True


def hand_over(conn: Any, owner: str, *, postgis: bool = False) -> int:
    """In the database `conn` (a superuser's) is connected to: PostGIS when asked, then the public
    schema and every object in it that no extension owns belong to `owner`; returns how many moved."""
    with conn.cursor() as cur:
        if postgis:
            cur.execute(load_sql("roles/create_postgis.sql"))
        cur.execute(load_sql("roles/set_new_owner.sql"), {"owner": owner})
        cur.execute(load_sql("roles/hand_over.sql"))
        cur.execute(load_sql("roles/moved_count.sql"))
        moved = cur.fetchone()[0]
    conn.commit()
    return moved


def fresh_database(
    name: str,
    owner_url: str,
    admin_url: str | None = None,
    *,
    template: str | None = None,
    postgis: bool = True,
) -> str:
    """Drop and re-create database `name`, owned by `owner_url`'s role (with PostGIS, made by the
    superuser), for tests and benchmarks; returns `owner_url` pointed at it. Without `admin_url` the
    owner's own login creates it (a server where that role may create databases)."""
    owner = urlsplit(libpq_url(owner_url))
    admin_parts = urlsplit(libpq_url(admin_url or owner_url))
    admin = psycopg.connect(admin_parts._replace(path="/postgres").geturl())
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(sql.SQL(load_sql("roles/drop_database.sql")).format(name=sql.Identifier(name)))
            ensure_database(cur, name, unquote(owner.username or ""), template)
    finally:
        admin.close()
    if postgis:
        conn = psycopg.connect(admin_parts._replace(path=f"/{name}").geturl())
        try:
            with conn.cursor() as cur:
                cur.execute(load_sql("roles/create_postgis.sql"))
            conn.commit()
        finally:
            conn.close()
    return owner._replace(path=f"/{name}").geturl()


def set_up(admin_url: str, pipeline: Login, airflow: Login, view: Login, waits: Login) -> None:
    """Roles, databases and ownership for the AERIS and Airflow databases (idempotent)."""
    admin = psycopg.connect(libpq_url(admin_url))
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            for login in (pipeline, airflow, view, waits):
                ensure_role(cur, login.role, login.password)
            ensure_role(cur, READER_ROLE, None)
            for login in (pipeline, airflow):
                if login.database and ensure_database(cur, login.database, login.role):
                    log.info("database %s created, owned by %s", login.database, login.role)
    finally:
        admin.close()
    for login, postgis in ((pipeline, True), (airflow, False)):
        conn = psycopg.connect(urlsplit(libpq_url(admin_url))._replace(path=f"/{login.database}").geturl())
        try:
            moved = hand_over(conn, login.role, postgis=postgis)
        finally:
            conn.close()
        if moved:
            log.info("database %s: %d object(s) handed over to %s", login.database, moved, login.role)
    log.info(
        "roles: %s owns %s, %s owns %s, %s reads the ledger, %s writes publication waits; none is a superuser",
        pipeline.role, pipeline.database, airflow.role, airflow.database, view.role, waits.role,
    )  # fmt: skip


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="[aeris] %(message)s")
    try:
        databases = config.Databases.from_env()
        databases.require("admin", "aeris", "airflow", "view", "waits")
        set_up(
            databases.admin,
            Login.from_url(databases.aeris),
            Login.from_url(databases.airflow),
            Login.from_url(databases.view, owns_database=False),
            Login.from_url(databases.waits, owns_database=False),
        )
    except ValueError as error:  # config.SettingError included
        print(f"[aeris] error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
