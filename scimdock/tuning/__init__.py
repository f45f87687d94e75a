"""Per-request work Connexion 3.3 repeats that can be done once.

Connexion routes, authenticates and validates every request against the
OpenAPI documents; none of that changes here. What changes is *when* the
fixed parts are built. As shipped, Connexion, on every request:

* builds a new jsonschema validator for each parameter (after a deep copy
  of its schema) and for the body (whose validation in Python is then the
  largest single cost of a write), and validates a path parameter once per
  middleware that built the operation (its path-level parameters are
  appended to the document's list each time);
* inspects the security function's signature twice;
* rebuilds a dict of the operation's parameter schemas several times per
  parameter while parsing the query and the path;
* rebuilds the handler's decorator chain and inspects its signature, reads
  the operation through context proxies a dozen times, sanitises every
  argument name with three regular expressions, and parses a form for
  bodies that are JSON;
* sends every API request through the Swagger UI router, which, finding no
  match, tries every route a second time with the slash toggled;
* parses the query string twice (to validate, then to call the handler),
  even when there is none, resolves the path parameters twice, parses a
  JSON body twice (the validator with orjson, the handler with the standard
  library), and builds a Starlette ``Headers`` to read ``Authorization``,
  ``Content-Type`` and header parameters (:mod:`.request`, :mod:`.handlers`,
  :mod:`.validators`); the security middleware's request object reaches the
  scope through a proxy (:mod:`.middleware`);
* validates every parameter value with Python jsonschema (the bodies' and
  the parameters' compiled pre-check, :mod:`.precheck`, vouches for most);
* matches the request's media type, and looks up the body schema for it,
  with ``fnmatch`` on every request (:mod:`.middleware`, :mod:`.handlers`);
* passes every request through the response-validation middleware even
  when responses are not validated (then left out of the stack).

And at start-up it parses each document with PyYAML's pure-Python loader.
Below Connexion, uvicorn's protocol writes every response in two system
calls, headers then body; :mod:`.transport` (installed by ``scimdock
serve``) sends them in one.

Each module here does that work once per operation or per app, through
Connexion's extension points: ``validator_map`` (:mod:`.validators`,
:mod:`.precheck`, :mod:`.request`), ``security_map`` (:mod:`.security`),
``uri_parser_class`` (:mod:`.uri`), the ``middlewares`` list
(:mod:`.middleware`), and a subclass of :class:`~connexion.AsyncApp`
(:mod:`.app`) whose inner application builds handlers once
(:mod:`.handlers`; ``AsyncApp`` has no argument for that, so the subclass
sets the attribute its constructor sets) and which hands ``add_api``
documents parsed with libyaml (:mod:`.documents`). The classes subclass
Connexion's and keep its error messages.

The tuning never decides an answer: every rule about what a request may
hold lives in the core or the handlers (a body's content:
:mod:`scimdock.core.body`), which run with or without it.
``SCIMDOCK_TUNING=off`` leaves every part out (Connexion and uvicorn as
shipped), and the whole integration suite passes that way too (``make
test-untuned``, part of ``make test``);
tests/integration/test_tuning_equivalence.py sends the same requests to a
server with and without this package and requires the same answers.

Every Connexion, Starlette and uvicorn name used here is imported from
:mod:`.compat` only, which lists the upstream code the tuning mirrors or
relies on with a digest of its source and the versions it was checked
against; tests/unit/test_tuning.py fails when one changes (re-check
compat.py against the new version, then re-pin), and
tests/unit/test_tuning_precheck.py checks the pre-check against
Connexion's validator. docs/performance.md has the measurements.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from scimdock.tuning.app import TunedAsyncApp
from scimdock.tuning.compat import (
    ConnexionMiddleware,
    RequestValidationMiddleware,
    ResponseValidationMiddleware,
    RoutingMiddleware,
    SecurityMiddleware,
    SwaggerUIMiddleware,
)
from scimdock.tuning.direct import direct_middleware
from scimdock.tuning.documents import load
from scimdock.tuning.lane import Lane
from scimdock.tuning.middleware import (
    ScopeSecurityMiddleware,
    SwaggerUIPassMiddleware,
    ValidationMiddleware,
)
from scimdock.tuning.security import security_map
from scimdock.tuning.uri import CachedURIParser
from scimdock.tuning.validators import validator_map

__all__ = ["PARTS", "Lane", "TunedAsyncApp", "load", "middlewares", "options"]

#: What :func:`options` can ``skip`` (bench/ab.py measures each).
PARTS = (
    "validators",
    "precheck",
    "security",
    "validation",
    "swagger",
    "handlers",
    "uri",
    "documents",
    "direct",
)


def middlewares(
    skip: Collection[str] = (), *, validate_responses: bool = True, stages: Sequence[type] = ()
) -> list[Any]:
    """Connexion's default stack with the tuned classes in their places,
    and ``stages`` (the app's own middleware classes) just before request
    validation. Without response validation its middleware only passes
    each request on (Connexion routes every operation to the next app):
    left out. The direct route (:mod:`.direct`) needs the tuned security
    and validation parts."""
    swap: dict[Any, Any] = {}
    if "security" not in skip:
        swap[SecurityMiddleware] = ScopeSecurityMiddleware
    if "validation" not in skip:
        swap[RequestValidationMiddleware] = ValidationMiddleware
        if not validate_responses:
            swap[ResponseValidationMiddleware] = None
    if "swagger" not in skip:
        swap[SwaggerUIMiddleware] = SwaggerUIPassMiddleware
    stack = [swap.get(m, m) for m in ConnexionMiddleware.default_middlewares]
    stack = [m for m in stack if m is not None]
    at = next(i for i, m in enumerate(stack) if issubclass(m, RequestValidationMiddleware))
    stack[at:at] = stages
    if not {"direct", "security", "validation"} & set(skip):
        stack.insert(stack.index(RoutingMiddleware), direct_middleware(stages))
    return stack


def options(
    *, skip: Collection[str] = (), validate_responses: bool = True, stages: Sequence[type] = ()
) -> dict[str, Any]:
    """Keyword arguments for :class:`TunedAsyncApp`; ``skip`` leaves parts
    of :data:`PARTS` as Connexion ships them (A/B measurements only).
    ``validate_responses`` must match what the app's ``add_api`` calls say;
    ``stages``: :func:`middlewares`."""
    out: dict[str, Any] = {
        "middlewares": middlewares(skip, validate_responses=validate_responses, stages=stages),
        "handlers": "handlers" not in skip,
        "documents": "documents" not in skip,
    }
    if "validators" not in skip:
        out["validator_map"] = validator_map(prechecked="precheck" not in skip)
    if "security" not in skip:
        out["security_map"] = security_map()
    if "uri" not in skip:
        out["uri_parser_class"] = CachedURIParser
    return out
