"""The Harmony client against the emulator over real HTTP."""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import timedelta

import pytest

from aeris_lib.gases import DEFAULT_CATALOG
from aeris_lib.harmony import HarmonyClient, JobRef, NoData, RangesetRequest
from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.harmony.errors import DownloadError, EarthdataLoginError, HarmonyError, HarmonyJobFailed
from harmony_emulator.granules import render_geotiff
from harmony_emulator.scans import scans_overlapping
from tests.support.catalog_ids import concept_id
from tests.support.emulator import set_faults, stats
from tests.support.harmony import HOUR, SMALL, native_job_links, request, trusting_the_daac


@pytest.mark.parametrize("gas", ["NO2", "CH2O", "AI", "O3"])
@pytest.mark.parametrize("force_async", [False, True], ids=["sync", "async"])
def test_fetch_every_gas_sha256_matches_emulator(harmony_client, tmp_path, gas, force_async):
    outcome = harmony_client.fetch(
        request(gas, force_async=force_async), tmp_path / "out.tif", poll_initial=0.2
    )
    product = DEFAULT_CATALOG[gas]
    first_scan = scans_overlapping(HOUR, HOUR + timedelta(hours=1))[0]  # fetch() takes the first granule
    expected = render_geotiff(concept_id(gas), product.variable, (-100.0, 30.0, -98.0, 32.0), first_scan)
    assert outcome.sha256 == hashlib.sha256(expected).hexdigest()
    assert outcome.size_bytes == len(expected)


def test_pm_unverified_collection_fails_on_its_own(harmony_client, tmp_path):
    with pytest.raises(HarmonyError, match="C2930763266-LARC_CLOUD") as info:
        harmony_client.submit(request("PM"))
    assert info.value.status == 404


def test_night_hour_is_no_data_not_an_error(harmony_client):
    assert harmony_client.submit(request(hour=HOUR.replace(hour=4))) == NoData("No matching granules found.")


def test_no_data_on_demand(harmony_client, fresh_emulator):
    set_faults(fresh_emulator, {"fault": "no_data", "times": 1})
    assert isinstance(harmony_client.submit(request()), NoData)


def test_job_links_follow_every_page(harmony_client):
    ref = harmony_client.submit(
        RangesetRequest(
            concept_id("NO2"),
            (DEFAULT_CATALOG["NO2"].variable,),
            SMALL,
            HOUR,
            HOUR + timedelta(hours=3),
        )
    )
    assert isinstance(ref, JobRef)
    job = harmony_client.wait_for_job(ref.job_id, poll_initial=0.2)
    import aeris_lib.harmony.jobs as module

    original = module.JOB_PAGE_LIMIT
    module.JOB_PAGE_LIMIT = 1
    try:
        paged = harmony_client.get_job(ref.job_id)
    finally:
        module.JOB_PAGE_LIMIT = original
    scans = scans_overlapping(HOUR, HOUR + timedelta(hours=3))  # one output per granule, as Harmony does
    assert len(scans) >= 3
    assert len(job.data_links) == len(paged.data_links) == len(scans)
    assert [link.temporal["start"][:19] for link in paged.data_links] == [
        f"{scan.start:%Y-%m-%dT%H:%M:%S}" for scan in scans
    ]


@pytest.mark.parametrize("fault", ["429", "503", "reset"])
def test_transient_failures_are_retried_to_success(harmony_client, fresh_emulator, tmp_path, fault):
    """Two failed answers, then success; a 429/503 says Retry-After: 1, which the client waits out
    (its own backoff here is only 0.1 s, then 0.2 s: a client ignoring Retry-After is done in 0.3 s)."""
    set_faults(fresh_emulator, {"fault": fault, "times": 2})
    started = time.monotonic()
    ref = harmony_client.submit(request(force_async=True))
    waited = time.monotonic() - started
    counts = stats(fresh_emulator)
    assert counts["transient_faults"] == 2 and counts["rangeset_requests"] == 1
    if fault != "reset":
        assert waited >= 2.0, waited
    assert waited < 10
    assert harmony_client.wait_for_job(ref.job_id, poll_initial=0.2).data_links


@pytest.mark.parametrize(("fault", "status"), [("job_failed", "failed"), ("job_canceled", "canceled")])
def test_failed_and_canceled_jobs_raise_typed_errors(harmony_client, fresh_emulator, fault, status):
    set_faults(fresh_emulator, {"fault": fault})
    ref = harmony_client.submit(request(force_async=True))
    with pytest.raises(HarmonyJobFailed) as info:
        harmony_client.wait_for_job(ref.job_id, poll_initial=0.2)
    assert info.value.job_status == status and info.value.job_id == ref.job_id


def test_paused_job_errors_unless_resumed(harmony_client, fresh_emulator):
    set_faults(fresh_emulator, {"fault": "paused", "times": 2})
    ref = harmony_client.submit(request(force_async=True))
    with pytest.raises(HarmonyJobFailed, match="paused"):
        harmony_client.wait_for_job(ref.job_id, poll_initial=0.2)
    ref = harmony_client.submit(request(force_async=True))
    assert harmony_client.wait_for_job(ref.job_id, poll_initial=0.2, resume_paused=True).data_links


def test_expired_token_is_refreshed_exactly_once(harmony_client, fresh_emulator, tmp_path):
    harmony_client.tokens.get()
    set_faults(fresh_emulator, {"fault": "expired_token", "times": 1})
    assert harmony_client.fetch(request(), tmp_path / "x.tif").size_bytes > 0
    assert harmony_client.tokens.refresh_count == 1
    assert stats(fresh_emulator)["tokens_issued"] == 2


