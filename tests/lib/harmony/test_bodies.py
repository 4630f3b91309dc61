"""aeris_lib.harmony.bodies and the download path: a body is read as sent, within its bounds, and a
compressed, endless or late one leaves no file."""

from __future__ import annotations

import pytest

from aeris_lib.harmony import HarmonyClient
from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.harmony.errors import DownloadError
from aeris_lib.harmony.http import build_session
from tests.support.hostile_daac import HostileDaac

pytestmark = pytest.mark.unit
DATA = bytes(range(256)) * 64


@pytest.fixture
def daac():
    with HostileDaac(DATA) as server:
        yield server


def _client(daac: HostileDaac, **kwargs) -> HarmonyClient:
    return HarmonyClient("http://127.0.0.1:9", TokenProvider("http://127.0.0.1:9", bearer_token="eyJx.eyJy.sig"),
                         session=build_session(retries=0), data_origins=[daac.daac_url],
                         private_origins=[daac.s3_url], **kwargs)  # fmt: skip


def _get(daac: HostileDaac, client: HarmonyClient, tmp_path):
    """A whole download whose S3 answer is `mode` (the hostile S3 applies its script to ranged GETs)."""
    response, _ = client.follow(daac.link, {"Range": f"bytes=0-{len(DATA) - 1}"})
    daac.script.clear()
    from aeris_lib.harmony.client import save_response

    return save_response(response, tmp_path / "g.nc", client.max_download_bytes, deadline_s=client.deadline_s)


def test_a_gzip_body_is_refused_not_inflated(daac, tmp_path):
    daac.then("gzip")
    with pytest.raises(DownloadError, match="Content-Encoding 'gzip'"):
        _get(daac, _client(daac), tmp_path)
    assert not (tmp_path / "g.nc").exists()


def test_an_endless_body_stops_at_the_byte_cap(daac, tmp_path):
    daac.then("endless")
    with pytest.raises(DownloadError, match="larger than AERIS_MAX_DOWNLOAD_BYTES"):
        _get(daac, _client(daac, max_download_bytes=len(DATA) * 3), tmp_path)
    assert not (tmp_path / "g.nc").exists()


def test_a_trickling_body_stops_at_the_deadline(daac, tmp_path):
    daac.then("trickle")
    with pytest.raises(DownloadError, match="deadline"):
        _get(daac, _client(daac, deadline_s=1.0), tmp_path)
    assert not (tmp_path / "g.nc").exists()


def test_an_honest_body_is_saved_whole(daac, tmp_path):
    download = _get(daac, _client(daac), tmp_path)
    assert (tmp_path / "g.nc").read_bytes() == DATA and download.size_bytes == len(DATA)
