"""One NO2 hour as CMR lists it, and holding it back in the emulator's CMR (TEMPO publishing late)."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta

from harmony_emulator.scans import granule_name, scans_overlapping
from tests.support.catalog_ids import concept_id

H = datetime(2024, 9, 2, 16, tzinfo=UTC)
NO2 = concept_id("NO2")
BBOX = [-100.0, 35.0, -98.0, 37.0]
HOUR_GRANULES = [granule_name(NO2, s) for s in scans_overlapping(H, H + timedelta(hours=1))]


def hold(emulator, available_in_s: float | None) -> None:
    body = {
        "holds": [
            {
                "start": H.isoformat(),
                "end": (H + timedelta(hours=1)).isoformat(),
                "available_in_s": available_in_s,
            }
        ]
    }
    request = urllib.request.Request(
        f"{emulator.base_url}/_emulator/publication", data=json.dumps(body).encode(), method="POST"
    )
    urllib.request.urlopen(request).read()
