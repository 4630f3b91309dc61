"""Metrics: a dag.test() run with StatsD on sends the documented aeris.* series to a real UDP socket."""

from __future__ import annotations

import socket
import threading

import pytest

from tests.e2e.conftest import SMALL_BBOX, run_dag

pytestmark = pytest.mark.integration


def test_hourly_run_emits_aeris_metrics_per_gas(emulator):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.5)
    packets: list[str] = []
    stop = threading.Event()

    def listen() -> None:
        while not stop.is_set():
            try:
                packets.extend(sock.recv(65535).decode().splitlines())
            except TimeoutError:
                continue

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    try:
        result = run_dag(
            "2024-09-06T17:00:00+00:00",
            {"bbox": SMALL_BBOX, "availability_delay_minutes": 0, "gases": ["NO2", "O3"]},
            AIRFLOW__METRICS__STATSD_ON="True",
            AIRFLOW__METRICS__STATSD_HOST="127.0.0.1",
            AIRFLOW__METRICS__STATSD_PORT=str(sock.getsockname()[1]),
            AIRFLOW__METRICS__STATSD_PREFIX="airflow",
        )
    finally:
        stop.set()
        listener.join(2)
        sock.close()
    assert result["state"] == "success", result["tis"]
    names = {packet.split(":", 1)[0] for packet in packets}
    for gas in ("NO2", "O3"):
        assert f"airflow.aeris.harmony.bytes_downloaded.{gas}" in names, sorted(names)[:40]
        assert f"airflow.aeris.harmony.wait.{gas}" in names
        assert f"airflow.aeris.load.duration.{gas}" in names
        assert any(n in names for n in (f"airflow.aeris.load.rows.{gas}", f"airflow.aeris.load.unchanged.{gas}"))
