"""``scimdock mock``: a ready SCIM target for testing a SCIM client.

One tenant with SCIM on, a SCIM key and a tenant-admin token, the request
journal and fault injection on (scimdock.mock.journal, scimdock.mock.faults), on a
throwaway database (a temporary folder, removed at exit) unless ``--db``.
``--json`` prints one line, ``{"tenant", "baseUrl", "token", "adminUrl",
"adminToken"}``, once the port accepts connections, and nothing else on
stdout: the access lines and the server's messages go to stderr. SIGINT
and SIGTERM both shut the server down and remove the throwaway database.
The workflow: docs/mock.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import yaml

from scimdock import config
from scimdock.cli import proxy, serve
from scimdock.cli.common import CliError, add_json, json_out, option
from scimdock.core import credentials
from scimdock.core.membership import Member
from scimdock.core.tenants import check_name
from scimdock.mock.rules.profile import PRESETS, Profile, ProfileError, parse_profile
from scimdock.store.errors import Conflict

if TYPE_CHECKING:  # jsonschema, which rules and seeds need, loads when a mock starts
    from scimdock.mock.rules.faultrules import FaultRule
    from scimdock.settings import Settings

#: Journal entries kept per tenant unless ``--journal`` says otherwise.
DEFAULT_JOURNAL = 1000
KEY_LABEL = "scimdock mock"
#: Seconds uvicorn waits for open requests (a journal stream) at shutdown.
GRACEFUL_SHUTDOWN = 2


def mock(args: argparse.Namespace) -> int:
    from scimdock.mock.rules.seedfile import plan

    proxy.check(args)
    rules = _rules(args)
    profile = _profile(args.profile) if args.profile else None
    seed_doc = _load(Path(args.seed)) if args.seed else None
    exact = profile is not None and profile.userNameCaseExact
    seeds = plan(seed_doc, case_exact=exact) if seed_doc is not None else None
    os.environ["SCIMDOCK_JOURNAL"] = str(args.journal)
    os.environ["SCIMDOCK_FAULTS"] = "on"
    host = config.host(args.host)
    log_level = config.server_log_level(args.log_level)
    settings = config.settings()
    kept = args.mock_db or args.db
    with _sigterm_raises():
        try:
            return _run(args, kept, host, log_level, settings, profile, seeds, rules)
        except _Terminated:  # before the server started: nothing to shut down
            return 0


def _run(
    args: argparse.Namespace,
    kept: str | None,
    host: str,
    log_level: str,
    settings: Settings,
    profile: Profile | None,
    seeds: Any,
    rules: list[FaultRule],
) -> int:
    """Serve until SIGINT or SIGTERM; the throwaway database removed after."""
    import uvicorn

    from scimdock.cli.common import store_of
    from scimdock.mock.faults import with_transport
    from scimdock.worker import assemble

    folder = None if kept else tempfile.mkdtemp(prefix="scimdock-mock-")
    try:
        args.db = kept or os.path.join(folder or "", "mock.db")
        sock = serve._bind(host, args.port)
        port = sock.getsockname()[1]
        try:
            store = store_of(args)
            tenant, token, admin_token = _tenant(store, args.tenant)
            if profile is not None:  # the store keeps the userName choice
                try:
                    store.set_user_name_case_exact(tenant.id, profile.userNameCaseExact)
                except Conflict as exc:
                    raise CliError(f"--profile: {exc}", 2) from None
            if seeds is not None:
                _seed(store, tenant.id, seeds)
            served, owned = serve.store_for_server(store, args.db)
            target = proxy.target(args, tenant.id)
            app = assemble(
                served,
                settings,
                validate=config.validate_responses(),
                log_level=log_level,
                owned=owned,
                fallback_tenant=tenant.id,
                access_to=sys.stderr,  # stdout: the --json document alone
                proxy=target,
            )
            from scimdock.mock.handlers.state import installed

            book = installed()[1]
            assert book is not None
            book.replace(tenant.id, rules)
            if profile is not None:
                from scimdock.mock.handlers.state import profiles

                profiles().set(tenant.id, profile)
            origin = f"http://{serve._url_host(host)}:{port}"
            _announce(args, tenant.name, origin, token, admin_token)
            options = serve.uvicorn_options(host, port, log_level, config.trusted_proxies(None))
            options["http"] = with_transport(options["http"])
            options["timeout_graceful_shutdown"] = GRACEFUL_SHUTDOWN
            server = uvicorn.Server(uvicorn.Config(app, **options))
            logging.getLogger("uvicorn.error").info("scimdock mock serving %s", origin)
            try:
                server.run(sockets=[sock])
            except (KeyboardInterrupt, _Terminated):  # uvicorn has shut down cleanly
                pass
            finally:
                proxy.save(target)
            if not server.started:
                raise CliError("the server did not start (see the log above)")
            return 0
        finally:
            sock.close()
    finally:
        if folder is not None:
            from scimdock.cli.common import _close_opened

            _close_opened()
            shutil.rmtree(folder, ignore_errors=True)


class _Terminated(Exception):
    """SIGTERM arrived (:func:`_sigterm_raises`)."""


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM raises :class:`_Terminated` while the block runs, so that it
    ends the mock as SIGINT's ``KeyboardInterrupt`` does: through the
    ``finally`` that removes the throwaway database. Python's default
    action for SIGTERM ends the process at once, and uvicorn, which takes
    both signals over while it serves, raises the signal again under the
    handler it found once it has shut down (``uvicorn.Server.capture_signals``):
    this one. Handlers can only be set in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminated(signum: int, frame: FrameType | None) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _tenant(store: Any, name: str) -> tuple[Any, str, str]:
    """The tenant (made, or reused on ``--db``) with SCIM on, a new key and
    a new tenant-admin token."""
    tenant = store.get_tenant(name) or store.create_tenant(check_name(name))
    if not tenant.scim_enabled:
        tenant = store.set_scim_enabled(name, True)
    key = credentials.generate(credentials.SYSTEM_RANDOM)
    store.add_key(tenant.id, key.key_id, key.secret_hash, KEY_LABEL)
    admin = credentials.generate_admin(credentials.SYSTEM_RANDOM, tenant_admin=True)
    store.add_admin_token(admin.key_id, admin.secret_hash, tenant.id, KEY_LABEL)
    return tenant, key.token, admin.token


def _seed(store: Any, tenant_id: int, seeds: Any) -> None:
    """The seed plan's users, then groups (scimdock.mock.handlers.data.seed, called synchronously)."""
    from scimdock.mock.handlers.data import member_of, user_rows

    docs, given, users = user_rows(seeds)
    store.create_users(tenant_id, docs, given=given)
    groups: dict[str, str] = {}
    for name, doc, members, kept in seeds.groups:
        refs: tuple[Member, ...] = tuple(member_of(m, users, groups) for m in members)
        groups[name] = store.create(tenant_id, "Group", doc, refs, given=kept).id


