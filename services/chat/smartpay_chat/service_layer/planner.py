"""Planners behind one port. The deterministic planner (default, no network) turns the grammar's parse into
a validated plan, merges follow-ups into the session's last plan (METRICS.md), and refuses anything else.

A refusal never quotes a card number back: a question holding one (smartpay_shared.pan, disguised or not)
is refused before any parsing without quoting anything, quoted words never contain a digit, and every
refusal text is redacted as a backstop."""

from __future__ import annotations

import abc
import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from smartpay_chat.domain.plan import (RATE_METRICS, AggregatePlan, Filters, LookupPlan, Plan, Refusal, SearchPlan,
                                      Window, narrower_than_numerator, statuses_for)
from smartpay_chat.domain import grammar as g, lexicon as lx, narrative, places, settle, values
from smartpay_chat.domain.question import judged_order, parse
from smartpay_shared import pan

# Digit-free on purpose: a refusal carries no figures at all.
EXAMPLES = ("how much did we take on Stripe yesterday?", "approval rate by gateway this week",
            "top five decline reasons for EUR card payments last month",
            "why was payment <its pay_ id> declined?", "median latency last week", "and on Solana?")
_OTHER_TENANT = (r"\b(all|every|other|another|each|any|competitor'?s?|their)\s+merchants?\b|\bmerchants?\s*(id|_id)?"
                 r"\s*[=:]?\s*[a-z0-9_-]*\d|\bmerchant_id\b|\bacross (?:all )?(?:tenants|accounts|merchants)\b"
                 r"|\bmerchants?\s+[a-z]*_[a-z0-9_-]+|\btenants?\b|\bwhole platform\b|\beveryone\b"
                 # a merchant id ("revenue for m_beta"), or "for merchant Acme" / "merchant Acme's": another merchant
                 r"|\bm_[a-z0-9][a-z0-9_-]*\b|\b(?:for|of|from|about|at|by)\s+(?:the\s+)?merchants?\s+"
                 r"(?!(?:account|local|time|timezone|zone)\b)[a-z]|\bmerchant\s+[a-z0-9_-]+'s\b")
# Card data the platform never stores or shows: asked for, it is refused, never turned into a count of payments.
_CARD_DATA = (r"\b(?:credit |debit )?card ?(?:numbers?|nos?|nums?|no\.)(?!\w)|\bpans?\b|\bprimary account numbers?\b"
              r"|\bcv[vc]2?s?\b|\bcvn\b|\bsecurity codes?\b|\bexpir(?:y|ation) dates?\b"
              r"|\b(?:full|complete|whole|entire|raw|unmasked) card (?:details|data|info(?:rmation)?|numbers?)\b"
              r"|\bcard details\b|\bcard ?holder names?\b")
CARD_DATA_REASON = ("card numbers, security codes and full card details are never stored or shown here (only a "
                    "card's last four digits, in one payment's details): ask about the payments instead, for example "
                    "their number or status")
_INJECTION = (r"\bignore\b.*\b(instructions?|rules|previous|above|filters?)\b|\bsystem prompt\b|\bdisregard\b"
              r"|\byou are now\b|\bdrop table\b|\bselect\s+\*|\bunion\s+select\b|;\s*--|\bjailbreak\b|\bpretend\b")
def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


# Which payment an action names, in up to three words: its gateway, currency or country adjective are the
# grammar's own catalogues (one source of truth), the rest are words that only describe a payment to act on.
_ACTION_OBJECT_WORDS = _alternation(
    [*g.GATEWAYS, *(code.lower() for code in places.CURRENCY_CODES), *places.DEMONYMS,
     "solana wallet", "wallet", "card", "crypto", "pending", "open", "stuck", "big", "large", "small", "last",
     "latest", "recent", "duplicate", "double", "wrong", "yesterday's", "today's"])
# A request to act on payments ("refund payment pay_...", "please cancel this order", "void all pending payments"):
# an imperative verb at the start (after polite openers) with a payment as its object. Never a lookup or a count.
_ACTION = (r"^\W*(?:\[[^\]]{1,40}\]\W*)*(?:(?:hi|hey|hello|please|pls|kindly|can you|could you|would you|will you|can we|could we|"
           r"i (?:want|need|would like|'d like)(?: you)? to|go ahead and|let's|now)[,!]?\s+)*"
           r"(?:refund|cancel|capture|void|charge|re-?charge|reverse|retry|re-?try|reprocess|re-?process|approve|re-?route|redirect|"
           r"decline|reject|block|unblock|release|settle|delete|remove|scrap|ditch|bin|nuke|wipe|"
           r"issue an? (?:refund|chargeback) (?:for|on|of)|"
           r"process an? refund (?:for|on|of))\s+(?:(?:the|this|that|these|those|a|an|my|our|all|every|each|all of (?:the|our))\s+)*"
           # which payment, in up to three words (heldout_t: "can you refund the Amazon Pay order from yesterday")
           rf"(?:(?:[a-z]+ed|{_ACTION_OBJECT_WORDS}|[$€£¥]?\d+(?:[.,]\d+)?)\s+){{0,3}}"
           r"(?:payments?|transactions?|orders?|charges?|txns?|it|them|ones|pay_)")  # "refund the failed ones"
