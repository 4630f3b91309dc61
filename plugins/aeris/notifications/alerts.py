"""Alerts that reach people: a gas that failed, a circuit breaker that opened, an hour not published by
its deadline (a gap). Sent with Airflow's own `SmtpNotifier` through an SMTP connection.

Off by default. On when AERIS_ALERT_EMAILS names recipients (comma-separated); the connection is
AERIS_ALERT_SMTP_CONN_ID (default `aeris_smtp`: host, port, login/password, extra `from_email`). An alert
that cannot be sent is a warning in the task log, never a second failure. Texts carry no query string
(pre-signed URLs) and pass through Airflow's secret masker (tokens, passwords).
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from aeris.tasks.masking import masked

from aeris_lib import config

if TYPE_CHECKING:
    from airflow.sdk import Context

log = logging.getLogger(__name__)

DEFAULT_SMTP_CONN_ID = "aeris_smtp"
# What happened, as the alert's subject says it (not the ledger's statuses, which are aeris_lib.db.ledger's).
ALERT_FAILED = "failed"
ALERT_CIRCUIT_OPEN = "circuit breaker opened"
ALERT_NOT_PUBLISHED = "not published by its deadline"


@dataclass(frozen=True)
class Alert:
    """:param what: ALERT_FAILED, ALERT_CIRCUIT_OPEN or ALERT_NOT_PUBLISHED. :param hour: ISO hour. :param reason: why."""

    what: str
    gas: str
    hour: str
    reason: str

    @property
    def subject(self) -> str:
        return f"AERIS: {self.gas} {self.hour[:13].replace('T', ' ')}:00 UTC {self.what}"

    def html(self, context: dict[str, Any]) -> str:
        ti = context.get("ti")
        where = ""
        if ti is not None:
            where = (
                f"<p>DAG {html.escape(str(ti.dag_id))}, run {html.escape(str(ti.run_id))}, task "
                f"{html.escape(str(ti.task_id))} (try {getattr(ti, 'try_number', '?')}).</p>"
            )
        return (
            f"<p><b>{html.escape(self.gas)}</b>, hour {html.escape(self.hour)}: {html.escape(self.what)}.</p>"
            f"<p>Reason: {html.escape(self.reason)}</p>{where}"
        )


def recipients() -> list[str]:
    """AERIS_ALERT_EMAILS: who gets alerts; nobody (alerts off) when empty."""
    return list(config.Alerts.from_env().emails)


def send(alert: Alert, context: dict[str, Any]) -> bool:
    """Send `alert` when alerts are on; True when a message went out."""
    to = recipients()
    if not to:
        return False
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    shown = Alert(alert.what, alert.gas, alert.hour, masked(alert.reason))
    notifier = SmtpNotifier(
        to=to,
        subject=shown.subject,
        html_content=shown.html(context),
        smtp_conn_id=config.Alerts.from_env().smtp_conn_id,
    )
    try:
        # Subject and body are final: no template rendering of the reason.
        notifier.notify(cast("Context", context))
    except Exception as error:  # the run's outcome matters more than its e-mail
        log.warning("could not send the alert %r to %s: %s: %s", shown.subject, ", ".join(to),
                    type(error).__name__, masked(error))  # fmt: skip
        return False
    log.info("alert sent to %s: %s", ", ".join(to), shown.subject)
    return True
