"""The ASGI application: Connexion routes and validates against
openapi/scim.yaml and calls into :mod:`handlers`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.exceptions import HTTPException

import handlers
from core.errors import ScimError
from handlers import errors
from handlers.http import BASE_PATH
from handlers.runtime import Runtime, Settings, install
from store.base import Store

OPENAPI_DIR = Path(__file__).resolve().parent.parent / "openapi"


def create_app(store: Store, settings: Settings | None = None, *,
               validate_responses: bool = False) -> AsyncApp:
    """Build the application around ``store``.

    ``validate_responses`` checks every response against the document too:
    on in tests, off by default in production for speed.
    """
    install(Runtime(store, settings or Settings()))
    app = AsyncApp("scimdock", specification_dir=str(OPENAPI_DIR))
    app.add_api(
        "scim.yaml",
        base_path=BASE_PATH,
        resolver=Resolver(function_resolver=handlers.resolve),
        validate_responses=validate_responses,
        swagger_ui_options=SwaggerUIOptions(spec_path="/openapi.json", swagger_ui_path="/ui"),
    )
    errors.install_routes(_paths(), BASE_PATH)
    app.add_error_handler(ScimError, errors.scim_error)
    app.add_error_handler(UnicodeDecodeError, errors.undecodable)
    app.add_error_handler(ProblemException, errors.problem)
    app.add_error_handler(HTTPException, errors.http_error)
    app.add_error_handler(Exception, errors.unexpected)
    return app


def _paths() -> dict[str, Any]:
    with open(OPENAPI_DIR / "scim.yaml", encoding="utf-8") as f:
        return dict(yaml.safe_load(f)["paths"])
