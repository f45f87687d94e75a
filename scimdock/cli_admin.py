"""``scimdock user|audit|admin-token ...``: the operator's commands for
users (the sign-in check, tombstones, restore, purge), the audit log and
admin tokens (issue 6). Changes are recorded with the actor ``cli``."""

from __future__ import annotations

import argparse
from typing import Any

from scimdock.core import access, clock, credentials
from scimdock.core.errors import ScimError
from scimdock.cli_common import CliError, json_out, store_of, tenant_of
from scimdock.store.base import AuditEntry, Tombstone

_PAGE = 500


# --- user -----------------------------------------------------------------
def user_access(args: argparse.Namespace) -> None:
    """May this user sign in, and if not why (core.access)."""
    store = store_of(args)
    tenant = tenant_of(store, args.tenant)
    if (args.id is None) == (args.user_name is None):
        raise CliError("give either a user id or --user-name NAME")
    found = store.lookup_user(tenant.id, user_id=args.id, user_name=args.user_name)
    state: access.UserState = ("unknown" if found is None else
                                "deleted" if isinstance(found, Tombstone) else "live")
    active = None if found is None or isinstance(found, Tombstone) else found.doc.get("active")
    decision = access.decide(tenant_scim_enabled=tenant.scim_enabled, state=state, active=active)
    result = {"allowed": decision.allowed, "reason": decision.reason,
              "id": None if found is None else found.id}
    if args.json:
        json_out(result)
        return
    verdict = "may sign in" if decision.allowed else "may not sign in"
    print(f"{verdict}: {decision.reason}" + (f" (id {found.id})" if found else ""))


def user_tombstones(args: argparse.Namespace) -> None:
    store = store_of(args)
    tombs = store.list_tombstones(tenant_of(store, args.tenant).id)
    if args.json:
        json_out([{"id": t.id, "userName": t.user_name, "deleted": t.deleted} for t in tombs])
        return
    for t in tombs:
        print(f"{t.id}\t{t.user_name}\tdeleted={t.deleted}")


def user_restore(args: argparse.Namespace) -> None:
    store = store_of(args)
    try:
        record = store.restore_user(tenant_of(store, args.tenant).id, args.id)
    except ScimError as exc:
        raise CliError(exc.detail) from None
    print(f"restored user {record.id} ({record.doc['userName']})")


def user_purge(args: argparse.Namespace) -> None:
    """Permanent: the rows are deleted from the database."""
    store = store_of(args)
    tenant = tenant_of(store, args.tenant)
    if (args.id is None) == (args.older_than is None):
        raise CliError("give either a user id or --older-than DAYS")
    if args.id is not None:
        try:
            store.purge_user(tenant.id, args.id)
        except ScimError as exc:
            raise CliError(exc.detail) from None
        purged = [args.id]
    else:
        if args.older_than < 0:
            raise CliError("--older-than must be zero or more days")
        try:
            cut = clock.shifted(store.clock.now(), -args.older_than * 86400)
        except ValueError as exc:
            raise CliError(str(exc)) from None
        purged = store.purge_tombstones(tenant.id, cut)
    for user_id in purged:
        print(f"purged {user_id}")
    print(f"{len(purged)} user(s) purged for good")


# --- audit ----------------------------------------------------------------
def audit(args: argparse.Namespace) -> None:
    """The tenant's audit log, oldest first, read a page at a time."""
    store = store_of(args)
    tenant_id = tenant_of(store, args.tenant).id
    entries: list[AuditEntry] = []
    try:
        while True:
            total, page = store.audit_log(tenant_id, since=args.since, until=args.until,
                                          offset=len(entries), count=_PAGE)
            entries.extend(page)
            if not page or len(entries) >= total:
                break
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        json_out([_entry(e) for e in entries])
        return
    for e in entries:
        print(f"{e.at}\t{e.actor_kind}:{e.actor_id}\t{e.address or '-'}\t{e.operation}"
              f"\t{e.resource_type}/{e.resource_id}\t{','.join(e.attributes)}")


