"""The 4 concurrent clients of the Entra-like cycle (bench/entra_cycle.py).

One forked process per client, pinned to the load core (1), each with one
keep-alive :class:`http.client.HTTPConnection`, as in bench/pyload.py. A
client works through its share of *tasks*, each a small flow of requests
that Entra sends for one object (match then create, match then update...),
and checks every answer the way Entra would: the status, and for a match
query the number of results (a 404, or a user found where none may be, is
an error). Latency is taken around each request and response read.
"""

from __future__ import annotations

import http.client
import multiprocessing as mp
import os
import resource
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from bench import entra_shapes as E

Task = tuple[Any, ...]
LOAD_CORE = 1


@dataclass
class PhaseRun:
    """What the clients of one phase did: per request kind, latencies (s)."""

    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    first_errors: list[str] = field(default_factory=list)
    results: list[tuple[Any, ...]] = field(default_factory=list)
    client_cpu_seconds: float = 0.0

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


class Client:
    """One Entra worker: one connection, its latencies and errors."""

    def __init__(self, origin: str, base: str, auth: str, run: str) -> None:
        url = urlsplit(origin)
        self.host, self.port, self.base, self.run = url.hostname or "", url.port, base, run
        self.headers = {
            "Authorization": auth,
            "Accept": "application/scim+json",
            "Content-Type": "application/scim+json; charset=utf-8",
        }
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.latencies: dict[str, list[float]] = {}
        self.errors, self.first_errors = 0, []
        self.results: list[tuple[Any, ...]] = []

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.first_errors) < 5:
            self.first_errors.append(message[:400])

    def call(self, kind: str, method: str, path: str, body: Any, expect: tuple[int, ...]) -> Any:
        """One request; the parsed JSON answer, or None when it failed."""
        data = orjson.dumps(body) if body is not None else None
        start = time.perf_counter()
        try:
            self.conn.request(method, self.base + path, body=data, headers=self.headers)
            resp = self.conn.getresponse()
            raw = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            self.latencies.setdefault(kind, []).append(time.perf_counter() - start)
            self.error(f"{kind}: {type(exc).__name__}: {exc}")
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            return None
        self.latencies.setdefault(kind, []).append(time.perf_counter() - start)
        if resp.status not in expect:
            self.error(
                f"{kind}: {method} {path} -> {resp.status} {raw[:300].decode(errors='replace')}"
            )
            return None
        return orjson.loads(raw) if raw else {}

    def match(self, kind: str, path: str, want: str | None) -> bool:
        """A match query: 200 with no result (``want`` None) or exactly ``want``."""
        found = self.call(kind, "GET", path, None, (200,))
        if found is None:
            return False
        ids = [r.get("id") for r in found.get("Resources", [])]
        if found.get("totalResults") != len(ids) or ids != ([want] if want else []):
            self.error(f"{kind}: {path} matched {ids}, expected {[want] if want else []}")
            return False
        return True

    def do(self, task: Task) -> None:
        """One flow, as Entra sends it (see bench/entra_shapes.py)."""
        what, run = task[0], self.run
        if what == "user_create":
            i = task[1]
            if self.match(
                "GET /Users?filter userName (none)", E.user_filter(E.user_name(run, i)), None
            ):
                made = self.call("POST /Users", "POST", "/Users", E.create_user(run, i), (201,))
                if made is not None:
                    self.results.append(("user", i, made["id"]))
        elif what == "group_create":
            g = task[1]
            if self.match(
                "GET /Groups?filter displayName (none)", E.group_filter(E.group_name(run, g)), None
            ):
                made = self.call("POST /Groups", "POST", "/Groups", E.create_group(run, g), (201,))
                if made is not None:
                    self.results.append(("group", g, made["id"]))
        elif what == "members_add":
            self.call(
                "PATCH /Groups add members",
                "PATCH",
                f"/Groups/{task[1]}",
                E.members("Add", task[2]),
                (200, 204),
            )
        elif what in ("user_update", "user_disable"):
            i, uid = task[1], task[2]
            if self.match(
                "GET /Users?filter userName (one)", E.user_filter(E.user_name(run, i)), uid
            ):
                kind, body = (
                    ("PATCH /Users replace attributes", E.update_user(run, i))
                    if what == "user_update"
                    else ("PATCH /Users active False", E.deactivate())
                )
                self.call(kind, "PATCH", f"/Users/{uid}", body, (200, 204))
        elif what == "members_remove":
            g, gid, uids = task[1], task[2], task[3]
            if self.match(
                "GET /Groups?filter displayName (one)", E.group_filter(E.group_name(run, g)), gid
            ):
                self.call(
                    "PATCH /Groups remove members",
                    "PATCH",
                    f"/Groups/{gid}",
                    E.members("Remove", uids),
                    (200, 204),
                )
        else:
            raise ValueError(what)


#: One client's share of a phase: its tenant's ``Authorization``, the
#: tenant's run name (in every name it makes), and its tasks.
Shard = tuple[str, str, list[Task]]


def _worker(origin: str, base: str, shard: Shard, out: Any) -> None:
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {LOAD_CORE})
    auth, run, tasks = shard
    client = Client(origin, base, auth, run)
    for task in tasks:
        client.do(task)
    client.conn.close()
    results = [(run, *r) for r in client.results]
    out.put((client.latencies, client.errors, client.first_errors, results))


def run_phase(origin: str, base: str, shards: list[Shard]) -> PhaseRun:
    """One client process per shard, all at once; merged figures (each
    result led by its shard's run name)."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    cpu0 = _children_cpu()
    start = time.perf_counter()
    procs = [ctx.Process(target=_worker, args=(origin, base, shard, out)) for shard in shards]
    for p in procs:
        p.start()
    parts = [out.get() for _ in procs]
    seconds = time.perf_counter() - start
    for p in procs:
        p.join()
    merged = PhaseRun(seconds=seconds)
    for latencies, errors, first, results in parts:
        for kind, values in latencies.items():
            merged.latencies.setdefault(kind, []).extend(values)
        merged.errors += errors
        merged.first_errors += first
        merged.results += results
    merged.client_cpu_seconds = _children_cpu() - cpu0
    return merged


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime
