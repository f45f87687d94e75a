"""Shared fixtures: a real scimdock server (uvicorn, SQLite file) per test
session, tenants and keys made on the real store of its database (the
writes the CLI makes), and an HTTP client that checks every response
against openapi/scim.yaml or openapi/admin.yaml with openapi-core.

``--backend=postgresql`` runs every server the tests start on a fresh
database of a throwaway PostgreSQL cluster (tests/postgres_cluster.py)
instead of a SQLite file; tests marked ``sqlite_only`` (about SQLite's
file itself) are left to the SQLite run."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse

from scimdock.core import credentials
from scimdock.core.clock import ManualClock
from scimdock.core.tenants import check_name
from scimdock.store.blocking import BlockingStore
from scimdock.store.opening import open_store

# The store contract's asserts explain their failures as a test module's do
# (registered before any backend's contract module imports it).
pytest.register_assert_rewrite("tests.store_contract")
from tests.long_first import long_first  # noqa: E402
from tests.postgres_cluster import postgres_cluster  # noqa: E402, F401  (a session fixture)

ROOT = Path(__file__).resolve().parent
SPEC = ROOT / "openapi" / "scim.yaml"
ADMIN_SPEC = ROOT / "openapi" / "admin.yaml"
#: Each API's base path and its document.
APIS = {"/scim/v1": SPEC, "/admin/v1": ADMIN_SPEC}
_OPENAPI: dict[str, OpenAPI] = {}
T = TypeVar("T")


def openapi(base_path: str = "/scim/v1") -> OpenAPI:
    if base_path not in _OPENAPI:
        # openapi-core knows application/json; SCIM's media type is JSON too.
        # The journal's JSON Lines and event stream are text, checked as strings.
        config = Config(
            extra_media_type_deserializers={
                "application/scim+json": json.loads,
                "application/jsonl": _text,
                "text/event-stream": _text,
            }
        )
        _OPENAPI[base_path] = OpenAPI.from_file_path(str(APIS[base_path]), config=config)
    return _OPENAPI[base_path]


def _text(body: bytes | str, **_params: str) -> str:
    return body.decode() if isinstance(body, bytes) else body


def cli(db: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``scimdock`` CLI against ``db``."""
    return subprocess.run(
        [sys.executable, "-m", "scimdock", "--db", str(db), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running ``scimdock serve``: a process, or the same application
    served in this process (``process`` ``None``, :attr:`halt` stops it)."""

    #: The database: a SQLite file, or a PostgreSQL URL (``--backend``).
    db: Path | str
    port: int
    process: subprocess.Popen[bytes]
    #: SCIMDOCK_ADMIN_TOKEN of the process: the admin API's operator token.
    operator_token: str = ""
    #: The process's working directory, with its ``server.log``.
    home: Path = field(default_factory=Path)
    _store: BlockingStore | None = field(default=None, repr=False)
    #: Stops a server served in this process (tests/in_process.py).
    halt: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base(self) -> str:
        return f"{self.origin}/scim/v1"

    @property
    def admin(self) -> str:
        return f"{self.origin}/admin/v1"

    @property
    def store(self) -> Any:
        """The server's database, opened in this process and called
        synchronously, as the CLI's store is (scimdock.cli.common.store_of):
        migrated, every write one committed transaction with its audit line
        (actor ``cli``)."""
        if self._store is None:
            self._store = BlockingStore(open_store(self.db))
        return self._store

    def tenant(self, name: str, *, enabled: bool = True) -> str:
        """Create a tenant (SCIM on unless ``enabled=False``) and return a token.

        The writes of ``scimdock tenant create``, ``tenant enable-scim`` and
        ``key create``, made on :attr:`store` rather than by three CLI
        processes (each spent about a quarter of a second starting Python);
        tests/integration/test_cli*.py test the commands themselves. The
        server sees them on its next request: a change to a key or a tenant
        moves ``key_epoch`` (docs/architecture.md, "Key lookups")."""
        self.store.create_tenant(check_name(name))
        if enabled:
            self.store.set_scim_enabled(name, True)
        return self.key(name)

    def key(self, tenant: str) -> str:
        """A new key of ``tenant`` (as ``scimdock key create``); its token."""
        found = self.store.get_tenant(tenant)
        assert found is not None, f"no tenant {tenant!r}"
        new = credentials.generate(credentials.SYSTEM_RANDOM)
        self.store.add_key(found.id, new.key_id, new.secret_hash, "")
        return new.token

    def close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


#: ``--tuning=off``: every server started here runs Connexion and uvicorn as
#: shipped (``SCIMDOCK_TUNING=off``, scimdock/tuning/ skipped).
TUNING: dict[str, str] = {}
#: ``--backend``: the database kind every server started here runs on.
BACKEND: dict[str, str] = {"name": "sqlite"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--tuning",
        choices=("on", "off"),
        default=None,
        help="SCIMDOCK_TUNING of the servers the tests start (default: inherited)",
    )
    parser.addoption(
        "--backend",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the database of the servers the tests start (postgresql: a throwaway cluster)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("tuning"):
        TUNING["SCIMDOCK_TUNING"] = config.getoption("tuning")
    BACKEND["name"] = config.getoption("backend")
    config.addinivalue_line(
        "markers",
        "sqlite_only(reason): about SQLite's file itself; runs in the SQLite run only",
    )
    config.addinivalue_line(
        "markers",
        "postgresql_only(reason): what only PostgreSQL serves (serve --workers); "
        "runs in the PostgreSQL run only",
    )
    config.addinivalue_line(
        "markers",
        "backend_independent(reason): what the test checks the store cannot change "
        "(the HTTP edge, the command line's words, a server of its own); runs in the "
        "SQLite run only",
    )
    config.addinivalue_line(
        "markers",
        "postgresql_only(reason): about PostgreSQL's server itself (its outages, a "
        "failover); runs in the PostgreSQL run only",
    )
    config.addinivalue_line(
        "markers",
        "runs_long(reason): takes a minute or more by design (a wait it tests, a fuzzer's "
        "budget); handed out first, one per pytest-xdist worker (tests/long_first.py)",
    )


#: The tests left to the other backend's run, by marker.
DESELECTED: dict[str, int] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``--backend=postgresql``, the ``sqlite_only`` and
    ``backend_independent`` tests are deselected (they ran in the SQLite
    run), and under SQLite the ``postgresql_only`` ones: counted by marker
    in the summary, never skipped silently. The ``runs_long`` tests go to
    the front of each pytest-xdist worker's share (tests/long_first.py), so
    that they start at once, one per worker, and the short ones fill in."""
    if BACKEND["name"] == "sqlite":
        markers: tuple[str, ...] = ("postgresql_only",)
    else:
        markers = ("sqlite_only", "backend_independent")
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        marker = next((m for m in markers if item.get_closest_marker(m) is not None), None)
        (kept if marker is None else dropped).append(item)
        if marker is not None:
            DESELECTED[marker] = DESELECTED.get(marker, 0) + 1
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    items[:] = long_first(
        kept, lambda item: item.get_closest_marker("runs_long") is not None, workers
    )


#: What the tests measured (:func:`figure`), in the order they reported it.
FIGURES: list[str] = []


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Report a figure a test measured (a time, a rate): printed at the end
    of the run, also under pytest-xdist, whose workers' output is not shown
    (it travels to the controller as the report's ``user_properties``)."""

    def note(text: str) -> None:
        print(text)
        request.node.user_properties.append(("figure", text))

    return note


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        FIGURES.extend(str(v) for k, v in report.user_properties if k == "figure")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.write_sep("-", "figures measured")
        for line in FIGURES:
            terminalreporter.write_line(line)
    if DESELECTED:
        left = ", ".join(f"{n} {marker}" for marker, n in sorted(DESELECTED.items()))
        other = "PostgreSQL" if BACKEND["name"] == "sqlite" else "SQLite"
        terminalreporter.write_line(f"left to the {other} run (deselected here): {left}")


def new_database(tmp: Path) -> Path | str:
    """A new, empty database for a server: ``tmp/scimdock.db``, or a fresh
    database of the session's PostgreSQL cluster (``--backend=postgresql``)."""
    if BACKEND["name"] == "sqlite":
        return tmp / "scimdock.db"
    from tests.postgres_cluster import session_cluster

    return session_cluster().new_database()


def start_server(
    tmp: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    db: Path | str | None = None,
    in_process: bool = False,
) -> Server:
    """``scimdock serve`` in ``tmp`` (its working directory and ``server.log``)
    on ``db`` (default :func:`new_database`; give another server's to run two
    instances on one database).

    ``in_process``: the same application served in this process instead
    (tests/in_process.py), for a test that needs no process of its own (no
    signal, no log file); where ``extra`` or ``env`` ask for what only a
    process honours (``--workers``, ``--tuning=off``, the slow-client
    timeouts), a process all the same."""
    from tests import in_process as here

    db = db or new_database(tmp)
    environ = {
        **os.environ,
        "SCIMDOCK_VALIDATE_RESPONSES": "1",
        "SCIMDOCK_ADMIN_TOKEN": secrets.token_urlsafe(32),
        # A fuzzer sends one tenant thousands of requests a minute: the
        # tenant's rate on, far above what the tests send. The failed-login
        # limit stays at its default (tests/integration/test_abuse_limits.py
        # sets its own where that is what it tests).
        "SCIMDOCK_RATE_TENANT": "100000/minute",
        **TUNING,
        **(env or {}),
    }
    if in_process and not here.needs_process(environ, extra):
        port, halt = here.start(db, environ, extra)
        return Server(db, port, None, environ["SCIMDOCK_ADMIN_TOKEN"], home=tmp, halt=halt)  # type: ignore[arg-type]
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scimdock",
            "--db",
            str(db),
            "serve",
            "--port",
            str(port),
            "--log-level",
            "warning",
            *extra,
        ],
        # Outside the checkout: the server imports only the installed package.
        cwd=tmp,
        env=environ,
        stdout=open(tmp / "server.out", "wb"),  # the access log, at --log-level info
        stderr=open(tmp / "server.log", "wb"),
    )
    wait_until(
        lambda: serving(f"http://127.0.0.1:{port}"),
        30,
        f"the server on port {port} to start",
        process=process,
        log=tmp / "server.log",
    )
    return Server(db, port, process, environ["SCIMDOCK_ADMIN_TOKEN"], home=tmp)


async def loop_turns(turns: int = 1) -> None:
    """Let the running event loop take ``turns`` turns (each runs the
    callbacks the one before queued): a yield, not a wait of any length."""
    import asyncio

    for _ in range(turns):
        await asyncio.sleep(0)


def wait_until(
    predicate: Callable[[], T | None],
    timeout: float,
    what: str,
    *,
    process: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
    every: float = 0.05,
) -> T:
    """Call ``predicate`` until it returns something other than ``None`` or
    ``False``, and return that: the one way the tests wait for a condition
    (a server up, a write flushed) rather than for a time. Past ``timeout``
    seconds, :class:`TimeoutError` naming ``what`` (the awaited condition).

    ``process``: the server whose readiness is awaited; if it exits, a
    :class:`RuntimeError` with ``log`` (its log), and on the timeout it is
    killed and the error carries ``log`` too. The pauses between calls grow
    from a few milliseconds to ``every`` seconds."""
    deadline = time.monotonic() + timeout
    pause = 0.002
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"exited ({process.returncode}) waiting for {what}\n{_tail(log)}")
        value = predicate()
        if value is not None and value is not False:
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            if process is not None:
                process.kill()
            raise TimeoutError(f"gave up after {timeout:g} s waiting for {what}\n{_tail(log)}")
        time.sleep(min(pause, left))  # between two polls of the condition: times nothing
        pause = min(pause * 2, every)


