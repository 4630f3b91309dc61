"""aeris.hooks.staging: StagingHook keeps staged rasters and audit objects by key, the same way in a
local directory (here) and in the S3 bucket (tests/e2e, tests/ops/test_retention.py against the real
S3 endpoint)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aeris.hooks import staging
from aeris.hooks.staging import StagedObject, StagingHook, audit_key, staged_key
from airflow.sdk.exceptions import AirflowFailException

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

HOUR = datetime(2024, 9, 1, 15, tzinfo=UTC)


@pytest.fixture
def local(tmp_path, monkeypatch):
    monkeypatch.setenv("AERIS_STAGING", "local")
    monkeypatch.setenv("AERIS_STAGING_DIR", str(tmp_path / "staging"))
    return tmp_path / "staging"


def test_keys_name_the_gas_and_hour():
    assert audit_key("NO2", HOUR) == "audit/geotiff/2024-09-01/NO2_15.tif"
    assert audit_key("NO2", HOUR, ".json") == "audit/geotiff/2024-09-01/NO2_15.json"
    assert staged_key("O3", HOUR, "0123456789abcdef") == "staging/geotiff/2024-09-01/O3_15_0123456789ab.tif"


def test_a_staged_object_round_trips_through_xcom():
    staged = StagedObject("s3", "aeris-audit", "staging/x.tif")
    assert StagedObject.from_xcom({"store": "s3", "bucket": "aeris-audit", "key": "staging/x.tif"}) == staged
    assert staged.uri == "s3://aeris-audit/staging/x.tif"
    assert StagedObject("local", "/var/aeris", "a/b.tif").uri == "/var/aeris/a/b.tif"


def test_put_fetch_list_read_and_delete_in_a_local_directory(local, tmp_path):
    source = tmp_path / "raster.tif"
    source.write_bytes(b"II*\x00 staged")
    hook, key = StagingHook(), audit_key("NO2", HOUR)
    staged = hook.put(source, key)
    assert staged == StagedObject("local", str(local), key) and staging.location() == str(local)
    assert hook.exists(key) and hook.read_bytes(key) == b"II*\x00 staged"
    [(listed_key, size, written)] = hook.list_objects("audit/")
    assert (listed_key, size) == (key, len(b"II*\x00 staged"))
    assert abs((datetime.now(UTC) - written).total_seconds()) < 60  # the object's own time
    (tmp_path / "out").mkdir()
    assert hook.fetch(staged, tmp_path / "out").read_bytes() == b"II*\x00 staged"
    hook.delete([key, "audit/never/there.tif"])
    assert not hook.exists(key) and hook.read_bytes(key) is None and hook.list_objects("audit/") == []


def test_a_staged_file_missing_on_this_machine_says_why(local, tmp_path):
    with pytest.raises(FileNotFoundError, match="local staging works on one machine only"):
        StagingHook().fetch(StagedObject("local", str(local), "staging/gone.tif"), tmp_path)


def test_the_mode_is_checked(monkeypatch):
    monkeypatch.setenv("AERIS_STAGING", "ftp")
    with pytest.raises((ValueError, AirflowFailException), match="AERIS_STAGING must be 's3' or 'local'"):
        staging.staging_mode()
    monkeypatch.setenv("AERIS_STAGING", "s3")
    monkeypatch.setenv("AERIS_S3_BUCKET", "my-bucket")
    assert staging.location() == "s3://my-bucket" and StagingHook().aws_conn_id == "aeris_s3"


@pytest.mark.parametrize("key", ["../outside.tif", "staging/../../outside.tif", "/tmp/outside.tif"])
def test_the_local_store_refuses_a_key_outside_its_root(local, tmp_path, key):
    source = tmp_path / "source.tif"
    source.write_bytes(b"II*\x00")
    hook = StagingHook()
    for call in (lambda: hook.put(source, key), lambda: hook.exists(key), lambda: hook.read_bytes(key),
                 lambda: hook.delete([key])):  # fmt: skip
        with pytest.raises(ValueError, match="resolves outside"):
            call()
    assert not (tmp_path / "outside.tif").exists()
