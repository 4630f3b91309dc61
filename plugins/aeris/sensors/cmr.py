"""CmrPublicationSensor: waits until CMR lists every TEMPO granule of an hour, in the triggerer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aeris.config.settings import checked
from aeris.hooks.cmr import CmrHook
from aeris.triggers.cmr import CmrPublicationTrigger
from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowException, AirflowSkipException

from aeris_lib import config
from aeris_lib.cmr import CmrError
from aeris_lib.publication import (
    Granule,
    Publication,
    assess,
    deadline_for,
    scan_expected,
    search_window,
)


class CmrPublicationSensor(BaseSensorOperator):
    """Waits for the TEMPO granules of [hour, hour + 1) to be listed in CMR (see
    `aeris_lib.publication`). Returns `{"granules": [...], "complete": bool}`; skips when no scan
    is expected (night) or nothing was published by the deadline.

    :param collection_id: CMR concept id of the collection (templated).
    :param hour: start of the hour, ISO 8601 (templated).
    :param bbox: [west, south, east, north] (templated).
    :param subject: what is waited for, e.g. the gas, for logs and messages (templated).
    :param poll_interval: seconds between CMR searches; default `AERIS_PUBLICATION_POLL_SECONDS` (300).
    :param deadline_minutes: give up this long after the hour's end; default
        `AERIS_PUBLICATION_DEADLINE_MINUTES` (180).
    """

    template_fields: Sequence[str] = ("collection_id", "hour", "bbox", "subject")
    ui_color = "#e0f0d0"

    def __init__(
        self,
        *,
        collection_id: str = "",
        hour: str = "",
        bbox: Sequence[float] = (),
        subject: str = "",
        poll_interval: float | None = None,
        deadline_minutes: float | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.collection_id = collection_id
        self.hour = hour
        self.bbox = bbox
        self.subject = subject
        self.poll_interval = poll_interval
        self.deadline_minutes = deadline_minutes

    def _hour(self) -> datetime:
        return datetime.fromisoformat(str(self.hour)).astimezone(UTC)

    def _deadline(self) -> datetime:
        minutes = self.deadline_minutes or checked(config.Publication.from_env).deadline_minutes
        return deadline_for(self._hour(), minutes)

    def execute(self, context: Any) -> dict[str, Any]:
        hour, deadline = self._hour(), self._deadline()
        bbox = [float(v) for v in self.bbox]
        no_scan_reason = scan_expected(hour, bbox)
        hook = CmrHook()
        try:
            listed = hook.granules(self.collection_id, *search_window(hour), bbox)
        except CmrError as error:
            raise AirflowException(f"{self.subject}: {error}") from None
        decision = assess(
            hour, listed, now=datetime.now(UTC), deadline=deadline, no_scan_reason=no_scan_reason
        )
        self.log.info(
            "%s %s: CMR (%s) lists %d granule(s) from the hour on: %s",
            self.subject, hour.isoformat(), hook.base_url, len(listed), decision.reason,
        )  # fmt: skip
        self.review(context, decision, listed)
        if decision.state != "wait":
            return self.finish(context, decision)
        poll = self.poll_interval or checked(config.Publication.from_env).poll_seconds
        self.on_wait(context, decision, listed, deadline, datetime.now(UTC) + timedelta(seconds=poll))
        self.log.info(
            "%s: waiting in the triggerer, asking CMR every %.0f s until %s",
            self.subject,
            poll,
            deadline.isoformat(),
        )
        self.defer(
            trigger=CmrPublicationTrigger(
                cmr_url=hook.base_url,
                collection_id=self.collection_id,
                hour=hour.isoformat(),
                bbox=bbox,
                deadline=deadline.isoformat(),
                no_scan_reason=no_scan_reason,
                poll_interval=poll,
                waiter=self.waiter(context),
            ),
            method_name="execute_complete",
            # The trigger decides at the deadline; the margin covers one last CMR search.
            timeout=max(deadline - datetime.now(UTC), timedelta(0)) + timedelta(minutes=10),
        )

    def waiter(self, context: Any) -> dict[str, Any] | None:
        """Who waits, for the trigger to record each look under (`aeris_lib.db.waits.Waiter`); None:
        nothing is recorded."""
        return None

    def on_wait(self, context: Any, decision: Publication, listed: list[Granule], deadline: datetime,
                next_check: datetime) -> None:  # fmt: skip
        """Called when the first look decides to wait, before deferring."""

    def review(self, context: Any, decision: Publication, listed: list[Granule]) -> None:
        """Called once with the first decision and everything CMR listed around the hour (subclasses
        may raise, e.g. when the product asked for is not the one being published)."""

    def execute_complete(self, context: Any, event: dict[str, Any]) -> dict[str, Any]:
        if event.get("status") == "error":
            raise AirflowException(f"{self.subject}: {event.get('reason')}")
        return self.finish(context, Publication.from_event(event))

    def finish(self, context: Any, decision: Publication) -> dict[str, Any]:
        """Granules to process, or a skip with the reason (overridden to record outcomes)."""
        if decision.state != "ready":
            raise AirflowSkipException(f"{self.subject} {self._hour():%Y-%m-%d %H}:00 UTC: {decision.reason}")
        if not decision.complete:
            self.log.warning("%s: %s", self.subject, decision.reason)
        return {"granules": [g.to_dict() for g in decision.granules], "complete": decision.complete}
