"""NASA's own client, harmony-py, drives the emulator the local stack runs: the emulator speaks Harmony
as NASA's client understands it, not only as ours does.

harmony-py POSTs every coverage request as multipart/form-data to `collections/parameter_vars/…/rangeset`
with `variable=` fields, follows the 303 to the job, polls `POST /jobs/status`, reads `/jobs/<id>`
pages and downloads each data link (dropping the token on the redirect to the pre-signed host).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import rasterio
import requests
from harmony import BBox, Client, Collection, Environment, Request

from aeris_lib.config import Earthdata
from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.harmony.client import HarmonyClient
from harmony_emulator.scans import scans_overlapping
from harmony_emulator.state import EMULATOR_PASSWORD, EMULATOR_USER
from tests.support.catalog_ids import concept_id

NO2_VARIABLE = "product/vertical_column_troposphere"
BOX = (-100.0, 30.0, -98.0, 32.0)


def _days_ago(days: int, hour: int) -> datetime:
    """An hour the stack's emulator has published for the standard product (it lags 24 h)."""
    day = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=days)
    return day.replace(hour=hour)


def _tokens(emulator) -> TokenProvider:
    return TokenProvider(emulator.base_url, username=EMULATOR_USER, password=EMULATOR_PASSWORD)


@pytest.fixture
def harmony_py(emulator, monkeypatch) -> Client:
    """harmony-py pointed at the stack's emulator with an Earthdata token from the emulator's EDL."""
    emulator.capabilities("tiff")  # a GeoTIFF subsetter, as Harmony offers for many collections
    # harmony-py's Config reads every setting from the environment first (ROOT_URL included).
    monkeypatch.setenv("ROOT_URL", emulator.base_url)
    monkeypatch.setenv("EXCLUDE_DEFAULT_LABEL", "false")
    token = _tokens(emulator).get()
    client = Client(env=Environment.LOCAL, token=token, should_validate_auth=False, check_interval=0.2)
    yield client
    client.executor.shutdown(wait=True)


def _request(hour: datetime) -> Request:
    west, south, east, north = BOX
    return Request(
        collection=Collection(id=concept_id("NO2", line="standard")),
        variables=[NO2_VARIABLE],
        spatial=BBox(west, south, east, north),
        temporal={"start": hour, "stop": hour + timedelta(hours=1)},
        format="image/tiff",
    )


def test_harmony_py_submits_waits_and_downloads_a_daytime_hour(harmony_py, emulator, tmp_path):
    hour = _days_ago(2, 17)
    before = emulator.stats()
    job_id = harmony_py.submit(_request(hour))
    assert isinstance(job_id, str) and len(job_id) == 36, job_id

    status = harmony_py.status(job_id)
    assert status["status"] in ("accepted", "running", "successful")
    # The POSTed form's fields are in the job's request URL, as Harmony shows them.
    assert "/parameter_vars/" in status["request"] and f"variable={NO2_VARIABLE}" in status["request"]

    harmony_py.wait_for_processing(job_id)
    result = harmony_py.result_json(job_id)
    assert result["status"] == "successful" and result["jobID"] == job_id

    urls = list(harmony_py.result_urls(job_id))
    scans = scans_overlapping(hour, hour + timedelta(hours=1))
    assert len(urls) == len(scans) >= 1  # one output per granule, as Harmony does

    files = [future.result() for future in harmony_py.download_all(job_id, directory=str(tmp_path))]
    assert len(files) == len(urls) and len(set(files)) == len(files)
    for path in files:
        with rasterio.open(path) as src:
            assert src.crs.to_epsg() == 4326 and src.count == 1
            west, south, east, north = src.bounds
            assert (
                BOX[0] - 0.02 <= west < east <= BOX[2] + 0.02
                and BOX[1] - 0.02 <= south < north <= BOX[3] + 0.02
            )

    # The same bytes our own client gets for the same links (one emulator, one truth).
    client = HarmonyClient(
        emulator.base_url, _tokens(emulator), private_origins=Earthdata.from_env().private_origins
    )
    ours = client.download(urls[0], tmp_path / "ours.tif")
    with open(files[0], "rb") as downloaded:
        assert hashlib.sha256(downloaded.read()).hexdigest() == ours.sha256

    after = emulator.stats()
    assert after["rangeset_requests"] - before["rangeset_requests"] == 1
    assert after["job_status_requests"] > before["job_status_requests"]  # POST /jobs/status and /jobs/<id>


def test_harmony_py_hears_no_matching_granules_for_a_night_hour(harmony_py):
    with pytest.raises(Exception, match="No matching granules found") as error:
        harmony_py.submit(_request(_days_ago(2, 7)))  # 07:00 UTC: night over the Americas
    assert "Bad Request" in str(error.value)


def test_the_get_form_harmony_py_builds_is_served_too(harmony_py, emulator):
    """`request_as_url` (the browser form): a GET with `variable=` values redirects to the job."""
    url = harmony_py.request_as_url(_request(_days_ago(2, 17)))
    assert "/collections/parameter_vars/coverage/rangeset?" in url and "variable=product" in url
    response = requests.get(
        url, headers={"Authorization": f"Bearer {harmony_py.token}"}, allow_redirects=False, timeout=30
    )
    assert response.status_code == 303 and response.headers["Location"].startswith("/jobs/")
