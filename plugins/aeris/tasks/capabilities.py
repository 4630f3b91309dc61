"""The request shape of a gas: Harmony's capabilities for its collection (cached in the database for
AERIS_HARMONY_CAPABILITIES_TTL_HOURS), the catalog's override, and the choice, said in the task log."""

from __future__ import annotations

import logging

from aeris.config.connections import aeris_db
from aeris.config.settings import checked
from aeris.hooks.harmony import HarmonyHook
from airflow.sdk.exceptions import AirflowFailException

from aeris_lib import config
from aeris_lib.db.capabilities import cached_capabilities, remember_capabilities
from aeris_lib.gas_hour import GasHour
from aeris_lib.harmony.capabilities import Capabilities, CapabilitiesError, ShapeChoice, choose_shape
from aeris_lib.harmony.errors import HarmonyError

log = logging.getLogger(__name__)


def ttl_seconds() -> float:
    """AERIS_HARMONY_CAPABILITIES_TTL_HOURS, in seconds."""
    return checked(config.Earthdata.from_env).capabilities_ttl_hours * 3600


def capabilities(hook: HarmonyHook, gas: str, collection_id: str) -> tuple[Capabilities | None, str]:
    """What Harmony offers for the collection and where that came from (cache, fetch, or unknown)."""
    with aeris_db() as conn:
        cached = cached_capabilities(conn, collection_id)
    if cached and not _readable(cached[0], collection_id):
        log.warning(
            "%s: the cached capabilities of %s are not its own; asking Harmony again", gas, collection_id
        )
        cached = None
    if cached and cached[1] < ttl_seconds():
        document, source = cached[0], f"cached {cached[1] / 3600:.1f} h ago"
    else:
        try:
            document = hook.client.capabilities(collection_id)
            # never cache what cannot be read, nor another collection's answer under this id
            parsed = Capabilities.from_json(document, collection_id)
        except CapabilitiesError as error:
            raise AirflowFailException(f"{gas}: {error}") from None
        except HarmonyError as error:
            if error.status == 404:
                raise AirflowFailException(
                    f"{gas}: Harmony does not know collection {collection_id}: {error}"
                ) from None
            if cached is None:
                log.warning(
                    "%s: Harmony's capabilities for %s are unavailable (%s)", gas, collection_id, error
                )
                return None, f"unavailable: {error}"
            document, source = cached[0], f"cached {cached[1] / 3600:.1f} h ago (refresh failed: {error})"
        else:
            with aeris_db() as conn:
                remember_capabilities(conn, collection_id, document)
            return parsed, "fetched now"
    return Capabilities.from_json(document, collection_id), source


def _readable(document: object, collection_id: str) -> bool:
    try:
        Capabilities.from_json(document, collection_id)
    except CapabilitiesError:
        return False
    return True


def choose(hook: HarmonyHook, gas_hour: GasHour) -> tuple[ShapeChoice, str]:
    """The request shape for the gas, and one line on what Harmony offers (for the log and XCom)."""
    gas, collection_id = gas_hour.gas, gas_hour.collection_id
    found, source = capabilities(hook, gas, collection_id)
    if found is not None:
        log.info("%s: Harmony capabilities (%s): %s", gas, source, found.summary())
    try:
        choice = choose_shape(found, gas_hour.entry.request_shape or "auto")
    except CapabilitiesError as error:
        raise AirflowFailException(f"{gas}: {error}") from None
    log.info(
        "%s: request shape %s%s: %s",
        gas, choice.shape, f" ({choice.format})" if choice.format else "", choice.reason,
    )  # fmt: skip
    return choice, found.summary() if found is not None else f"unknown ({source})"
