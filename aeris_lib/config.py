"""Every setting AERIS takes from the environment, read and checked here and nowhere else.

One frozen dataclass per concern, each built by `from_env()` from `os.environ` (or any mapping, which is
how `scripts/stack_env.py` checks `.env` before exporting it). Values are read when asked for, not at
import, so a task sees the environment it runs in. A malformed value raises `SettingError` naming the
variable. Standard library only: `scripts/stack_env.py` imports this before the virtualenv exists.
The Harmony emulator keeps its own settings: it stands in for NASA and shares no code with the product.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from aeris_lib import breaker, defaults

Env = Mapping[str, str]

# Where TEMPO's native granules are served (ASDC's protected distribution, behind Earthdata Login).
ASDC_DATA_ORIGIN = "https://data.asdc.earthdata.nasa.gov"
GAS_NAMES = defaults.GAS_NAMES
BBOX_NAMES = ("TEMPO_BBOX_WEST", "TEMPO_BBOX_SOUTH", "TEMPO_BBOX_EAST", "TEMPO_BBOX_NORTH")
STAGING_MODES = ("s3", "local")


class SettingError(ValueError):
    """A setting is malformed; the message names its variable."""


def _env(env: Env | None) -> Env:
    return os.environ if env is None else env


def _text(env: Env, name: str, default: str = "") -> str:
    return (env.get(name) or "").strip() or default


def _number(env: Env, name: str, default: float, *, low: float, high: float = 1e12) -> float:
    raw = _text(env, name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingError(f"{name} must be between {low:g} and {high:g}, got {raw!r}")
    return value


def _whole(env: Env, name: str, default: int | None, *, low: int = 1) -> int | None:
    raw = _text(env, name)
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < low:
        raise SettingError(f"{name} must be a whole number of at least {low}, got {raw!r}")
    return int(raw)


def _flag(env: Env, name: str, default: bool) -> bool:
    raw = _text(env, name).lower()
    if not raw:
        return default
    if raw not in ("1", "true", "yes", "0", "false", "no"):
        raise SettingError(f"{name} must be true or false, got {raw!r}")
    return raw in ("1", "true", "yes")


def _items(env: Env, name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in _text(env, name).split(",") if item.strip())


def url(env: Env, name: str, schemes: tuple[str, ...], default: str = "") -> str:
    """The URL in `name` (or `default`), checked to have one of `schemes`, a host and a valid port."""
    value = _text(env, name, default)
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        raise SettingError(f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)}")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise SettingError(f"{name} has a malformed port") from None
    return value


@dataclass(frozen=True)
class Region:
    """What an hourly run asks for when its Params do not say: AERIS_GASES, TEMPO_BBOX_*."""

    gases: tuple[str, ...] = GAS_NAMES
    bbox: tuple[float, float, float, float] = defaults.CONUS
    # AERIS_MAX_CELLS: block-mean cap per gas-hour; None = native grid. Any whole number passes here: the
    # loader refuses a cap below 1 itself, and the run records that as the gas-hour's failure.
    max_cells: int | None = None

    @classmethod
    def from_env(cls, env: Env | None = None) -> Region:
        env = _env(env)
        gases = tuple(g.upper() for g in _items(env, "AERIS_GASES"))
        unknown = [g for g in gases if g not in GAS_NAMES]
        if unknown:
            raise SettingError(f"AERIS_GASES: unknown gas(es) {unknown}; choose from {list(GAS_NAMES)}")
        return cls(gases or GAS_NAMES, _bbox(env), _whole(env, "AERIS_MAX_CELLS", None, low=0))


def _bbox(env: Env) -> tuple[float, float, float, float]:
    """All four TEMPO_BBOX_* when set (three of four is no box: the default), else CONUS."""
    if not all(_text(env, n) for n in BBOX_NAMES):
        return defaults.CONUS
    try:
        west, south, east, north = (float(_text(env, n)) for n in BBOX_NAMES)
    except ValueError:
        raise SettingError(f"{'/'.join(BBOX_NAMES)} must be numbers") from None
    for name, value, limit in zip(BBOX_NAMES, (west, south, east, north), (180, 90, 180, 90), strict=True):
        if not -limit <= value <= limit:
            raise SettingError(f"{name} must be between {-limit} and {limit}, got {value:g}")
    if south > north:
        raise SettingError(f"TEMPO_BBOX_SOUTH ({south:g}) must not exceed TEMPO_BBOX_NORTH ({north:g})")
    return west, south, east, north


@dataclass(frozen=True)
class Earthdata:
    """NASA's side: Earthdata Login credentials (fallbacks for the `harmony_default` connection), CMR,
    the hosts trusted with the token, and the limits on what Harmony may hand us."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    cmr_url: str = defaults.CMR_URL
    # The SQS queue CMR's near-real-time subscriptions send granule events to (scripts/cmr_subscriptions).
    events_queue_arn: str = ""
    data_origins: tuple[str, ...] = (ASDC_DATA_ORIGIN,)
    private_origins: tuple[str, ...] = ()
    max_download_bytes: int = 512 * 1024 * 1024
    download_deadline_s: float = 1800.0
    daac_pool_slots: int = 4
    capabilities_ttl_hours: float = 24.0
    collection_ttl_hours: float = 24.0

    @classmethod
    def from_env(cls, env: Env | None = None) -> Earthdata:
        env = _env(env)
        return cls(
            username=_text(env, "EARTHDATA_USERNAME") or None,
            password=_text(env, "EARTHDATA_PASSWORD") or None,
            token=_text(env, "BEARER_TOKEN") or None,
            cmr_url=url(env, "EARTHDATA_CMR_URL", ("http", "https"), defaults.CMR_URL).rstrip("/"),
            events_queue_arn=_text(env, "AERIS_EVENTS_QUEUE_ARN"),
            data_origins=_items(env, "AERIS_EARTHDATA_DATA_ORIGINS") or (ASDC_DATA_ORIGIN,),
            private_origins=_items(env, "AERIS_PRIVATE_ORIGINS"),
            max_download_bytes=_whole(env, "AERIS_MAX_DOWNLOAD_BYTES", cls.max_download_bytes) or 0,
            download_deadline_s=_number(
                env, "AERIS_DOWNLOAD_DEADLINE_SECONDS", cls.download_deadline_s, low=1, high=86400
            ),
            daac_pool_slots=_whole(env, "AERIS_DAAC_POOL_SLOTS", cls.daac_pool_slots) or 0,
            capabilities_ttl_hours=_number(
                env, "AERIS_HARMONY_CAPABILITIES_TTL_HOURS", cls.capabilities_ttl_hours, low=0
            ),
            collection_ttl_hours=_number(
                env, "AERIS_CMR_COLLECTION_TTL_HOURS", cls.collection_ttl_hours, low=0
            ),
        )