# ... and anywhere, an action verb on a payment named by its id ("Would you be a dear and refund pay_...", "please
# refund booking pay_... for the guest", heldout_ai / heldout_aj), never a refund named as a noun ("the refund on pay_")
_ACTION_ON_ID = (r"(?<!\bthe )(?<!\ba )(?<!\bof )(?<!\bmy )(?<!\bour )(?<!\bthis )(?<!\bthat )\b(?:refund|cancel|capture|void"
                 r"|re-?charge|reverse|retry|re-?try|reprocess|re-?process|approve|re-?route|decline|reject|block|unblock"
                 r"|release|settle|delete|remove|scrap|mark|flag)\s+(?:(?:the|this|that|booking|order|payment|transaction|invoice|ticket"
                 r"|appointment|charge|customer's|guest's)\s+){0,2}pay_")
# the same verbs in the languages bilingual staff switch into ("cancela el refund de pay_...", heldout_ap: looked up)
_FOREIGN_ACTION = (r"\b(?:cancela|cancelar|cancele|cancelen|anula|anular|anule|annule|annuler|annulez|storniere|stornieren"
                   r"|storniert|reembolsa|reembolsar|reembolse|reembolsen|rembourse|rembourser|remboursez|erstatte"
                   r"|erstatten|rimborsa|rimborsare|annulla|annullare)\b")
# a request for a file, not a figure ("export all november payments to a csv file", heldout_ar: answered as a count)
_EXPORT = r"^\W*(?:(?:please|pls|can you|could you|would you|kindly)\s+)?(?:export|download|dump)\b"
# a question about what happened to a payment ("why did stripe decline pay_...", "did we refund pay_...?")
_ASKING = (r"^\W*(?:why|when|did|does|do|how|who|whom|should|shall|was|were|is|are|has|have|had|what|which|where"
           r"|can i|can we|could i|could we)\b")
ACTION_REASON = ("I only answer questions about payments: I can't refund, cancel, capture, charge or otherwise change "
                 "one (use the dashboard or the payments API for that)")
_PAYMENT_ID = re.compile(r"\bpay_[A-Za-z0-9]{8,40}\b")
# "find payments like <description>", "search for EUR payments similar to '<description>'"
_SEARCH = re.compile(r"^\s*(?:please\s+)?(?:find|search(?:\s+for)?|show(?:\s+me)?|list|look\s+for)\s+(?P<scope>.*?)"
                     r"\bpayments?\s+(?:that\s+(?:look|are|were)\s+)?(?:like|similar\s+to|matching|about|resembling)"
                     r"\s+(?P<text>.+?)\s*[?.!]*\s*$", re.IGNORECASE | re.DOTALL)
_FILTER_FIELDS = settle.FILTER_FIELDS


CARD_NUMBER_REASON = ("the question holds a card number. I never take one and did not keep it: name a payment "
                      "by its pay_ id, or a card by its last four digits in the payment details")


def refusal(reason: str) -> Refusal:
    # The redaction is a backstop: no reason below quotes a card number (see `quote_words`).
    return Refusal(reason=pan.redact(f"I can't answer that yet: {reason}. I can answer questions like: "
                                     + "; ".join(f'"{e}"' for e in EXAMPLES) + "."))


def quote_words(words) -> str:
    """The words a refusal did not understand, quoted, except any holding a digit (in any script): those
    are only counted, so no number the caller typed (a card number split into groups, too) comes back."""
    words = list(dict.fromkeys(words))
    plain = [w for w in words if not any(c.isdigit() for c in pan.normalise(w))]
    numbers = len(words) - len(plain)
    parts = [f'"{w}"' for w in plain] + (["a number" if numbers == 1 else "some numbers"] if numbers else [])
    return ", ".join(parts) if parts else "the question"


class Planner(abc.ABC):
    name: str

    @abc.abstractmethod
    def plan(self, question: str, previous: AggregatePlan | None, now: datetime, timezone: str) -> Plan:
        """A validated plan, or a Refusal. Never a merchant: the executor adds it."""


