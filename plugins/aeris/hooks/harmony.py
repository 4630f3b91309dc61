"""HarmonyHook: the `harmony_default` connection -> an authenticated `aeris_lib` Harmony client.

Connection: host = Harmony base URL (default https://harmony.earthdata.nasa.gov), login/password =
Earthdata Login credentials, extras `token` (a bearer token), `urs_url` (Earthdata Login base) and
`data_origins` (Earthdata-protected hosts that get the token for native-granule downloads; default
AERIS_EARTHDATA_DATA_ORIGINS, else ASDC's https://data.asdc.earthdata.nasa.gov) and `private_origins`
(hosts on private addresses that downloads may reach; default AERIS_PRIVATE_ORIGINS).
Missing values fall back to BEARER_TOKEN / EARTHDATA_USERNAME / EARTHDATA_PASSWORD in the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from aeris_lib import config, defaults
from aeris_lib.harmony.auth import TokenProvider
from aeris_lib.harmony.client import HarmonyClient
from aeris_lib.harmony.jobs import job_url

if TYPE_CHECKING:  # aiohttp: the triggerer's, not imported by every task that parses the DAG
    from aeris_lib.harmony.aio import AsyncHarmonyClient

DEFAULT_HARMONY_URL = defaults.HARMONY_URL
DEFAULT_URS_URL = defaults.EARTHDATA_LOGIN_URL
DEFAULT_DATA_ORIGINS = config.ASDC_DATA_ORIGIN


@dataclass(frozen=True)
class HarmonySettings:
    base_url: str
    urs_url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    data_origins: tuple[str, ...] = ()
    private_origins: tuple[str, ...] = ()

    @classmethod
    def from_connection(cls, conn: Any) -> HarmonySettings:
        extra = conn.extra_dejson if conn else {}
        host = ((conn.host if conn else None) or DEFAULT_HARMONY_URL).strip().rstrip("/")
        if "://" not in host:
            host = f"https://{host}"
        if conn and conn.port and f":{conn.port}" not in host:
            host = f"{host}:{conn.port}"
        earthdata = config.Earthdata.from_env()
        settings = cls(
            base_url=host.rstrip("/"),
            urs_url=(extra.get("urs_url") or DEFAULT_URS_URL).rstrip("/"),
            username=(conn.login if conn else None) or earthdata.username,
            password=(conn.password if conn else None) or earthdata.password,
            token=extra.get("token") or earthdata.token,
            data_origins=_origins(extra.get("data_origins") or list(earthdata.data_origins)),
            private_origins=_origins(extra.get("private_origins") or list(earthdata.private_origins)),
        )
        for secret in (settings.password, settings.token):
            if secret:
                mask_secret(secret)
        return settings

    def token_provider(self) -> TokenProvider:
        """Tokens for these settings; each token obtained is registered with Airflow's secret masker."""
        return TokenProvider(
            self.urs_url,
            bearer_token=self.token,
            username=self.username,
            password=self.password,
            on_new_token=mask_secret,
        )


def max_download_bytes() -> int:
    """AERIS_MAX_DOWNLOAD_BYTES (default 512 MiB): no single download may be larger."""
    return config.Earthdata.from_env().max_download_bytes


def _origins(value: str | list[str]) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    return tuple(item.strip() for item in items if item and item.strip())


class HarmonyHook(BaseHook):
    """Talks to NASA Harmony; the client is built on first use, never at DAG parse time.

    :param harmony_conn_id: connection id (conn type `harmony`).
    """

    conn_name_attr = "harmony_conn_id"
    default_conn_name = "harmony_default"
    conn_type = "harmony"
    hook_name = "NASA Harmony"

    def __init__(self, harmony_conn_id: str = default_conn_name, **kwargs: Any):
        super().__init__(**kwargs)
        self.harmony_conn_id = harmony_conn_id

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["schema", "port"],
            "relabeling": {
                "host": "Harmony URL",
                "login": "Earthdata username",
                "password": "Earthdata password",
            },
            "placeholders": {
                "host": DEFAULT_HARMONY_URL,
                "extra": '{"urs_url": "https://urs.earthdata.nasa.gov"}',
            },
        }

    @cached_property
    def settings(self) -> HarmonySettings:
        return HarmonySettings.from_connection(self.get_connection(self.harmony_conn_id))

    @cached_property
    def client(self) -> HarmonyClient:
        s = self.settings
        return HarmonyClient(
            s.base_url,
            s.token_provider(),
            data_origins=s.data_origins,
            private_origins=s.private_origins,
            max_download_bytes=max_download_bytes(),
            deadline_s=config.Earthdata.from_env().download_deadline_s,
        )

    async def get_async_client(self) -> AsyncHarmonyClient:
        """The triggerer's client (use with `async with`); the connection is read with the async API."""
        from aeris_lib.harmony.aio import AsyncHarmonyClient

        settings = HarmonySettings.from_connection(await BaseHook.aget_connection(self.harmony_conn_id))
        return AsyncHarmonyClient(settings.base_url, settings.token_provider())

    def get_conn(self) -> HarmonyClient:
        return self.client

    def job_status_url(self, job_id: str) -> str:
        return job_url(self.settings.base_url, job_id)
