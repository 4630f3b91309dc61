"""HTTP rules both Harmony transports keep: which statuses are transient, where the token may go, and
how URLs and error bodies are shown (never with a query string: pre-signed URLs carry credentials)."""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url
from urllib3.util.retry import Retry

from aeris_lib.harmony.errors import HarmonyBadAnswer, UnsafeUrl
from aeris_lib.redaction import redact

__all__ = ["TokenRoutes", "build_session", "check_url", "redact", "safe_url"]

RETRY_STATUSES = (429, 500, 502, 503, 504)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
NO_MATCHING_GRANULES = "No matching granules found"
# A 429/503 asking to wait longer than this waits this long: one stalled call must not hold a pool
# slot for hours (urllib3's own cap is 6 h).
MAX_RETRY_AFTER_S = 300
# Where two URL parsers disagree about the host: urlsplit reads `http://a\\@b/` as host b, urllib3
# (which sends the request) as host a. A backslash or a control character anywhere, or userinfo in
# the authority, and the URL gets no request at all, with or without the token.
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


class RedactQueryStrings(logging.Filter):
    """Drops query strings from urllib3's request log lines: pre-signed URLs carry credentials there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.split("?", 1)[0] + "?…" if isinstance(arg, str) and "?" in arg else arg
                for arg in record.args
            )
        return True


logging.getLogger("urllib3.connectionpool").addFilter(RedactQueryStrings())


# (scheme, host, port, peer address) -> None, or raises: asked of every new connection once it is made.
PeerCheck = Callable[[str, str, int, str], None]


class _PeerCheckedAdapter(HTTPAdapter):
    """Asks `check` about the address each new connection actually reached. A name checked before the
    request and resolved again to connect can change in between (DNS rebinding): this check is on the
    socket itself, so what was checked is what is used."""

    def __init__(self, check: PeerCheck, **kwargs):
        self._check = check
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        pools = {}
        for scheme, pool_base, connection_base in (
            ("http", HTTPConnectionPool, HTTPConnection),
            ("https", HTTPSConnectionPool, HTTPSConnection),
        ):
            connection = type(f"Checked{connection_base.__name__}", (connection_base,),
                              {"_new_conn": _checked_new_conn(connection_base, scheme, self._check)})  # fmt: skip
            pools[scheme] = type(f"Checked{pool_base.__name__}", (pool_base,), {"ConnectionCls": connection})
        self.poolmanager.pool_classes_by_scheme = pools


def _checked_new_conn(base: type[HTTPConnection], scheme: str, check: PeerCheck):
    def _new_conn(self):
        sock = base._new_conn(self)
        try:
            check(scheme, self.host.lower(), self.port, sock.getpeername()[0])
        except BaseException:
            sock.close()
            raise
        return sock

    return _new_conn


def build_session(
    *,
    retries: int = 5,
    backoff_factor: float = 1.0,
    backoff_max: float = 60.0,
    status_retries: int | None = None,
    peer_check: PeerCheck | None = None,
) -> requests.Session:
    """A session whose GETs retry transient failures (urllib3 `Retry`, honouring `Retry-After`);
    POSTs are never retried. `status_retries=0`: connection failures only, for a reader that decides
    itself what an error answer means (aeris_lib.harmony.faults). Bodies are asked for as sent
    (`Accept-Encoding: identity`): a compressed body is refused, never inflated (a gzip bomb).
    `peer_check` (`TokenRoutes.check_peer`) is asked about every connection's real address."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries if status_retries is None else status_retries,
        backoff_factor=backoff_factor,
        backoff_jitter=backoff_factor / 2,
        backoff_max=backoff_max,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=True,
        retry_after_max=MAX_RETRY_AFTER_S,
        raise_on_status=False,
        raise_on_redirect=False,
        redirect=0,
    )
    session = requests.Session()
    # Credentials come only from the token provider, never from ~/.netrc on a redirect.
    session.trust_env = False
    session.headers["Accept-Encoding"] = "identity"
    adapter = (
        HTTPAdapter(max_retries=retry)
        if peer_check is None
        else _PeerCheckedAdapter(peer_check, max_retries=retry)
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def safe_url(url: str) -> str:
    """`url` without its query string: pre-signed URLs carry credentials there."""
    parts = urlsplit(url)
    return parts._replace(query="", fragment="").geturl() + ("?…" if parts.query else "")


def snippet(text: str, limit: int = 160) -> str:
    """The start of a body as one line: an HTML error page becomes its words."""
    words = " ".join(re.sub(r"<[^>]*>", " ", text or "").split())
    return redact(words[:limit] + ("…" if len(words) > limit else ""))


def describe_error(body: str, reason: str = "") -> str:
    """Harmony's `description` (or the body's start, tags dropped) of an error answer's text."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return snippet(body) or reason
    if isinstance(parsed, dict):
        return redact(str(parsed.get("description") or parsed.get("message") or parsed)[:500])
    return redact(str(parsed)[:300])


def error_code(body: str) -> str | None:
    """Harmony's `code` field of an error answer's text, if it has one."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    return parsed.get("code") if isinstance(parsed, dict) else None


def parse_json(body: str, *, url: str, status: int, content_type: str, what: str) -> object:
    """`body` as JSON, or a `HarmonyBadAnswer` naming the URL and the body's start."""
    try:
        return json.loads(body)
    except ValueError:
        raise HarmonyBadAnswer(
            f"{what}: {safe_url(url)} answered HTTP {status} with {content_type or 'no content type'}, "
            f"not JSON: {snippet(body)!r}",
            status=status,
        ) from None


def check_url(url: str) -> str:
    """`url` unchanged, or `UnsafeUrl` when parsers could disagree about where it goes: a backslash,
    a control or space character, userinfo (`user@`) in the authority, or no http(s) host."""
    problem = (
        "a backslash" if "\\" in url
        else "a control or space character" if _CONTROL.search(url)
        else "userinfo ('@') before the host" if "@" in urlsplit(url).netloc
        else None
    )  # fmt: skip
    if problem is None:
        try:
            parsed = parse_url(url)
        except LocationParseError:
            problem = "a malformed host or port"
        else:
            if parsed.scheme not in ("http", "https") or not parsed.host:
                problem = "no http or https scheme and host"
    if problem:
        # The URL itself is not shown: its userinfo or query may hold a credential.
        raise UnsafeUrl(f"refusing a URL with {problem}: where it goes is ambiguous, so no request was sent")
    return url


def origin(url: str) -> tuple[str, str | None, int | None]:
    """(scheme, host, port) as urllib3 (the parser requests sends with) reads it, default port explicit."""
    parsed = parse_url(url.strip())
    scheme = (parsed.scheme or "").lower()
    return scheme, (parsed.host or "").lower() or None, parsed.port or {"https": 443, "http": 80}.get(scheme)


def _host_key(host: str | None) -> str:
    """A host as both urllib3's URL parser (`[::1]`, `host.`) and its connections (`::1`, `host`) name
    it: lower case, without IPv6 brackets or the trailing dot of a fully qualified name."""
    return (host or "").lower().strip("[]").rstrip(".")


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global


def _addresses(host: str, port: int | None) -> list[str]:
    """The addresses `host` names: itself when it is an IP literal, else what the resolver says (none
    when it cannot resolve: the request then fails on its own)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})
    except (OSError, UnicodeError):
        return []


class TokenRoutes:
    """Where the Earthdata token may be sent: Harmony's own origin and the configured data origins
    (Earthdata-protected hosts of native granules). Nothing else, and never where they redirect.

    Where any request may go: a host on a public address, or a configured origin (Harmony, the data
    origins, `private_origins` such as the local emulator's file host). A data link or redirect to
    loopback, link-local (cloud metadata, 169.254.169.254), private or reserved addresses is refused
    before a byte is sent: a job's links must not turn a worker into a probe of its own network."""

    def __init__(self, base_url: str, data_origins: Iterable[str] = (), private_origins: Iterable[str] = ()):
        self.harmony = origin(base_url)
        self.data = frozenset(origin(o) for o in data_origins if o.strip())
        self.configured = self.data | {self.harmony} | {origin(o) for o in private_origins if o.strip()}
        # The configured origins as a connection names its host (see `_host_key`), for check_peer.
        self._configured_keys = frozenset((s, _host_key(h), p) for s, h, p in self.configured)

    def check_destination(self, url: str) -> str:
        """`url` unchanged when a request may go there; `UnsafeUrl` naming the host and the kind of
        address otherwise (see the class docstring). The URL's path and query are never shown."""
        check_url(url)
        scheme, host, port = origin(url)
        if (scheme, host, port) in self.configured or not host:
            return url
        for address in _addresses(host, port):
            self.check_peer(scheme, host, port, address)
        return url

    def check_peer(self, scheme: str, host: str, port: int | None, address: str) -> None:
        """`UnsafeUrl` when `host` reached (or resolves to) a non-public `address` and is not a configured
        origin. Asked before a request (check_destination) and again of the connected socket
        (build_session's `peer_check`), so a name that resolves differently the second time is caught."""
        if (scheme, _host_key(host), port) in self._configured_keys or _is_public(address):
            return
        raise UnsafeUrl(
            f"refusing a request to {scheme}://{host}:{port}: it resolves to {address}, a loopback, "
            "link-local, private or reserved address, and is not a configured origin (AERIS_PRIVATE_ORIGINS)"
        )

    def is_harmony(self, url: str) -> bool:
        return origin(url) == self.harmony

    def takes_token(self, url: str) -> bool:
        """Whether `url` may carry the token; `UnsafeUrl` for a URL that may go somewhere else than it
        seems (see `check_url`), so it is never requested, with or without the token."""
        check_url(url)
        return self.is_harmony(url) or origin(url) in self.data

    def refuse(self, url: str, base_url: str) -> str:
        """The message for refusing to send the token to `url`."""
        parts = urlsplit(url)
        return (
            f"refusing to send the Earthdata token to {parts.scheme}://{parts.netloc}: it is not Harmony's "
            f"origin ({base_url}) or a trusted data origin"
        )
