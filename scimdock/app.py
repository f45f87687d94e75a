"""The Connexion application: it routes and validates against
openapi/scim.yaml (``/scim/v1``) and openapi/admin.yaml (``/admin/v1``)
and calls into :mod:`handlers` and :mod:`handlers.admin`; and the front
door in front of it (scimdock.front), which :func:`create_front` builds
around it."""

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
from connexion.options import SwaggerUIOptions  # noqa: E402
from connexion.resolver import Resolver  # noqa: E402
from starlette.exceptions import HTTPException  # noqa: E402

from scimdock import config, tuning  # noqa: E402
from scimdock.core.credentials import SYSTEM_RANDOM, TokenBytes  # noqa: E402
from scimdock.core.errors import ScimError  # noqa: E402
from scimdock.front import Front  # noqa: E402
from scimdock.front.limits import BodyLimits, upload_routes  # noqa: E402
from scimdock.front.names import FoldNames  # noqa: E402
from scimdock.front.paths import EndpointCase  # noqa: E402
from scimdock.handlers import errors, resolver  # noqa: E402
from scimdock.handlers.admin import resolver as admin_resolver  # noqa: E402
from scimdock.handlers.admin.respond import BASE_PATH as ADMIN_PATH  # noqa: E402
from scimdock.handlers.http import BASE_PATH  # noqa: E402
from scimdock.handlers.runtime import Runtime  # noqa: E402
from scimdock.openapi import DIR as OPENAPI_DIR  # noqa: E402
from scimdock.settings import Settings  # noqa: E402
from scimdock.store.base import Store  # noqa: E402
from scimdock.store.errors import StoreError  # noqa: E402


def create_app(
    store: Store,
    settings: Settings | None = None,
    *,
    validate_responses: bool = False,
    random: TokenBytes = SYSTEM_RANDOM,
) -> AsyncApp:
    """Build the Connexion application (the front door goes around it:
    :func:`create_front`).

    ``validate_responses`` checks every response against the document too:
    on in tests, off by default in production for speed.
    """
    settings = settings or Settings()
    # Connexion warns on every request to an operation that accepts both
    # application/scim+json and application/json; that is by design here.
    logging.getLogger("connexion.operations.openapi3").setLevel(logging.ERROR)
    # Same routing, auth and validation; fixed work done once (scimdock/tuning/),
    # unless SCIMDOCK_TUNING=off: then every part is Connexion's own.
    # (No ``skip`` when tuned: bench/ab.py sets its own through tuning.options.)
    # The body parsed once, its names folded, before validation (scimdock/front/names.py).
    stages = (FoldNames,)
    options = (
        tuning.options(validate_responses=validate_responses, stages=stages)
        if config.tuned()
        else tuning.options(skip=tuning.PARTS, validate_responses=validate_responses, stages=stages)
    )
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
    app.add_error_handler(ScimError, errors.scim_error)
    app.add_error_handler(StoreError, errors.store_error)
    app.add_error_handler(UnicodeDecodeError, errors.undecodable)
    app.add_error_handler(ProblemException, errors.problem)
    app.add_error_handler(HTTPException, errors.http_error)
    app.add_error_handler(Exception, errors.unexpected)
    return app


def create_front(
    store: Store,
    settings: Settings | None = None,
    *,
    validate_responses: bool = False,
    random: TokenBytes = SYSTEM_RANDOM,
    **front: Any,
) -> Front:
    """The front door (scimdock.front) around :func:`create_app`'s
    application, with one :class:`Runtime` for both; ``front``: the
    front's other options (access log, metrics, the mock's layers)."""
    settings = settings or Settings()
    runtime = Runtime(store, settings, random)
    app = create_app(store, settings, validate_responses=validate_responses, random=random)
    admin_paths = _paths("admin.yaml")
    return Front(
        app,
        runtime,
        # The plainest requests straight to their operation (tuned only).
        lane=tuning.Lane(app) if config.tuned() else None,
        # Body size and nesting, on the bytes, before anything parses them
        # (the admin operations marked x-scimdock-upload take larger bodies).
        limits=BodyLimits(
            max_body=settings.max_body,
            max_string=settings.max_string,
            max_values=settings.max_values,
            max_upload=settings.max_upload,
            uploads=upload_routes(admin_paths, ADMIN_PATH),
        ),
        # A base URL pasted with a trailing slash, or without one, still routes.
        roots=frozenset((BASE_PATH, ADMIN_PATH)),
        # /users routes as /Users (not --strict).
        endpoint_case=EndpointCase(BASE_PATH, _paths("scim.yaml")) if settings.lenient else None,
        **front,
    )


def _paths(document: str) -> dict[str, Any]:
    return dict(tuning.load(OPENAPI_DIR / document)["paths"])  # libyaml: start-up time
