"""aeris.tasks.gas_task: every per-gas task is labelled by its gas and tags its context for the
failure callbacks (ledger, breaker, alerts)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aeris.tasks import breaker
from aeris.tasks.gas_task import GAS_TASK, gas_context

from aeris_lib.db.ledger import Product
from aeris_lib.gas_hour import GasHour
from aeris_lib.gases import DEFAULT_CATALOG

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

HOUR = datetime(2024, 9, 1, 15, tzinfo=UTC)


def test_every_gas_task_shows_its_gas_and_reports_its_failures():
    assert GAS_TASK["map_index_template"] == "{{ gas }}"
    assert GAS_TASK["on_failure_callback"] is breaker.record_gas_failure
    assert GAS_TASK["on_retry_callback"] is breaker.record_gas_retry


def test_the_context_is_tagged_with_gas_hour_and_product_from_the_xcom_or_the_value():
    gas_hour = GasHour(DEFAULT_CATALOG["NO2"], HOUR, (-100.0, 30.0, -98.0, 32.0), "C3685896708-LARC_CLOUD",
                       "standard", "TEMPO_NO2_L3", "V04")  # fmt: skip
    for value in (gas_hour, gas_hour.to_xcom()):
        context: dict = {}
        parsed, tagged = gas_context(value, context)
        assert parsed == gas_hour and tagged is context
        assert (context["gas"], context["gas_hour"]) == ("NO2", "2024-09-01T15:00:00+00:00")
        assert context["aeris_product"] == Product("standard", "TEMPO_NO2_L3", "V04")