@dataclass(frozen=True)
class Publication:
    """How the hourly run waits for CMR to list an hour (aeris_lib.publication)."""

    poll_seconds: float = 300.0
    deadline_minutes: float = 180.0
    reprocess_newer_versions: bool = True
    # ASDC keeps NRT granules on a 14-day rolling window (reference: TEMPO data access); 0: no window.
    nrt_window_days: float = 14.0

    @classmethod
    def from_env(cls, env: Env | None = None) -> Publication:
        env = _env(env)
        return cls(
            poll_seconds=_number(
                env, "AERIS_PUBLICATION_POLL_SECONDS", cls.poll_seconds, low=0.001, high=1e7
            ),
            deadline_minutes=_number(
                env, "AERIS_PUBLICATION_DEADLINE_MINUTES", cls.deadline_minutes, low=0.001, high=1e7
            ),
            reprocess_newer_versions=_flag(
                env, "AERIS_REPROCESS_NEWER_VERSIONS", cls.reprocess_newer_versions
            ),
            nrt_window_days=_number(env, "AERIS_NRT_WINDOW_DAYS", cls.nrt_window_days, low=0, high=36500),
        )


@dataclass(frozen=True)
class Scheduling:
    """How Airflow runs the steps: retries, the breaker, Celery queues, the Harmony pool."""

    retry_delay_seconds: int = 120
    breaker_failures: int = breaker.DEFAULT_THRESHOLD
    stage_queue: str = ""
    load_queue: str = ""
    harmony_pool_slots: int = 3

    @classmethod
    def from_env(cls, env: Env | None = None) -> Scheduling:
        env = _env(env)
        return cls(
            retry_delay_seconds=_whole(env, "AERIS_RETRY_DELAY_SECONDS", cls.retry_delay_seconds) or 0,
            breaker_failures=_whole(env, "AERIS_CIRCUIT_BREAKER_FAILURES", cls.breaker_failures) or 0,
            stage_queue=_text(env, "AERIS_STAGE_QUEUE"),
            load_queue=_text(env, "AERIS_LOAD_QUEUE"),
            harmony_pool_slots=_whole(env, "AERIS_HARMONY_POOL_SLOTS", cls.harmony_pool_slots) or 0,
        )


