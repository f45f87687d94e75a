"""``scimdock key ...``: SCIM credentials, self-service from the shell:
create (optionally expiring), list (never the secrets), update the label or
expiry, rotate (optionally keeping the old secret for a grace period),
revoke. The secret and token are printed once."""

from __future__ import annotations

import argparse
from typing import Any

from scimdock.cli.common import CliError, add_json, json_out, store_of, tenant_of
from scimdock.core import clock, credentials
from scimdock.handlers.admin import views
from scimdock.store.base import ApiKey


def _with_secret(key: ApiKey, secret: str, now: str) -> dict[str, Any]:
    """The admin API's answer to creating or rotating a key: the key, its
    new secret and token (shown only now)."""
    return {
        **views.key(key, now),
        "secret": secret,
        "token": credentials.encode_token(key.key_id, secret),
    }


def key_create(args: argparse.Namespace) -> None:
    store = store_of(args)
    tenant = tenant_of(store, args.tenant)
    new = credentials.generate(credentials.SYSTEM_RANDOM)
    try:
        expires = (
            None
            if args.expires is None
            else credentials.future_expiry(args.expires, store.clock.now())
        )
        key = store.add_key(
            tenant.id, new.key_id, new.secret_hash, args.label or "", expires=expires
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        json_out(_with_secret(key, new.secret, store.clock.now()))
        return
    print(f"key id: {new.key_id}")
    print(f"secret: {new.secret}")
    print(f"token:  {new.token}")
    print("The secret is shown only now. Paste the token as the identity provider's Secret Token.")


def key_list(args: argparse.Namespace) -> None:
    store = store_of(args, read_only=True)
    now = store.clock.now()
    rows = [views.key(k, now) for k in store.list_keys(tenant_of(store, args.tenant).id)]
    if args.json:
        json_out(rows)
        return
    for r in rows:
        print(
            f"{r['id']}\t{r['status']}\tcreated={r['created']}\texpires={r['expires'] or '-'}"
            f"\tlast_used={r['lastUsed'] or '-'} from {r['lastUsedFrom'] or '-'}"
            f"\tlabel={r['label']}"
        )


def key_revoke(args: argparse.Namespace) -> None:
    store = store_of(args)
    try:
        key = store.revoke_key(args.key_id)
    except KeyError:
        raise CliError(f"no key {args.key_id!r}") from None
    if args.json:
        json_out(views.key(key, store.clock.now()))
        return
    print(f"revoked key {key.key_id} of tenant {key.tenant_name}")


def key_update(args: argparse.Namespace) -> None:
    if args.label is None and args.expires is None and not args.no_expiry:
        raise CliError("nothing to change: give --label, --expires or --no-expiry")
    if args.expires is not None and args.no_expiry:
        raise CliError("give --expires or --no-expiry, not both")
    store = store_of(args)
    try:
        expires = (
            None
            if args.expires is None
            else credentials.future_expiry(args.expires, store.clock.now())
        )
        key = store.update_key(
            args.key_id, label=args.label, expires=expires, clear_expiry=args.no_expiry
        )
    except KeyError:
        raise CliError(f"no key {args.key_id!r}") from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        json_out(views.key(key, store.clock.now()))
        return
    print(f"key {key.key_id}: label={key.label!r} expires={key.expires or 'never'}")


def key_rotate(args: argparse.Namespace) -> None:
    """A new secret for the same key id; the old one stays valid ``--grace`` seconds."""
    if args.grace is not None and not 0 <= args.grace <= credentials.MAX_GRACE_SECONDS:
        raise CliError(f"--grace must be 0 to {credentials.MAX_GRACE_SECONDS} seconds (30 days)")
    new = credentials.generate(credentials.SYSTEM_RANDOM)
    store = store_of(args)
    try:
        until = clock.shifted(store.clock.now(), args.grace) if args.grace else None
        key = store.rotate_key(args.key_id, new.secret_hash, until)
    except KeyError:
        raise CliError(f"no key {args.key_id!r}") from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    token = credentials.encode_token(key.key_id, new.secret)
    if args.json:
        json_out(_with_secret(key, new.secret, store.clock.now()))
        return
    print(f"key id: {key.key_id}\nsecret: {new.secret}\ntoken:  {token}")
    print(
        f"The old secret stays valid until {key.previous_valid_until}."
        if key.previous_valid_until
        else "The old secret is refused from now on."
    )


def add_commands(sub: Any) -> None:
    """Register ``key`` on the main parser."""
    key = sub.add_parser("key", help="SCIM credentials").add_subparsers(
        dest="action", required=True
    )
    sp = key.add_parser("create", help="generate a key id, secret and token")
    sp.add_argument("--tenant", required=True)
    sp.add_argument("--label")
    sp.add_argument("--expires", metavar="ISO8601", help="a future time; refused from then on")
    add_json(sp)
    sp.set_defaults(func=key_create)
    sp = key.add_parser("list", help="list a tenant's keys (never the secrets)")
    sp.add_argument("--tenant", required=True)
    add_json(sp)
    sp.set_defaults(func=key_list)
    sp = key.add_parser("revoke", help="revoke a key: refused from the next request on")
    sp.add_argument("key_id")
    add_json(sp)
    sp.set_defaults(func=key_revoke)
    sp = key.add_parser("update", help="change a key's label or expiry")
    sp.add_argument("key_id")
    sp.add_argument("--label", metavar="TEXT")
    sp.add_argument("--expires", metavar="ISO8601", help="a future time; refused from then on")
    sp.add_argument("--no-expiry", action="store_true", help="remove the expiry")
    add_json(sp)
    sp.set_defaults(func=key_update)
    sp = key.add_parser("rotate", help="a new secret for the key (printed once)")
    sp.add_argument("key_id")
    sp.add_argument(
        "--grace",
        type=float,
        metavar="SECONDS",
        help="keep the old secret valid this long, at most 30 days"
        " (default 0: refuse it from the next request on)",
    )
    add_json(sp)
    sp.set_defaults(func=key_rotate)
