"""aeris_lib.harmony.http: the HTTP rules every Harmony request follows: retries for GETs only, no
credential in a log line or message, and the Earthdata token only for Harmony and trusted DAACs."""

from __future__ import annotations

import logging

import pytest

from aeris_lib.harmony.errors import HarmonyBadAnswer, UnsafeUrl
from aeris_lib.harmony.http import (
    RETRY_STATUSES,
    RedactQueryStrings,
    TokenRoutes,
    build_session,
    check_url,
    describe_error,
    error_code,
    parse_json,
    safe_url,
    snippet,
)

pytestmark = pytest.mark.unit  # no service: `make unit` runs it

HARMONY = "https://harmony.earthdata.nasa.gov"


def test_gets_retry_transient_answers_posts_never_and_no_netrc():
    session = build_session(retries=3)
    retry = session.get_adapter("https://x").max_retries
    assert retry.total == 3 and set(retry.status_forcelist) == set(RETRY_STATUSES)
    assert retry.allowed_methods == frozenset({"GET", "HEAD"}) and retry.respect_retry_after_header
    assert session.trust_env is False and retry.redirect == 0


def test_the_token_goes_to_harmony_and_the_trusted_daac_only():
    routes = TokenRoutes(HARMONY, ["https://data.asdc.earthdata.nasa.gov"])
    assert routes.takes_token(f"{HARMONY}/jobs/1") and routes.takes_token(
        "https://harmony.earthdata.nasa.gov:443/x"
    )
    assert routes.takes_token("https://data.asdc.earthdata.nasa.gov/asdc-prod-protected/a.nc")
    assert not routes.takes_token(
        "https://harmony-prod-staging.s3.us-west-2.amazonaws.com/a.nc?X-Amz-Signature=s"
    )
    assert not routes.takes_token(
        "http://harmony.earthdata.nasa.gov/jobs/1"
    )  # another scheme, another origin
    assert "refusing to send the Earthdata token to https://evil.example" in routes.refuse(
        "https://evil.example/x", HARMONY
    )


@pytest.mark.parametrize(
    "url",
    ["https://harmony.earthdata.nasa.gov\\@evil.example/", "https://user@evil.example/", "https://h/a b",
     "ftp://harmony.earthdata.nasa.gov/x", "https://h:99999/"],
)  # fmt: skip
def test_ambiguous_urls_are_refused_without_showing_them(url):
    with pytest.raises(UnsafeUrl) as caught:
        check_url(url)
    assert "evil.example" not in str(caught.value) and "user@" not in str(caught.value)


def test_messages_carry_harmonys_words_and_no_query_string():
    assert safe_url("https://s3/a.nc?X-Amz-Signature=s") == "https://s3/a.nc?…"
    assert (
        describe_error('{"code": "harmony.RequestValidationError", "description": "bad bbox"}') == "bad bbox"
    )
    assert error_code('{"code": "harmony.RequestValidationError"}') == "harmony.RequestValidationError"
    assert describe_error("<html><h1>502 Bad Gateway</h1></html>") == "502 Bad Gateway"
    assert snippet("x" * 200, limit=10) == "xxxxxxxxxx…" and error_code("not json") is None
    with pytest.raises(
        HarmonyBadAnswer, match=r"https://h/jobs/1\?… answered HTTP 200 with text/html, not JSON"
    ):
        parse_json("<html>", url="https://h/jobs/1?token=t", status=200, content_type="text/html", what="job")


def test_urllib3s_request_log_lines_lose_their_query_strings():
    record = logging.LogRecord(
        "urllib3.connectionpool",
        logging.DEBUG,
        "",
        0,
        '%s "%s %s"',
        ("h", "GET", "/a.nc?X-Amz-Signature=s"),
        None,
    )
    assert RedactQueryStrings().filter(record) and record.getMessage() == 'h "GET /a.nc?…"'


# --------------------------------------------------------------------------- SSRF (issue 37, §3)
@pytest.mark.parametrize(
    "target",
    ["http://169.254.169.254/latest/meta-data/iam/security-credentials/", "http://127.0.0.1:9/admin",
     "http://[::1]:9/", "http://10.0.0.7/", "http://[::ffff:169.254.169.254]/", "http://localhost:9/"],
)  # fmt: skip
def test_a_data_link_to_an_internal_address_is_refused_before_any_request(target, tmp_path):
    from aeris_lib.harmony import HarmonyClient
    from aeris_lib.harmony.auth import TokenProvider
    from aeris_lib.harmony.errors import UnsafeUrl

    client = HarmonyClient(
        "https://harmony.earthdata.nasa.gov", TokenProvider("https://urs.example", bearer_token="t")
    )
    with pytest.raises(UnsafeUrl, match="loopback, link-local, private or reserved address") as error:
        client.download(target, tmp_path / "x")
    assert "meta-data" not in str(error.value) and "admin" not in str(error.value)


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:{closed}/"])
def test_a_redirect_to_an_internal_address_is_refused(target, tmp_path):
    import socket

    from aeris_lib.harmony.errors import UnsafeUrl
    from aeris_lib.harmony.ranges import RemoteGranule
    from tests.lib.harmony.test_ranges_faults import DATA, _client
    from tests.support.hostile_daac import HostileDaac

    with socket.socket() as listener, HostileDaac(DATA) as daac:
        listener.bind(("127.0.0.1", 0))
        listener.listen()  # a loopback service the redirect points at: it must never be connected to
        listener.settimeout(0.2)
        daac.redirect_to = target.format(closed=listener.getsockname()[1])
        with pytest.raises(UnsafeUrl, match="not a configured origin"):
            _client(daac).download(daac.link, tmp_path / "g.nc")
        with pytest.raises(UnsafeUrl, match="not a configured origin"):
            RemoteGranule(_client(daac), daac.link, max_bytes=10**6)
        with pytest.raises(TimeoutError):
            listener.accept()


