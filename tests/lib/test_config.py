"""aeris_lib.config: every setting read and checked in one place, errors naming the variable, and
`.env.example` documenting exactly what it reads (with the same defaults)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from aeris_lib import config, gases

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

ROOT = Path(__file__).resolve().parents[2]
EVERY_CONCERN = (config.Settings, config.LocalStack, config.Databases)
# Read by aeris_lib.config, but derived by scripts/stack_env.py, never set by hand in `.env`.
DERIVED = {"AERIS_ADMIN_DATABASE_URL", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"}
# In `.env.example` but read elsewhere: stack_env (mode, endpoints, local keys) and docker-compose.yaml.
STACK_ONLY = {"HARMONY_BASE_URL", "EARTHDATA_URS_URL", "AERIS_HARMONY_MODE", "REDIS_URL",
              "AERIS_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
              "AIRFLOW_ADMIN_PASSWORD"}  # fmt: skip


class Recording(Mapping[str, str]):
    """An environment that remembers which names were asked for."""

    def __init__(self, values: dict[str, str] | None = None):
        self.values, self.asked = dict(values or {}), set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        return self.values[name]

    def get(self, name, default=None):
        self.asked.add(name)
        return self.values.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def names_read() -> set[str]:
    env = Recording()
    for concern in EVERY_CONCERN:
        concern.from_env(env)
    return env.asked


def example() -> dict[str, str]:
    """NAME -> value as `.env.example` shows it (comments dropped)."""
    found = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]*)=(\S*)", line)
        if match:
            found[match[1]] = match[2]
    return found


def test_defaults_hold_without_any_variable():
    settings = config.Settings.from_env({})
    assert settings.region == config.Region(gases.GAS_NAMES, gases.CONUS, None)
    assert settings.publication.poll_seconds == 300 and settings.publication.deadline_minutes == 180
    assert settings.publication.nrt_window_days == 14  # ASDC's rolling NRT window
    assert settings.storage.bucket == "aeris-audit" and settings.storage.staging == "s3"
    assert settings.earthdata.cmr_url == "https://cmr.earthdata.nasa.gov"
    assert settings.earthdata.data_origins == ("https://data.asdc.earthdata.nasa.gov",)
    assert settings.scheduling.breaker_failures == 5 and settings.alerts.emails == ()
    assert config.GAS_NAMES == gases.GAS_NAMES


def test_values_are_parsed_and_trimmed():
    env = {"AERIS_GASES": " no2, o3 ", "AERIS_ALERT_EMAILS": "a@x.org, ,b@x.org", "AERIS_STAGING": " LOCAL ",
           "AERIS_REPROCESS_NEWER_VERSIONS": "no", "AERIS_MAX_CELLS": "5000",
           "AERIS_EARTHDATA_DATA_ORIGINS": "https://a.example, https://b.example",
           "EARTHDATA_CMR_URL": "http://127.0.0.1:9/", "AERIS_PUBLICATION_POLL_SECONDS": "2.5"}  # fmt: skip
    settings = config.Settings.from_env(env)
    assert settings.region.gases == ("NO2", "O3") and settings.region.max_cells == 5000
    assert settings.alerts.emails == ("a@x.org", "b@x.org")
    assert settings.storage.staging == "local" and settings.storage.staging_dir.is_absolute()
    assert settings.publication.reprocess_newer_versions is False
    assert settings.publication.poll_seconds == 2.5
    assert settings.earthdata.data_origins == ("https://a.example", "https://b.example")
    assert settings.earthdata.cmr_url == "http://127.0.0.1:9"


def test_secrets_stay_out_of_the_repr():
    settings = config.Earthdata.from_env({"EARTHDATA_PASSWORD": "hunter2", "BEARER_TOKEN": "tok-123"})
    databases = config.Databases.from_env({"AERIS_DATABASE_URL": "postgresql://u:pw-9@h/db"})
    assert "hunter2" not in repr(settings) and "tok-123" not in repr(settings)
    assert "pw-9" not in repr(databases)


@pytest.mark.parametrize("name", sorted(names_read()))
def test_every_error_names_its_variable(name):
    """A nonsense value either is a valid text setting or fails naming the variable it came from."""
    for value in ("not a value!", "-3", "99999999", "1e99"):
        try:
            for concern in EVERY_CONCERN:
                concern.from_env({name: value})
        except config.SettingError as error:
            assert name in str(error)


@pytest.mark.parametrize(
    ("name", "value"),
    [("AERIS_GASES", "NO2,SO2"), ("TEMPO_BBOX_NORTH", "north"), ("AERIS_PUBLICATION_POLL_SECONDS", "0"),
     ("AERIS_MAX_DOWNLOAD_BYTES", "1e9"), ("AERIS_STAGING", "ftp"), ("EARTHDATA_CMR_URL", "cmr.nasa.gov"),
     ("AERIS_REPROCESS_NEWER_VERSIONS", "maybe"), ("AERIS_PG_PORT", "70000"),
     ("AERIS_EMULATOR_CAPABILITIES", "zarr"), ("AERIS_RETENTION_HOURS", "0")],
)  # fmt: skip
def test_malformed_values_fail(name, value):
    env = {name: value}
    if name.startswith("TEMPO_BBOX"):
        env.update({"TEMPO_BBOX_WEST": "-100", "TEMPO_BBOX_SOUTH": "30", "TEMPO_BBOX_EAST": "-98"})
    with pytest.raises(config.SettingError, match=name):
        for concern in EVERY_CONCERN:
            concern.from_env(env)


def test_a_bbox_upside_down_fails():
    env = dict(zip(config.BBOX_NAMES, ("-100", "32", "-98", "30"), strict=True))
    with pytest.raises(config.SettingError, match="TEMPO_BBOX_SOUTH"):
        config.Region.from_env(env)


def test_databases_name_what_is_missing():
    with pytest.raises(config.SettingError, match="AERIS_DATABASE_URL, AERIS_ADMIN_DATABASE_URL not set"):
        config.Databases.from_env({}).require("aeris", "admin")


def test_env_example_documents_every_setting_read():
    documented, read = set(example()), names_read()
    assert read - DERIVED - documented == set()
    compose = (ROOT / "docker-compose.yaml").read_text()
    unread = {name for name in documented - read - STACK_ONLY if name not in compose}
    assert unread == set()


def test_env_example_shows_the_defaults_the_code_uses():
    """Where `.env.example` shows a value, it is the default, so copying the file changes nothing."""
    shown = {name: value for name, value in example().items() if value}
    assert config.Settings.from_env(shown) == config.Settings.from_env({})
    assert config.LocalStack.from_env(shown) == config.LocalStack.from_env({})
