r"""Net present value of carbon sequestration, with the InVEST carbon model's formula.

InVEST 3.20 (``natcap/invest``, ``src/natcap/invest/carbon/carbon.py``,
``_calculate_valuation_constant`` and ``_calculate_npv``, read at commit
54ff9ca1c983f3f6239c94891e98c0c0269d84a4, tag 3.20.1-42) values the stock change
``dC = C_alt - C_bas`` [t C] between two epochs ``n`` years apart as

.. math::

    \\mathrm{NPV} = dC \\, \\frac{V}{n} \\sum_{t=0}^{n-1}
        \\frac{1}{\\left[(1 + r/100)(1 + c/100)\\right]^{t}}
    = dC \\, \\frac{V}{n} \\, \\frac{1 - q^{n}}{1 - q}, \\quad
    q = \\frac{1}{(1 + r/100)(1 + c/100)}

(``V/n * n`` when ``q = 1``), with ``V`` the price per t C in the year of the first
epoch, ``r`` the annual market discount rate [%] and ``c`` the annual rate of change of
the carbon price [%], both in percent as InVEST takes them. The sequestration is spread
evenly over the ``n`` years and each year's tonnes are discounted to the first epoch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from urbansat.errors import ConfigError

__all__ = ["Valuation", "valuation_constant"]

#: rates are percentages per year, as InVEST takes them
PERCENT = 100.0

#: Largest carbon price per t C accepted, in any currency. Carbon prices and social-cost
#: estimates stay below about 1,000 USD per t CO2 (3,700 USD per t C); in the currency
#: with the most units to the dollar (about 1e6 per USD on free markets, 2025) that is
#: about 4e9, so 1e12 is no price but a slip of units or of the exponent (which also
#: overflowed the NPV maps of large stocks).
MAX_CARBON_PRICE = 1e12


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{what}={value!r} must be a number.")
    v = float(value)
    if not math.isfinite(v):
        raise ConfigError(f"{what}={value!r} must be finite.")
    return v


@dataclass(frozen=True)
class Valuation:
    """Carbon price and rates of the InVEST valuation (module docstring for the formula).

    Attributes
    ----------
    price : float
        Price per t C (not per t CO2) in the year of the first epoch; ``>= 0``.
    discount_rate : float
        Annual market discount rate in percent (InVEST's ``discount_rate``), in
        ``[0, 100]``.
    rate_change : float
        Annual relative change of the carbon price in percent (InVEST's
        ``rate_change``), ``> -100``.
    currency : str
        Currency label written as the ``units`` of NPV outputs.
    """

    price: float
    discount_rate: float = 0.0
    rate_change: float = 0.0
    currency: str = "currency"

    def __post_init__(self) -> None:
        """Reject negative prices, discount rates outside [0, 100] % and price falls of 100 %."""
        price = _number(self.price, "price")
        rate = _number(self.discount_rate, "discount_rate")
        change = _number(self.rate_change, "rate_change")
        if price < 0:
            raise ConfigError(f"price={self.price!r} per t C is negative; give a price >= 0.")
        if price > MAX_CARBON_PRICE:
            raise ConfigError(
                f"price={self.price!r} per t C is above {MAX_CARBON_PRICE:g} "
                "(MAX_CARBON_PRICE), more than any carbon price in any currency; give the "
                "price of one tonne of carbon, e.g. 50.0."
            )
        if not 0 <= rate <= PERCENT:
            raise ConfigError(
                f"discount_rate={self.discount_rate!r} is outside [0, 100]: it is a percentage per "
                "year as in InVEST (7 for 7 %), not a fraction above 1 or a negative number."
            )
        if change <= -PERCENT:
            raise ConfigError(
                f"rate_change={self.rate_change!r} % would make the price <= 0; use > -100."
            )

    @classmethod
    def from_mapping(cls, valuation: Valuation | Mapping[str, Any]) -> Valuation:
        """Return ``valuation`` as a :class:`Valuation`, from a mapping without unknown keys."""
        if isinstance(valuation, Valuation):
            return valuation
        if not isinstance(valuation, Mapping):
            raise ConfigError(
                f"valuation={valuation!r} must be a Valuation or a mapping such as "
                "{'price': 50.0, 'discount_rate': 7, 'rate_change': 0}."
            )
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in valuation if k not in known)
        if unknown:  # was the dataclass' raw TypeError "unexpected keyword argument"
            raise ConfigError(
                f"valuation has unknown key(s) {unknown}; the keys are {sorted(known)} "
                "(price per t C, rates in % per year as in InVEST)."
            )
        if "price" not in valuation:
            raise ConfigError("valuation needs a 'price' (per t C), e.g. {'price': 50.0}.")
        return cls(**dict(valuation))

    def constant(self, years: float) -> float:
        """Multiplier from t C of stock change to NPV (:func:`valuation_constant`)."""
        return valuation_constant(self.price, self.discount_rate, self.rate_change, years)

    def describe(self, years: float) -> str:
        """One line naming the formula and the numbers, for attrs and indicator notes."""
        return (
            f"NPV = dC x V/n x sum_(t=0..n-1) 1/((1+r/100)(1+c/100))^t (InVEST carbon model "
            f"_calculate_valuation_constant) with V = {self.price:g} {self.currency} per t C, "
            f"r = {self.discount_rate:g} %, c = {self.rate_change:g} %, n = {years:g} years; "
            f"constant {self.constant(years):.6g} {self.currency} per t C"
        )


def valuation_constant(
    price: float, discount_rate: float, rate_change: float, years: float
) -> float:
    """InVEST's valuation constant: NPV per t C of stock change.

    Parameters
    ----------
    price : float
        Price per t C in the first epoch's year.
    discount_rate : float
        Annual discount rate [%].
    rate_change : float
        Annual rate of change of the price [%].
    years : float
        Years between the epochs, ``> 0`` (InVEST uses integer calendar years; a
        fractional ``n`` is evaluated with the closed form).

    Returns
    -------
    float
        ``V/n * (1 - q**n) / (1 - q)``, ``q = 1/((1 + r/100)(1 + c/100))`` (``V`` when
        ``q == 1``).

    Raises
    ------
    ConfigError
        If ``years <= 0``, or the constant is beyond the range of a float.

    Examples
    --------
    >>> round(valuation_constant(100.0, 10.0, 0.0, 2), 6)  # (100 + 100/1.1) / 2
    95.454545
    """
    n = _number(years, "years")
    if n <= 0:
        raise ConfigError(
            f"years={years!r}: the valuation needs a positive number of years between the epochs."
        )
    q = 1.0 / ((1.0 + float(discount_rate) / PERCENT) * (1.0 + float(rate_change) / PERCENT))
    c = float(price) / n
    if q == 1:
        return c * n
    try:
        k = float(c * (1.0 - q**n) / (1.0 - q))
    except OverflowError:  # q**n beyond float range: Python raised its own error
        k = math.inf
    if not math.isfinite(k):
        raise ConfigError(
            f"The valuation constant overflows: discount_rate={discount_rate!r} % and "
            f"rate_change={rate_change!r} % give a yearly factor q = {q:.6g} that over "
            f"{n:g} years exceeds the range of a float. These rates are percentages per year "
            "(InVEST): check them (rate_change near -100 % makes each later tonne count "
            "ever more)."
        )
    return k