def test_a_name_that_resolves_to_loopback_only_when_connecting_is_refused_on_the_socket(
    tmp_path, monkeypatch
):
    """DNS rebinding: the name is public when checked and loopback when connected to. The connected
    socket's own address is checked, so not a byte of the request reaches the loopback service."""
    import socket

    from aeris_lib.harmony.auth import TokenProvider
    from aeris_lib.harmony.client import HarmonyClient
    from aeris_lib.harmony.ranges import RemoteGranule
    from tests.lib.harmony.test_ranges_faults import DATA, TOKEN
    from tests.support.hostile_daac import HostileDaac

    real_getaddrinfo = socket.getaddrinfo
    answers: list[str] = []

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        answers.append("93.184.216.34" if len(answers) % 2 == 0 else "127.0.0.1")  # checked, then connected
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (answers[-1], port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with socket.socket() as listener, HostileDaac(DATA) as daac:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        daac.redirect_to = f"http://rebind.test:{listener.getsockname()[1]}/granule.nc"
        client = HarmonyClient("http://127.0.0.1:9", TokenProvider("http://127.0.0.1:9", bearer_token=TOKEN),
                               data_origins=[daac.daac_url], private_origins=[daac.s3_url])  # fmt: skip
        with pytest.raises(UnsafeUrl, match=r"rebind.test:\d+: it resolves to 127.0.0.1"):
            client.download(daac.link, tmp_path / "g.nc")
        with pytest.raises(UnsafeUrl, match=r"rebind.test:\d+: it resolves to 127.0.0.1"):
            RemoteGranule(client, daac.link, max_bytes=10**6)
        received = []
        for _ in range(2):  # the TCP handshake completes in the kernel; the socket is closed unused
            connection, _ = listener.accept()
            with connection:
                connection.settimeout(2)
                received.append(connection.recv(1024))
    assert received == [b"", b""] and answers == ["93.184.216.34", "127.0.0.1"] * 2


def test_a_configured_private_origin_is_reached():
    from aeris_lib.harmony.http import TokenRoutes

    routes = TokenRoutes("https://harmony.earthdata.nasa.gov", private_origins=["http://localhost:58081"])
    assert routes.check_destination("http://localhost:58081/results/x.nc?X-Amz-Signature=s")
    assert routes.check_destination("https://8.8.8.8/x")  # a public address: no configuration needed
    with pytest.raises(UnsafeUrl):
        routes.check_destination("http://localhost:58082/x")  # the same host, another port: not configured


@pytest.mark.parametrize("configured", ["http://[::1]:{port}", "http://emulator.test.:{port}"])
def test_a_configured_ipv6_or_fully_qualified_origin_is_reached_through_the_socket_check(
    configured, monkeypatch
):
    """The socket check sees the connection's host as urllib3 names it (`::1`, `emulator.test`), the
    configuration as its URL parser does (`[::1]`, `emulator.test.`): both name the same origin."""
    import socket
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from aeris_lib.harmony.http import TokenRoutes, build_session

    real_getaddrinfo = socket.getaddrinfo

    def test_names(host, port, *args, **kwargs):  # a private name, as a local emulator's would be
        if str(host).rstrip(".") == "emulator.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", test_names)

    class Ok(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    family = socket.AF_INET6 if "::1" in configured else socket.AF_INET
    server_class = type("Server", (HTTPServer,), {"address_family": family})
    with server_class(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0), Ok) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = configured.format(port=server.server_address[1])
        routes = TokenRoutes("https://harmony.earthdata.nasa.gov", private_origins=[url])
        session = build_session(retries=0, peer_check=routes.check_peer)
        try:
            assert session.get(routes.check_destination(url + "/x"), timeout=5).content == b"ok"
            other = TokenRoutes("https://harmony.earthdata.nasa.gov")  # not configured: refused at the socket
            with pytest.raises(UnsafeUrl):
                build_session(retries=0, peer_check=other.check_peer).get(url + "/x", timeout=5)
        finally:
            server.shutdown()
