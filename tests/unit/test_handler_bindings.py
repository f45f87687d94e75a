"""The ``/Users`` and ``/Groups`` operationIds resolve to bindings of
handlers.resources whose signatures, read as Connexion reads them, are the
request context and the query, path and body parameters the operations
had when each type had its own handlers: Connexion passes query parameters
and its context's entries by these names."""

from __future__ import annotations

import asyncio
import functools

import pytest
from connexion.decorators.parameter import unwrap_decorators
from connexion.utils import inspect_function_arguments

from scimdock.handlers import groups, resources, users
from scimdock.handlers.resolver import resolve

ATTRIBUTES = ["attributes", "excludedAttributes"]
LIST = ["filter", "startIndex", "count", "sortBy", "sortOrder", *ATTRIBUTES, "cursor"]
#: operationId (without its type) → the arguments Connexion passes.
#: ``ctx``: the request context (handlers.context), an entry of Connexion's.
SIGNATURES = {
    "create": ["ctx", "body", *ATTRIBUTES],
    "get": ["ctx", "id", *ATTRIBUTES],
    "list": ["ctx", *LIST],
    "search": ["ctx", "body"],
    "replace": ["ctx", "id", "body", *ATTRIBUTES],
    "patch": ["ctx", "id", "body", *ATTRIBUTES],
    "delete": ["ctx", "id"],
}


def _operation_id(verb: str, noun: str) -> str:
    """``listUsers``, ``getUser``: the collection's name for list and search."""
    return f"{verb}{noun if verb in ('list', 'search') else noun[:-1]}"


@pytest.mark.parametrize("verb", sorted(SIGNATURES))
@pytest.mark.parametrize("noun", ["Users", "Groups"])
def test_each_operation_takes_the_arguments_connexion_passes(verb: str, noun: str) -> None:
    handler = resolve(_operation_id(verb, noun))
    arguments, has_kwargs = inspect_function_arguments(unwrap_decorators(handler))
    assert arguments == SIGNATURES[verb]
    assert not has_kwargs
    assert asyncio.iscoroutinefunction(handler)  # awaited, not run in a thread


FLOWS = {
    "create": resources.create,
    "get": resources.get,
    "list": resources.list_resources,
    "search": resources.search,
    "replace": resources.replace,
    "patch": resources.patch,
    "delete": resources.delete,
}


@pytest.mark.parametrize("verb", sorted(FLOWS))
def test_each_binding_is_its_own_kind_on_one_operation_of_resources(verb: str) -> None:
    for noun, module, kind in (("Users", users, users.USERS), ("Groups", groups, groups.GROUPS)):
        name = _operation_id(verb, noun)
        binding = getattr(module, f"{verb}_{name[len(verb) :].lower()}")
        flow = functools.partial(FLOWS[verb], kind)
        assert (binding.func, binding.args, binding.keywords) == (
            flow.func,
            flow.args,
            flow.keywords,
        ), name
