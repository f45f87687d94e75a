"""The SCIM protocol core: pure functions over plain data, no I/O, no framework.

Imports flow one way: ``handlers`` -> ``core`` and ``store``; ``store`` -> ``core``;
``core`` imports nothing else of ours.
"""
