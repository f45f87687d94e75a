"""Importing the interface loads no backend (the store's contract is
``scimdock.store.base``; a backend is chosen by whoever builds the app)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_store_interface_loads_no_backend() -> None:
    code = (
        "import sys, scimdock.store, scimdock.store.base; "
        "print(sorted(m for m in sys.modules if m.startswith('scimdock.store.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "scimdock.store.base" in out
    assert "sqlite" not in out, out
