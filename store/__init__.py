"""Persistence behind one small interface (:class:`scimdock.store.base.Store`);
SQLite (:mod:`scimdock.store.sqlite`) is the embedded default.

Importing this package, or :mod:`scimdock.store.base`, loads no backend.
"""
