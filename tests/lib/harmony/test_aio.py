"""aeris_lib.harmony.aio: the triggerer's Harmony client: a job waited for without blocking, transient
answers polled through, the token only for Harmony. Over real HTTP against the test's own emulator."""

from __future__ import annotations

import asyncio

import pytest

from aeris_lib.harmony.aio import AsyncHarmonyClient
from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.harmony.errors import HarmonyError, HarmonyJobFailed
from harmony_emulator.state import EMULATOR_PASSWORD, EMULATOR_USER
from tests.support.emulator import set_faults, stats
from tests.support.harmony import request

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def wait(fresh_emulator, job_id: str, **kwargs):
    tokens = TokenProvider(fresh_emulator.base_url, username=EMULATOR_USER, password=EMULATOR_PASSWORD)

    async def go():
        async with AsyncHarmonyClient(fresh_emulator.base_url, tokens) as client:
            return await client.wait_for_job(job_id, timeout=30, poll_initial=0.1, poll_max=0.3, **kwargs)

    return asyncio.run(go())


def test_a_job_is_waited_for_through_transient_answers(harmony_client, fresh_emulator):
    job_id = harmony_client.submit(request(force_async=True)).job_id
    set_faults(fresh_emulator, {"fault": "503", "times": 2})
    done = wait(fresh_emulator, job_id)
    assert done.job.job_id == job_id and done.job.status.has_results and done.job.data_links
    assert stats(fresh_emulator)["transient_faults"] == 2


def test_a_failed_job_raises_with_harmonys_message(harmony_client, fresh_emulator):
    set_faults(fresh_emulator, {"fault": "job_failed"})
    job_id = harmony_client.submit(request(force_async=True)).job_id
    with pytest.raises(HarmonyJobFailed, match=f"Harmony job {job_id} failed"):
        wait(fresh_emulator, job_id)


def test_a_paused_job_is_resumed_only_when_asked(harmony_client, fresh_emulator):
    set_faults(fresh_emulator, {"fault": "paused", "times": 1})
    job_id = harmony_client.submit(request(force_async=True)).job_id
    assert wait(fresh_emulator, job_id, resume_paused=True).job.status.has_results


def test_it_is_used_inside_async_with_and_sends_the_token_to_harmony_only(fresh_emulator):
    tokens = TokenProvider(fresh_emulator.base_url, bearer_token="t")
    client = AsyncHarmonyClient(fresh_emulator.base_url, tokens)
    with pytest.raises(RuntimeError, match="outside `async with`"):
        asyncio.run(client.get_job("0b0e5b9c-4b3c-4c5f-9b3a-2c1d7f4e0a11"))

    async def elsewhere():
        async with AsyncHarmonyClient(fresh_emulator.base_url, tokens) as inside:
            await inside._send("GET", "https://evil.example/jobs/1")

    with pytest.raises(HarmonyError, match=r"refusing to send the Earthdata token to https://evil\.example"):
        asyncio.run(elsewhere())
