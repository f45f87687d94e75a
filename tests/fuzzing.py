"""How hard the property tests (Hypothesis) and schemathesis search:
``SCIMDOCK_FUZZ=quick|ci|deep``, ``ci`` unless set.

Each test states its budget for ``ci``, the profile ``make test`` runs;
:func:`examples` scales it: ``quick`` (``make check``, the inner loop) a
tenth, ``deep`` (``make fuzz``, before a release) ten times. Every check
runs in every profile; only how many generated cases it sees changes.
"""

from __future__ import annotations

import os

PROFILES = {"quick": 0.1, "ci": 1.0, "deep": 10.0}
PROFILE = os.environ.get("SCIMDOCK_FUZZ", "ci")
if PROFILE not in PROFILES:
    raise RuntimeError(f"SCIMDOCK_FUZZ must be one of {', '.join(PROFILES)}, not {PROFILE!r}")


def examples(ci: int) -> int:
    """The number of generated cases for a test whose ``ci`` budget is ``ci``."""
    return max(5, round(ci * PROFILES[PROFILE]))
