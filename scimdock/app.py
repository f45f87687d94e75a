"""The ASGI application: Connexion routes and validates against
openapi/scim.yaml (``/scim/v1``) and openapi/admin.yaml (``/admin/v1``)
and calls into :mod:`handlers` and :mod:`handlers.admin`."""

from __future__ import annotations

import logging
import warnings
from typing import Any

# Upstream only: connexion/apps/abstract.py imports starlette.testclient at
# import time (for AsyncApp.test_client, never used here), and Starlette's
# testclient.py warns "Using `httpx` with `starlette.testclient` is
# deprecated" when httpx2, its test client's transport, is not installed
# (a production install has no reason to have it). Before Connexion loads.
warnings.filterwarnings("ignore", message=r"Using `httpx` with `starlette\.testclient`")

from connexion import AsyncApp  # noqa: E402
from connexion.exceptions import ProblemException  # noqa: E402
from connexion.middleware import MiddlewarePosition  # noqa: E402
from connexion.options import SwaggerUIOptions  # noqa: E402
from connexion.resolver import Resolver  # noqa: E402
from starlette.exceptions import HTTPException  # noqa: E402

from scimdock import config, folding, tuning  # noqa: E402
from scimdock.core.credentials import SYSTEM_RANDOM, TokenBytes  # noqa: E402
from scimdock.core.errors import ScimError  # noqa: E402
from scimdock.handlers import errors, resolver  # noqa: E402
from scimdock.handlers.admin import resolver as admin_resolver  # noqa: E402
from scimdock.handlers.admin.respond import BASE_PATH as ADMIN_PATH  # noqa: E402
from scimdock.handlers.http import BASE_PATH  # noqa: E402
from scimdock.handlers.runtime import Runtime, Settings, install  # noqa: E402
from scimdock.limits import RequestLimits, upload_routes  # noqa: E402
from scimdock.openapi import DIR as OPENAPI_DIR  # noqa: E402
from scimdock.slashes import CollapseSlashes, FoldEndpoints  # noqa: E402
from scimdock.store.base import Store  # noqa: E402
from scimdock.store.errors import StoreError  # noqa: E402


def create_app(
    store: Store,
    settings: Settings | None = None,
    *,
    validate_responses: bool = False,
    random: TokenBytes = SYSTEM_RANDOM,
) -> AsyncApp:
    """Build the application around ``store``.

    ``validate_responses`` checks every response against the document too:
    on in tests, off by default in production for speed. The handlers tell
    time by the store's clock and draw new secrets from ``random``
    (handlers.runtime).
    """
    settings = settings or Settings()
    install(Runtime(store, settings, random))
    # Connexion warns on every request to an operation that accepts both
    # application/scim+json and application/json; that is by design here.
    logging.getLogger("connexion.operations.openapi3").setLevel(logging.ERROR)
    # Same routing, auth and validation; fixed work done once (scimdock/tuning/),
    # unless SCIMDOCK_TUNING=off: then every part is Connexion's own.
    # (No ``skip`` when tuned: bench/ab.py sets its own through tuning.options.)
    options = (
        tuning.options(validate_responses=validate_responses)
        if config.tuned()
        else tuning.options(skip=tuning.PARTS, validate_responses=validate_responses)
    )
    # Attribute names folded to the schema's before validation (scimdock/folding.py).
    options["middlewares"] = folding.before_validation(options["middlewares"])
    app = tuning.TunedAsyncApp("scimdock", specification_dir=str(OPENAPI_DIR), **options)
    app.add_api(
        "scim.yaml",
        base_path=BASE_PATH,
        resolver=Resolver(function_resolver=resolver.resolve),
        validate_responses=validate_responses,
        swagger_ui_options=SwaggerUIOptions(spec_path="/openapi.json", swagger_ui_path="/ui"),
    )
    # Each admin operation's x-scimdock-roles, enforced before its handler;
    # an operation without them is refused here, at start-up.
    admin_document = tuning.load(OPENAPI_DIR / "admin.yaml")
    admin_roles = admin_resolver.enforcing(admin_document)
    app.add_api(  # the operator and tenant-admin API (docs/admin.md)
        "admin.yaml",
        base_path=ADMIN_PATH,
        resolver=Resolver(function_resolver=admin_roles),
        validate_responses=validate_responses,
        swagger_ui_options=SwaggerUIOptions(spec_path="/openapi.json", swagger_ui_path="/ui"),
    )
    errors.install_routes(_paths("scim.yaml"), BASE_PATH)
    errors.install_routes(_paths("admin.yaml"), ADMIN_PATH)
    # Before routing: a base URL pasted with a trailing slash, or without
    # one, still routes (scimdock/slashes.py).
    app.add_middleware(
        CollapseSlashes, position=MiddlewarePosition.BEFORE_EXCEPTION, roots=(BASE_PATH, ADMIN_PATH)
    )
    if settings.lenient:  # /users routes as /Users (scimdock/slashes.py; not --strict)
        app.add_middleware(
            FoldEndpoints,
            position=MiddlewarePosition.BEFORE_EXCEPTION,
            root=BASE_PATH,
            templates=list(_paths("scim.yaml")),
        )
    # Body size and nesting, on the bytes, before anything parses them (the
    # admin operations marked x-scimdock-upload take larger bodies); and,
    # outside everything else, a tenant's in-flight slot given back once its
    # response is sent, whatever happened (handlers.throttle).
    app.add_middleware(
        RequestLimits,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        max_body=settings.max_body,
        max_string=settings.max_string,
        max_values=settings.max_values,
        max_upload=settings.max_upload,
        uploads=upload_routes(admin_document["paths"], ADMIN_PATH),
    )
    app.add_error_handler(ScimError, errors.scim_error)
    app.add_error_handler(StoreError, errors.store_error)
    app.add_error_handler(UnicodeDecodeError, errors.undecodable)
    app.add_error_handler(ProblemException, errors.problem)
    app.add_error_handler(HTTPException, errors.http_error)
    app.add_error_handler(Exception, errors.unexpected)
    return app


def _paths(document: str) -> dict[str, Any]:
    return dict(tuning.load(OPENAPI_DIR / document)["paths"])  # libyaml: start-up time
