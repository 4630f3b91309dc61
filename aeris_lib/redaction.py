"""Credentials cut from any text that leaves a process: logs, exceptions, ledger rows, alerts, the view,
trigger events.

Pre-signed URLs carry their credential in the query string (`X-Amz-Signature`, `X-Amz-Credential`,
`X-Amz-Security-Token`), whether a message quotes the whole URL, only its path (urllib3: `… with url:
/f.nc?X-Amz…`), the URL percent-encoded (`https%3A%2F%2F…%3FX-Amz-…`), or the parameters alone (an S3
XML error body: `<CanonicalRequest>…X-Amz-Credential=…</CanonicalRequest>`, `<SignatureProvided>`).
A database URL may carry a password (`postgresql://user:password@host`), an `Authorization: Bearer …`
header may be echoed by a server, and Earthdata tokens are JWTs.
"""

from __future__ import annotations

import logging
import re

MASK = "***"
# A URL's query string, absolute (`https://host/f?X-Amz-…`) or as urllib3 logs it (`url: /f?X-Amz-…`).
_URL_QUERY = re.compile(r"((?:https?://|(?<=url: ))[^\s?'\"<>]*)\?[^\s'\"<>]*")
# The same, percent-encoded once or twice (`%3F` / `%253F` is the `?`).
_ENCODED_QUERY = re.compile(r"(?i)(https?%(?:25)?3A%(?:25)?2F%(?:25)?2F[^\s'\"<>&?]*?)%(?:25)?3F[^\s'\"<>]*")
# Any X-Amz-* credential parameter wherever it stands, plain or percent-encoded (`=` as %3D).
_AMZ_PARAM = re.compile(
    r"(?i)\b(X-Amz-(?:Signature|Credential|Security-Token|SignedHeaders|Date|Expires))(=|%(?:25)?3D)[^\s&'\"<>]*"
)
# S3 error elements that quote the signing material.
_S3_ELEMENTS = re.compile(
    r"(?is)<(SignatureProvided|StringToSign|StringToSignBytes|CanonicalRequest|CanonicalRequestBytes|"
    r"AWSAccessKeyId|X-Amz-Security-Token|X-Amz-Credential|X-Amz-Signature)>.*?</\1>"
)
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{12,}\b")
# userinfo's password in any URL (`postgresql://user:password@host`, `redis://:password@host`).
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/@:'\"]*):[^\s/@'\"]*@")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+")
# Loggers whose records are redacted before any handler sees them (`install_log_redaction`).
LOGGERS = ("aeris", "aeris_lib", "urllib3", "requests", "airflow.task")


def redact(text: object) -> str:
    """`text` with every credential above cut or masked."""
    text = _URL_QUERY.sub(lambda m: m.group(1) + "?…", str(text))
    text = _ENCODED_QUERY.sub(lambda m: m.group(1) + "%3F…", text)
    text = _AMZ_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _S3_ELEMENTS.sub(lambda m: f"<{m.group(1)}>{MASK}</{m.group(1)}>", text)
    text = _AWS_KEY_ID.sub(MASK, text)
    text = _USERINFO.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _JWT.sub(MASK, text)


def _cut_arg(arg: object) -> object:
    """A log argument with its credentials cut: unchanged when it holds none (numbers always), else the
    cut text, so the record's own format string still applies."""
    if arg is None or isinstance(arg, (bool, int, float)):
        return arg
    text = str(arg)
    cut = redact(text)
    return arg if cut == text else cut


def install_log_redaction(prefixes: tuple[str, ...] = LOGGERS) -> None:
    """Every log record of the loggers named `prefixes` (and their children) has its message and its
    arguments redacted as it is made, so every handler (the task log, the console, a remote sink) gets
    the cut text. The format string and the arguments stay apart: renderers that format them
    themselves still can. Idempotent."""
    current = logging.getLogRecordFactory()
    if getattr(current, "aeris_redacts", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = current(*args, **kwargs)
        if isinstance(record.name, str) and record.name.startswith(prefixes):  # makeLogRecord: None
            if isinstance(record.msg, str) and not record.args:  # a format string is the code's own
                if (cut := redact(record.msg)) != record.msg:
                    record.msg = cut
            elif isinstance(record.args, tuple):
                cut_args = tuple(_cut_arg(arg) for arg in record.args)
                if any(a is not b for a, b in zip(cut_args, record.args, strict=True)):
                    record.args = cut_args
        return record

    factory.aeris_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
