"""`wait_for_publication` of one gas: the CMR publication sensor, plus what AERIS decides before and
records after it (no verified product, circuit breaker, ledger rows for skipped hours)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from airflow.sdk.exceptions import AirflowSkipException
from sensors.cmr import CmrPublicationSensor
from tasks import alerts, breaker
from tasks.connections import aeris_db
from tasks.gas_task import gas_context

from aeris_lib.db import ledger
from aeris_lib.publication import Publication

_SKIP_STATUS = {"no_scan": ledger.NO_SCAN, "not_published": ledger.NOT_PUBLISHED}


class GasPublicationSensor(CmrPublicationSensor):
    """Waits until CMR lists every granule of the gas's hour; skips (and records why) when the gas has
    no verified product, its circuit breaker is open, no scan is expected, or nothing was published
    by the deadline.

    :param product: the plan's `GasHour` for one gas, as its XCom value.
    """

    template_fields: Sequence[str] = (*CmrPublicationSensor.template_fields, "product")

    def __init__(self, *, product: dict[str, Any], **kwargs: Any):
        super().__init__(**kwargs)
        self.product = product

    def _bind(self, context: Any) -> None:
        # `product` is a mapped argument: known only now, at run time, and again after the deferral.
        self.gas_hour, _ = gas_context(self.product, context)
        self.collection_id, self.hour = self.gas_hour.collection_id, self.gas_hour.hour.isoformat()
        self.bbox, self.subject = list(self.gas_hour.bbox), self.gas_hour.gas

    def execute(self, context: Any) -> dict[str, Any]:
        self._bind(context)
        entry = self.gas_hour.entry
        if not entry.verified:
            note = entry.note or "the catalog entry is not verified"
            self._skip(ledger.NO_PRODUCT, f"no verified TEMPO product for {self.subject} ({note})")
        open_breaker = breaker.check_breaker(self.subject, context)
        if open_breaker:
            self._skip(ledger.CIRCUIT_OPEN, open_breaker)
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> dict[str, Any]:
        self._bind(context)
        return super().execute_complete(context, event)

    def finish(self, context: Any, decision: Publication) -> dict[str, Any]:
        if decision.state in _SKIP_STATUS:
            self._skip(_SKIP_STATUS[decision.state], decision.reason, context)
        return super().finish(context, decision)

    def _skip(self, status: str, reason: str, context: Any = None) -> None:
        hour = datetime.fromisoformat(self.hour)
        with aeris_db() as conn:
            ledger.record_outcome(conn, self.subject, hour, status, reason)
        self.log.info("%s %s: %s (ledger: %s)", self.subject, self.hour, reason, status)
        if status == ledger.NOT_PUBLISHED:  # a gap: nothing will fill this hour unless someone acts
            alerts.send(alerts.Alert(alerts.NOT_PUBLISHED, self.subject, self.hour, reason), context or {})
        raise AirflowSkipException(f"{self.subject} {hour:%Y-%m-%d %H}:00 UTC: {reason}")
