"""Text shown to people (task logs, exceptions, ledger rows, alerts) with no credential in it: what
`aeris_lib.redaction` cuts (signed URLs' queries, bearer tokens, JWTs), then every secret Airflow's
masker knows (connection passwords, the Earthdata token the Harmony hook registers)."""

from __future__ import annotations

from aeris_lib.redaction import redact


def masked(text: object) -> str:
    text = redact(text)
    try:
        from airflow.sdk._shared.secrets_masker import redact as mask
    except ImportError:  # the masker moved: queries and tokens are still cut
        return text
    return str(mask(text))
