"""(g) NATIVE: one CONUS gas-hour read by byte range from NASA-size native granules, against the
physical minimum.

The emulator (in this process, real HTTP) pads its granules to NASA's sizes (NO2 ~0.9 GB, O3TOT
~0.18 GB; AERIS_EMULATOR_GRANULE_SIZES=real) and serves them like ASDC's Thin Egress App; the
pipeline's own reader (`RemoteGranule` + `tempo_l3.read_window`) reads what the stage task reads from
each granule of one hour: NO2's column and quality flag; O3's and AI's variables from O3TOT in one
session. The physical minimum is what the granules' own chunk index says those variables' chunks over
the bbox, and the coordinates, take in the file (`tempo_l3.minimum_bytes`): no reader can move less.
Printed per product: bytes moved, the minimum, their ratio (`vs_minimum`), requests and seconds.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from aeris_lib.gases import CONUS, DEFAULT_CATALOG
from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.harmony.client import HarmonyClient
from aeris_lib.harmony.http import build_session
from aeris_lib.harmony.ranges import RemoteGranule
from aeris_lib.harmony.request import BBox, RangesetRequest
from aeris_lib.tempo_l3 import minimum_bytes, read_window
from harmony_emulator.granule_store import native_granule
from harmony_emulator.netcdf import set_granule_sizes
from harmony_emulator.server import HarmonyEmulator
from harmony_emulator.state import EMULATOR_PASSWORD, EMULATOR_USER

HOUR = datetime(2024, 9, 2, 17, tzinfo=UTC)
# Standard V04 products, and what the stage task reads from each: (variable, quality variable).
PRODUCTS = {
    "NO2": ("C3685896708-LARC_CLOUD", [("NO2", DEFAULT_CATALOG["NO2"])]),
    "O3TOT": ("C3685896625-LARC_CLOUD", [("O3", DEFAULT_CATALOG["O3"]), ("AI", DEFAULT_CATALOG["AI"])]),
}


def native_range_benchmark(say, sizes: str = "real", bbox: tuple[float, ...] = CONUS) -> str:
    """The NATIVE lines: `bbox` (CONUS) read by byte range from granules of NASA's sizes ("real"; the
    smoke run reads the compact ones), NO2 and O3TOT."""
    set_granule_sizes(sizes)
    emulator = HarmonyEmulator(job_seconds=0.2, capabilities="native").start()
    try:
        tokens = TokenProvider(emulator.base_url, username=EMULATOR_USER, password=EMULATOR_PASSWORD)
        client = HarmonyClient(emulator.base_url, tokens, session=build_session(retries=2),
                               data_origins=[emulator.daac_url], private_origins=[emulator.files_url])  # fmt: skip
        lines = [_product(say, emulator, client, name, bbox) for name in PRODUCTS]
    finally:
        emulator.stop()
        set_granule_sizes(None)
    return "\n".join(lines)


def _product(say, emulator, client, name: str, bbox) -> str:
    collection, gases = PRODUCTS[name]
    request = RangesetRequest(collection, ("all",), BBox(*bbox), HOUR, HOUR + timedelta(hours=1), format=None,
                              force_async=True)  # fmt: skip
    job = client.wait_for_job(client.submit(request).job_id, poll_initial=0.2)
    links = [link.href for link in job.data_links]
    variables = [v for _, entry in gases for v in (entry.variable, entry.quality_variable) if v]
    # The DAAC's files exist before anyone reads them: build them first, and take their minimum.
    minimum = sum(
        minimum_bytes(str(native_granule(collection, scan)), variables, bbox)
        for scan in emulator.state.published_scans(collection, HOUR, HOUR + timedelta(hours=1))
    )
    moved = size = requests = 0
    started = time.perf_counter()
    for link in links:
        with RemoteGranule(client, link, max_bytes=512 * 1024**2) as remote:
            for _, entry in gases:  # as the stage task does: every gas of the product in one session
                read_window(remote, entry.variable, bbox, pixel=0.02,
                            quality_variable=entry.quality_variable or None)  # fmt: skip
            moved, size, requests = moved + remote.bytes_moved, size + remote.size, requests + remote.requests
            say(f"(g) {name} native by range: {remote.summary()}")
    seconds = time.perf_counter() - started
    return (
        f"NATIVE product={name} bytes_moved_mb={moved / 1e6:.1f} minimum_mb={minimum / 1e6:.1f}"
        f" vs_minimum={moved / minimum:.2f} granule_mb={size / 1e6:.0f} ratio={moved / size:.3f}"
        f" requests={requests} seconds={seconds:.1f} granules={len(links)}"
    )
