"""Instructions per ``GET /Users/{id}`` (or per ``POST /Users``), counted
by valgrind's callgrind: a figure that does not move with the other jobs
of a shared machine.

Usage::

    .venv/bin/python bench/instructions.py [-n 300] [-l info] [-w get|post] [-e NAME=VALUE] [VARIANT ...]

A variant is ``tuned`` (this checkout) or ``NAME=DIR``: another checkout of
scimdock (e.g. a ``git worktree`` of an older commit) run on this venv's
libraries. For each: a fresh database, a tenant and key made by that
checkout's command line, then ``scimdock serve`` itself (its settings, its
uvicorn protocol, every middleware, the store) in one process under
callgrind, with no socket: ``uvicorn.Server`` is replaced by a driver that
feeds raw HTTP/1.1 requests to the protocol over a stand-in transport and
runs the event loop until each response is whole. 50 users are POSTed and
300 GETs warm up with callgrind's instrumentation off; it is switched on
(``callgrind_control -i on``) for ``-n`` GETs only (``-w post``: ``-n``
POSTs of new users, every thread's instructions counted, the commit
thread's included). Needs ``valgrind`` (Debian's package). Not part of
``make bench``. ``-e NAME=VALUE`` sets a server setting over
:data:`ENV` (``-e SCIMDOCK_RATE_TENANT=6000/minute``: the limits counted,
as by default).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
# A checkout's command line, on this venv: argv[1] is the checkout.
CLI = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); "
    "from scimdock.cli import main; raise SystemExit(main(sys.argv[1:]))"
)
ENV = {
    "SCIMDOCK_VALIDATE_RESPONSES": "0",
    "SCIMDOCK_SYNCHRONOUS": "FULL",
    "SCIMDOCK_RATE_TENANT": "off",
}


def package_tree(checkout: str, into: Path) -> str:
    """A directory whose ``scimdock/`` is ``checkout``'s whole package, as
    setuptools maps it (``core/``, ``handlers/``, ``store/``, ``openapi/``
    under ``scimdock/``), made of links in ``into``: on ``sys.path`` it wins
    over this venv's editable install, which maps those folders to this
    checkout whatever comes first."""
    package = into / "scimdock"
    package.mkdir(parents=True)
    for entry in Path(checkout, "scimdock").iterdir():
        (package / entry.name).symlink_to(entry)
    for folder in ("core", "handlers", "store", "openapi"):
        (package / folder).symlink_to(Path(checkout, folder))
        # An older checkout imports them as top-level packages (``handlers``).
        (into / folder).symlink_to(Path(checkout, folder))
    return str(into)


def count(tree: str, n: int, log_level: str, env: dict[str, str], workload: str = "get") -> int:
    """Instructions of ``n`` requests of ``workload`` on checkout ``tree``."""
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "ir.db")

        def cli(*args: str) -> str:
            out = subprocess.run(
                [PY, "-c", CLI, tree, "--db", db, *args], capture_output=True, text=True
            )
            if out.returncode:
                raise SystemExit(out.stderr)
            return out.stdout

        cli("tenant", "create", "t")
        cli("tenant", "enable-scim", "t")
        token = json.loads(cli("key", "create", "--tenant", "t", "--json"))["token"]
        out = Path(tmp) / "callgrind.out"
        run = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}",
                PY,
                __file__,
                "--inner",
                tree,
                db,
                token,
                str(n),
                log_level,
                workload,
            ],
            env={**os.environ, **ENV, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        found = re.search(r"Collected : (\d+)", run.stderr)
        if found is None or "GETS DONE" not in run.stderr:  # (serve then says it ended)
            raise SystemExit(run.stderr[-3000:])
        return int(found.group(1))


class Transport:
    """What uvicorn's protocol needs of a transport; keeps what is written."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.closing = False
        #: Set on each write and on close: a response still being made is
        #: awaited without spinning the loop (a POST waits for its commit).
        self.moved = asyncio.Event()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 40000)}.get(
            name, default
        )

    def write(self, data: bytes) -> None:
        self.out += data
        self.moved.set()

    def writelines(self, chunks: list[bytes]) -> None:
        for chunk in chunks:
            self.out += chunk
        self.moved.set()

    def set_protocol(self, protocol: Any) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True
        self.moved.set()

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        pass


