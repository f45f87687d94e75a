"""The console's data page (docs/mock.md, "Web console"): reset the
tenant, seed it from an uploaded file, put a snapshot back, and download
its snapshot, through the code the admin API's ``/reset``, ``/seed`` and
``/snapshot`` run (scimdock.mock.handlers.data, scimdock.mock.handlers.snapshot)."""

from __future__ import annotations

from urllib.parse import quote

import orjson
import yaml
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from scimdock.console import PREFIX
from scimdock.console.pages import actor_of, render, tenant_of
from scimdock.console.sessions import Session
from scimdock.core.errors import ScimError
from scimdock.core.query import ListQuery
from scimdock.handlers.context import request_context
from scimdock.mock.handlers import data as mock_data
from scimdock.mock.handlers.snapshot import snapshot
from scimdock.mock.rules.seedfile import loads, plan
from scimdock.store.errors import Conflict

#: What the page's forms do: reset, seed (add), snapshot (reset, then seed).
ACTIONS = ("reset", "seed", "snapshot")


async def data(request: Request, session: Session) -> Response:
    tenant = await tenant_of(request, session)
    store = request_context().store
    users, _ = await store.search(tenant.id, "User", ListQuery(count=0))
    groups, _ = await store.search(tenant.id, "Group", ListQuery(count=0))
    return render(
        "data.html",
        request,
        session,
        tenant=tenant,
        users=users,
        groups=groups,
        done=request.query_params.get("done"),
        error=request.query_params.get("error"),
    )


async def data_post(request: Request, session: Session) -> Response:
    """One of :data:`ACTIONS`; back to the page with what was done or the
    first mistake (a seed is checked whole before anything is written)."""
    tenant = await tenant_of(request, session)
    form = await request.form()
    action = form.get("action")
    runtime = request_context().runtime
    store, actor = runtime.store, actor_of(session)
    try:
        if action == "reset":
            users, groups = await store.reset_tenant_data(tenant.id, actor=actor)
            done = f"Reset: {users} users and {groups} groups removed."
        elif action in ("seed", "snapshot"):
            upload = form.get("document")
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise ValueError("Choose a JSON or YAML file first.")
            limit = runtime.settings.max_upload  # the admin API's /seed and /snapshot's
            if upload.size is None or upload.size > limit:
                raise ValueError(f"{upload.filename} is over {limit} bytes (SCIMDOCK_MAX_UPLOAD).")
            document = loads(await upload.read())
            lenient = runtime.settings.lenient
            seeds = plan(document, lenient=lenient, case_exact=tenant.user_name_case_exact)
            if action == "snapshot":
                await store.reset_tenant_data(tenant.id, actor=actor)
            made = await mock_data.seed(store, tenant.id, seeds, actor)
            counts = f"{len(made['users'])} users, {len(made['groups'])} groups"
            done = f"Loaded {upload.filename}: {counts}."
        else:
            raise ValueError(f"No action {action!r}.")
    except ScimError as exc:
        return _back(tenant.name, "error", str(exc.detail))
    except (ValueError, yaml.YAMLError, Conflict) as exc:
        return _back(tenant.name, "error", str(exc))
    return _back(tenant.name, "done", done)


def _back(tenant: str, kind: str, text: str) -> Response:
    return RedirectResponse(f"{PREFIX}/t/{tenant}/data?{kind}={quote(text[:300])}", 303)


async def download(request: Request, session: Session) -> Response:
    """The snapshot ``GET /snapshot`` answers, as a file to save."""
    tenant = await tenant_of(request, session)
    document = await snapshot(request_context().store, tenant.id)
    return Response(
        orjson.dumps(document, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{tenant.name}-snapshot.json"',
            "Cache-Control": "no-store",
        },
    )
