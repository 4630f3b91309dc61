"""aeris_lib.harmony.models: Harmony's job documents as typed values, refusing what is not one."""

from __future__ import annotations

import pytest

from aeris_lib.harmony.models import Job, JobStatus, Link

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

DOCUMENT = {
    "jobID": "0b0e5b9c-4b3c-4c5f-9b3a-2c1d7f4e0a11", "status": "complete_with_errors", "progress": 100,
    "message": "The job has completed with errors.", "numInputGranules": 2, "createdAt": "2024-09-01T16:00:00Z",
    "links": [
        {"href": "https://h/jobs/0b0e", "rel": "self", "type": "application/json"},
        {"href": "https://s3/a.nc", "rel": "data", "title": "a.nc", "bbox": [-125, 24, -66, 50],
         "temporal": {"start": "2024-09-01T15:00:00Z", "end": "2024-09-01T15:40:00Z"}},
        {"href": "https://s3/b.nc", "rel": "data"},
    ],
    "errors": [{"url": "g1", "message": "e1"}, {"url": "g2", "message": "e2"}, {"url": "g3", "message": "e3"},
               {"url": "g4", "message": "e4"}],
}  # fmt: skip


def test_a_job_document_is_read_whole():
    job = Job.from_json(DOCUMENT)
    assert job.status is JobStatus.COMPLETE_WITH_ERRORS and job.status.is_terminal and job.status.has_results
    assert [link.href for link in job.data_links] == ["https://s3/a.nc", "https://s3/b.nc"]
    assert job.link("self") == Link("https://h/jobs/0b0e", "self", type="application/json")
    assert job.data_links[0].bbox == (-125, 24, -66, 50) and job.num_input_granules == 2
    assert job.error_summary() == "The job has completed with errors.: e1; e2; e3 (+1 more)"


@pytest.mark.parametrize(
    ("status", "terminal", "results"),
    [("running", False, False), ("paused", False, False), ("successful", True, True), ("failed", True, False),
     ("canceled", True, False)],
)  # fmt: skip
def test_statuses(status, terminal, results):
    assert (JobStatus(status).is_terminal, JobStatus(status).has_results) == (terminal, results)


@pytest.mark.parametrize(
    ("raw", "message"),
    [(["not", "a", "dict"], "not a Harmony job document"), ({"jobID": "x"}, "not a Harmony job document"),
     ({"jobID": "x", "status": "exploded"}, "unknown Harmony job status 'exploded'")],
)  # fmt: skip
def test_anything_else_is_refused_naming_why(raw, message):
    with pytest.raises(ValueError, match=message):
        Job.from_json(raw)