@dataclass(frozen=True)
class Storage:
    """Where staged rasters and audit objects go, and the catalog file beside them."""

    staging: str = "s3"
    staging_dir: Path = Path(".aeris/staging")
    bucket: str = "aeris-audit"
    audit_public_url: str = ""  # AERIS_AUDIT_PUBLIC_URL: audit links point here instead of the view
    gas_catalog_file: Path | None = None

    @classmethod
    def from_env(cls, env: Env | None = None) -> Storage:
        env = _env(env)
        staging = _text(env, "AERIS_STAGING", cls.staging).lower()
        if staging not in STAGING_MODES:
            raise SettingError(f"AERIS_STAGING must be 's3' or 'local', got {staging!r}")
        catalog = _text(env, "AERIS_GAS_CATALOG_FILE")
        return cls(
            staging=staging,
            staging_dir=Path(_text(env, "AERIS_STAGING_DIR", str(cls.staging_dir))).resolve(),
            bucket=_text(env, "AERIS_S3_BUCKET", cls.bucket),
            audit_public_url=url(env, "AERIS_AUDIT_PUBLIC_URL", ("http", "https")).rstrip("/"),
            gas_catalog_file=Path(catalog) if catalog else None,
        )


@dataclass(frozen=True)
class Alerts:
    """E-mail alerts (aeris.notifications.alerts): off while AERIS_ALERT_EMAILS is empty."""

    emails: tuple[str, ...] = ()
    smtp_conn_id: str = "aeris_smtp"

    @classmethod
    def from_env(cls, env: Env | None = None) -> Alerts:
        env = _env(env)
        return cls(
            _items(env, "AERIS_ALERT_EMAILS"), _text(env, "AERIS_ALERT_SMTP_CONN_ID", cls.smtp_conn_id)
        )


@dataclass(frozen=True)
class Retention:
    """The retention DAG's defaults (its Params can override them per run)."""

    grid_hours: int = 168
    audit_days: int = 30
    ledger_days: int = 90

    @classmethod
    def from_env(cls, env: Env | None = None) -> Retention:
        env = _env(env)
        return cls(
            grid_hours=_whole(env, "AERIS_RETENTION_HOURS", cls.grid_hours) or 0,
            audit_days=_whole(env, "AERIS_AUDIT_RETENTION_DAYS", cls.audit_days) or 0,
            ledger_days=_whole(env, "AERIS_LEDGER_RETENTION_DAYS", cls.ledger_days) or 0,
        )


