"""``scimdock user|audit|admin-token ...``: the operator's commands for
users (the sign-in check, tombstones, restore, purge), the audit log and
admin tokens. Changes are recorded with the actor ``cli``."""

from __future__ import annotations

import argparse
from typing import Any

from scimdock.cli.common import CliError, add_json, json_out, store_of, tenant_of
from scimdock.core import clock, credentials
from scimdock.handlers.admin import views
from scimdock.store.base import AuditEntry
from scimdock.store.errors import StoreError

_PAGE = 500


# --- user -----------------------------------------------------------------
def user_access(args: argparse.Namespace) -> None:
    """May this user sign in, and if not why (core.access)."""
    store = store_of(args, read_only=True)
    tenant = tenant_of(store, args.tenant)
    if (args.id is None) == (args.user_name is None):
        raise CliError("give either a user id or --user-name NAME")
    found = store.lookup_user(tenant.id, user_id=args.id, user_name=args.user_name)
    result = views.user_access(tenant, found)
    if args.json:
        json_out(result)
        return
    verdict = "may sign in" if result["allowed"] else "may not sign in"
    print(
        f"{verdict}: {result['reason']}" + (f" (id {result['userId']})" if result["userId"] else "")
    )


def user_tombstones(args: argparse.Namespace) -> None:
    store = store_of(args, read_only=True)
    tombs = store.list_tombstones(tenant_of(store, args.tenant).id)
    if args.json:
        json_out([views.tombstone(t) for t in tombs])
        return
    for t in tombs:
        print(f"{t.id}\t{t.user_name}\tdeleted={t.deleted}")


def user_restore(args: argparse.Namespace) -> None:
    store = store_of(args)
    try:
        record = store.restore_user(tenant_of(store, args.tenant).id, args.id)
    except StoreError as exc:
        raise CliError(exc.detail) from None
    if args.json:
        json_out(views.restored(record))
        return
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
        except StoreError as exc:
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
    if args.json:
        json_out({"totalPurged": len(purged), "purged": purged})
        return
    for user_id in purged:
        print(f"purged {user_id}")
    print(f"{len(purged)} user(s) purged for good")


# --- audit ----------------------------------------------------------------
def audit(args: argparse.Namespace) -> None:
    """The tenant's audit log, oldest first, read a page at a time."""
    store = store_of(args, read_only=True)
    tenant_id = tenant_of(store, args.tenant).id
    entries: list[AuditEntry] = []
    try:
        while True:
            total, page = store.audit_log(
                tenant_id, since=args.since, until=args.until, offset=len(entries), count=_PAGE
            )
            entries.extend(page)
            if not page or len(entries) >= total:
                break
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        json_out([views.audit_entry(e) for e in entries])
        return
    for e in entries:
        print(
            f"{e.at}\t{e.actor_kind}:{e.actor_id}\t{e.address or '-'}\t{e.operation}"
            f"\t{e.resource_type}/{e.resource_id}\t{','.join(e.attributes)}"
        )


# --- admin tokens ---------------------------------------------------------
def admin_token_create(args: argparse.Namespace) -> None:
    store = store_of(args)
    tenant = None if args.tenant is None else tenant_of(store, args.tenant)
    new = credentials.generate_admin(credentials.SYSTEM_RANDOM, tenant_admin=tenant is not None)
    stored = store.add_admin_token(
        new.key_id, new.secret_hash, None if tenant is None else tenant.id, args.label or ""
    )
    if args.json:  # as the admin API answers: the token, shown only now
        json_out(
            {
                **views.admin_token(stored, None if tenant is None else tenant.name),
                "token": new.token,
            }
        )
        return
    scope = f"tenant admin of {tenant.name}" if tenant else "operator"
    print(f"token id: {new.key_id} ({scope})\ntoken:    {new.token}")
    print("The token is shown only now. Send it as 'Authorization: Bearer <token>' to /admin/v1.")


def admin_token_list(args: argparse.Namespace) -> None:
    store = store_of(args, read_only=True)
    tenant = None if args.tenant is None else tenant_of(store, args.tenant)
    tokens = store.list_admin_tokens(None if tenant is None else tenant.id)
    names = {t.id: t.name for t in store.list_tenants()}
    rows = [views.admin_token(t, names.get(t.tenant_id) if t.tenant_id else None) for t in tokens]
    if args.json:
        json_out(rows)
        return
    for r in rows:
        print(f"{r['id']}\t{r['status']}\t{r['tenant'] or 'operator'}\tlabel={r['label']}")


def admin_token_revoke(args: argparse.Namespace) -> None:
    store = store_of(args)
    try:
        token = store.revoke_admin_token(args.token_id)
    except KeyError:
        raise CliError(f"no admin token {args.token_id!r}") from None
    if args.json:
        tenant = None if token.tenant_id is None else store.get_tenant_by_id(token.tenant_id)
        json_out(views.admin_token(token, tenant.name if tenant else None))
        return
    print(f"revoked admin token {args.token_id}")


def add_commands(sub: Any) -> None:
    """Register ``user``, ``audit`` and ``admin-token`` on the main parser."""
    user = sub.add_parser("user", help="sign-in check, tombstones, restore, purge").add_subparsers(
        dest="action", required=True
    )
    sp = user.add_parser("access", help="may this user sign in, and if not why")
    sp.add_argument("--tenant", required=True)
    sp.add_argument("id", nargs="?")
    sp.add_argument("--user-name", metavar="NAME")
    add_json(sp)
    sp.set_defaults(func=user_access)
    sp = user.add_parser("tombstones", help="users deleted through SCIM, data kept")
    sp.add_argument("--tenant", required=True)
    add_json(sp)
    sp.set_defaults(func=user_tombstones)
    sp = user.add_parser("restore", help="bring a deleted user back (same id)")
    sp.add_argument("--tenant", required=True)
    sp.add_argument("id")
    add_json(sp)
    sp.set_defaults(func=user_restore)
    sp = user.add_parser("purge", help="delete tombstoned users for good (irreversible)")
    sp.add_argument("--tenant", required=True)
    sp.add_argument("id", nargs="?")
    sp.add_argument(
        "--older-than",
        type=float,
        metavar="DAYS",
        help="every tombstone deleted more than DAYS days ago",
    )
    add_json(sp)
    sp.set_defaults(func=user_purge)

    sp = sub.add_parser("audit", help="a tenant's audit log, oldest first")
    sp.add_argument("--tenant", required=True)
    sp.add_argument("--since", metavar="ISO8601", help="entries at or after this time")
    sp.add_argument("--until", metavar="ISO8601", help="entries before this time")
    add_json(sp)
    sp.set_defaults(func=audit)

    token = sub.add_parser("admin-token", help="credentials of the admin API").add_subparsers(
        dest="action", required=True
    )
    sp = token.add_parser("create", help="an operator token, or with --tenant a tenant admin's")
    sp.add_argument("--tenant")
    sp.add_argument("--label")
    add_json(sp)
    sp.set_defaults(func=admin_token_create)
    sp = token.add_parser("list", help="admin tokens (never the secrets)")
    sp.add_argument("--tenant")
    add_json(sp)
    sp.set_defaults(func=admin_token_list)
    sp = token.add_parser("revoke", help="refuse an admin token from the next request on")
    sp.add_argument("token_id")
    add_json(sp)
    sp.set_defaults(func=admin_token_revoke)
