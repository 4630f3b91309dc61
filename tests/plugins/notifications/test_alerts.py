"""notifications.alerts against a real SMTP server (aiosmtpd): what arrives, what never does, off by default."""

from __future__ import annotations

import json
import logging

import pytest
from aeris.notifications import alerts
from airflow.sdk.log import mask_secret

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

HOUR = "2024-09-01T15:00:00+00:00"
SIGNED = "https://s3.example/audit/NO2_15.tif?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA"


def _on(monkeypatch, smtp_server):
    for name, value in smtp_server.env.items():
        monkeypatch.setenv(name, value)


def test_an_alert_arrives_naming_the_gas_the_hour_and_the_reason(monkeypatch, smtp_server):
    _on(monkeypatch, smtp_server)
    reason = "gas.harmony_job: AirflowException: Harmony job j-1 failed: Variable product/x not found"
    assert alerts.send(alerts.Alert(alerts.ALERT_FAILED, "CH2O", HOUR, reason), {}) is True
    [message] = smtp_server.messages
    assert message["Subject"] == "AERIS: CH2O 2024-09-01 15:00 UTC failed"
    assert message["To"] == "ops@aeris.test" and message["From"] == "aeris@aeris.test"
    body = message.get_body(("html", "plain")).get_content()
    assert "CH2O" in body and HOUR in body and "Variable product/x not found" in body


def test_no_secret_reaches_the_inbox(monkeypatch, smtp_server):
    _on(monkeypatch, smtp_server)
    mask_secret("tok-secret-1234567")
    reason = f"download from {SIGNED} failed; token tok-secret-1234567 rejected"
    alerts.send(alerts.Alert(alerts.ALERT_FAILED, "NO2", HOUR, reason), {})
    raw = smtp_server.messages[0].as_string()
    for secret in ("deadbeef", "AKIA", "tok-secret-1234567"):
        assert secret not in raw, secret
    assert "https://s3.example/audit/NO2_15.tif?…" in smtp_server.messages[0].get_body().get_content()


def test_alerts_are_off_unless_recipients_are_named(monkeypatch, smtp_server):
    monkeypatch.setenv("AIRFLOW_CONN_AERIS_SMTP", smtp_server.env["AIRFLOW_CONN_AERIS_SMTP"])
    monkeypatch.delenv("AERIS_ALERT_EMAILS", raising=False)
    assert alerts.send(alerts.Alert(alerts.ALERT_CIRCUIT_OPEN, "NO2", HOUR, "5 failed hours"), {}) is False
    assert smtp_server.messages == []


def test_an_unreachable_smtp_server_is_a_warning_not_a_failure(monkeypatch, smtp_server, caplog):
    _on(monkeypatch, smtp_server)
    extra = {"disable_ssl": True, "disable_tls": True, "from_email": "a@b", "retry_limit": 0}
    nobody = {"conn_type": "smtp", "host": "127.0.0.1", "port": 9, "extra": extra}  # nothing listens on 9
    monkeypatch.setenv("AIRFLOW_CONN_AERIS_SMTP", json.dumps(nobody))
    with caplog.at_level(logging.WARNING):
        assert alerts.send(alerts.Alert(alerts.ALERT_NOT_PUBLISHED, "O3", HOUR, "not published"), {}) is False
    assert any("could not send the alert" in r.getMessage() for r in caplog.records)
