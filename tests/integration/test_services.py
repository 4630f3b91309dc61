"""Smoke tests: the project's connection ids reach the real servers the test command started."""

from __future__ import annotations

import os
import uuid

import pytest
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.providers.redis.hooks.redis import RedisHook

pytestmark = pytest.mark.integration


def test_postgis_answers_through_aeris_postgres():
    hook = PostgresHook(postgres_conn_id="aeris_postgres")
    assert hook.get_first("SELECT extname FROM pg_extension WHERE extname = 'postgis'") == ("postgis",)
    intersects = hook.get_first(
        "SELECT ST_Intersects(ST_MakeEnvelope(0, 0, 1, 1, 4326),"
        " ST_SetSRID(ST_MakePoint(0.5, 0.5), 4326)),"
        " ST_Intersects(ST_MakeEnvelope(0, 0, 1, 1, 4326), ST_SetSRID(ST_MakePoint(2, 2), 4326))"
    )
    assert intersects == (True, False)


def test_redis_set_get_with_ttl_through_aeris_redis():
    client = RedisHook(redis_conn_id="aeris_redis").get_conn()
    key = f"aeris:test:{uuid.uuid4()}"
    client.set(key, "hello", ex=60)
    try:
        assert client.get(key) == b"hello"
        assert 0 < client.ttl(key) <= 60
    finally:
        client.delete(key)


def test_s3_put_get_delete_through_aeris_s3(audit_bucket):
    hook = S3Hook(aws_conn_id="aeris_s3")
    key = f"tests/{uuid.uuid4()}.txt"
    hook.load_string("audit me", key=key, bucket_name=audit_bucket)
    assert hook.read_key(key, bucket_name=audit_bucket) == "audit me"
    hook.delete_objects(bucket=audit_bucket, keys=[key])
    assert not hook.check_for_key(key, bucket_name=audit_bucket)


def test_local_postgres_trusts_no_one_and_its_socket_is_private():
    """The local stack's cluster: password (scram) auth on every line of pg_hba, the socket 0700."""
    if os.environ.get("AERIS_LOCAL_PG") != "1":
        pytest.skip("an external database (AERIS_DATABASE_URL) is configured by its owner")
    import psycopg

    # pg_hba_file_rules is the superuser's to read: the pipeline's role may not.
    admin = psycopg.connect(os.environ["AERIS_ADMIN_DATABASE_URL"])
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT auth_method FROM pg_hba_file_rules")
            methods = {row[0] for row in cur.fetchall()}
            cur.execute("SHOW unix_socket_permissions")
            assert cur.fetchone() == ("0700",)
    finally:
        admin.close()
    assert methods and "trust" not in methods, methods


def test_local_airflow_ui_binds_to_localhost_only():
    assert os.environ.get("AIRFLOW__API__HOST") == "127.0.0.1"