def test_bearer_token_without_credentials_gives_a_clear_error(fresh_emulator):
    tokens = TokenProvider(fresh_emulator.base_url, bearer_token="eyJexpired")
    with pytest.raises(EarthdataLoginError, match="BEARER_TOKEN"):
        HarmonyClient(fresh_emulator.base_url, tokens).submit(request())


@pytest.mark.parametrize("fault", ["truncated", "corrupt"])
def test_bad_downloads(harmony_client, fresh_emulator, tmp_path, fault):
    set_faults(fresh_emulator, {"fault": fault, "times": 1})
    dest = tmp_path / "x.tif"
    if fault == "truncated":
        with pytest.raises(DownloadError, match=r"truncated|broke"):
            harmony_client.fetch(request(), dest)
        assert not dest.exists()
    else:
        from aeris_lib.raster import RasterError, inspect

        harmony_client.fetch(request(), dest)
        with pytest.raises(RasterError, match="not a readable GeoTIFF"):
            inspect(str(dest))


def test_authorization_never_reaches_the_files_host_and_nothing_secret_is_logged(
    harmony_client, fresh_emulator, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    harmony_client.fetch(request(), tmp_path / "x.tif")
    harmony_client.fetch(request(force_async=True), tmp_path / "y.tif", poll_initial=0.2)
    assert stats(fresh_emulator)["auth_header_on_files_host"] == 0
    token = harmony_client.tokens.get()
    for record in caplog.records:
        text = record.getMessage()
        assert token not in text and "aeris-emulator-password" not in text and "X-Amz-Signature" not in text


def test_native_granules_come_from_the_trusted_daac_with_the_token_and_never_reach_s3_with_it(
    harmony_client, fresh_emulator, tmp_path
):
    links = native_job_links(harmony_client, fresh_emulator)
    assert links and all(
        link.startswith(fresh_emulator.daac_url + "/asdc-prod-protected/TEMPO/") for link in links
    )
    trusted = trusting_the_daac(harmony_client, fresh_emulator)
    download = trusted.download(links[0], tmp_path / "granule.nc")
    with open(download.path, "rb") as head:
        assert head.read(8) == b"\x89HDF\r\n\x1a\n"
    assert download.size_bytes > 1_000_000  # the whole field of regard, not a subset
    counts = stats(fresh_emulator)
    assert counts["daac_downloads"] == 1 and counts["auth_header_on_files_host"] == 0


def test_untrusted_data_host_gets_no_token_and_the_error_says_what_to_configure(
    harmony_client, fresh_emulator, tmp_path
):
    links = native_job_links(harmony_client, fresh_emulator)
    with pytest.raises(DownloadError, match="AERIS_EARTHDATA_DATA_ORIGINS") as error:
        harmony_client.download(links[0], tmp_path / "granule.nc")  # no data origins configured
    assert "Earthdata Login page" in str(error.value)
    assert stats(fresh_emulator)["auth_header_on_daac"] == 0
    assert not (tmp_path / "granule.nc").exists()


def test_the_daac_behaves_like_asdcs_thin_egress_app(harmony_client, fresh_emulator):
    """303 to a pre-signed URL with the token, 302 to Earthdata Login without; the pre-signed URL
    honours one byte range (206 + Content-Range), answers 416 past the end, and HEAD."""
    import requests

    link = native_job_links(harmony_client, fresh_emulator)[0]
    plain = requests.Session()
    anonymous = plain.get(link, allow_redirects=False)
    assert anonymous.status_code == 302 and "/oauth/authorize?" in anonymous.headers["Location"]
    with_token = plain.get(
        link, allow_redirects=False, headers={"Authorization": f"Bearer {harmony_client.tokens.get()}"}
    )
    assert with_token.status_code == 303
    signed = with_token.headers["Location"]
    assert signed.startswith(fresh_emulator.files_url) and "X-Amz-Signature=" in signed
    head = plain.head(signed)
    size = int(head.headers["Content-Length"])
    assert head.status_code == 200 and head.headers["Accept-Ranges"] == "bytes" and size > 1_000_000
    first = plain.get(signed, headers={"Range": "bytes=0-7"})
    assert (first.status_code, first.content) == (206, b"\x89HDF\r\n\x1a\n")
    assert first.headers["Content-Range"] == f"bytes 0-7/{size}"
    last = plain.get(signed, headers={"Range": "bytes=-10"})
    assert last.status_code == 206 and len(last.content) == 10
    assert last.headers["Content-Range"] == f"bytes {size - 10}-{size - 1}/{size}"
    beyond = plain.get(signed, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{size}"
    counts = stats(fresh_emulator)
    assert counts["range_requests"] == 3 and counts["bytes_served"] == 18  # two 206s and the 416


def test_a_whole_download_of_another_size_than_cmr_lists_fails_and_leaves_no_file(
    harmony_client, fresh_emulator, tmp_path
):
    link = native_job_links(harmony_client, fresh_emulator)[0]
    trusted = trusting_the_daac(harmony_client, fresh_emulator)
    size = trusted.download(link, tmp_path / "whole.nc").size_bytes
    assert trusted.download(link, tmp_path / "same.nc", expected_bytes=size).size_bytes == size
    with pytest.raises(DownloadError, match=f"but CMR lists the granule at {size + 1:,} bytes"):
        trusted.download(link, tmp_path / "other.nc", expected_bytes=size + 1)
    assert not (tmp_path / "other.nc").exists()
