"""Driving the Harmony emulator's control API (faults, publication holds, capabilities, stats): the one
way tests talk to `/_emulator/...`, for the stack's emulator and a test's own (`fresh_emulator`) alike."""

from __future__ import annotations

import json
import os
import urllib.request
from datetime import datetime, timedelta


class Emulator:
    """Drives the running emulator's fault switches over its control API."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def _post(self, path: str, body: object) -> dict:
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def publication(self, settings: dict) -> None:
        """Publication rules as they are: `{"delay_s": …, "holds": [...]}` (either key alone)."""
        self._post("/_emulator/publication", settings)

    def republished(self, entries: list[dict]) -> None:
        """Granules republished under their names (each `{"start", "end", "revision", "collection"}`)."""
        self._post("/_emulator/republished", entries)

    def o3tot_overwritten(self, overwritten: bool) -> None:
        """False: O3TOT V04's overwritten days as before April 2026 (revision 1, the former 0.04° x
        0.02° grid); True (the default): as NASA serves them since (revision 2, 0.02°)."""
        self._post("/_emulator/o3tot_overwrite", {"overwritten": overwritten})

    def faults(self, rules: list[dict]) -> None:
        self._post("/_emulator/faults", rules)

    def clear_faults(self) -> None:
        self._post("/_emulator/faults", [])
        # The suite's NRT window (scripts/test.sh: 0, kept for ever; its fixture hours are from 2024).
        window = float(os.environ.get("AERIS_EMULATOR_NRT_WINDOW_DAYS") or 0)
        self._post("/_emulator/publication", {"holds": [], "nrt_window_days": window, "restore_delays": True})
        self._post("/_emulator/republished", [])
        self.o3tot_overwritten(True)
        self._post("/_emulator/granule_sizes", {"sizes": None})
        self.capabilities(os.environ.get("AERIS_EMULATOR_CAPABILITIES") or "native")

    def granule_sizes(self, sizes: str) -> None:
        """`real`: native granules padded to NASA's sizes (NO2 ~0.9 GB); `compact`: the emulator's."""
        self._post("/_emulator/granule_sizes", {"sizes": sizes})

    def capabilities(self, mode: str) -> None:
        """What the emulated Harmony offers for every TEMPO collection: native, netcdf, hoss or tiff."""
        self._post("/_emulator/capabilities", {"mode": mode})

    def hold(self, hour: datetime, available_in_s: float | None, collection: str | None = None) -> None:
        """Keep the granules overlapping [hour, hour + 1) out of CMR and Harmony for `available_in_s`
        seconds (None: for good), as TEMPO publishing late does."""
        hold = {"start": hour.isoformat(), "end": (hour + timedelta(hours=1)).isoformat(),
                "available_in_s": available_in_s, "collection": collection}  # fmt: skip
        self.publication({"holds": [hold]})

    def hold_first_scan(self, hour: datetime, available_in_s: float) -> None:
        """Publish the observing day's first scan (S001) overlapping [hour, hour + 3 h) `available_in_s`
        seconds from now, after the scans that follow it: TEMPO's files reaching CMR out of order."""
        hold = {"start": hour.isoformat(), "end": (hour + timedelta(hours=3)).isoformat(),
                "available_in_s": available_in_s, "scan": 1}  # fmt: skip
        self.publication({"holds": [hold]})

    def republish(self, hour: datetime, revision: int = 2, collection: str | None = None) -> None:
        """Republish the granules overlapping [hour, hour + 1) under the same names, as `revision`."""
        entry = {"start": hour.isoformat(), "end": (hour + timedelta(hours=1)).isoformat(), "revision": revision,
                 "collection": collection}  # fmt: skip
        self.republished([entry])

    def finish_jobs(self) -> int:
        """Every running Harmony job completes now (those a long slow_job fault holds)."""
        return self._post("/_emulator/jobs/finish", {})["finished"]

    def release(self) -> None:
        """Publish every held hour now."""
        self.publication({"holds": []})

    def stats(self) -> dict:
        with urllib.request.urlopen(self.base_url + "/_emulator/stats", timeout=10) as response:
            return json.loads(response.read())


def stack_emulator() -> Emulator:
    """The emulator the environment names (the stack's, or the test worker's own)."""
    return Emulator(os.environ["HARMONY_BASE_URL"])


def set_faults(emulator, *rules: dict) -> None:
    """Replace the emulator's fault rules (each `{"fault": name, "times": n, ...}`)."""
    Emulator(emulator.base_url).faults(list(rules))


def stats(emulator) -> dict:
    """The emulator's request counters."""
    return Emulator(emulator.base_url).stats()
