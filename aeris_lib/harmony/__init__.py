"""A headless NASA Harmony (OGC API Coverages) client with Earthdata Login tokens."""

from aeris_lib.harmony.client import HarmonyClient
from aeris_lib.harmony.errors import (
    DownloadError,
    EarthdataLoginError,
    HarmonyError,
    HarmonyJobFailed,
    RequestValidationError,
)
from aeris_lib.harmony.models import DataLink, Download, Job, JobRef, JobStatus, NoData
from aeris_lib.harmony.request import RangesetRequest

__all__ = [
    "DataLink",
    "Download",
    "DownloadError",
    "EarthdataLoginError",
    "HarmonyClient",
    "HarmonyError",
    "HarmonyJobFailed",
    "Job",
    "JobRef",
    "JobStatus",
    "NoData",
    "RangesetRequest",
    "RequestValidationError",
]
