"""scimdock behind nginx terminating TLS, configured by docs/examples/nginx.conf
itself (placeholders replaced), so the documented configuration is the one
tested (docs/security.md, "TLS"). nginx is Debian's package, installed by the
Makefile; without it the test is skipped, or fails when ``CI=true``.

What the proxy must carry: the scheme and host, so that ``meta.location``
(RFC 7643 §3.1) names the proxy's ``https`` URL; the client's address, which
the audit log records (believed only from a trusted proxy,
``SCIMDOCK_FORWARDED_ALLOW_IPS``); and the Host, which is checked against the
key's tenant (RFC 7644 §7: a client must not reach another tenant's data).
Clients bind other loopback addresses (127.0.0.2, 127.0.0.3) so that the
proxy's address and theirs differ."""

from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conftest import ROOT, Client, Server, free_port, start_server, stop_server, wait_until
from scimdock.settings import Settings

pytestmark = pytest.mark.backend_independent("the headers of a TLS proxy in front of the server")

EXAMPLE = ROOT / "docs" / "examples" / "nginx.conf"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def _nginx() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found:
        return found
    reason = "nginx is not installed: `make test` installs Debian's nginx package as root"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Proxy:
    port: int
    ca: ssl.SSLContext

    def http(self, local: str = "127.0.0.2", **headers: str) -> httpx.Client:
        """A client of the proxy from the loopback address ``local``."""
        return httpx.Client(
            base_url=f"https://127.0.0.1:{self.port}/scim/v1",
            verify=self.ca,
            headers=headers,
            transport=httpx.HTTPTransport(local_address=local, verify=self.ca),
            timeout=10,
        )


