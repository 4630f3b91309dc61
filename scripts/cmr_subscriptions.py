"""CMR's near-real-time subscriptions for AERIS: one per TEMPO collection of the catalog (its
near-real-time and standard lines), every granule event (New, Update, Delete) sent to one SQS queue.

    python -m scripts.cmr_subscriptions create [--queue-arn ARN] [--modes New,Update,Delete]
    python -m scripts.cmr_subscriptions list
    python -m scripts.cmr_subscriptions delete [--queue-arn ARN]

`create` is idempotent: it creates what is missing, updates what differs, keeps what is the same and
deletes AERIS subscriptions to the queue for collections no longer in the catalog. The queue is
AERIS_EVENTS_QUEUE_ARN unless given. The token is the pipeline's own: Earthdata Login through the
Harmony connection (`harmony_default`, or --conn-id; else BEARER_TOKEN or EARTHDATA_USERNAME and
PASSWORD), sent to CMR (EARTHDATA_CMR_URL) only and never printed. Run it where the deployment's
environment is (its connections, its .env). The queue's access policy must let CMR's SNS topic send to
it: docs/deployment.md, "Granule events from CMR".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import requests

# The pipeline's own Harmony connection and its Earthdata credentials (plugins/aeris/hooks/harmony.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "plugins"))

from aeris_lib import config
from aeris_lib.cmr import CmrError, resolve_collection, resolve_latest
from aeris_lib.cmr_subscriptions import MODES, SubscriptionClient, sync, unsubscribe, wanted
from aeris_lib.gases import LATEST, NRT, STANDARD, GasProduct, build_catalog
from aeris_lib.harmony.errors import HarmonyError


def catalog_collections(session: requests.Session, cmr_url: str, catalog: dict[str, GasProduct]) -> list[str]:
    """The concept ids of every verified gas's products, near-real-time and standard (each once)."""
    found: list[str] = []
    for entry in catalog.values():
        if not entry.verified:
            continue
        for line in ((NRT,) if entry.has_nrt else ()) + (STANDARD,):
            short_name, version, concept_id = entry.product_name(line)
            if not concept_id:
                concept_id = (
                    resolve_latest(session, cmr_url, short_name)[1]
                    if version == LATEST
                    else resolve_collection(session, cmr_url, short_name, version)
                )
            found.append(concept_id)
    return list(dict.fromkeys(found))


def earthdata_token(conn_id: str) -> str:
    """A token for the pipeline's Earthdata Login user, as its Harmony hook gets one."""
    from aeris.hooks.harmony import HarmonySettings
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        conn = None  # the settings fall back to BEARER_TOKEN / EARTHDATA_USERNAME and PASSWORD
    return HarmonySettings.from_connection(conn).token_provider().get()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("create", "list", "delete"))
    parser.add_argument("--queue-arn", help="the SQS queue's ARN (default AERIS_EVENTS_QUEUE_ARN)")
    parser.add_argument("--modes", default=",".join(MODES), help="granule events to send (default all)")
    parser.add_argument("--conn-id", default="harmony_default",
                        help="the Harmony connection whose Earthdata login to use (default harmony_default)")  # fmt: skip
    args = parser.parse_args(argv)
    earthdata = config.Earthdata.from_env()
    queue = args.queue_arn or earthdata.events_queue_arn
    if args.action != "list" and not queue:
        parser.error("name the queue: --queue-arn or AERIS_EVENTS_QUEUE_ARN")
    session = requests.Session()
    try:
        client = SubscriptionClient(earthdata.cmr_url, earthdata_token(args.conn_id), session)
        if args.action == "list":
            for s in client.listing():
                print(
                    f"{s.concept_id} r{s.revision_id} {s.collection_id} -> {s.queue_arn} ({', '.join(s.modes)})"
                )
            return 0
        if args.action == "delete":
            for s in unsubscribe(client, queue):
                print(f"deleted {s.concept_id} {s.collection_id} -> {s.queue_arn}")
            return 0
        path = config.Storage.from_env().gas_catalog_file
        collections = catalog_collections(
            session, earthdata.cmr_url, build_catalog(path.read_text() if path else None)
        )
        want = wanted(collections, queue, args.modes.split(","))
        done = sync(client, want)
    except (CmrError, HarmonyError, ValueError) as error:
        print(f"cmr_subscriptions {args.action}: {error}", file=sys.stderr)
        return 1
    for verb, subscriptions in (("put", done.put), ("kept", done.kept), ("deleted", done.deleted)):
        for s in subscriptions:
            print(f"{verb} {s.concept_id} r{s.revision_id} {s.collection_id} -> {s.queue_arn}")
    print(f"{len(done.put)} put, {len(done.kept)} kept, {len(done.deleted)} deleted: CMR sends "
          f"{', '.join(want[0].modes if want else ())} events of {len(want)} collection(s) to {queue}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