async def until(check: Callable[[], Awaitable[object]], timeout: float, what: str) -> float:
    """:func:`wait_until` for a condition read by awaiting (a store's
    answer, a query of the server's own state): await ``check`` until it
    gives something true, and return the seconds that took. Past
    ``timeout``, :class:`TimeoutError` naming ``what``."""
    import asyncio

    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"gave up after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.005)  # between two polls of the condition: times nothing
    return time.monotonic() - started


def _tail(log: Path | None) -> str:
    """A server's log for an error message (empty if there is none)."""
    return log.read_text(errors="replace") if log is not None and log.exists() else ""


def serving(origin: str) -> bool:
    """Whether the scimdock at ``origin`` answers (its ServiceProviderConfig, 200)."""
    try:
        return httpx.get(f"{origin}/scim/v1/ServiceProviderConfig").status_code == 200
    except httpx.TransportError:
        return False


def on_the_wire() -> tuple[threading.Event, dict[str, Any]]:
    """An event, and the httpx ``extensions`` of a request that sets it once
    the request, body included, has been written to its socket (httpcore's
    trace): on loopback, it is then in the server's receive buffer."""
    sent = threading.Event()

    def trace(event: str, info: dict[str, Any]) -> None:
        if event == "http11.send_request_body.complete":
            sent.set()

    return sent, {"trace": trace}


