"""The CMR publication wait of one gas (the first part of `harmony_job`, HarmonyJobOperator): the CMR
publication sensor, plus what AERIS decides before and records after it (no verified product, circuit
breaker, ledger rows for skipped hours)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from aeris.config.connections import aeris_db
from aeris.hooks.cmr import CmrHook
from aeris.hooks.waits import WaitsHook
from aeris.notifications import alerts
from aeris.sensors.cmr import CmrPublicationSensor
from aeris.tasks import breaker
from aeris.tasks.gas_task import gas_context
from airflow.sdk.exceptions import AirflowSkipException

from aeris_lib.cmr import CmrError, version_key
from aeris_lib.db import ledger
from aeris_lib.db.collections import forget_collection
from aeris_lib.db.waits import Waiter, wait_params
from aeris_lib.gases import LATEST
from aeris_lib.publication import Granule, Publication, search_window

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
        # The trigger's deadline came with nothing listed for the hour: is another version publishing?
        if event.get("status") == "not_published":
            hour = datetime.fromisoformat(self.hour)
            if not CmrHook().granules(self.collection_id, *search_window(hour), self.bbox):
                self._check_version(context)
        return super().execute_complete(context, event)

    def waiter(self, context: Any) -> dict[str, Any] | None:
        ti = context.get("ti")
        if ti is None:
            return None
        return {"gas": self.subject, "dag_id": ti.dag_id, "run_id": ti.run_id, "task_id": ti.task_id,
                "map_index": ti.map_index}  # fmt: skip

    def on_wait(self, context: Any, decision: Publication, listed: list[Granule], deadline: datetime,
                next_check: datetime) -> None:  # fmt: skip
        waiter = self.waiter(context)
        if waiter is None:
            return
        hour = datetime.fromisoformat(self.hour)
        try:
            WaitsHook().record(wait_params(Waiter.from_dict(waiter), hour, listed, decision.reason, deadline,
                                           next_check))  # fmt: skip
        except Exception as error:  # the wait matters more than its record
            self.log.warning(
                "could not record the wait for the AERIS view: %s: %s", type(error).__name__, error
            )

    def review(self, context: Any, decision: Publication, listed: list[Granule]) -> None:
        if decision.state in ("wait", "not_published") and not listed:
            self._check_version(context)

    def finish(self, context: Any, decision: Publication) -> dict[str, Any]:
        WaitsHook().clear(self.subject, datetime.fromisoformat(self.hour))  # the hour waits no more
        if decision.state in _SKIP_STATUS:
            self._skip(_SKIP_STATUS[decision.state], decision.reason, context)
        return super().finish(context, decision)

    def _check_version(self, context: Any) -> None:
        """Nothing listed around the hour: when another version of the same short name lists granules
        for it, the product asked for is not the one being published. Fails the gas with the versions
        named (ledger `wrong_version`, a gap; the failure alert carries the reason)."""
        gas_hour = self.gas_hour
        if not gas_hour.short_name:
            return
        hook, hour = CmrHook(), gas_hour.hour
        try:
            versions = hook.versions(gas_hour.short_name)
            others = sorted(
                ((v, c) for v, c in versions.items() if c != gas_hour.collection_id),
                key=lambda item: version_key(item[0]), reverse=True,
            )  # fmt: skip
            found = next(
                ((v, c, g) for v, c in others if (g := hook.granules(c, hour, hour + timedelta(hours=1), self.bbox))),
                None,
            )  # fmt: skip
        except CmrError as error:  # the wait goes on; this check is a diagnosis, not a condition
            self.log.warning("%s: could not compare product versions in CMR: %s", self.subject, error)
            return
        if found is None:
            return
        version, concept_id, granules = found
        asked = gas_hour.entry.product_name(gas_hour.line)[1]
        newer = version_key(version) > version_key(gas_hour.version)
        if asked != LATEST:
            advice = f"the catalog asks for version {asked}; set it to {version} or `{LATEST}`"
        elif newer:  # the cached `latest` is out of date: forget it, the next run resolves it again
            advice = f"`{LATEST}` was cached as {gas_hour.version}; the next run asks CMR again"
            with aeris_db() as conn:
                forget_collection(conn, gas_hour.short_name, LATEST)
        else:
            advice = f"`{LATEST}` is {gas_hour.version}, which does not cover this hour; pin {version} for it"
        reason = (
            f"{gas_hour.product_name} ({gas_hour.collection_id}) lists no granule around "
            f"{hour:%Y-%m-%d %H}:00 UTC, but {gas_hour.short_name} {version} ({concept_id}) lists "
            f"{len(granules)} for the hour ({', '.join(g.name for g in granules)}): {advice}"
        )
        self.log.warning("%s: WRONG VERSION: %s", self.subject, reason)
        with aeris_db() as conn:
            ledger.record_outcome(
                conn, self.subject, hour, ledger.WRONG_VERSION, reason, product=breaker.product_of(gas_hour)
            )
        raise breaker.RecordedFailure(f"{self.subject}: {reason}")

    def _skip(self, status: str, reason: str, context: Any = None) -> None:
        hour = datetime.fromisoformat(self.hour)
        with aeris_db() as conn:
            ledger.record_outcome(
                conn, self.subject, hour, status, reason, product=breaker.product_of(self.gas_hour)
            )
        self.log.info("%s %s: %s (ledger: %s)", self.subject, self.hour, reason, status)
        if status == ledger.NOT_PUBLISHED:  # a gap: nothing will fill this hour unless someone acts
            alerts.send(
                alerts.Alert(alerts.ALERT_NOT_PUBLISHED, self.subject, self.hour, reason), context or {}
            )
        raise AirflowSkipException(f"{self.subject} {hour:%Y-%m-%d %H}:00 UTC: {reason}")
