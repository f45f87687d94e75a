"""Prometheus metrics (docs/configuration.md, "Metrics"), in the text
exposition format of the ``prometheus_client`` library.

``SCIMDOCK_METRICS`` says where ``/metrics`` is served:

* ``off`` (the default): nowhere, and nothing is recorded;
* ``token``: on the main port at ``/metrics``, to a bearer token
  (RFC 6750 §2.1) equal to ``SCIMDOCK_METRICS_TOKEN``, compared in constant
  time with its SHA-256 like the operator token; outside tenant
  authentication and outside the SCIM and admin APIs (RFC 7644 §3.2 lists
  no such resource), as the probes (scimdock.front.probes);
* ``port:9464``: on a port of its own (``SCIMDOCK_METRICS_HOST``, default
  127.0.0.1), without a token, by ``scimdock serve``; the main port has no
  ``/metrics``.

With ``--workers N`` every process records into files of a shared
directory (the library's multiprocess mode, ``PROMETHEUS_MULTIPROC_DIR``,
set by ``scimdock serve``), and ``/metrics`` adds them all up.

The request counter and latency histogram are fed by the access log
middleware (scimdock.front), which knows each request's operationId,
status and duration; every 401 it sends is an authentication failure
(RFC 9110 §15.5.2). Refusals of the limits (handlers.throttle) are counted
by reason; the store's own metrics live in store.metrics.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections import Counter as Tally
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.types import Scope, Send

from scimdock.config import ADMIN_TOKEN_MIN, ConfigError
from scimdock.core import credentials
from scimdock.core.errors import ScimError
from scimdock.store import metrics as store_metrics

PATH = "/metrics"
DEFAULT_HOST = "127.0.0.1"
#: The label of a request no operation was routed to (a 404, a probe).
NO_OPERATION = "none"

REQUESTS = Counter(
    "scimdock_requests", "Requests answered, by operationId and status", ["operation", "status"]
)
LATENCY = Histogram(
    "scimdock_request_seconds",
    "Time from a request's arrival to its response's end, by operationId",
    ["operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
AUTH_FAILURES = Counter(
    "scimdock_auth_failures", "Requests refused with 401 (authentication failed), by API", ["api"]
)
THROTTLED = Counter(
    "scimdock_throttled_requests",
    "Requests refused with 429 by the limits, by reason",
    ["reason"],
)


@dataclass(frozen=True)
class Mode:
    """Where ``/metrics`` is served: ``kind`` is off, token or port."""

    kind: str
    port: int = 0
    host: str = DEFAULT_HOST
    token_hash: bytes | None = None


def mode() -> Mode:
    """The mode of ``SCIMDOCK_METRICS`` (:class:`ConfigError` if unusable)."""
    text = os.environ.get("SCIMDOCK_METRICS", "").strip().lower()
    if text in ("", "off"):
        return Mode("off")
    if text == "token":
        token = os.environ.get("SCIMDOCK_METRICS_TOKEN", "").strip()
        if len(token) < ADMIN_TOKEN_MIN:
            raise ConfigError(
                "SCIMDOCK_METRICS=token needs SCIMDOCK_METRICS_TOKEN of at least"
                f" {ADMIN_TOKEN_MIN} random characters"
            )
        return Mode("token", token_hash=credentials.hash_secret(token))
    if text.startswith("port:"):
        from scimdock.config import port

        try:
            number = port(text[5:])
        except ValueError as exc:
            raise ConfigError(f"SCIMDOCK_METRICS: {exc}") from None
        host = os.environ.get("SCIMDOCK_METRICS_HOST", "").strip() or DEFAULT_HOST
        return Mode("port", port=number, host=host)
    raise ConfigError(f"SCIMDOCK_METRICS: off, token or port:<number>, not {text!r}")


def registry() -> CollectorRegistry:
    """This process's registry, or every process's in multiprocess mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)  # type: ignore[no-untyped-call]
    return combined


@contextlib.contextmanager
def shared_across(processes: int) -> Iterator[None]:
    """Multiprocess mode for ``processes`` above 1: a fresh directory in
    ``PROMETHEUS_MULTIPROC_DIR`` for the workers started meanwhile (they
    inherit the environment), removed afterwards; an operator's own
    directory is kept."""
    if processes <= 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="scimdock-metrics-") as directory:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        try:
            yield
        finally:
            del os.environ["PROMETHEUS_MULTIPROC_DIR"]


def start_port(selected: Mode) -> None:
    """Serve ``/metrics`` on the mode's own port (a daemon thread)."""
    from prometheus_client import start_http_server

    start_http_server(selected.port, addr=selected.host, registry=registry())


def observe_request(operation: str | None, path: str, status: int, seconds: float) -> None:
    """One answered request (scimdock.front)."""
    name = operation or NO_OPERATION
    REQUESTS.labels(name, str(status)).inc()
    LATENCY.labels(name).observe(seconds)
    if status == 401:
        AUTH_FAILURES.labels("admin" if path.startswith("/admin/") else "scim").inc()


class Refusals(Tally[str]):
    """``Throttle.refused`` (handlers.throttle) that also counts each refusal
    in :data:`THROTTLED`."""

    def __setitem__(self, reason: str, count: int) -> None:
        THROTTLED.labels(reason).inc(count - self.get(reason, 0))
        super().__setitem__(reason, count)


def record(throttle: Any) -> None:
    """Start recording in this process: the store's metrics and ``throttle``'s refusals."""
    store_metrics.enable()
    refusals = Refusals()
    refusals.update(throttle.refused)
    throttle.refused = refusals


async def answer(scope: Scope, send: Send, token_hash: bytes) -> None:
    """``GET /metrics`` on the main port, to the metrics token only (the
    front door, scimdock.front, sends :data:`PATH` here)."""
    method = scope["method"]
    if method not in ("GET", "HEAD"):
        await _error(
            send, ScimError(405, f"{PATH} answers GET and HEAD only"), b"allow", b"GET, HEAD"
        )
    elif not _authorized(scope, token_hash):
        error = ScimError(401, "The metrics token is required (Authorization: Bearer)")
        await _error(send, error, b"www-authenticate", b'Bearer realm="metrics"')
    else:
        body = generate_latest(registry())
        headers = [
            (b"content-type", CONTENT_TYPE_LATEST.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


def _authorized(scope: Scope, token_hash: bytes) -> bool:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return scheme.lower() == "bearer" and credentials.verify_verbatim(
                token.strip(), token_hash
            )
    return False


async def _error(send: Send, error: ScimError, name: bytes, value: bytes) -> None:
    """A SCIM Error (RFC 7644 §3.12)."""
    content = orjson.dumps(error.to_dict())
    headers = [
        (b"content-type", b"application/scim+json"),
        (b"content-length", str(len(content)).encode()),
        (name, value),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