@dataclass
class ClockedServer(Server):
    """The real app and SQLite store served by uvicorn on a loopback port,
    in this process (a thread) instead of a child, so that a test holds its
    clock: the store and the handlers run on ``clock``, a
    :class:`scimdock.core.clock.ManualClock` that starts at the current time
    and moves only when the test moves it. ``process`` is ``None``."""

    clock: ManualClock = field(default_factory=lambda: ManualClock(time.time()))


def start_clocked_server(tmp: Path, **settings: Any) -> tuple[ClockedServer, Callable[[], None]]:
    """A :class:`ClockedServer` on ``tmp/scimdock.db``, and the call that
    stops it (the server, then the store: the last key uses are written).
    ``settings``: fields of :class:`scimdock.settings.Settings` other
    than their defaults (what the test is about)."""
    from scimdock.app import create_front
    from scimdock.core import credentials
    from scimdock.settings import Settings
    from scimdock.tuning.transport import CoalescingProtocol
    from scimdock.worker import flush_at_shutdown
    from tests import in_process as here

    sock = here.loopback_socket()
    db, port, token = new_database(tmp), int(sock.getsockname()[1]), secrets.token_urlsafe(32)
    clock = ManualClock(time.time())
    store = open_store(db, clock=clock)
    app = create_front(  # the front door and the Connexion app, as served
        store,
        Settings(admin_token_hash=credentials.hash_secret(token), **settings),
        validate_responses=True,
        log=False,
    )
    # The store is closed when the server shuts down, on the server's loop
    # (a PostgreSQL pool's connections belong to it): the last key uses written.
    app = flush_at_shutdown(app, store, close=True, throttle=app.runtime.throttle)
    try:
        stop = here.serve_on_thread(
            app,
            sock,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            proxy_headers=True,
            server_header=False,
            access_log=False,
            http=CoalescingProtocol,
        )
    except BaseException:
        sock.close()
        here.close_unserved(store)
        raise
    return ClockedServer(db, port, None, token, home=tmp, clock=clock), stop  # type: ignore[arg-type]


