"""CmrPublicationTrigger: asks CMR every few minutes whether an hour is published, in the triggerer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from aeris.hooks.cmr import CmrHook
from aeris.hooks.waits import WaitsHook
from airflow.triggers.base import BaseTrigger, TriggerEvent

from aeris_lib.cmr import CmrError, CmrUnavailable
from aeris_lib.db.waits import Waiter, wait_params
from aeris_lib.publication import assess, search_window

# Past the deadline, how many more looks a failing CMR gets, and how far apart: a blip of a few
# minutes must not write an hour off that CMR lists a minute later.
AT_DEADLINE_LOOKS = 5
AT_DEADLINE_INTERVAL_S = 30.0


class CmrPublicationTrigger(BaseTrigger):
    """Polls CMR's granule search for [hour, hour + 1) until `aeris_lib.publication.assess` decides.

    Yields one event: `Publication.to_event()` (status ready | no_scan | not_published), or
    `{"status": "error", "reason"}` when CMR rejects the search. A failed look (connection errors,
    429/5xx) decides nothing: it is "unknown", never "nothing listed". It is logged and asked again;
    the deadline's decision needs a look that succeeded. Past the deadline, a CMR that still fails
    after AT_DEADLINE_LOOKS more looks ends in an error (the task retries), not in a false gap.

    :param cmr_url: CMR base URL.
    :param hour: start of the hour, ISO 8601 with offset.
    :param deadline: when to stop waiting, ISO 8601 with offset.
    :param no_scan_reason: why no scan is expected this hour (night), or None.
    """

    def __init__(
        self,
        *,
        cmr_url: str,
        collection_id: str,
        hour: str,
        bbox: list[float],
        deadline: str,
        no_scan_reason: str | None = None,
        poll_interval: float = 300.0,
        waiter: dict[str, Any] | None = None,
    ):
        super().__init__()
        self.cmr_url = cmr_url
        self.collection_id = collection_id
        self.hour = hour
        self.bbox = bbox
        self.deadline = deadline
        self.no_scan_reason = no_scan_reason
        self.poll_interval = poll_interval
        self.waiter = waiter

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "cmr_url": self.cmr_url,
                "collection_id": self.collection_id,
                "hour": self.hour,
                "bbox": self.bbox,
                "deadline": self.deadline,
                "no_scan_reason": self.no_scan_reason,
                "poll_interval": self.poll_interval,
                "waiter": self.waiter,
            },
        )

    async def _record(self, hour: datetime, listed: list, reason: str, deadline: datetime) -> None:
        """This look, for the AERIS view's "Waiting now" (`publication_wait`); never ends the wait."""
        if not self.waiter:
            return
        next_check = datetime.now(UTC) + timedelta(seconds=self.poll_interval)
        try:
            params = wait_params(Waiter.from_dict(self.waiter), hour, listed, reason, deadline, next_check)
            await WaitsHook().arecord(params)
        except Exception as error:  # the wait matters more than its record
            self.log.warning(
                "could not record the wait for the AERIS view: %s: %s", type(error).__name__, error
            )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        hour = datetime.fromisoformat(self.hour)
        deadline = datetime.fromisoformat(self.deadline)
        hook = CmrHook(base_url=self.cmr_url)
        failed_after_deadline = 0
        while True:
            try:
                listed = await hook.agranules(self.collection_id, *search_window(hour), self.bbox)
            except CmrUnavailable as error:
                if datetime.now(UTC) < deadline:
                    self.log.warning("%s; nothing decided, asking again", error)
                    await asyncio.sleep(self._until_next_look(deadline))
                    continue
                failed_after_deadline += 1
                if failed_after_deadline > AT_DEADLINE_LOOKS:
                    reason = (f"CMR did not answer at the deadline ({failed_after_deadline} looks): {error}; "
                              "whether the hour is published is unknown")  # fmt: skip
                    yield TriggerEvent({"status": "error", "reason": reason})
                    return
                self.log.warning(
                    "%s; past the deadline, the decision waits for an answer (look %d of %d)",
                    error, failed_after_deadline, AT_DEADLINE_LOOKS,
                )  # fmt: skip
                await asyncio.sleep(min(self.poll_interval, AT_DEADLINE_INTERVAL_S))
                continue
            except CmrError as error:
                yield TriggerEvent({"status": "error", "reason": str(error)})
                return
            decision = assess(
                hour, listed, now=datetime.now(UTC), deadline=deadline, no_scan_reason=self.no_scan_reason
            )
            if decision.state != "wait":
                yield TriggerEvent(decision.to_event())
                return
            self.log.info(
                "%s %s: %s; asking CMR again in %.0f s (deadline %s)",
                self.collection_id, self.hour, decision.reason, self.poll_interval, self.deadline,
            )  # fmt: skip
            await self._record(hour, listed, decision.reason, deadline)
            await asyncio.sleep(self._until_next_look(deadline))

    def _until_next_look(self, deadline: datetime) -> float:
        """The poll interval, or less: the look just after the deadline decides."""
        remaining = (deadline - datetime.now(UTC)).total_seconds()
        return max(0.0, min(self.poll_interval, remaining + 1))
