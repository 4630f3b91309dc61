"""aeris.tasks.shared_reads: a window read for a companion gas (O3 and AI share a granule) is left in
the staging area under its key, and taken exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from aeris.tasks import shared_reads

from aeris_lib.tempo_l3 import GridWindow

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

HOUR = datetime(2024, 9, 1, 15, tzinfo=UTC)
LINK = "https://data.asdc.earthdata.nasa.gov/asdc-prod-protected/TEMPO/TEMPO_O3TOT_L3_V04/x/TEMPO_O3TOT_L3_V04_S009G01.nc"


JOB = "0b5e3c5c-5d1b-4c3e-9b8e-2f1d2c3b4a59"


def test_the_key_names_the_day_and_job_and_hashes_the_granule_and_variable():
    key = shared_reads.window_key(HOUR, JOB, LINK, "product/uv_aerosol_index")
    day, job, granule, name = key.removeprefix("shared/").split("/")
    assert (day, job) == ("2024-09-01", JOB) and len(granule) == 32 and name.endswith(".npz")


def test_two_links_with_the_same_file_name_get_two_keys():
    other = LINK.replace("/x/", "/y/")
    assert shared_reads.window_key(HOUR, JOB, LINK, "v") != shared_reads.window_key(HOUR, JOB, other, "v")


@pytest.mark.parametrize("job_id", ["../../etc", "job-1", "0b5e3c5c-5d1b-4c3e-9b8e-2f1d2c3b4a59/../x", ""])
def test_a_job_id_that_is_not_harmonys_never_reaches_a_key(job_id):
    from aeris_lib.harmony.errors import HarmonyBadAnswer

    with pytest.raises(HarmonyBadAnswer, match="not a UUID"):
        shared_reads.window_key(HOUR, job_id, LINK, "v")


def test_a_window_is_put_and_taken_once(tmp_path, monkeypatch):
    monkeypatch.setenv("AERIS_STAGING", "local")
    monkeypatch.setenv("AERIS_STAGING_DIR", str(tmp_path))
    window = GridWindow(np.arange(6, dtype=np.float32).reshape(2, 3), np.zeros((2, 3), np.int16), -100.0, 32.0,
                        0.02, 0.02, (2950, 7750), ("2024-09-01T15:00:00Z", "2024-09-01T15:40:00Z"))  # fmt: skip
    key = shared_reads.window_key(HOUR, JOB, LINK, "product/uv_aerosol_index")
    shared_reads.put(key, window)
    taken = shared_reads.take(key)
    assert np.array_equal(taken.values, window.values) and np.array_equal(taken.flags, window.flags)
    assert (taken.west, taken.north, taken.granule_shape, taken.time_coverage) == (
        window.west, window.north, window.granule_shape, window.time_coverage)  # fmt: skip
    assert shared_reads.take(key) is None
