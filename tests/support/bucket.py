"""The audit bucket the stack (or the test worker) writes to, with a client for it."""

from __future__ import annotations

import os

import boto3


def audit_bucket():
    """(S3 client, bucket name) of the environment's audit bucket (AERIS_S3_ENDPOINT_URL, AERIS_S3_BUCKET)."""
    client = boto3.client("s3", endpoint_url=os.environ.get("AERIS_S3_ENDPOINT_URL") or None)
    return client, os.environ["AERIS_S3_BUCKET"]