def _rules(args: argparse.Namespace) -> list[FaultRule]:
    from scimdock.mock.rules.faultrules import RuleError, parse_rule, parse_rules

    rules: list[FaultRule] = []
    try:
        if args.faults:
            rules += parse_rules(_load(Path(args.faults)))
        for text in args.fault or ():
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise CliError(f"--fault {text!r}: not JSON ({exc.msg})", 2) from None
            rules.append(parse_rule(value))
    except RuleError as exc:
        raise CliError(str(exc), 2) from None
    return rules


def _profile(text: str) -> Profile:
    """A preset's name, or a JSON or YAML file of a profile (scimdock.mock.rules.profile);
    neither: a usage error that lists the presets."""
    raw: Any = text
    if text not in PRESETS:
        path = Path(text)
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise CliError(
                f"--profile {text}: neither a preset ({', '.join(PRESETS)})"
                f" nor a readable file ({reason})",
                2,
            ) from None
        raw = _parsed(path, content)
    try:
        return parse_profile(raw)
    except ProfileError as exc:
        raise CliError(f"--profile {text}: {exc}", 2) from None


def _load(path: Path) -> Any:
    """A JSON or YAML file (YAML 1.1 reads JSON too)."""
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: neither JSON nor YAML: {exc}", 2) from None
    return _parsed(path, content)


def _parsed(path: Path, content: str) -> Any:
    from scimdock.mock.rules.seedfile import loads

    try:
        return loads(content)
    except (ValueError, yaml.YAMLError) as exc:
        raise CliError(f"{path}: neither JSON nor YAML: {exc}", 2) from None


def _announce(args: argparse.Namespace, tenant: str, origin: str, token: str, admin: str) -> None:
    view = {
        "tenant": tenant,
        "baseUrl": f"{origin}/scim/v1",
        "token": token,
        "adminUrl": f"{origin}/admin/v1",
        "adminToken": admin,
    }
    if args.json:
        json_out(view)
        return
    print(
        f"scimdock mock ready (tenant {tenant})\n  base URL:    {view['baseUrl']}"
        f"\n  token:       {token}\n  admin URL:   {view['adminUrl']}\n  admin token: {admin}"
        f"\n  journal:     curl -H 'Authorization: Bearer {admin}'"
        f" {view['adminUrl']}/tenants/{tenant}/journal",
        flush=True,
    )


def _port(text: str) -> int:
    """0 (any free port) to 65535."""
    return 0 if text.strip() == "0" else config.port(text)


def _journal(text: str) -> int:
    value = config._entries(text)
    if value < 1:
        raise ValueError("a whole number of 1 or more")
    return value


def add_commands(sub: Any) -> None:
    """Register ``mock`` on the main parser."""
    sp = sub.add_parser("mock", help="run a mock SCIM target with a request journal and faults")
    sp.add_argument("--host", help=f"listen address (default {config.DEFAULT_HOST})")
    sp.add_argument(
        "--port",
        type=option(_port),
        default=config.DEFAULT_PORT,
        help=f"listen port; 0 for any free one (default {config.DEFAULT_PORT})",
    )
    sp.add_argument("--tenant", default="mock", help="the tenant's name (default mock)")
    sp.add_argument("--seed", metavar="FILE", help="users and groups to load (JSON or YAML)")
    sp.add_argument(
        "--fault", action="append", metavar="JSON", help="a fault rule (repeatable; docs/mock.md)"
    )
    sp.add_argument("--faults", metavar="FILE", help="a JSON or YAML list of fault rules")
    sp.add_argument(
        "--profile",
        metavar="NAME|FILE",
        help="a behaviour profile: a preset's name or a JSON/YAML file (docs/mock.md)",
    )
    sp.add_argument(
        "--db",
        dest="mock_db",
        metavar="PATH",
        help="keep the data in this database (default: a temporary one, removed at exit)",
    )
    sp.add_argument(
        "--journal",
        type=option(_journal),
        default=DEFAULT_JOURNAL,
        metavar="N",
        help=f"journal entries kept (default {DEFAULT_JOURNAL})",
    )
    sp.add_argument(
        "--log-level",
        type=option(config.log_level),
        metavar="LEVEL",
        help=f"one of {', '.join(config.LOG_LEVELS)} (default info)",
    )
    proxy.add_options(sp)
    add_json(sp)
    sp.set_defaults(func=mock)
