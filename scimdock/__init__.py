"""scimdock: a spec-driven SCIM 2.0 service provider."""

__version__ = "0.1.0"
