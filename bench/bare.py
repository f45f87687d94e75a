"""The ceiling: a bare Connexion ``AsyncApp`` with one trivial route.

``GET /scim/v1/Users/{id}`` (from ``bench/bare.yaml``) returns ``{"id": id}``:
routing, parameter parsing and request validation of Connexion, and no auth,
store or SCIM logic. Whatever scimdock's GET costs above this is ours.

Serve with ``uvicorn bench.bare:app``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=".*starlette.testclient.*")

from connexion import AsyncApp  # noqa: E402


async def get_user(id: str) -> dict[str, str]:
    return {"id": id}


app = AsyncApp(__name__, specification_dir=str(Path(__file__).resolve().parent))
app.add_api("bare.yaml", base_path="/scim/v1", validate_responses=False)