def screen(question: str) -> Plan | None:
    """What every planner decides before any parsing or model call: questions about another merchant and
    instructions are refused, one payment id is a lookup. None: plan the question."""
    if pan.contains_pan(question):
        return refusal(CARD_NUMBER_REASON)
    lowered = lx.unsplit(question.lower())  # "can you re fund ...": an action, split or not (the session's review)
    if re.search(_OTHER_TENANT, lowered):
        return refusal("I only answer about your own merchant's payments (the one you are signed in as)")
    if re.search(_CARD_DATA, lowered):
        return refusal(CARD_DATA_REASON)
    if (re.search(_ACTION, lowered) or (re.search(_ACTION_ON_ID, lowered) and not re.match(_ASKING, lowered))
            or re.search(_FOREIGN_ACTION, lowered) or re.match(_EXPORT, lowered)):
        return refusal(ACTION_REASON)
    if re.search(_INJECTION, lowered):
        return refusal("that reads like an instruction to change how I work, not a question about payments")
    ids = _PAYMENT_ID.findall(question)
    if len(ids) > 1:
        return refusal("I look up one payment at a time")
    if ids:
        return LookupPlan(payment_id=ids[0])
    return None


class DeterministicPlanner(Planner):
    """The grammar's planner. `known(word)`: is the word English (the typo guard); by default the English word
    list of adapters/english_words.py, loaded once."""

    name = "deterministic"

    def __init__(self, known: Callable[[str], bool] | None = None):
        if known is None:  # loaded here, at start (the API's init), not in the first answer
            from smartpay_chat.adapters.english_words import english_words, is_known as known

            english_words()
        self._known = known

    def plan(self, question: str, previous: AggregatePlan | None, now: datetime, timezone: str) -> Plan:
        screened = screen(question)
        if screened is not None:
            return screened
        today = now.astimezone(ZoneInfo(timezone)).date()
        question = narrative.without_sign_off(question, lambda part: parse(part, today, self._known))
        search = _SEARCH.match(question)
        if search:
            return _search_plan(search.group("scope"), search.group("text"), today, timezone, self._known)
        parsed = narrative.restated(question, lambda part: parse(part, today, self._known)) or parse(
            question, today, self._known)
        if parsed.leftovers and not parsed.refusal:  # a story around the question ("Customer says ... - how many")
            parsed = narrative.without_story(question, lambda part: parse(part, today, self._known)) or parsed
        if parsed.refusal:
            return refusal(parsed.refusal)
        if parsed.leftovers:
            return refusal("I don't know how to use " + quote_words(parsed.leftovers) + " here")
        story = narrative.story_changes_plan(question, parsed, lambda part: parse(part, today, self._known))
        if story:
            return refusal(f"part of your message (\"{story.strip()}\") would change the question: ask the question "
                           "on its own, with every filter it needs")
        base = previous if previous is not None and settle.follows_up(parsed) else None
        if parsed.top_n is not None and not parsed.group_by and not (base is not None and base.group_by):
            # "make it 5" with nothing to follow, "which is the slowest", "volume limit 3": a ranking of nothing
            return refusal("a ranking needs something to rank: name a grouping, for example \"top five countries by "
                           "payment count\"")
        problem = settle.metric(parsed, base is not None, base) or settle.relative_to(parsed, base, today)
        if problem:
            return refusal(problem)
        if parsed.money_of_those and base is None:  # "how much money did those bring in?" first (heldout_ai)
            return refusal("there is no earlier question in this session to follow up on")
        if parsed.metric is None and base is None:
            if parsed.follow_up:
                return refusal("there is no earlier question in this session to follow up on")
            return refusal("I could not tell which figure you want (a count, volume, a rate, latency...)")
        try:
            merged = _merge(parsed, base, timezone)
            if narrower_than_numerator(merged.metric, merged.filters.statuses):
                return refusal("a rate of only some of the payments it counts is 100 % by definition: ask for the "
                               "rate of those (the fraud decline rate, for example) or for their count")
            return merged
        except ValidationError as e:
            return refusal("the question mixes things I cannot combine (" +
                           "; ".join(err["msg"] for err in e.errors()) + ")")


def _search_plan(scope: str, text: str, today, timezone: str, known: Callable[[str], bool]) -> Plan:
    """The words before "payments" are filters and a window in the grammar ("EUR card", "last week"); the
    description after "like" is searched as it is (BM25 + embeddings)."""
    quoted = re.match(r"^\s*['\"“‘](.+?)['\"”’]\s*(.*)$", text, re.DOTALL)
    if quoted:  # a quoted description may be followed by more scope: "... like 'timeouts' last week"
        text, scope = quoted.group(1), f"{scope} {quoted.group(2)}"
    parsed = parse(scope, today, known)
    if parsed.refusal or parsed.leftovers or parsed.metric or parsed.group_by or parsed.top_n:
        return refusal("I search payments like a description, with filters such as a currency, gateway or "
                       "time before the word payments; I don't understand " +
                       quote_words(parsed.leftovers or scope.split()))
    text = text.strip().strip("'\"“”‘’")
    try:
        filters = Filters(**{name: getattr(parsed, name) for name in _FILTER_FIELDS}, **parsed.amounts)
        return SearchPlan(text=text, filters=filters, window=Window(**parsed.window) if parsed.window else None,
                          timezone=parsed.timezone or timezone)
    except ValidationError as e:
        return refusal("the search mixes things I cannot combine (" +
                       "; ".join(err["msg"] for err in e.errors()) + ")")


