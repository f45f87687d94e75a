"""The console's routes (scimdock.console): sign-in, tenants, users,
groups, keys, faults and the behaviour profile; the journal's pages are
in console.journal_pages, the data's (reset, seed, snapshots) in
console.data_pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import orjson
from connexion.exceptions import OAuthProblem
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route, Router

from scimdock.console import HERE, PREFIX
from scimdock.console.sessions import Session, Sessions, csrf_ok
from scimdock.core import credentials
from scimdock.core.errors import ScimError
from scimdock.core.query import ListQuery
from scimdock.handlers.admin.auth import OPERATOR
from scimdock.handlers.admin.security import bearer_auth
from scimdock.handlers.context import request_context
from scimdock.mock.handlers import state
from scimdock.mock.rules.faultrules import RuleError, parse_rule
from scimdock.mock.rules.profile import PRESETS, parse_profile
from scimdock.store.base import Actor, Tenant
from scimdock.store.errors import Conflict

COOKIE = "scimdock_console"
#: Rows a list page shows.
ROWS = 200
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
)
SESSIONS = Sessions()
Page = Callable[[Request, Session], Awaitable[Response]]


def render(name: str, request: Request, session: Session | None, **context: Any) -> HTMLResponse:
    body = TEMPLATES.get_template(name).render(
        prefix=PREFIX, session=session, csrf=session.csrf if session else "", **context
    )
    return HTMLResponse(
        body,
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": (
                "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
            ),
            "X-Content-Type-Options": "nosniff",
        },
    )


def _forbidden(why: str) -> Response:
    return HTMLResponse(f"<h1>403</h1><p>{why}</p>", 403)


def _same_origin(request: Request) -> bool:
    """The Origin (else Referer) names this server (RFC 6454 §7.3)."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent or sent == "null":
        return False
    parts = urlsplit(sent)
    return f"{parts.scheme}://{parts.netloc}" == f"{request.url.scheme}://{request.url.netloc}"


def signed_in(page: Page) -> Callable[[Request], Awaitable[Response]]:
    """The page for a signed-in session; POSTs checked for CSRF and origin."""

    async def guarded(request: Request) -> Response:
        session = SESSIONS.get(request.cookies.get(COOKIE))
        if session is None:
            return RedirectResponse(f"{PREFIX}/", 303)
        if request.method == "POST":
            form = await request.form()
            sent = form.get("csrf")
            if not _same_origin(request) or not csrf_ok(
                session, sent if isinstance(sent, str) else None
            ):
                return _forbidden("Cross-site request refused (CSRF token or Origin).")
        return await page(request, session)

    return guarded


async def tenant_of(request: Request, session: Session) -> Tenant:
    """The tenant of the path, if the session's token may see it (as the
    admin API decides: an operator any, a tenant admin its own)."""
    found = await request_context().store.get_tenant(request.path_params["tenant"])
    principal = session.principal
    if found is None or (principal["kind"] != OPERATOR and principal["tenant_id"] != found.id):
        raise ScimError(404, "No such tenant")
    return found


def actor_of(session: Session) -> Actor:
    p = session.principal
    kind = "operator" if p["kind"] == OPERATOR else "admin-token"
    return Actor(kind, str(p["sub"]), p.get("address"))


async def home(request: Request) -> Response:
    if SESSIONS.get(request.cookies.get(COOKIE)) is not None:
        return RedirectResponse(f"{PREFIX}/tenants", 303)
    return render("login.html", request, None, error=None)


async def login(request: Request) -> Response:
    if not _same_origin(request):
        return _forbidden("Cross-site sign-in refused (Origin).")
    form = await request.form()
    token = form.get("token")
    try:
        if not isinstance(token, str) or not token.strip():
            raise OAuthProblem(detail="An admin token is needed")
        principal = await bearer_auth(token.strip(), request)
    except OAuthProblem as exc:
        return render("login.html", request, None, error=exc.detail)
    except ScimError as exc:  # too many failures from this address (429)
        return render("login.html", request, None, error=exc.detail)
    response = RedirectResponse(f"{PREFIX}/tenants", 303)
    response.set_cookie(
        COOKIE,
        SESSIONS.start(principal),
        httponly=True,
        samesite="strict",
        path=PREFIX,
        secure=request.url.scheme == "https",
    )
    return response


async def logout(request: Request, session: Session) -> Response:
    SESSIONS.end(request.cookies.get(COOKIE))
    response = RedirectResponse(f"{PREFIX}/", 303)
    response.delete_cookie(COOKIE, path=PREFIX)
    return response


async def tenants(request: Request, session: Session) -> Response:
    store = request_context().store
    if session.principal["kind"] == OPERATOR:
        listed = await store.list_tenants()
    else:
        own = await store.get_tenant_by_id(session.principal["tenant_id"])
        listed = [own] if own is not None else []
    return render("tenants.html", request, session, tenants=listed)


