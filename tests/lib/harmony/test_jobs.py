"""aeris_lib.harmony.jobs: the one decision the client, the sensor and the trigger share."""

from __future__ import annotations

import time

import pytest

from aeris_lib.harmony.errors import HarmonyBadAnswer, HarmonyError, HarmonyJobFailed
from aeris_lib.harmony.jobs import (
    MAX_JOB_PAGES,
    Act,
    Done,
    Failed,
    JobPages,
    PollSchedule,
    Wait,
    next_step,
)
from aeris_lib.harmony.models import Job

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def job(status: str, *, links: int = 0, errors: tuple[str, ...] = (), message: str = "msg") -> Job:
    return Job.from_json(
        {
            "jobID": "j-1",
            "status": status,
            "progress": 40,
            "message": message,
            "links": [{"href": f"https://out.example/{i}.tif", "rel": "data"} for i in range(links)]
            + [{"href": "https://h.example/jobs/j-1", "rel": "self"}],
            "errors": [{"url": "g", "message": e} for e in errors],
        }
    )


@pytest.mark.parametrize("status", ["accepted", "running", "running_with_errors"])
def test_running_jobs_wait(status):
    assert next_step(job(status)) == Wait()


def test_a_successful_job_is_done_with_its_data_links_in_order():
    step = next_step(job("successful", links=3))
    assert isinstance(step, Done)
    assert step.links == (
        "https://out.example/0.tif",
        "https://out.example/1.tif",
        "https://out.example/2.tif",
    )


def test_complete_with_errors_is_done_when_it_has_data():
    assert isinstance(next_step(job("complete_with_errors", links=1, errors=("granule 2 failed",))), Done)


@pytest.mark.parametrize("status", ["successful", "complete_with_errors"])
def test_a_finished_job_without_data_failed(status):
    assert next_step(job(status)) == Failed(status, f"{status} but produced no data links")


def test_failed_and_canceled_carry_harmonys_words():
    assert next_step(job("failed", errors=("Variable x not found",), message="m")) == Failed(
        "failed", "m: Variable x not found"
    )
    assert next_step(job("canceled", message="Canceled by user.")) == Failed("canceled", "Canceled by user.")


def test_preview_and_pause_are_acted_on_only_when_allowed():
    assert next_step(job("previewing")) == Act("skip-preview")
    assert next_step(job("previewing"), skip_preview=False).job_status == "previewing"
    assert next_step(job("paused")).job_status == "paused"
    assert next_step(job("paused"), resume_paused=True) == Act("resume")


def test_failed_becomes_a_typed_error():
    error = Failed("canceled", "by user").error("j-1")
    assert isinstance(error, HarmonyJobFailed)
    assert (error.job_id, error.job_status, str(error)) == (
        "j-1",
        "canceled",
        "Harmony job j-1 canceled: by user",
    )


def test_poll_intervals_double_to_the_maximum_then_time_out():
    schedule = PollSchedule(initial=0.01, maximum=0.04, timeout=0.2)
    assert [schedule.next_wait("j") for _ in range(4)] == [0.01, 0.02, 0.04, 0.04]
    time.sleep(0.2)
    with pytest.raises(HarmonyJobFailed, match=r"not finished after 0 s \(60%\)") as error:
        schedule.next_wait("j", "60%")
    assert error.value.job_status == "timeout"


def _page(next_href: str | None, data: str) -> dict:
    links = [{"href": data, "rel": "data"}, {"href": "/jobs/j-1", "rel": "self"}]
    if next_href:
        links.append({"href": next_href, "rel": "next"})
    return {"jobID": "j-1", "status": "successful", "progress": 100, "message": "", "links": links}


def test_pages_merge_their_data_links_and_follow_next_relative_to_the_page():
    pages = JobPages("j-1")
    pages.visit("https://h/jobs/j-1?page=1")
    following = pages.add("https://h/jobs/j-1?page=1", _page("/jobs/j-1?page=2", "a"))
    assert following == "https://h/jobs/j-1?page=2"
    pages.visit(following)
    assert pages.add(following, _page(None, "b")) is None
    assert [link.href for link in pages.job().data_links] == ["a", "b"]
    assert not pages.job().link("next")


def test_pages_refuse_loops_caps_and_non_jobs():
    pages = JobPages("j-1")
    pages.visit("u1")
    with pytest.raises(HarmonyError, match="links back to an earlier page"):
        pages.visit("u1")
    many = JobPages("j-1")
    for i in range(MAX_JOB_PAGES):
        many.visit(f"u{i}")
    with pytest.raises(HarmonyError, match=f"more than {MAX_JOB_PAGES} pages"):
        many.visit("one-more")
    with pytest.raises(HarmonyBadAnswer, match="not a Harmony job document"):
        JobPages("j-1").add("u", {"hello": 1})
