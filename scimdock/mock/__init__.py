"""``scimdock mock`` (docs/mock.md): a SCIM server for the tests of a SCIM
client, in one room.

- ``rules/``: pure. Fault rules, the request matcher and the SCIM meaning of
  a body, verification, seed files, behaviour profiles, conformance notes,
  notes on a proxied target's answers and the recording's snapshot: plain
  data in, plain data out; no I/O, no framework. They import only
  ``scimdock.core`` and each other.
- ``handlers/``: the mock's admin operations (openapi/admin.yaml) and
  ``handlers/state.py``, the in-memory journal, rules, scenarios and
  profiles they read and change.
- The runtime, in front of Connexion: ``journal.py`` (the ASGI layer that
  records each exchange, its entry built by ``journal_entry.py``, and
  carries out rules with ``faults.py``), ``profiles.py`` (a tenant's
  behaviour profile at the edge), ``proxy.py`` (the recording proxy);
  ``client.py`` (a running mock and its admin API, standard library only)
  and ``testing.py``, the pytest plugin over it.

Imports flow one way: the runtime -> ``handlers/`` -> ``rules/`` ->
``scimdock.core``; the runtime and ``handlers/`` may also use the server's
``scimdock.handlers`` and ``scimdock.store`` (the runtime the front's
``scimdock.front.limits`` too). Nothing outside the room but
the command line (``scimdock.cli.mock``, ``scimdock.cli.proxy``), the
worker that wraps the layers in (``scimdock.worker``), the console and the
admin API's operation table (``scimdock.handlers.admin.resolver``) imports
from it; ``client.py`` and ``testing.py`` import nothing else of ours.
"""
