"""CMR's near-real-time subscriptions for AERIS: one per TEMPO collection of the catalog (its
near-real-time and standard lines), every granule event (New, Update, Delete) sent to one SQS queue.

    python -m scripts.cmr_subscriptions create [--queue-arn ARN] [--modes New,Update,Delete]
    python -m scripts.cmr_subscriptions list
    python -m scripts.cmr_subscriptions delete [--queue-arn ARN]

`create` is idempotent: it creates what is missing, updates what differs, keeps what is the same and
deletes AERIS subscriptions to the queue for collections no longer in the catalog. The queue is
AERIS_EVENTS_QUEUE_ARN unless given; the Earthdata Login token (BEARER_TOKEN, or one obtained for
EARTHDATA_USERNAME at EARTHDATA_URS_URL) goes to CMR (EARTHDATA_CMR_URL) only, and is never printed.
The queue's access policy must let CMR's SNS topic send to it: docs/design.md, "Granule events".
Plain Python with the project's settings (no Airflow): run it where the deployment's .env is.
"""

from __future__ import annotations

import argparse
import sys

import requests

from aeris_lib import config
from aeris_lib.cmr import CmrError, resolve_collection, resolve_latest
from aeris_lib.cmr_subscriptions import MODES, SubscriptionClient, sync, unsubscribe, wanted
from aeris_lib.gases import LATEST, NRT, STANDARD, GasProduct, build_catalog
from aeris_lib.harmony.auth import TokenProvider
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("create", "list", "delete"))
    parser.add_argument("--queue-arn", help="the SQS queue's ARN (default AERIS_EVENTS_QUEUE_ARN)")
    parser.add_argument("--modes", default=",".join(MODES), help="granule events to send (default all)")
    args = parser.parse_args(argv)
    earthdata = config.Earthdata.from_env()
    queue = args.queue_arn or earthdata.events_queue_arn
    if args.action != "list" and not queue:
        parser.error("name the queue: --queue-arn or AERIS_EVENTS_QUEUE_ARN")
    session = requests.Session()
    tokens = TokenProvider(earthdata.urs_url, bearer_token=earthdata.token, username=earthdata.username,
                           password=earthdata.password, session=session)  # fmt: skip
    try:
        client = SubscriptionClient(earthdata.cmr_url, tokens.get(), session)
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
        done = sync(client, wanted(collections, queue, args.modes.split(",")))
    except (CmrError, HarmonyError, ValueError) as error:
        print(f"cmr_subscriptions {args.action}: {error}", file=sys.stderr)
        return 1
    for verb, subscriptions in (("put", done.put), ("kept", done.kept), ("deleted", done.deleted)):
        for s in subscriptions:
            print(f"{verb} {s.concept_id} r{s.revision_id} {s.collection_id} -> {s.queue_arn}")
    print(f"{len(done.put)} put, {len(done.kept)} kept, {len(done.deleted)} deleted: CMR sends "
          f"{', '.join(wanted(collections, queue, args.modes.split(','))[0].modes)} events of {len(collections)} "
          f"collection(s) to {queue}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
