"""``scimdock check``: RFC 7643/7644 checks, Entra ID's and Okta's request
flows, and schemathesis, pointed at anyone's SCIM server (docs/check.md).

One idea a module: :mod:`~scimdock.check.target` (the guarded, paced
client), :mod:`~scimdock.check.discovery`, the suites
(:mod:`~scimdock.check.rfc`, :mod:`~scimdock.check.rfc_query`,
:mod:`~scimdock.check.idp` over :mod:`~scimdock.check.flows` and the
replay language :mod:`~scimdock.check.replay`, :mod:`~scimdock.check.fuzz`),
:mod:`~scimdock.check.runner`, and the reports
(:mod:`~scimdock.check.report`, :mod:`~scimdock.check.junit`).
"""

#: The suites, in the order they run.
SUITES = ("rfc", "entra", "okta", "fuzz")
#: schemathesis's cases per operation by default: the whole check against
#: scimdock stays within a minute (docs/check.md).
FUZZ_EXAMPLES = 10
