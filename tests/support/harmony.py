"""A Harmony request for the protocol tests, and the hour they ask for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aeris_lib.gases import DEFAULT_CATALOG
from aeris_lib.harmony import RangesetRequest
from aeris_lib.harmony.request import BBox
from tests.support.catalog_ids import concept_id

HOUR = datetime(2024, 9, 1, 15, tzinfo=UTC)
SMALL = BBox(-100.0, 30.0, -98.0, 32.0)


def request(gas: str = "NO2", hour: datetime = HOUR, **kwargs) -> RangesetRequest:
    product = DEFAULT_CATALOG[gas]
    return RangesetRequest(
        concept_id(gas), (product.variable,), SMALL, hour, hour + timedelta(hours=1), **kwargs
    )


def native_job_links(harmony_client, fresh_emulator) -> list[str]:
    """The data links of a native-granule job (the emulator offering no service, as for TEMPO L3)."""
    fresh_emulator.state.set_capabilities({"mode": "native"})
    native = RangesetRequest(
        "C2930763263-LARC_CLOUD",
        ("all",),
        SMALL,
        HOUR,
        HOUR + timedelta(hours=1),
        format=None,
        force_async=True,
    )
    outcome = harmony_client.submit(native)
    job = harmony_client.wait_for_job(outcome.job_id, poll_initial=0.2)
    assert "may extend outside the spatial and temporal bounds" in job.message
    return [link.href for link in job.data_links]


def trusting_the_daac(harmony_client, fresh_emulator):
    """`harmony_client` with the emulator's DAAC among its data origins (the token may go there)."""
    from aeris_lib.harmony import HarmonyClient

    return HarmonyClient(fresh_emulator.base_url, harmony_client.tokens, session=harmony_client.session,
                         data_origins=[fresh_emulator.daac_url], private_origins=[fresh_emulator.files_url])  # fmt: skip
