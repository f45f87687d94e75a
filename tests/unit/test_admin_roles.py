"""The admin roles come from openapi/admin.yaml (``x-scimdock-roles``) and
nowhere else: an operation that lists none stops the application from
being built, so no admin operation is ever open by omission."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import scimdock.app
from scimdock.app import create_app
from scimdock.handlers.admin.resolver import MissingRolesError, roles_of
from scimdock.openapi import DIR as OPENAPI_DIR
from scimdock.store.sqlite import SqliteStore


def _documents(tmp_path: Path, operation_id: str, roles: object) -> Path:
    """Copies of both documents; ``operation_id`` gets ``roles`` (``None``:
    the key is left out)."""
    shutil.copy(OPENAPI_DIR / "scim.yaml", tmp_path / "scim.yaml")
    admin = yaml.safe_load((OPENAPI_DIR / "admin.yaml").read_text(encoding="utf-8"))
    hits = 0
    for item in admin["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                hits += 1
                if roles is None:
                    del operation["x-scimdock-roles"]
                else:
                    operation["x-scimdock-roles"] = roles
    assert hits == 1
    (tmp_path / "admin.yaml").write_text(yaml.safe_dump(admin, sort_keys=False), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("roles", [None, [], ["operator", "auditor"]])
def test_an_operation_without_valid_roles_is_refused_at_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, roles: object
) -> None:
    docs = _documents(tmp_path, "listKeys", roles)
    monkeypatch.setattr(scimdock.app, "OPENAPI_DIR", docs)
    store = SqliteStore(tmp_path / "roles.db")
    try:
        with pytest.raises(MissingRolesError, match="'listKeys'.*x-scimdock-roles"):
            create_app(store)
    finally:
        store.close_now()


def test_the_shipped_document_builds_and_gives_every_operation_roles(tmp_path: Path) -> None:
    admin = yaml.safe_load((OPENAPI_DIR / "admin.yaml").read_text(encoding="utf-8"))
    roles = roles_of(admin)
    assert roles["listTenants"] == ("operator",)
    assert roles["listKeys"] == ("operator", "tenantAdmin")
    store = SqliteStore(tmp_path / "roles.db")
    try:
        create_app(store)
    finally:
        store.close_now()