@dataclass(frozen=True)
class Databases:
    """Database logins for the command-line tools (schema, roles, benchmarks). Tasks never read these:
    they use the Airflow connections `aeris_postgres` and `aeris_view`."""

    aeris: str = field(default="", repr=False)
    view: str = field(default="", repr=False)
    waits: str = field(default="", repr=False)
    admin: str = field(default="", repr=False)
    airflow: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, env: Env | None = None) -> Databases:
        env = _env(env)
        schemes = ("postgresql", "postgres", "postgresql+psycopg")
        return cls(
            aeris=url(env, "AERIS_DATABASE_URL", schemes),
            view=url(env, "AERIS_VIEW_DATABASE_URL", schemes),
            waits=url(env, "AERIS_WAITS_DATABASE_URL", schemes),
            admin=url(env, "AERIS_ADMIN_DATABASE_URL", schemes),
            airflow=url(env, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", schemes),
        )

    def require(self, *names: str) -> None:
        """Fail naming every variable in `names` ("aeris", "view", "admin", "airflow") that is unset."""
        variables = {"aeris": "AERIS_DATABASE_URL", "view": "AERIS_VIEW_DATABASE_URL",
                     "waits": "AERIS_WAITS_DATABASE_URL",
                     "admin": "AERIS_ADMIN_DATABASE_URL", "airflow": "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"}  # fmt: skip
        missing = [variables[name] for name in names if not getattr(self, name)]
        if missing:
            raise SettingError(f"{', '.join(missing)} not set")


@dataclass(frozen=True)
class LocalStack:
    """The local services `scripts/stack.sh` runs when no service URL is given, and the emulator's mode."""

    data_dir: Path = Path(".aeris")
    ports: dict[str, int] = field(default_factory=dict)
    emulator_capabilities: str = "native"
    emulator_granule_sizes: str = "compact"
    # Days the emulator keeps NRT granules after their scan, as ASDC does (0: for ever; scripts/test.sh).
    emulator_nrt_window_days: float = 14.0

    PORTS = {
        "AERIS_PG_PORT": 55432, "AERIS_REDIS_PORT": 56379, "AERIS_S3_PORT": 59000,
        "AERIS_HARMONY_PORT": 58080, "AERIS_HARMONY_FILES_PORT": 58081, "AERIS_HARMONY_DAAC_PORT": 58082,
        "AIRFLOW_API_PORT": 8080,
    }  # fmt: skip
    CAPABILITIES = ("native", "netcdf", "hoss", "tiff")
    GRANULE_SIZES = ("compact", "real")

    @classmethod
    def from_env(cls, env: Env | None = None, root: Path | None = None) -> LocalStack:
        """`root` anchors a relative AERIS_DATA_DIR (the project directory)."""
        env = _env(env)
        ports = {name: _whole(env, name, default, low=1) or 0 for name, default in cls.PORTS.items()}
        for name, port in ports.items():
            if port > 65535:
                raise SettingError(f"{name} must be a TCP port number (1-65535), got {port}")
        capabilities = _text(env, "AERIS_EMULATOR_CAPABILITIES", cls.emulator_capabilities)
        if capabilities not in cls.CAPABILITIES:
            raise SettingError(
                f"AERIS_EMULATOR_CAPABILITIES must be native, netcdf, hoss or tiff, got {capabilities!r}"
            )
        sizes = _text(env, "AERIS_EMULATOR_GRANULE_SIZES", cls.emulator_granule_sizes)
        if sizes not in cls.GRANULE_SIZES:
            raise SettingError(f"AERIS_EMULATOR_GRANULE_SIZES must be compact or real, got {sizes!r}")
        window = _number(
            env, "AERIS_EMULATOR_NRT_WINDOW_DAYS", cls.emulator_nrt_window_days, low=0, high=36500
        )
        data_dir = Path(_text(env, "AERIS_DATA_DIR", str(cls.data_dir)))
        if root is not None and not data_dir.is_absolute():
            data_dir = root / data_dir
        return cls(data_dir, ports, capabilities, sizes, window)


@dataclass(frozen=True)
class Settings:
    """Every concern at once: what `scripts/stack_env.py` checks before a script or service starts."""

    region: Region
    earthdata: Earthdata
    publication: Publication
    scheduling: Scheduling
    storage: Storage
    alerts: Alerts
    retention: Retention

    @classmethod
    def from_env(cls, env: Env | None = None) -> Settings:
        env = _env(env)
        return cls(Region.from_env(env), Earthdata.from_env(env), Publication.from_env(env),
                   Scheduling.from_env(env), Storage.from_env(env), Alerts.from_env(env),
                   Retention.from_env(env))  # fmt: skip
