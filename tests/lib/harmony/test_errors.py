"""aeris_lib.harmony.errors: typed failures that say what went wrong, in Harmony's own words."""

from __future__ import annotations

import pytest

from aeris_lib.harmony import errors

pytestmark = pytest.mark.unit  # no service: `make unit` runs it


def test_every_failure_is_a_harmony_error_with_its_status():
    for kind in (errors.HarmonyUnreachable, errors.UnsafeUrl, errors.HarmonyBadAnswer, errors.HarmonyAuthError,
                 errors.EarthdataLoginError, errors.DownloadError):  # fmt: skip
        error = kind("what happened", status=502, code="x")
        assert isinstance(error, errors.HarmonyError) and error.status == 502 and error.code == "x"


def test_a_failed_job_names_the_job_its_status_and_harmonys_message():
    error = errors.HarmonyJobFailed("j-1", "Variable product/x not found", status="canceled")
    assert str(error) == "Harmony job j-1 canceled: Variable product/x not found"
    assert (error.job_id, error.job_status, error.job_message) == (
        "j-1",
        "canceled",
        "Variable product/x not found",
    )


def test_an_invalid_request_lists_every_problem():
    error = errors.RequestValidationError(["bbox west > east", "no variable"])
    assert isinstance(error, ValueError) and error.problems == ["bbox west > east", "no variable"]
    assert str(error) == "invalid Harmony request: bbox west > east; no variable"
