"""StagingHook: where a gas-hour's staged raster and audit objects live: the S3 audit bucket (through
S3Hook and connection `aeris_s3`), or a local directory when no object storage is configured
(single-machine only: a Celery worker on another host cannot read it)."""

from __future__ import annotations

import functools
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aeris.config.connections import S3_CONN_ID, audit_bucket
from airflow.sdk import BaseHook

from aeris_lib import config


@dataclass(frozen=True)
class StagedObject:
    store: str  # "s3" or "local"
    bucket: str
    key: str

    @classmethod
    def from_xcom(cls, staged: dict) -> StagedObject:
        """The object described by stage_geotiff's return value."""
        return cls(staged["store"], staged["bucket"], staged["key"])

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}" if self.store == "s3" else str(Path(self.bucket) / self.key)


def audit_key(gas: str, hour: datetime, suffix: str = ".tif") -> str:
    """Where the hour's audit COG lives; its PNG map (`.png`) and STAC item (`.json`) sit beside it."""
    return f"audit/geotiff/{hour:%Y-%m-%d}/{gas}_{hour:%H}{suffix}"


def staged_key(gas: str, hour: datetime, sha256: str) -> str:
    """Where a gas-hour's merged raster waits for its load; the load makes the audit COG (`audit_key`)
    of it only once its slice is published."""
    return f"staging/geotiff/{hour:%Y-%m-%d}/{gas}_{hour:%H}_{sha256[:12]}.tif"


def staging_mode() -> str:
    """AERIS_STAGING: "s3" (the audit bucket) or "local" (AERIS_STAGING_DIR)."""
    return config.Storage.from_env().staging


def _local_root() -> Path:
    return config.Storage.from_env().staging_dir


def _inside(root: Path, key: str) -> Path:
    """`root / key`, or `ValueError` when the key resolves outside `root` (`../`, an absolute path, a
    symlink out): the local store writes and deletes nowhere else."""
    path = (root / key).resolve()
    if not path.is_relative_to(root.resolve()):
        raise ValueError(f"refusing staging key {key[:120]!r}: it resolves outside {root}")
    return path


def location() -> str:
    """Where staged objects live, for logs: s3://bucket or the local directory."""
    return str(_local_root()) if staging_mode() == "local" else f"s3://{audit_bucket()}"


class StagingHook(BaseHook):
    """The staging store and audit archive: put, fetch, check, list and delete objects by key."""

    conn_name_attr = "aws_conn_id"
    default_conn_name = S3_CONN_ID
    conn_type = "aws"
    hook_name = "AERIS staging store"

    def __init__(self, aws_conn_id: str = S3_CONN_ID) -> None:
        super().__init__()
        self.aws_conn_id = aws_conn_id

    @functools.cached_property
    def s3(self):
        """One S3Hook (and boto3 client) per hook: a task that fetches and puts several objects resolves
        the connection and builds the client once (~0.3 s and a log line each time otherwise)."""
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        return S3Hook(aws_conn_id=self.aws_conn_id)

    def put(self, path: Path, key: str) -> StagedObject:
        """Store `path` under `key` (replacing an earlier copy: a rerun writes the same key)."""
        if staging_mode() == "local":
            root = _local_root()
            target = _inside(root, key)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(target.suffix + ".partial")
            shutil.copyfile(path, partial)
            partial.replace(target)  # atomic: a reader never sees half a file
            return StagedObject("local", str(root), key)
        bucket = audit_bucket()
        self.s3.load_file(str(path), key=key, bucket_name=bucket, replace=True)
        return StagedObject("s3", bucket, key)

    def fetch(self, staged: StagedObject, directory: Path) -> Path:
        """Copy a staged object into `directory` and return its local path."""
        if staged.store == "local":
            source = _inside(_local_root(), staged.key)
            if not source.is_file():
                raise FileNotFoundError(
                    f"staged file {source} is missing: local staging works on one machine only "
                    "(set AERIS_STAGING=s3 for a multi-worker deployment)"
                )
            return Path(shutil.copy(source, directory / source.name))
        return Path(
            self.s3.download_file(
                key=staged.key, bucket_name=staged.bucket, local_path=str(directory), preserve_file_name=True
            )
        )

    def exists(self, key: str) -> bool:
        """Whether the staged object `key` exists (one HEAD request, nothing downloaded)."""
        if staging_mode() == "local":
            return _inside(_local_root(), key).is_file()
        return bool(self.s3.check_for_key(key, bucket_name=audit_bucket()))

    def read_bytes(self, key: str) -> bytes | None:
        """The staged object's bytes, or None when there is none (the AERIS view and its links)."""
        if staging_mode() == "local":
            path = _inside(_local_root(), key)
            return path.read_bytes() if path.is_file() else None
        from botocore.exceptions import ClientError

        try:
            return self.s3.get_conn().get_object(Bucket=audit_bucket(), Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    def list_objects(self, prefix: str) -> list[tuple[str, int, datetime]]:
        """(key, size, time written) of every staged object whose key starts with `prefix` (e.g. "audit/")."""
        if staging_mode() == "local":
            root = _local_root()
            return sorted(
                (path.relative_to(root).as_posix(), stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))
                for path in _inside(root, prefix).rglob("*")
                if path.is_file() and not path.name.endswith(".partial")
                for stat in (path.stat(),)
            )
        return [
            (item["Key"], item["Size"], item["LastModified"])
            for item in self.s3.get_file_metadata(prefix=prefix, bucket_name=audit_bucket())
        ]

    def delete(self, keys: list[str]) -> None:
        """Delete staged objects by key (missing ones are not an error: a rerun deletes nothing more)."""
        if not keys:
            return
        if staging_mode() == "local":
            root = _local_root()
            for path in [_inside(root, key) for key in keys]:  # all checked before any is deleted
                path.unlink(missing_ok=True)
            return
        self.s3.delete_objects(bucket=audit_bucket(), keys=keys)  # batches of 1,000 inside


@functools.cache
def store() -> StagingHook:
    """The process's StagingHook (one S3 client per task process)."""
    return StagingHook()