@pytest.fixture
def clocked_server(tmp_path: Path) -> Iterator[ClockedServer]:
    """A fresh :class:`ClockedServer` (its own database) for one test."""
    srv, stop = start_clocked_server(tmp_path)
    yield srv
    srv.close_store()
    stop()


def stop_server(server: Server) -> None:
    server.close_store()
    if server.halt is not None:
        server.halt()
        return
    server.process.terminate()
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        server.process.kill()


class Client:
    """httpx over the live server; every response is validated against the
    OpenAPI document of its API (status, headers, body schema). ``admin``:
    the admin API (``/admin/v1``, JSON bodies) instead of SCIM."""

    def __init__(
        self, server: Server, token: str | None, *, validate: bool = True, admin: bool = False
    ) -> None:
        self.server = server
        self.validate = validate
        self.media_type = "application/json" if admin else "application/scim+json"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(
            base_url=server.admin if admin else server.base, headers=headers, timeout=30
        )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if "json" in kwargs and "content" not in kwargs:
            body = kwargs.pop("json")
            kwargs["content"] = json.dumps(body)
            kwargs.setdefault("headers", {}).setdefault("Content-Type", self.media_type)
        response = self.http.request(method, path, **kwargs)
        if self.validate:
            check_response(response)
        return response

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)