def _merge(parsed, base: AggregatePlan | None, timezone: str) -> AggregatePlan:
    """A follow-up inherits metric, filters, grouping and window; a new value for a filtered dimension replaces
    it, a new dimension adds a filter, a new time replaces the window (METRICS.md)."""
    filters = base.filters.model_dump() if base else Filters().model_dump()
    for name in _FILTER_FIELDS:
        if getattr(parsed, name):
            filters[name] = getattr(parsed, name)
    if (base is not None and base.filters.methods and not base.filters.gateways and parsed.gateways
            and not parsed.methods and not parsed.gateway_named
            and all(name in values.WALLET_METHODS for name in parsed.gateways)):
        # "approval rate for card payments >> and for Amazon Pay?": the other method, not card through that gateway
        filters["methods"] = tuple(values.WALLET_METHODS[name] for name in parsed.gateways)
        filters["gateways"] = ()
    if (parsed.metric or (base.metric if base else None)) == "fallback_rate":
        filters["fell_back"] = None  # a rate never filters on its own numerator ("how many rerouted >> the rate?")
    if parsed.statuses_implied and base and base.filters.statuses and set(base.filters.statuses) <= set(parsed.statuses):
        # "fraud declines in November >> by reason": the reasons of the declines asked about (fraud only), not of
        # every decline the grouping implies when nothing was said
        filters["statuses"] = base.filters.statuses
    if parsed.amounts:
        for key in ("amount_gte", "amount_gt", "amount_lte", "amount_lt"):
            filters[key] = parsed.amounts.get(key)
    if parsed.metric and base and parsed.metric != base.metric and parsed.metric in RATE_METRICS:
        filters["statuses"] = ()  # a rate names its own numerator: the last question's statuses do not apply
    metric = parsed.metric or base.metric
    filters["statuses"] = statuses_for(metric, tuple(filters["statuses"]))  # never a rate's own numerator (heldout_q)
    said_here = base is None or bool(parsed.statuses)
    if metric == "refund_total" and said_here and set(filters["statuses"]) in ({"refunded", "partially_refunded"}, set()):
        # every refund is of a refunded payment: the same figure, a plainer plan. One kind said ("how much was fully
        # refunded", heldout_af's round) keeps its filter: the money of the full (or the partial) refunds alone, a
        # smaller figure than every refund's. A follow-up ("number of refunded
        # payments >> how much was refunded in total?", "how many refunds ... >> how much money was that?": the
        # refunded amount of those payments, docs/chat.md) keeps the filter it inherits, like any other.
        filters["statuses"] = ()
    window = Window(**parsed.window) if parsed.window else (base.window if base else None)
    group_by = parsed.group_by or (base.group_by if base else ())
    if parsed.adds_groups and base is not None:
        group_by = tuple(dict.fromkeys((*base.group_by, *parsed.group_by)))
    top_n = parsed.top_n if parsed.top_n is not None else (base.top_n if base and not parsed.group_by else None)
    if top_n is None and parsed.which_one and base is not None and base.top_n == 1:
        top_n = 1  # "which gateway had most declines? >> and which method?" (heldout_aa): the one method, too
    order = parsed.order or (base.order if base else "desc")
    if not parsed.metric:  # "decline rate by method >> worst 2": the worst of the inherited rate is its highest
        order = judged_order(parsed.judged, metric, order)
    percentiles = parsed.percentiles or (base.percentiles if base and base.metric == "latency" else (50.0, 95.0, 99.0))
    return AggregatePlan(metric=metric, filters=Filters(**filters), window=window,
                         timezone=parsed.timezone or (base.timezone if base else timezone), group_by=group_by,
                         order=order, top_n=top_n, percentiles=percentiles)


def build_planner(settings) -> Planner:
    """The configured planner (CHAT_PLANNER). The LLM planners need their extra packages (LangChain); the
    settings check their credentials at start, so a misconfiguration fails loudly, never falls back."""
    if settings.planner == "deterministic":
        return DeterministicPlanner()
    from smartpay_chat.adapters import llm

    return llm.LangChainPlanner(llm.chat_model(settings), provider=settings.planner,
                                method=settings.llm_structured_method)