async def users(request: Request, session: Session) -> Response:
    tenant = await tenant_of(request, session)
    total, records = await request_context().store.search(tenant.id, "User", ListQuery(count=ROWS))
    rows = [
        {
            "id": r.id,
            "userName": r.doc.get("userName"),
            "displayName": r.doc.get("displayName"),
            "active": r.doc.get("active", True) is not False,
        }
        for r in records
    ]
    return render("users.html", request, session, tenant=tenant, rows=rows, total=total)


async def groups(request: Request, session: Session) -> Response:
    tenant = await tenant_of(request, session)
    total, records = await request_context().store.search(
        tenant.id, "Group", ListQuery(count=ROWS), with_members=True
    )
    rows = [
        {"id": r.id, "displayName": r.doc.get("displayName"), "members": len(r.members or ())}
        for r in records
    ]
    return render("groups.html", request, session, tenant=tenant, rows=rows, total=total)


async def keys(request: Request, session: Session) -> Response:
    tenant = await tenant_of(request, session)
    listed = await request_context().store.list_keys(tenant.id)
    made, session.flash = session.flash, None
    return render("keys.html", request, session, tenant=tenant, keys=listed, made=made)


async def create_key(request: Request, session: Session) -> Response:
    tenant = await tenant_of(request, session)
    label = str((await request.form()).get("label") or "console")[:200]
    key = credentials.generate(request_context().runtime.random)
    await request_context().store.add_key(
        tenant.id, key.key_id, key.secret_hash, label, actor=actor_of(session)
    )
    session.flash = key.token  # shown once, on the next page
    return RedirectResponse(f"{PREFIX}/t/{tenant.name}/keys", 303)


async def revoke_key(request: Request, session: Session) -> Response:
    tenant = await tenant_of(request, session)
    key_id = request.path_params["key"]
    if key_id in {k.key_id for k in await request_context().store.list_keys(tenant.id)}:
        await request_context().store.revoke_key(key_id, actor=actor_of(session))
    return RedirectResponse(f"{PREFIX}/t/{tenant.name}/keys", 303)


async def mock(request: Request, session: Session) -> Response:
    tenant = await tenant_of(request, session)
    return render(
        "mock.html",
        request,
        session,
        tenant=tenant,
        rules=[r.view() for r in state.faults().rules(tenant.id)],
        profile=await state.profile_of(request_context().store, tenant.id),
        presets=sorted(PRESETS),
        error=request.query_params.get("error"),
    )


async def mock_post(request: Request, session: Session) -> Response:
    tenant = await tenant_of(request, session)
    form = await request.form()
    action = form.get("action")
    error = ""
    try:
        if action == "profile":
            profile = parse_profile(str(form.get("preset")))
            await state.set_profile(request_context().store, tenant.id, profile, actor_of(session))
        elif action == "add-fault":
            book = state.faults()
            book.add(tenant.id, parse_rule(orjson.loads(str(form.get("rule") or ""))))
        elif action == "clear-faults":
            state.faults().clear(tenant.id)
    except (ValueError, RuleError, Conflict) as exc:  # ProfileError, RuleError, JSON
        error = str(exc)[:300]
    suffix = f"?error={error}" if error else ""
    return RedirectResponse(f"{PREFIX}/t/{tenant.name}/mock{suffix}", 303)


def _handled(
    page: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        try:
            return await page(request)
        except ScimError as exc:
            return HTMLResponse(f"<h1>{exc.status}</h1><p>{exc.detail}</p>", exc.status)

    return run


def router() -> Router:
    from scimdock.console import data_pages, journal_pages

    def page(path: str, fn: Page, methods: tuple[str, ...] = ("GET",)) -> Route:
        return Route(PREFIX + path, _handled(signed_in(fn)), methods=list(methods))

    return Router(
        [
            Route(PREFIX, lambda r: RedirectResponse(f"{PREFIX}/", 308)),
            Route(PREFIX + "/", _handled(home)),
            Route(PREFIX + "/login", _handled(login), methods=["POST"]),
            Route(PREFIX + "/static/console.js", _script),
            page("/logout", logout, ("POST",)),
            page("/tenants", tenants),
            page("/t/{tenant}/users", users),
            page("/t/{tenant}/groups", groups),
            page("/t/{tenant}/keys", keys),
            page("/t/{tenant}/keys", create_key, ("POST",)),
            page("/t/{tenant}/keys/{key}/revoke", revoke_key, ("POST",)),
            page("/t/{tenant}/journal", journal_pages.journal),
            page("/t/{tenant}/journal/clear", journal_pages.clear, ("POST",)),
            page("/t/{tenant}/journal/stream", journal_pages.stream),
            page("/t/{tenant}/journal/{seq:int}", journal_pages.entry),
            page("/t/{tenant}/data", data_pages.data),
            page("/t/{tenant}/data", data_pages.data_post, ("POST",)),
            page("/t/{tenant}/snapshot.json", data_pages.download),
            page("/t/{tenant}/mock", mock),
            page("/t/{tenant}/mock", mock_post, ("POST",)),
        ]
    )


async def _script(request: Request) -> Response:
    return Response(
        (HERE / "static" / "console.js").read_bytes(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )
