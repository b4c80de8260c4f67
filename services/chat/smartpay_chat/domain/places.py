"""Countries and currencies in the words people use: ISO codes, names, demonyms, symbols (pure data)."""

from __future__ import annotations

import unicodedata

import pycountry

# ISO 3166-1 alpha-2, every assigned code (pycountry's ISO table: data, no I/O beyond reading its package file).
ISO_COUNTRIES = frozenset(country.alpha_2 for country in pycountry.countries)
# Codes that are also everyday words: recognised only when written in capitals ("payments from IT").
WORDLIKE_CODES = frozenset({"AD", "AM", "AS", "AT", "BE", "BY", "DO", "GO", "HE", "HI", "ID", "IN", "IS", "IT", "ME",
                            "MY", "NO", "OR", "SO", "TO", "UP", "US", "WE", "AN", "PM", "PA", "MA", "LA", "CA",
                            "DE", "ES", "PT", "MT", "ET", "CO"})
_EVERYDAY_NAMES = {
    "germany": "DE", "france": "FR", "spain": "ES", "italy": "IT", "netherlands": "NL", "the netherlands": "NL",
    "holland": "NL", "united kingdom": "GB", "the united kingdom": "GB", "the uk": "GB", "uk": "GB",
    "great britain": "GB", "britain": "GB", "england": "GB", "united states": "US", "the united states": "US",
    "the us": "US", "the usa": "US", "usa": "US", "america": "US", "japan": "JP", "brazil": "BR", "india": "IN",
    "canada": "CA", "australia": "AU", "bahrain": "BH", "ireland": "IE", "poland": "PL", "austria": "AT",
    "belgium": "BE", "sweden": "SE", "switzerland": "CH", "mexico": "MX", "portugal": "PT", "denmark": "DK",
    "norway": "NO", "finland": "FI", "greece": "GR", "czechia": "CZ", "czech republic": "CZ", "hungary": "HU",
    "romania": "RO", "turkey": "TR", "china": "CN", "south korea": "KR", "korea": "KR", "singapore": "SG",
    "hong kong": "HK", "new zealand": "NZ", "south africa": "ZA", "argentina": "AR", "chile": "CL",
    "colombia": "CO", "saudi arabia": "SA", "the uae": "AE", "uae": "AE", "united arab emirates": "AE",
    "kuwait": "KW", "oman": "OM", "jordan": "JO", "israel": "IL", "egypt": "EG", "nigeria": "NG", "kenya": "KE",
    "luxembourg": "LU", "iceland": "IS", "ukraine": "UA", "thailand": "TH", "vietnam": "VN", "indonesia": "ID",
    "philippines": "PH", "the philippines": "PH", "malaysia": "MY", "taiwan": "TW", "pakistan": "PK",
    "qatar": "QA", "russia": "RU", "palestine": "PS", "micronesia": "FM", "ivory coast": "CI", "cape verde": "CV",
    "burma": "MM", "east timor": "TL", "macau": "MO", "bosnia": "BA", "macedonia": "MK", "swaziland": "SZ",
    "vatican": "VA", "vatican city": "VA", "holy see": "VA", "brunei": "BN", "the bahamas": "BS", "the gambia": "GM",
    "drc": "CD", "democratic republic of the congo": "CD", "dr congo": "CD", "the drc": "CD", "british virgin islands": "VG",
    "us virgin islands": "VI",
}
# ISO names that are also a US state, a first name or a word ("Georgia", "New Jersey", "Chad", "a reunion"): never
# read as a country (an unknown word after "from / in" is refused; the ISO code works: "from GE").
AMBIGUOUS_NAMES = frozenset({"georgia", "jersey", "chad", "reunion", "réunion"})


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _iso_names() -> dict[str, str]:
    """Every country's ISO short name and common name, lower case, with and without accents ("türkiye", "turkiye");
    not the names written with a comma or brackets ("Korea, Republic of"): the everyday names cover those."""
    names = {}
    for country in pycountry.countries:
        for name in {country.name, getattr(country, "common_name", country.name)}:
            if "," in name or "(" in name:
                continue
            for form in {name.lower(), _ascii(name.lower())}:
                if form not in AMBIGUOUS_NAMES:
                    names[form] = country.alpha_2
    return names


COUNTRY_NAMES = {**_iso_names(), **_EVERYDAY_NAMES}
DEMONYMS = {
    "german": "DE", "french": "FR", "spanish": "ES", "italian": "IT", "dutch": "NL", "british": "GB", "english": "GB",
    "american": "US", "japanese": "JP", "brazilian": "BR", "indian": "IN", "canadian": "CA", "australian": "AU",
    "bahraini": "BH", "irish": "IE", "polish": "PL", "austrian": "AT", "belgian": "BE", "swedish": "SE",
    "swiss": "CH", "mexican": "MX", "portuguese": "PT", "danish": "DK", "norwegian": "NO", "finnish": "FI",
    "greek": "GR", "czech": "CZ", "chinese": "CN", "korean": "KR", "singaporean": "SG",
}
# A currency the question names, before any country word ("British pounds" is GBP, not the country GB).
CURRENCY_CODES = frozenset({"EUR", "USD", "GBP", "JPY", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "BHD", "KWD",
                            "CAD", "AUD", "NZD", "BRL", "MXN", "INR", "CNY", "HKD", "SGD", "KRW", "ZAR", "TRY",
                            "SOL", "USDC", "CLP", "ISK", "JOD", "OMR", "TND", "AED", "SAR"})
CURRENCY_NAMES = {
    "us dollars": "USD", "us dollar": "USD", "american dollars": "USD", "dollars": "USD", "dollar": "USD",
    "euros": "EUR", "euro": "EUR", "japanese yen": "JPY", "yen": "JPY", "british pounds": "GBP",
    "british pound": "GBP", "pounds sterling": "GBP", "pound sterling": "GBP", "pounds": "GBP", "pound": "GBP",
    "sterling": "GBP", "quid": "GBP", "swiss francs": "CHF", "swiss franc": "CHF", "francs": "CHF",
    "bahraini dinars": "BHD", "bahraini dinar": "BHD", "dinars": "BHD", "dinar": "BHD",
    "kuwaiti dinars": "KWD", "canadian dollars": "CAD", "australian dollars": "AUD", "aussie dollars": "AUD",
    "new zealand dollars": "NZD", "indian rupees": "INR", "rupees": "INR", "brazilian reais": "BRL",
    "brazilian real": "BRL", "reais": "BRL", "mexican pesos": "MXN", "swedish krona": "SEK",
    "swedish kronor": "SEK", "norwegian krone": "NOK", "danish krone": "DKK", "polish zloty": "PLN",
    "zloty": "PLN", "singapore dollars": "SGD", "hong kong dollars": "HKD", "yuan": "CNY", "renminbi": "CNY",
    "south african rand": "ZAR", "turkish lira": "TRY", "sol": "SOL", "usdc": "USDC",
}
CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
