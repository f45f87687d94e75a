"""The application class: :class:`~connexion.AsyncApp` with the tuned inner
application (:mod:`.handlers`) and documents parsed with libyaml
(:mod:`.documents`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scimdock.tuning.compat import AsyncApp
from scimdock.tuning.documents import document
from scimdock.tuning.handlers import OnceASGIApp


class TunedAsyncApp(AsyncApp):
    """``handlers=False`` / ``documents=False`` keep Connexion's own (A/B
    measurements). ``AsyncApp`` takes no argument for its inner application,
    so this sets the attribute its constructor sets (pinned by a test)."""

    def __init__(
        self, import_name: str, *, handlers: bool = True, documents: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(import_name, **kwargs)
        self._documents = documents
        if handlers:
            self._middleware_app = OnceASGIApp()
            self.middleware.app = self._middleware_app

    def add_api(self, specification: Any, **kwargs: Any) -> Any:
        if (
            self._documents
            and isinstance(specification, (str, Path))
            and not kwargs.get("arguments")
            and not str(specification).startswith(("http://", "https://"))
        ):
            specification = document(Path(self.middleware.specification_dir) / specification)
        return super().add_api(specification, **kwargs)
