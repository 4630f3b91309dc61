"""What reaches the ledger (and so the AERIS view and alerts) from a failed try carries no secret:
signed URLs' queries cut, bearer tokens and JWTs masked, every secret Airflow's masker knows replaced."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from aeris.tasks import breaker
from airflow.sdk.exceptions import AirflowException
from airflow.sdk.log import mask_secret

from aeris_lib.db import ledger
from tests.support.db import ledger as ledger_rows

HOUR = datetime(2024, 9, 3, 15, tzinfo=UTC)
SECRET = "edl-password-7f3a91"


def test_a_failed_tries_ledger_row_is_masked(conn):
    mask_secret(SECRET)
    error = AirflowException(
        "download failed: Max retries exceeded with url: /granule.nc?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA"
        f" (login {SECRET}; Authorization: Bearer eyJhbGciOiJ.eyJzdWIiOiJ.c2lnbmF0dXJl)"
    )
    with conn.cursor() as cur:
        cur.execute("DELETE FROM ingest_log WHERE gas_type = 'CH2O' AND obs_time = %s", (HOUR,))
    conn.commit()
    context = {
        "task": SimpleNamespace(task_id="gas.stage_geotiff"),
        "exception": error,
        "gas": "CH2O",
        "gas_hour": HOUR.isoformat(),
        "aeris_product": ledger.Product("standard", "TEMPO_HCHO_L3", "V04"),
    }
    breaker.record_gas_retry(context)
    [(status, *_, reason)] = ledger_rows(conn, "CH2O", HOUR)
    assert status == "failed" and "download failed" in reason and "/granule.nc?…" in reason
    for secret in ("deadbeef", "AKIA", SECRET, "eyJhbGciOiJ"):
        assert secret not in reason, secret


def test_the_ledger_itself_cuts_signed_urls_and_tokens(conn):
    reason = "GET https://s3.example/f.nc?X-Amz-Signature=abc failed; Bearer abcdefghijklmnop"
    ledger.record_outcome(conn, "O3", HOUR, ledger.HARMONY_FAILED, reason)
    stored = ledger_rows(conn, "O3", HOUR)[-1][-1]
    assert stored == "GET https://s3.example/f.nc?… failed; Bearer ***"
