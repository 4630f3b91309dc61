"""The asset CMR's granule events update, watched in the triggerer on the SQS queue CMR sends them to
(the amazon provider's SQS trigger, through the common messaging provider's `MessageQueueTrigger`).

SQS deletes each message as the trigger receives it: a message whose run then fails is not sent again,
which is why the hourly DAG stays as the reconcile (docs/deployment.md, "Granule events from CMR").
"""

from __future__ import annotations

from aeris.config.connections import EVENTS_CONN_ID
from airflow.sdk import Asset, AssetWatcher

from aeris_lib.cmr_subscriptions import queue_url

GRANULE_EVENTS = "aeris_tempo_granule_events"
# SQS long polling: one receive waits up to 20 s for a message and returns as soon as one comes, so an
# event reaches Airflow within a second or so, with three requests a minute while the queue is empty.
LONG_POLL_S = 20
MAX_MESSAGES = 10  # SQS's most per receive


def granule_events(queue_arn: str) -> Asset:
    """The granule-events asset; watched on the queue `queue_arn` (AERIS_EVENTS_QUEUE_ARN) when set,
    else unwatched (no run is ever started by it)."""
    if not queue_arn:
        return Asset(GRANULE_EVENTS)
    # The messaging provider registers its queue providers on import: only when there is a queue.
    from airflow.providers.common.messaging.triggers.msg_queue import MessageQueueTrigger

    trigger = MessageQueueTrigger(
        scheme="sqs",
        sqs_queue=queue_url(queue_arn),
        aws_conn_id=EVENTS_CONN_ID,
        region_name=queue_arn.split(":")[3],  # the queue's own region, whatever the connection says
        max_messages=MAX_MESSAGES,
        wait_time_seconds=LONG_POLL_S,
        waiter_delay=1,  # between empty long polls: the wait is in the receive itself
    )
    return Asset(GRANULE_EVENTS, watchers=[AssetWatcher(name="cmr_granule_events", trigger=trigger)])
