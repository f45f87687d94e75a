"""Query and path parameters parsed as Connexion parses them
(``AsyncApp(uri_parser_class=...)``), minus a dict rebuilt on every look-up:
:attr:`OpenAPIURIParser.param_schemas` is a comprehension over the
operation's parameters, read several times per parameter per request. A
parser's parameters are fixed when it is built, so here it is built then."""

from __future__ import annotations

from typing import Any

from scimdock.tuning.compat import OpenAPIURIParser


class CachedURIParser(OpenAPIURIParser):
    def __init__(self, param_defns: Any, body_defn: dict[str, Any]) -> None:
        super().__init__(param_defns, body_defn)
        self._schemas = {k: v.get("schema", {}) for k, v in self._param_defns.items()}

    @property
    def param_schemas(self) -> dict[str, Any]:
        return self._schemas
