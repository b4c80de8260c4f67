"""Countries and currencies in the words people use: ISO codes, names, demonyms, symbols (pure data)."""

from __future__ import annotations

# ISO 3166-1 alpha-2, every assigned code.
ISO_COUNTRIES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC
CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE
GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM
KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH
SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG
VI VN VU WF WS YE YT ZA ZM ZW""".split())
# Codes that are also everyday words: recognised only when written in capitals ("payments from IT").
WORDLIKE_CODES = frozenset({"AD", "AM", "AS", "AT", "BE", "BY", "DO", "GO", "HE", "HI", "ID", "IN", "IS", "IT", "ME",
                            "MY", "NO", "OR", "SO", "TO", "UP", "US", "WE", "AN", "PM", "PA", "MA", "LA", "CA",
                            "DE", "ES", "PT", "MT", "ET", "CO"})
COUNTRY_NAMES = {
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
    "qatar": "QA",
}
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
