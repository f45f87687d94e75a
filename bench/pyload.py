"""A small multi-process HTTP load generator (the fallback for wrk, and the
"N users through POST with 4 concurrent clients" step).

One process per connection, pinned to core 1, each with one keep-alive
:class:`http.client.HTTPConnection`, sending the same requests as the Lua
scripts in ``bench/lua/``. Latency is measured around each request and
response read. Python clients cost ~0.1 ms per request themselves, so the
figures are a lower bound of the server's throughput when the server is
faster than that.
"""

from __future__ import annotations

import http.client
import multiprocessing as mp
import os
import random
import statistics
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from bench.load import Result

Request = tuple[str, str, str | None]  # method, path, body

_POST = (
    '{{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",'
    '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],'
    '"userName":"{n}@example.com","externalId":"{n}","active":true,'
    '"displayName":"Bench User {n}","name":{{"givenName":"Bench","familyName":"{n}"}},'
    '"emails":[{{"value":"{n}@example.com","type":"work","primary":true}}],'
    '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":'
    '{{"employeeNumber":"{n}","department":"Engineering"}}}}'
)
_PATCH = (
    '{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
    '"Operations":[{{"op":"Replace","path":"active","value":"{v}"}}]}}'
)
_ADD = (
    '{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
    '"Operations":[{{"op":"Add","path":"members","value":[{{"value":"{id}"}}]}}]}}'
)


def requests(workload: str, config: dict[str, Any], worker: int) -> Iterator[Request]:
    """The endless request stream of one worker, as in ``lua/<workload>.lua``."""
    base, k = config["base"], 0
    while True:
        if workload == "get":
            yield "GET", f"{base}/Users/{random.choice(config['ids'])}", None
        elif workload == "filter":
            name = config["name_fmt"] % random.randint(1, config["names"])
            yield "GET", f"{base}/Users?filter=userName%20eq%20%22{name}%22", None
        elif workload == "list":
            yield "GET", f"{base}/Users?count=100", None
        elif workload == "post":
            yield "POST", f"{base}/Users", _POST.format(n=f"{config['prefix']}{worker}x{k}")
        elif workload == "patch":
            ids = config["ids"]
            value = "False" if (k // len(ids)) % 2 == 0 else "True"
            yield "PATCH", f"{base}/Users/{ids[k % len(ids)]}", _PATCH.format(v=value)
        elif workload == "group_patch":  # one connection: see lua/group_patch.lua
            ids = config["ids"]
            yield "PATCH", f"{base}/Groups/{config['group']}", _ADD.format(id=ids[k % len(ids)])
        else:
            raise ValueError(workload)
        k += 1


def _worker(
    origin: str,
    workload: str,
    config: dict[str, Any],
    worker: int,
    deadline: float,
    limit: int | None,
    out: Any,
) -> None:
    os.sched_setaffinity(0, {1} if os.cpu_count() and os.cpu_count() > 1 else {0})
    url = urlsplit(origin)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {
        "Authorization": config["auth"],
        "Accept": "application/scim+json",
        "Content-Type": "application/scim+json",
    }
    latencies: list[float] = []
    non2xx, first_error = 0, ""
    stream = requests(workload, config, worker)
    while time.monotonic() < deadline and (limit is None or len(latencies) < limit):
        method, path, body = next(stream)
        start = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        latencies.append(time.perf_counter() - start)
        if resp.status >= 400:
            non2xx += 1
            first_error = first_error or f"{resp.status} {data[:300].decode(errors='replace')}"
    out.put((latencies, non2xx, first_error))


def run(
    origin: str,
    workload: str,
    config: dict[str, Any],
    *,
    seconds: float,
    connections: int,
    limit_per_connection: int | None = None,
) -> Result:
    """``connections`` processes for ``seconds`` (or until each has sent
    ``limit_per_connection`` requests); merged figures."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    deadline = time.monotonic() + seconds
    start = time.perf_counter()
    procs = [
        ctx.Process(
            target=_worker, args=(origin, workload, config, i, deadline, limit_per_connection, out)
        )
        for i in range(connections)
    ]
    for p in procs:
        p.start()
    parts = [out.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - start
    lat = sorted(x for part in parts for x in part[0])
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else lat * 99
    return Result(
        requests=len(lat),
        seconds=round(elapsed, 2),
        rps=round(len(lat) / elapsed, 1),
        p50_ms=round(q[49] * 1000, 3),
        p90_ms=round(q[89] * 1000, 3),
        p99_ms=round(q[98] * 1000, 3),
        max_ms=round(lat[-1] * 1000, 3) if lat else 0.0,
        non2xx=sum(part[1] for part in parts),
        socket_errors=0,
        first_error=next((part[2] for part in parts if part[2]), ""),
        generator="python",
    )
