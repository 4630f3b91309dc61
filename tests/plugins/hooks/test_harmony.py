"""HarmonyHook's settings from a connection (and the environment), and its lazily built clients."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest
from aeris.hooks.harmony import DEFAULT_DATA_ORIGINS, HarmonyHook, HarmonySettings, max_download_bytes

from aeris_lib.harmony.aio import AsyncHarmonyClient

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def _conn(host=None, port=None, login=None, password=None, extra=None):
    return SimpleNamespace(host=host, port=port, login=login, password=password, extra_dejson=extra or {})


@pytest.fixture(autouse=True)
def no_earthdata_env(monkeypatch):
    for name in ("BEARER_TOKEN", "EARTHDATA_USERNAME", "EARTHDATA_PASSWORD", "AERIS_EARTHDATA_DATA_ORIGINS"):
        monkeypatch.delenv(name, raising=False)


def test_an_empty_connection_means_nasa_production():
    settings = HarmonySettings.from_connection(_conn())
    assert settings.base_url == "https://harmony.earthdata.nasa.gov"
    assert settings.urs_url == "https://urs.earthdata.nasa.gov"
    assert (settings.username, settings.password, settings.token) == (None, None, None)
    assert settings.data_origins == (DEFAULT_DATA_ORIGINS,)
    assert HarmonySettings.from_connection(None).base_url == "https://harmony.earthdata.nasa.gov"


def test_host_without_scheme_gets_https_and_the_port_is_kept_once():
    assert HarmonySettings.from_connection(_conn("harmony.uat.earthdata.nasa.gov")).base_url == (
        "https://harmony.uat.earthdata.nasa.gov"
    )
    assert (
        HarmonySettings.from_connection(_conn("http://127.0.0.1/", port=58080)).base_url
        == "http://127.0.0.1:58080"
    )
    assert HarmonySettings.from_connection(_conn("http://127.0.0.1:58080", port=58080)).base_url == (
        "http://127.0.0.1:58080"
    )


def test_extras_win_and_the_environment_fills_the_gaps(monkeypatch):
    monkeypatch.setenv("EARTHDATA_USERNAME", "env-user")
    monkeypatch.setenv("EARTHDATA_PASSWORD", "env-pass")
    monkeypatch.setenv("BEARER_TOKEN", "env-token")
    monkeypatch.setenv("AERIS_EARTHDATA_DATA_ORIGINS", "https://a.example, https://b.example")
    from_env = HarmonySettings.from_connection(_conn())
    assert (from_env.username, from_env.password, from_env.token) == ("env-user", "env-pass", "env-token")
    assert from_env.data_origins == ("https://a.example", "https://b.example")
    conn = _conn(login="conn-user", password="conn-pass",
                 extra={"token": "conn-token", "urs_url": "https://urs.uat.earthdata.nasa.gov/",
                        "data_origins": ["https://daac.example"]})  # fmt: skip
    from_conn = HarmonySettings.from_connection(conn)
    assert (from_conn.username, from_conn.password, from_conn.token) == (
        "conn-user",
        "conn-pass",
        "conn-token",
    )
    assert from_conn.urs_url == "https://urs.uat.earthdata.nasa.gov"
    assert from_conn.data_origins == ("https://daac.example",)


def test_secrets_never_show_in_the_settings_repr():
    settings = HarmonySettings.from_connection(
        _conn(login="u", password="hunter2", extra={"token": "tok-123"})
    )
    assert "hunter2" not in repr(settings) and "tok-123" not in repr(settings)


@pytest.mark.parametrize(("raw", "expected"), [("", 512 * 1024 * 1024), ("1000", 1000)])
def test_max_download_bytes(monkeypatch, raw, expected):
    monkeypatch.setenv("AERIS_MAX_DOWNLOAD_BYTES", raw)
    assert max_download_bytes() == expected


@pytest.mark.parametrize("raw", ["0", "-5", "1e9", "lots"])
def test_a_bad_max_download_bytes_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv("AERIS_MAX_DOWNLOAD_BYTES", raw)
    with pytest.raises(ValueError, match="AERIS_MAX_DOWNLOAD_BYTES"):
        max_download_bytes()


def test_the_hook_builds_nothing_until_asked(monkeypatch):
    """No connection lookup at construction (DAG parse time): an unknown conn id fails only on use."""
    hook = HarmonyHook("no_such_connection")
    assert "client" not in vars(hook) and "settings" not in vars(hook)


def test_the_async_client_reads_the_connection_with_the_async_api(monkeypatch):
    conn = {"conn_type": "harmony", "host": "http://127.0.0.1:9", "extra": {"token": "t"}}
    monkeypatch.setenv("AIRFLOW_CONN_HOOK_TEST", json.dumps(conn))
    client = asyncio.run(HarmonyHook("hook_test").get_async_client())
    assert isinstance(client, AsyncHarmonyClient) and client.base_url == "http://127.0.0.1:9"
    job = "0b5e3c5c-5d1b-4c3e-9b8e-2f1d2c3b4a59"
    assert client.job_url(job) == f"http://127.0.0.1:9/jobs/{job}"
