"""aeris_lib.harmony.ranges: a native granule read by byte range on the DAAC (the token to the DAAC
only, never to S3), within a byte limit, moving a few percent of a NASA-size file for CONUS and at
most 1.25 x the physical minimum (the stored chunks the window touches)."""

from __future__ import annotations

import numpy as np
import pytest

from aeris_lib.gases import QUALITY_FLAG
from aeris_lib.harmony.errors import DownloadError
from tests.support.emulator import stats
from tests.support.harmony import native_job_links, trusting_the_daac

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def test_a_native_granule_is_read_by_range_with_the_token_on_the_daac_only(
    harmony_client, fresh_emulator, tmp_path
):
    """The bbox's window read through byte ranges equals the window of the downloaded file, moving a
    fraction of it; the token goes to the DAAC (its redirect), never to the pre-signed host."""
    from aeris_lib.harmony.ranges import RemoteGranule
    from aeris_lib.tempo_l3 import read_window

    link = native_job_links(harmony_client, fresh_emulator)[0]
    trusted = trusting_the_daac(harmony_client, fresh_emulator)
    bbox, variable = (-105.0, 35.0, -95.0, 40.0), "product/vertical_column_troposphere"
    with RemoteGranule(trusted, link, max_bytes=500_000_000) as remote:
        window = read_window(
            remote, variable, bbox, pixel=0.02, quality_variable="product/main_data_quality_flag"
        )
        moved, size, requests_made = remote.bytes_moved, remote.size, remote.requests
    local = read_window(str(trusted.download(link, tmp_path / "g.nc").path), variable, bbox, pixel=0.02,
                        quality_variable="product/main_data_quality_flag")  # fmt: skip
    assert window.shape == local.shape == (250, 500)
    assert np.array_equal(window.values, local.values) and np.array_equal(window.flags, local.flags)
    assert moved < size * 0.35, (moved, size)
    counts = stats(fresh_emulator)
    assert counts["auth_header_on_files_host"] == 0 and counts["range_requests"] == requests_made
    assert counts["auth_header_on_daac"] >= 1


def test_a_range_read_stops_at_the_byte_limit(harmony_client, fresh_emulator):
    from aeris_lib.harmony.ranges import RemoteGranule
    from aeris_lib.tempo_l3 import read_window

    link = native_job_links(harmony_client, fresh_emulator)[0]
    trusted = trusting_the_daac(harmony_client, fresh_emulator)
    remote = RemoteGranule(trusted, link, max_bytes=3_000_000)
    with pytest.raises(DownloadError, match="would move more than AERIS_MAX_DOWNLOAD_BYTES"):
        read_window(remote, "product/vertical_column_troposphere", (-125.0, 24.0, -66.0, 50.0), pixel=0.02)


def test_a_granule_the_size_nasa_ships_moves_a_few_percent_for_conus(
    harmony_client, fresh_emulator, monkeypatch
):
    """AERIS_EMULATOR_GRANULE_SIZES=real: the NO2 granule is ~0.9 GB, as NASA's; the CONUS window of
    the column and its quality flag moves a few percent of it."""
    from aeris_lib.harmony.ranges import RemoteGranule
    from aeris_lib.tempo_l3 import minimum_bytes, read_window

    monkeypatch.setenv("AERIS_EMULATOR_GRANULE_SIZES", "real")
    link = native_job_links(harmony_client, fresh_emulator)[0]
    trusted = trusting_the_daac(harmony_client, fresh_emulator)
    conus, wanted = (-125.0, 24.0, -66.0, 50.0), ["product/vertical_column_troposphere", QUALITY_FLAG]
    with RemoteGranule(trusted, link, max_bytes=512 * 1024**2) as remote:
        window = read_window(remote, wanted[0], conus, pixel=0.02, quality_variable=wanted[1])
        moved, size = remote.bytes_moved, remote.size
    assert window.shape == (1300, 2950)
    assert size >= 900_000_000 and moved < 0.05 * size, (moved, size)
    # Near the physical minimum: the stored chunks the window touches, from the granule's chunk index.
    with RemoteGranule(trusted, link, max_bytes=512 * 1024**2) as remote:
        minimum = minimum_bytes(remote, wanted, conus)
    assert minimum <= moved <= 1.25 * minimum, (moved, minimum)
