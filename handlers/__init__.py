"""Thin HTTP edges, one function per operationId of openapi/ (in snake case).

They translate between HTTP and the protocol core and store; they decide
nothing. :mod:`handlers.resolver` maps operationIds to them.
"""
