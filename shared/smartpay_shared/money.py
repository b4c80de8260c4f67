"""One request contract for money, shared by every API and event that carries an amount (`/pay`,
`/fraud`, `/route`, refunds, the event payloads) and by fraud's own check, so that an amount or a
currency an API accepts can never be refused by a later step (a 202 that dead-letters).

- currency: an active ISO 4217 code (list below, as of 2026; fund, metal, test and "no currency"
  codes such as XXX, XTS, XAU, XDR are not currencies a payment is made in), or one of the two crypto
  units the Solana gateway settles in (SOL, USDC);
- amount: a JSON integer (strict: not `true`, not `"100"`, not `1000.0`) of minor units, at least 1
  and at most MAX_MAJOR_UNITS in major units of its currency (10,000,000: one payment above ten
  million EUR, USD, JPY... is a bug, not a purchase), and never above 2^53 - 1 (SOL's lamports would
  pass it: no JSON client could read such an amount exactly)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StrictStr, ValidationInfo, field_validator

# Minor-unit exponent of each active ISO 4217 currency (ISO 4217 amendment list, 2026).
_EXPONENT_0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
_EXPONENT_3 = "BHD IQD JOD KWD LYD OMR TND"
_EXPONENT_2 = (
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF "
    "CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD "
    "HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK "
    "MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD "
    "RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS "
    "UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)
# Not ISO 4217: the crypto units the Solana gateway settles in (lamports, USDC base units).
CRYPTO_EXPONENTS = {"SOL": 9, "USDC": 6}
CURRENCY_EXPONENTS: dict[str, int] = {
    **{c: 2 for c in _EXPONENT_2.split()}, **{c: 0 for c in _EXPONENT_0.split()},
    **{c: 3 for c in _EXPONENT_3.split()}, **CRYPTO_EXPONENTS,
}
CURRENCIES: tuple[str, ...] = tuple(sorted(CURRENCY_EXPONENTS))
DEFAULT_EXPONENT = 2
MAX_MAJOR_UNITS = 10_000_000
MAX_SAFE_INTEGER = 2**53 - 1  # the largest integer every JSON client reads exactly (a JavaScript number)
MIN_MINOR_UNITS = 1


def exponent(currency: str) -> int:
    """Minor-unit exponent of a currency (2 for a code not in the table: for display only)."""
    return CURRENCY_EXPONENTS.get(currency.upper(), DEFAULT_EXPONENT)


def max_minor_units(currency: str) -> int:
    return min(MAX_MAJOR_UNITS * 10 ** CURRENCY_EXPONENTS[currency], MAX_SAFE_INTEGER)


MAX_MINOR_UNITS = max(max_minor_units(c) for c in CURRENCIES)  # the bound over all currencies



def _active(code: str) -> str:
    if code not in CURRENCY_EXPONENTS:
        raise ValueError("not an active ISO 4217 currency code")
    return code


Currency = Annotated[StrictStr, Field(pattern=r"^[A-Z]{3,4}$", description="Active ISO 4217 code, or SOL or USDC.",
                                      json_schema_extra={"enum": list(CURRENCIES)}), AfterValidator(_active)]
MinorUnits = Annotated[int, Strict(), Field(
    gt=MIN_MINOR_UNITS - 1, le=MAX_MINOR_UNITS,
    description=f"JSON integer of the currency's minor units; at most {MAX_MAJOR_UNITS:,} major units of "
                f"the currency (e.g. 1000000000 for USD, 10000000 for JPY)")]


def amount_problem(amount: int, currency: str) -> str | None:
    """Why `amount` minor units of `currency` is refused, or None."""
    if currency not in CURRENCY_EXPONENTS:
        return f"{currency!r} is not an active ISO 4217 currency"
    if amount < MIN_MINOR_UNITS:
        return "must be at least 1 minor unit"
    if amount > max_minor_units(currency):
        return f"over the limit of {max_minor_units(currency)} minor units of {currency}"
    return None


def check_amount(amount: int, currency: str | None) -> int:
    """For a pydantic field validator on `amount` (declare `currency` before it): ValueError when over
    its currency's bound. An unknown currency is left to the currency field's own error."""
    if currency in CURRENCY_EXPONENTS:
        problem = amount_problem(amount, currency)
        if problem:
            raise ValueError(problem)
    return amount


def amount_bounds_schema(amount_field: str = "amount", currency_field: str = "currency") -> dict[str, Any]:
    """JSON Schema saying the per-currency maximum, for a model's json_schema_extra, so the OpenAPI
    document promises exactly what the validator enforces: one `anyOf` branch per bound (a client or
    a generator can pick a branch and stay valid)."""
    by_bound: dict[int, list[str]] = {}
    for code in CURRENCIES:
        by_bound.setdefault(max_minor_units(code), []).append(code)
    return {"anyOf": [
        {"properties": {currency_field: {"enum": codes}, amount_field: {"maximum": bound}}}
        for bound, codes in sorted(by_bound.items())
    ]}


class Priced(BaseModel):
    """Base of every request model that carries a payment's money: `currency` then `amount`, one
    contract (checked per currency, and said so in the model's JSON Schema)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=amount_bounds_schema())

    currency: Currency
    amount: MinorUnits

    @field_validator("amount")
    @classmethod
    def _within_currency_bound(cls, value: int, info: ValidationInfo) -> int:
        return check_amount(value, info.data.get("currency"))