def _certificate(tmp: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 (openssl CLI)."""
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


def start_proxy(tmp: Path, upstream: int) -> tuple[Proxy, subprocess.Popen[bytes]]:
    """nginx on a free loopback port in front of ``127.0.0.1:upstream``."""
    nginx = _nginx()
    tmp.mkdir(parents=True, exist_ok=True)
    cert, key = _certificate(tmp)
    port = free_port()
    values = {
        "@LISTEN@": f"127.0.0.1:{port}",
        "@SERVER_NAME@": "localhost",
        "@CERTIFICATE@": str(cert),
        "@CERTIFICATE_KEY@": str(key),
        "@UPSTREAM@": f"127.0.0.1:{upstream}",
    }
    text = EXAMPLE.read_text()
    for placeholder, value in values.items():
        assert placeholder in text, placeholder
        text = text.replace(placeholder, value)
    assert not re.search(r"@[A-Z_]+@", text), "a placeholder the test does not fill"
    (tmp / "nginx.conf").write_text(text)
    process = subprocess.Popen(
        [nginx, "-c", str(tmp / "nginx.conf"), "-p", f"{tmp}/", "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp / "nginx.log", "wb"),
    )

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    wait_until(listening, 10, "nginx to listen", process=process, log=tmp / "nginx.log")
    return Proxy(port, ssl.create_default_context(cafile=str(cert))), process


def stop_proxy(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def behind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Proxy]]:
    """scimdock with its default trusted proxies (127.0.0.1, ::1) behind nginx."""
    _nginx()
    srv = start_server(tmp_path_factory.mktemp("tls-scimdock"), in_process=True)
    proxy, process = start_proxy(tmp_path_factory.mktemp("tls-nginx"), srv.port)
    yield srv, proxy
    stop_proxy(process)
    stop_server(srv)


def _audit_addresses(server: Server, tenant: str) -> list[object]:
    page = Client(server, server.operator_token, admin=True).get(f"/tenants/{tenant}/audit")
    assert page.status_code == 200, page.text
    return [e["actor"]["address"] for e in page.json()["Resources"] if e["resourceType"] == "User"]


def test_entra_test_connection_over_https(behind: tuple[Server, Proxy]) -> None:
    server, proxy = behind
    token = server.tenant("tlsconnect")
    with proxy.http(Authorization=f"Bearer {token}") as http:
        r = http.get("/Users", params={"filter": 'userName eq "x"'})
    assert r.status_code == 200, r.text
    assert r.json()["totalResults"] == 0
    assert r.headers["content-type"].startswith("application/scim+json")


def test_location_and_address_come_from_the_trusted_proxy(behind: tuple[Server, Proxy]) -> None:
    """The client forges X-Forwarded-For and -Proto; the proxy replaces both."""
    server, proxy = behind
    token = server.tenant("tlsproxied")
    forged = {"X-Forwarded-For": "198.51.100.66", "X-Forwarded-Proto": "http"}
    with proxy.http("127.0.0.2", Authorization=f"Bearer {token}", **forged) as http:
        body = {"schemas": [USER], "userName": "ann@tls.test"}
        made = http.post("/Users", json=body, headers={"Content-Type": "application/scim+json"})
    assert made.status_code == 201, made.text
    origin = f"https://127.0.0.1:{proxy.port}/scim/v1/Users/"
    assert made.json()["meta"]["location"] == made.headers["location"]
    assert made.headers["location"] == origin + made.json()["id"]
    assert _audit_addresses(server, "tlsproxied") == ["127.0.0.2"]


def test_forwarded_headers_from_an_untrusted_address_are_not_believed(
    behind: tuple[Server, Proxy],
) -> None:
    """Straight to scimdock from 127.0.0.3, not a trusted proxy."""
    server, _ = behind
    token = server.tenant("tlsdirect")
    forged = {"X-Forwarded-For": "198.51.100.66", "X-Forwarded-Proto": "https"}
    with httpx.Client(
        base_url=server.base,
        headers={"Authorization": f"Bearer {token}", **forged},
        transport=httpx.HTTPTransport(local_address="127.0.0.3"),
    ) as http:
        made = http.post("/Users", json={"schemas": [USER], "userName": "bob@tls.test"})
    assert made.status_code == 201, made.text
    assert made.json()["meta"]["location"].startswith(f"{server.base}/Users/")
    assert _audit_addresses(server, "tlsdirect") == ["127.0.0.3"]


def test_the_host_reaches_scimdock_and_is_checked_against_the_key(
    behind: tuple[Server, Proxy],
) -> None:
    """Under the default domain ``localhost``, ``<tenant>.localhost`` names a tenant."""
    server, proxy = behind
    token = server.tenant("tlshost")
    server.tenant("tlsother")
    with proxy.http(Authorization=f"Bearer {token}") as http:
        own = http.get("/Users", headers={"Host": f"tlshost.localhost:{proxy.port}"})
        other = http.get("/Users", headers={"Host": f"tlsother.localhost:{proxy.port}"})
    assert own.status_code == 200, own.text
    assert other.status_code == 401, other.text
    assert other.json()["schemas"] == [ERROR]


def test_body_limits_of_proxy_and_server_agree(behind: tuple[Server, Proxy]) -> None:
    """``client_max_body_size`` is SCIMDOCK_MAX_BODY's default; a body the
    proxy buffers to disk passes, one over the limit is a SCIM Error 413."""
    server, proxy = behind
    size = re.search(r"client_max_body_size (\d+)m;", EXAMPLE.read_text())
    assert size is not None and int(size.group(1)) << 20 == Settings.max_body
    token = server.tenant("tlsbody")
    emails = [{"value": f"user{n:05}@example.com"} for n in range(4000)]  # ~140 kB
    headers = {"Content-Type": "application/scim+json"}
    with proxy.http(Authorization=f"Bearer {token}") as http:
        big = {"schemas": [USER], "userName": "big@tls.test", "emails": emails}
        made = http.post("/Users", json=big, headers=headers)
        assert made.status_code == 201, made.text
        assert len(http.get("/Users").json()["Resources"][0]["emails"]) == 4000
        over = http.post("/Users", content=b" " * (Settings.max_body + 1), headers=headers)
    assert over.status_code == 413
    assert over.headers["content-type"].startswith("application/scim+json")
    assert over.json()["schemas"] == [ERROR] and over.json()["status"] == "413"


def test_scimdock_down_is_a_scim_error(tmp_path: Path) -> None:
    _nginx()
    proxy, process = start_proxy(tmp_path, free_port())  # nothing listens there
    try:
        with proxy.http() as http:
            r = http.get("/Users")
    finally:
        stop_proxy(process)
    assert r.status_code == 502
    assert r.headers["content-type"].startswith("application/scim+json")
    assert r.json()["schemas"] == [ERROR] and r.json()["status"] == "502"
