"""(g) NATIVE: one CONUS gas-hour read by byte range from NASA-size native granules.

The emulator (in this process, real HTTP) pads its NO2 granules to NASA's ~0.9 GB
(AERIS_EMULATOR_GRANULE_SIZES=real) and serves them like ASDC's Thin Egress App; the pipeline's own
reader (`RemoteGranule` + `tempo_l3.read_window`) reads the column and its quality flag over CONUS from
each granule of one hour. Printed: the bytes moved against the granules' size, and the seconds.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from aeris_lib.gases import CONUS
from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.harmony.client import HarmonyClient
from aeris_lib.harmony.http import build_session
from aeris_lib.harmony.ranges import RemoteGranule
from aeris_lib.harmony.request import BBox, RangesetRequest
from aeris_lib.tempo_l3 import read_window
from harmony_emulator.netcdf import set_granule_sizes
from harmony_emulator.server import HarmonyEmulator
from harmony_emulator.state import EMULATOR_PASSWORD, EMULATOR_USER

NO2 = "C2930763263-LARC_CLOUD"
HOUR = datetime(2024, 9, 2, 17, tzinfo=UTC)


def native_range_benchmark(say, sizes: str = "real", bbox: tuple[float, ...] = CONUS) -> str:
    """The NATIVE line: `bbox` (CONUS) read by byte range from granules of NASA's sizes ("real"; the
    smoke run reads the compact ones)."""
    set_granule_sizes(sizes)
    emulator = HarmonyEmulator(job_seconds=0.2, capabilities="native").start()
    try:
        tokens = TokenProvider(emulator.base_url, username=EMULATOR_USER, password=EMULATOR_PASSWORD)
        client = HarmonyClient(emulator.base_url, tokens, session=build_session(retries=2),
                               data_origins=[emulator.daac_url], private_origins=[emulator.files_url])  # fmt: skip
        request = RangesetRequest(NO2, ("all",), BBox(*bbox), HOUR, HOUR + timedelta(hours=1), format=None,
                                  force_async=True)  # fmt: skip
        job = client.wait_for_job(client.submit(request).job_id, poll_initial=0.2)
        links = [link.href for link in job.data_links]
        for link in links:  # the DAAC's files exist before anyone reads them: build them first
            RemoteGranule(client, link, max_bytes=1 << 30).close()
        moved = size = 0
        started = time.perf_counter()
        for link in links:
            with RemoteGranule(client, link, max_bytes=512 * 1024**2) as remote:
                read_window(remote, "product/vertical_column_troposphere", bbox, pixel=0.02,
                            quality_variable="product/main_data_quality_flag")  # fmt: skip
                moved, size = moved + remote.bytes_moved, size + remote.size
                say(f"(g) native by range: {remote.summary()}")
        seconds = time.perf_counter() - started
    finally:
        emulator.stop()
        set_granule_sizes(None)
    return (
        f"NATIVE bytes_moved_mb={moved / 1e6:.1f} granule_mb={size / 1e6:.0f} ratio={moved / size:.3f}"
        f" seconds={seconds:.1f} granules={len(links)}"
    )
