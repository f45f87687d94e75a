"""The mock's admin operations (docs/mock.md): the request journal, fault
rules, reset and seed, and verification. Their state lives in memory, in
:mod:`scimdock.mock.handlers.state`, installed only when the journal or the faults
are switched on (scimdock.worker)."""
