"""``serve --demo``: tenant ``demo`` with SCIM on and ONE active key, the
same on every start.

The store keeps only a secret's hash (core.credentials), so a token
cannot be printed again from the database. The demo's token is therefore
kept in a file beside it, ``<database>.demo-token``, readable by its owner
only (mode 0600). On the next start the token in that file is printed
again if it still opens an active key of ``demo``; otherwise (no file, a
revoked or deleted key) a new key is made and the file rewritten. Every
other active key labelled :data:`DEMO_LABEL` is revoked, so repeated
starts never pile up demo keys. An in-memory database, or one on a
PostgreSQL server, has no file beside it: each start makes a fresh key.
"""

from __future__ import annotations

import os
from pathlib import Path

from scimdock.cli.common import CliError
from scimdock.core import credentials
from scimdock.store.base import ApiKey, Tenant
from scimdock.store.blocking import BlockingStore

DEMO_TENANT = "demo"
DEMO_LABEL = "serve --demo"


def demo_token(store: BlockingStore, db_path: str | None) -> str:
    """The demo tenant's token, reused when the saved one still works."""
    tenant = store.get_tenant(DEMO_TENANT) or store.create_tenant(DEMO_TENANT)
    if not tenant.scim_enabled:
        tenant = store.set_scim_enabled(DEMO_TENANT, True)
    path = None if db_path is None or db_path == ":memory:" else Path(db_path + ".demo-token")
    token = _read(path)
    key = _working_key(store, tenant, token) if token else None
    if key is None or token is None:
        new = credentials.generate(credentials.SYSTEM_RANDOM)
        key = store.add_key(tenant.id, new.key_id, new.secret_hash, DEMO_LABEL)
        token = new.token
        _write(path, token)
    for other in store.list_keys(tenant.id):
        if other.label == DEMO_LABEL and other.key_id != key.key_id and other.revoked is None:
            store.revoke_key(other.key_id)
    return token


def _working_key(store: BlockingStore, tenant: Tenant, token: str) -> ApiKey | None:
    """The active key of ``tenant`` whose current secret ``token`` carries."""
    pair = credentials.decode_token(token)
    key = store.get_key(pair[0]) if pair else None
    if pair is None or key is None or key.tenant_id != tenant.id:
        return None
    if credentials.key_status(key.revoked, key.expires, store.clock.now()) != "active":
        return None
    return key if credentials.verify(pair[1], key.secret_hash) else None


def _read(path: Path | None) -> str | None:
    if path is None or not path.is_file():
        return None
    try:
        return path.read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None  # unreadable: a new key replaces it


def _write(path: Path | None, token: str) -> None:
    """Write ``token`` with mode 0600 from the start (never readable by others)."""
    if path is None:
        return
    temporary = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            os.fchmod(out.fileno(), 0o600)
            out.write(token + "\n")
        os.replace(temporary, path)
    except OSError as exc:
        raise CliError(f"cannot save the demo token in {path}: {exc.strerror or exc}") from None