def _entry(e: AuditEntry) -> dict[str, Any]:
    """The shape of an entry in the admin API (openapi/admin.yaml, AuditEntry)."""
    return {"seq": e.seq, "at": e.at,
            "actor": {"kind": e.actor_kind, "id": e.actor_id, "address": e.address},
            "operation": e.operation, "resourceType": e.resource_type,
            "resourceId": e.resource_id, "attributes": list(e.attributes)}


# --- admin tokens ---------------------------------------------------------
def admin_token_create(args: argparse.Namespace) -> None:
    store = store_of(args)
    tenant = None if args.tenant is None else tenant_of(store, args.tenant)
    new = credentials.generate_admin(credentials.SYSTEM_RANDOM, tenant_admin=tenant is not None)
    store.add_admin_token(new.key_id, new.secret_hash, None if tenant is None else tenant.id,
                          args.label or "")
    if args.json:
        json_out({"token_id": new.key_id, "secret": new.secret, "token": new.token,
                  "tenant": None if tenant is None else tenant.name})
        return
    scope = f"tenant admin of {tenant.name}" if tenant else "operator"
    print(f"token id: {new.key_id} ({scope})\ntoken:    {new.token}")
    print("The token is shown only now. Send it as 'Authorization: Bearer <token>' to /admin/v1.")


def admin_token_list(args: argparse.Namespace) -> None:
    store = store_of(args)
    tenant = None if args.tenant is None else tenant_of(store, args.tenant)
    tokens = store.list_admin_tokens(None if tenant is None else tenant.id)
    names = {t.id: t.name for t in store.list_tenants()}
    rows = [{"token_id": t.token_id, "tenant": names.get(t.tenant_id) if t.tenant_id else None,
             "label": t.label, "created": t.created,
             "status": "revoked" if t.revoked else "active"} for t in tokens]
    if args.json:
        json_out(rows)
        return
    for r in rows:
        print(f"{r['token_id']}\t{r['status']}\t{r['tenant'] or 'operator'}\tlabel={r['label']}")


def admin_token_revoke(args: argparse.Namespace) -> None:
    try:
        store_of(args).revoke_admin_token(args.token_id)
    except KeyError:
        raise CliError(f"no admin token {args.token_id!r}") from None
    print(f"revoked admin token {args.token_id}")


def add_commands(sub: Any) -> None:
    """Register ``user``, ``audit`` and ``admin-token`` on the main parser."""
    user = sub.add_parser("user", help="sign-in check, tombstones, restore, purge"
                          ).add_subparsers(dest="action", required=True)
    sp = user.add_parser("access", help="may this user sign in, and if not why")
    sp.add_argument("--tenant", required=True)
    sp.add_argument("id", nargs="?")
    sp.add_argument("--user-name", metavar="NAME")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=user_access)
    sp = user.add_parser("tombstones", help="users deleted through SCIM, data kept")
    sp.add_argument("--tenant", required=True)
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=user_tombstones)
    sp = user.add_parser("restore", help="bring a deleted user back (same id)")
    sp.add_argument("--tenant", required=True)
    sp.add_argument("id")
    sp.set_defaults(func=user_restore)
    sp = user.add_parser("purge", help="delete tombstoned users for good (irreversible)")
    sp.add_argument("--tenant", required=True)
    sp.add_argument("id", nargs="?")
    sp.add_argument("--older-than", type=float, metavar="DAYS",
                    help="every tombstone deleted more than DAYS days ago")
    sp.set_defaults(func=user_purge)

    sp = sub.add_parser("audit", help="a tenant's audit log, oldest first")
    sp.add_argument("--tenant", required=True)
    sp.add_argument("--since", metavar="ISO8601", help="entries at or after this time")
    sp.add_argument("--until", metavar="ISO8601", help="entries before this time")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=audit)

    token = sub.add_parser("admin-token", help="credentials of the admin API"
                           ).add_subparsers(dest="action", required=True)
    sp = token.add_parser("create", help="an operator token, or with --tenant a tenant admin's")
    sp.add_argument("--tenant")
    sp.add_argument("--label")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=admin_token_create)
    sp = token.add_parser("list", help="admin tokens (never the secrets)")
    sp.add_argument("--tenant")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=admin_token_list)
    sp = token.add_parser("revoke", help="refuse an admin token from the next request on")
    sp.add_argument("token_id")
    sp.set_defaults(func=admin_token_revoke)
