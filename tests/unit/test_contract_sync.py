"""openapi/scim.yaml's User and Group schemas are generated from
core/schema.py (tools/contract.py, ``make contract``): the committed
document must be exactly what the generator writes."""

from __future__ import annotations

from pathlib import Path

import yaml

from scimdock.core.schema import RESOURCE_TYPES
from tools import contract


def test_the_committed_document_is_what_make_contract_writes() -> None:
    text = contract.DOCUMENT.read_text(encoding="utf-8")
    assert contract.apply(text) == text, "openapi/scim.yaml is out of date: run `make contract`"


def test_every_attribute_of_the_schema_is_in_the_document() -> None:
    schemas = yaml.safe_load(contract.DOCUMENT.read_text(encoding="utf-8"))["components"]["schemas"]
    for rt in RESOURCE_TYPES.values():
        sent = schemas[f"{rt.id}Input"]["properties"]
        returned = schemas[rt.id]["properties"]
        for attr in rt.schema.attributes:
            assert attr.name in sent, (rt.id, attr.name)
            assert (attr.name in returned) == (attr.returned != "never"), (rt.id, attr.name)
        for ext in rt.extensions:
            assert ext.id in sent and ext.id in returned
        assert schemas[f"{rt.id}Input"]["required"] == [
            a.name for a in rt.schema.attributes if a.required
        ]


def test_a_changed_document_is_detected_and_rewritten(tmp_path: Path) -> None:
    stale = contract.DOCUMENT.read_text(encoding="utf-8").replace(
        "maxLength: 512", "maxLength: 511", 1
    )
    path = tmp_path / "scim.yaml"
    path.write_text(stale, encoding="utf-8")
    assert contract.main(["--check", str(path)]) == 1
    assert contract.main([str(path)]) == 0
    assert path.read_text(encoding="utf-8") == contract.DOCUMENT.read_text(encoding="utf-8")


def test_the_profile_presets_of_the_admin_document_are_the_codes() -> None:
    """``ProfileInput.preset`` (openapi/admin.yaml) lists exactly the presets
    scimdock/mock/rules/profile.py knows, so the contract refuses an unknown name itself."""
    import yaml

    from scimdock.mock.rules.profile import PRESETS
    from scimdock.openapi import DIR

    document = yaml.safe_load((Path(DIR) / "admin.yaml").read_text())
    listed = document["components"]["schemas"]["ProfileInput"]["properties"]["preset"]["enum"]
    assert listed == list(PRESETS)