async def exchange(protocol: Any, transport: Transport, raw: bytes) -> bytes:
    """Send one request; the whole response once the loop has written it."""
    protocol.data_received(raw)
    while True:
        head = transport.out.find(b"\r\n\r\n")
        if head >= 0:
            length = re.search(rb"content-length: (\d+)", bytes(transport.out[:head]), re.I)
            assert length is not None
            end = head + 4 + int(length.group(1))
            if len(transport.out) >= end:
                response = bytes(transport.out[:end])
                del transport.out[:end]
                return response
        if transport.closing:
            raise RuntimeError(f"connection closed; written: {bytes(transport.out[:300])!r}")
        transport.moved.clear()
        await transport.moved.wait()


def post_request(auth: bytes, i: int) -> bytes:
    """``POST /Users`` of a new user ``i``."""
    body = json.dumps(
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": f"user{i}@example.com",
            "name": {"givenName": f"Given{i}", "familyName": f"Family{i}"},
            "emails": [{"value": f"user{i}@example.com", "type": "work"}],
        }
    ).encode()
    return (
        b"POST /scim/v1/Users HTTP/1.1\r\n" + auth + b"Content-Type: application/scim+json"
        b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


def inner(tree: str, db: str, token: str, n: int, log_level: str, workload: str) -> None:
    """In the server process: ``scimdock serve`` with the driver as its server."""
    sys.path.insert(0, tree)
    import uvicorn

    async def drive(self: Any, sockets: Any = None) -> None:
        config = self.config
        if not config.loaded:
            config.load()
        self.lifespan = config.lifespan_class(config)
        await self.lifespan.startup()
        protocol = config.http_protocol_class(
            config=config,
            server_state=self.server_state,
            app_state=self.lifespan.state,
            _loop=asyncio.get_running_loop(),
        )
        transport = Transport()
        protocol.connection_made(transport)
        auth = f"Host: 127.0.0.1:8000\r\nAuthorization: Bearer {token}\r\n".encode()
        ids = []
        for i in range(50):
            response = await exchange(protocol, transport, post_request(auth, i))
            assert response.startswith(b"HTTP/1.1 201"), response[:300]
            ids.append(json.loads(response[response.find(b"\r\n\r\n") + 4 :])["id"])
        gets = [f"GET /scim/v1/Users/{i} HTTP/1.1\r\n".encode() + auth + b"\r\n" for i in ids]
        for k in range(300):
            response = await exchange(protocol, transport, gets[k % len(gets)])
            assert response.startswith(b"HTTP/1.1 200"), response[:300]
        counted = [
            gets[k % len(gets)] if workload == "get" else post_request(auth, 1000 + k)
            for k in range(n)
        ]
        control = ["callgrind_control", "-i"]
        subprocess.run([*control, "on", str(os.getpid())], check=True, capture_output=True)
        answers = [await exchange(protocol, transport, raw) for raw in counted]
        subprocess.run([*control, "off", str(os.getpid())], check=True, capture_output=True)
        want = b"HTTP/1.1 201" if workload == "post" else b"HTTP/1.1 200"
        wrong = [a[:300] for a in answers if not a.startswith(want)]
        assert not wrong, wrong[0]  # a count of failed requests would mean nothing
        print("GETS DONE", file=sys.stderr)
        protocol.connection_lost(None)
        await self.lifespan.shutdown()

    uvicorn.Server._serve = drive  # type: ignore[method-assign]
    from scimdock.cli import main

    with socket.socket() as probe:  # serve binds its port: a free one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    main(["--db", db, "serve", "--port", str(port), "--log-level", log_level])


def main() -> int:
    if sys.argv[1:2] == ["--inner"]:
        tree, db, token, n, level, workload = sys.argv[2:8]
        inner(tree, db, token, int(n), level, workload)
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("variants", nargs="*", default=["tuned"])
    p.add_argument("-n", type=int, default=300, help="GETs counted")
    p.add_argument("-l", "--log-level", default="info")
    p.add_argument("-w", "--workload", choices=("get", "post"), default="get")
    p.add_argument("-e", "--env", action="append", default=[], metavar="NAME=VALUE")
    args = p.parse_args()
    env = dict(item.split("=", 1) for item in args.env)
    results = {}
    for spec in args.variants:
        name, checkout = spec.split("=", 1) if "=" in spec else (spec, str(ROOT))
        with tempfile.TemporaryDirectory() as links:
            tree = package_tree(checkout, Path(links))
            results[name] = count(tree, args.n, args.log_level, env, args.workload) / args.n
        per = "GET" if args.workload == "get" else "POST"
        print(f"  {name:12} {results[name]:>12,.0f} instructions per {per}", flush=True)
    first = next(iter(results.values()))
    for name, ir in results.items():
        print(f"  {name:12} {ir / first:5.3f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
