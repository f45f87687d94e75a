"""The peer: python-scim's ``scim2-server`` as an ASGI application.

Its :class:`ASGIApplication` over :class:`AsyncInMemoryStorage`, with the
default RFC 7643 schemas and resource types (User, Group) and the default
service provider configuration, exactly as the ``scim2-server`` command
builds them. Authentication is a static bearer token compared in constant
time (``BENCH_PEER_TOKEN``), so the peer also checks every request — but
without a store lookup or a hash, which scimdock does.

Serve with ``uvicorn bench.peer_scim2:app``; the SCIM root is ``/v2``.
"""

from __future__ import annotations

import hmac
import os

from scim2_models import UnauthorizedException
from scim2_server.applications.asgi import ASGIApplication
from scim2_server.memory import AsyncInMemoryStorage
from scim2_server.requests import ScimRequest
from scim2_server.service import ScimService
from scim2_server.utils import load_default_provider

TOKEN = os.environ.get("BENCH_PEER_TOKEN", "bench-peer-token")


class BearerASGIApplication(ASGIApplication):
    """``ASGIApplication`` that accepts one static bearer token."""

    def check_auth(self, request: ScimRequest) -> None:
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token, TOKEN):
            raise UnauthorizedException


def build() -> BearerASGIApplication:
    provider = load_default_provider()
    service = ScimService(provider, secret=os.environ.get("SCIM2_SERVER_SECRET", "bench"))
    return BearerASGIApplication(AsyncInMemoryStorage(), provider, service=service)


app = build()
