"""The contract: ``scim.yaml`` (``/scim/v1``) and ``admin.yaml`` (``/admin/v1``).

Shipped inside the ``scimdock`` package, so an installed wheel serves the
same documents a checkout does.
"""

from pathlib import Path

#: The folder holding the OpenAPI documents.
DIR = Path(__file__).resolve().parent
