"""Carbon-sink accounting of T/CI 231 Table 1 row B.

:func:`account_sinks` and :func:`account_transitions` (:mod:`urbansat.sinks.account`) turn
two land-cover epochs and boundaries into per-boundary areas, transitions, stocks and the
annual net sink with its interval; the equations and sign convention are in
:mod:`urbansat.sinks.accounting`.
"""

from __future__ import annotations

from urbansat.sinks.account import SIGN_CONVENTION, account_sinks, account_transitions

__all__ = ["SIGN_CONVENTION", "account_sinks", "account_transitions"]
