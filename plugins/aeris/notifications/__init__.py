"""How AERIS tells people: the failure / circuit-breaker / not-published alerts (SMTP notifier)."""