def check_response(response: httpx.Response) -> None:
    """Validate one response against the document with openapi-core."""
    req = response.request
    url = req.url
    # An API's base path is its root, as with a trailing slash (scimdock/front/paths.py);
    # openapi-core matches only the latter.
    path = url.path + "/" if url.path in APIS else url.path
    base_path = next((b for b in APIS if path.startswith(b)), None)
    assert base_path is not None, path
    request = MockRequest(
        f"{url.scheme}://{url.netloc.decode()}",
        req.method,
        path,
        args=dict(url.params),
        headers=dict(req.headers),
        data=req.content,
        content_type=req.headers.get("content-type", "application/json"),
    )
    mock = MockResponse(
        response.content,
        status_code=response.status_code,
        headers=dict(response.headers),
        content_type=response.headers.get("content-type", "application/json"),
    )
    if response.status_code >= 400:
        body = response.json()
        assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"], body
        assert body["status"] == str(response.status_code), body
        assert response.headers["content-type"].startswith("application/scim+json")
    try:
        openapi(base_path).validate_response(request, mock)
    except (PathNotFound, OperationNotFound):
        # Unknown paths and methods (404/405) have no operation to check against.
        assert response.status_code in (404, 405), response.status_code


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # In this process (tests/in_process.py). A test that reads the database's
    # files itself does so in a child (tests.database.file_bytes): a file of
    # it opened and closed here would drop this process's SQLite locks.
    srv = start_server(tmp_path_factory.mktemp("scimdock"), in_process=True)
    yield srv
    stop_server(srv)


_counter = iter(range(10**9))


@pytest.fixture
def tenant_name() -> str:
    return f"t{os.getpid()}x{next(_counter)}"


@pytest.fixture
def client(server: Server, tenant_name: str) -> Client:
    """A client of a fresh tenant of its own (SCIM enabled)."""
    return Client(server, server.tenant(tenant_name))


#: Limits raised for :func:`heavy_tenant`'s 400,000-character values
#: (docs/security.md, "Limits"): a server for the costly-query tests.
HEAVY_LIMITS = {"SCIMDOCK_MAX_BODY": str(4 << 20), "SCIMDOCK_MAX_STRING": "500000"}


def heavy_tenant(server: Server, name: str) -> Client:
    """A tenant whose users' e-mail values are long, so that a filter of many
    ``co`` comparisons scans megabytes and takes about a second
    (:func:`costly_filter`); the server needs :data:`HEAVY_LIMITS`."""
    client = Client(server, server.tenant(name))
    filler = "x" * 400_000
    for n in range(6):
        emails = [{"value": f"{filler}{n}{k}@example.com", "type": "work"} for k in range(4)]
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": f"h{n}",
            "emails": emails,
        }
        r = client.post("/Users", json=body)
        assert r.status_code == 201, r.text
    return client


def costly_filter(terms: int = 60) -> str:
    """The costliest filter the API takes: ``or`` of ``co`` over every value."""
    return " or ".join(f'emails[value co "q{i}-none"]' for i in range(terms))
