"""A question with a story around it ("What's the decline rate on Amazon Pay today? Several customers reported
issues", "Customer from France says their payment was declined - how many declines from France today?"): when
the whole question does not parse, the clauses the story adds are set aside, but only when that cannot change the
plan (issue #17: ignore filler only when the rest parses to one unambiguous plan):

- the question has at most MAX_CLAUSES clauses (split at sentence ends, dashes, semicolons and commas); a longer
  one is refused as it was, before any parse (a 500-character question stuffed with commas must not cost a parse
  per run of clauses: the Lambda's time limit);
- the story stands before the question, after it or both, never inside it: a run of consecutive clauses parses
  alone with no word left over (at most MAX_CLAUSES x (MAX_CLAUSES + 1) / 2 runs and MAX_CLAUSES single clauses
  parsed, each text parsed once);
- every story clause only reports ("says", "reported", "complained", "asked", "wants to know", "mentioned", "told";
  not "tell me", the request) or is pure filler ("hey", "thanks"), a greeting ("Good morning.") or a forwarded
  header in front, an apology ("sorry if this is a silly question"), or a first-person clause that is not the request
  and names no payments ("I am new with the register, but ...", "..., I'm replying to a customer", after the question
  also "..., because I'm thinking about the price"; "I'm worried about the overnight ones" names payments); the
  speaker's not-knowing or what the speaker is not ("I do not know how to answer", "I'm not a developer") is no
  negation; and it has no
  word that could narrow the question: no "only", "just", "ignoring", "except", "without" or negation, no
  preposition as its first word ("for premium customers", "on Stripe") and no word but an article or a quantifier
  before a people word ("new customers", "premium buyers"): "refund rate this month, for premium customers",
  "volume yesterday - new customers only" and "approval rate today, ignoring test payments" stay refused;
- every story clause, parsed alone, names no figure, time zone, grouping, ranking, amount, percentile or relative
  step, no window but the run's own, and only filter values that run names too ("a customer from France" before
  "declines from France"); a clause that adds a value or a window ("last week") is not a story;
- no word left in those clauses could change a plan: no number, time word, metric word, grouping word,
  out-of-scope word or unplaced word of the grammar, no city (but one of the question's own zone, named as who asks:
  "santiago office asking: ... Santiago time"), capitalised name or word in a value's place it could not place ("a
  customer filed a chargeback", "customers in Tokyo", "buyers on paypal" stay refused);
  people and plain words the grammar does not know are the story's ("customers reported issues");
- every run that passes gives the same plan; otherwise nothing is guessed and the question is refused as it was.
Also here: a sign-off at the end set aside when it names nothing a plan holds (`without_sign_off`), and a question
said again after "I mean" (`restated`)
Pure: `parse` is the grammar's parse of a piece of text."""

from __future__ import annotations

import re
from collections.abc import Callable

from smartpay_chat.domain import lexicon as lx
from smartpay_chat.domain import spoken
from smartpay_chat.domain.grammar import GROUPS, Parsed
from smartpay_chat.domain.plan import statuses_for
from smartpay_chat.domain.leftovers import SLOTS
from smartpay_chat.domain.zones import CITIES

_SPLIT = r"(?<=[?!.])\s+(?=\D)|\s+[-–—]+\s+|\s*;\s*|,\s+|(?<!\d):\s+"
# A forwarded message's header in front of the question ("fwd from front desk -", "Forwarding this one from our
# bookkeeper:", "From the shift lead:", "Passing along a question from accounts:", "On behalf of Mr. Weber:").
_FORWARD = re.compile(r"(?:fwd|fw|forwarding|forwarded|passing (?:along|on)|relaying|on behalf of|from|(?:a )?"
                      r"(?:quick )?(?:question|message|note|one) from|quick one from|asked by)\b")
# The words a header may hold: the forwarding phrase, and who sent it (a role or people word, or a name after an
# honorific: "Mr. Weber"). Anything else ("From Adyen:", "from the EU team:", "From new customers:", "via the
# website") could be what the question is about, so the clause is not set aside (the session's review).
_SENDER = frozenset("""fwd fw forwarding forwarded passing along on relaying behalf question message note quick one from
asked by this a an the our my your of team desk lead accounts accounting bookkeeper accountant ceo cfo coo cto boss
manager managers director owner owners front shift finance ops operations support head chief founder cofounder partner
colleague colleagues assistant admin reception receptionist staff dept department hq management board supervisor
controller treasurer bursar auditor analyst cashier clerk secretary receivable receivables payable payables
shipping logistics warehouse dispatch marketing hr legal product engineering developer developers dev devs it
customer service care success payments billing""".split())
_HONORIFIC = frozenset({"mr", "mrs", "ms", "dr", "miss", "prof"})
_VALUES = ("statuses", "gateways", "currencies", "methods", "countries", "fraud_decisions")
_PLAN_PARTS = ("metric", "window", "timezone", "group_by", "top_n", "order", "percentiles", "relative", "amounts",
               "share", "money_of_those", "refusal")
# The most clauses a question may have for a story to be looked for: above it the question is refused as before.
MAX_CLAUSES = 6
_REPORTS = frozenset("""say says said saying report reports reported reporting complain complains complained complaining
ask asks asked asking mention mentions mentioned mentioning tell tells told telling""".split())
_REPORTING_PHRASES = ("wants? to know", "wanted to know")
# A first-person clause's first word ("I'm replying to a customer", "we are checking"): an aside after the question.
_FIRST_PERSON = frozenset("""i i'm im i've i'll i'd we we're we've we'll we'd""".split())
# Words that narrow a question wherever they stand in a clause ("new customers only", "ignoring test payments").
_NARROWS = lx.NARROWS
_PREPOSITIONS = frozenset("""for in from on at with by to of among amongst via through thru using within across per
under over above below between during after before since until till into inside outside about as like than
around near""".split())
# What may stand before a people word in a story ("several customers", "a buyer", "our clients").
_BEFORE_PEOPLE = frozenset("""a an the one several some many few multiple our my their your his her this that these
those of all""".split())
# A greeting said as its own clause ("Good morning.", "Hi team,", "good evening all"): its time-of-day word is not a
# window (heldout_o: "Good morning. Could you tell me how many payments were approved yesterday" was refused).
_GREETING = re.compile(r"(?:(?:hi|hello|hey|dear)\s+)?(?:good\s+(?:morning|afternoon|evening|day)|hi|hello|hey)"
                       r"(?:\s+(?:all|team|everyone|everybody|there|folks|guys|again))?")
_CHANGES_A_PLAN = lx.NEGATIONS | lx.OUT_OF_SCOPE | lx.METRIC_WORDS | lx.TIME_WORDS | lx.TYPO_TARGETS | set(GROUPS)


# "I do not know how to answer", "not sure what to tell him" (heldout_q): a negation of the speaker's knowing, never
# of the payments; set aside with its verb before a clause's words are read
_NOT_KNOWING = re.compile(r"\b(?:(?:do|does|did)\s+not|don't|dont|doesn't|didn't|not)\s+(?:really\s+)?(?:know|sure"
                          r"|understand|remember|get it)\b"
                          # "I am not very good with computers" (heldout_w): what the speaker is not, said of them
                          r"|\b(?:(?:i|we)\s+(?:am|are|was|were)|i'm|im|we're)\s+not\s+(?:very\s+|really\s+|so\s+|too\s+|that\s+)?"
                          r"(?:good|great|familiar|technical|experienced|used to|an?\s+(?:expert|developer|analyst|accountant"
                          r"|techie|tech person|numbers person))\b")
# An apology opening a message ("sorry if this is a silly question", heldout_n): the speaker's, about the asking
_APOLOGY = frozenset("""sorry apologies apologize apologise pardon excuse forgive""".split())
# "because I'm thinking about changing the price" (heldout_q): a first-person aside after a conjunction
_ASIDE_CONJUNCTIONS = frozenset("""because as since so and but cause coz cos""".split())


def _tokens(text: str) -> list[str]:
    """The words of a piece of text, lower-cased (digits, apostrophes and currency symbols kept in a word)."""
    return re.findall(r"[a-z0-9_'$€£¥]+", text.lower())


def _words(clause: str) -> list[str]:
    """A clause's words, lower-cased, without the speaker's not-knowing (`_NOT_KNOWING`)."""
    return _tokens(_NOT_KNOWING.sub(" i ", clause.lower()))


# A sign-off after the question ("... (Atlantic/Canary). Best, Finance", "Thanks, Anna (ops)", "\n-- Sam, Finance"):
# a closing word, then at most a name and a role; a dash alone only on a line of its own (heldout_v: "Best" had been
# read as a ranking). "volume yesterday -- Germany" keeps its filter (the session's review): a dash is no sign-off.
_CLOSING = (r"(?i:best(?: regards| wishes)?|kind regards|warm regards|regards|cheers|many thanks|thanks(?: again| a lot)?"
            r"|thank you|sincerely|yours truly)")
_SIGNER = r"(?:[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*)?(?:\s*(?:,|/|\(|-)\s*[A-Za-z][A-Za-z &]{0,30}\)?)?)"
_SIGN_OFF = re.compile(rf"(?:\s*\n\s*(?:--+|—)\s*(?P<signed>{_SIGNER})|(?:(?<=[.!?])\s+|\s*\n\s*)(?:--+\s*|—\s*)?"
                       rf"{_CLOSING}\s*[,!.]?\s*(?P<name>{_SIGNER})?)\s*[.!]?\s*$")


def without_sign_off(question: str, parse: Callable[[str], Parsed]) -> str:
    """The question without a sign-off at its end (`_SIGN_OFF`), when who signed it, parsed alone, names nothing a
    plan could hold ("Thanks, Stripe team" keeps "Stripe": the question is then read whole); else unchanged."""
    m = _SIGN_OFF.search(question)
    if m is None:
        return question
    signer = m.group("signed") or m.group("name") or ""
    if not signer:
        return question[:m.start()]
    tail = parse(signer)
    if (any(getattr(tail, name) for name in (*_PLAN_PARTS, *_VALUES)) or tail.counted or tail.fell_back is not None
            or any(_plan_word(word) or word in CITIES for word in (*tail.leftovers, *tail.ignored))):
        return question
    return question[:m.start()]


_RESTATED = re.compile(r"(?<=[.?!])\s+i mean\b\s*,?\s*", re.IGNORECASE)


def restated(question: str, parse: Callable[[str], Parsed]) -> Parsed | None:
    """"What was the volume yesterday in Asia/Muscat? I mean, how much did we take yesterday?" (heldout_v): a question
    said again after "I mean", naming nothing the first one does not name the same way -> the first one's parse. A
    correction ("... in Germany last week? I mean, France") is no restatement: None (and the question is refused for
    its "mean", as before; the session's review)."""
    m = _RESTATED.search(question)
    if m is None:
        return None
    first, second = parse(question[:m.start()]), parse(question[m.end():])
    for p in (first, second):
        if p.refusal or p.leftovers or (p.metric is None and not _answerable(p)):
            return None
    said = [name for name in (*_PLAN_PARTS, *_VALUES, "fell_back") if getattr(second, name) not in (None, (), [], {})]
    if second.metric and second.metric != first.metric:
        return None
    return first if all(getattr(second, name) == getattr(first, name) for name in said) else None


def clauses(question: str) -> list[str]:
    return [c for c in re.split(_SPLIT, question.strip()) if c and c.strip(" ?!.")]


def without_story(question: str, parse: Callable[[str], Parsed]) -> Parsed | None:
    """The parse of the question without the clauses that only tell a story, or None (see the module's doc)."""
    parts = clauses(question)
    if not 2 <= len(parts) <= MAX_CLAUSES:
        return None
    parsed: dict[str, Parsed] = {}

    def parse_once(text: str) -> Parsed:
        if text not in parsed:
            parsed[text] = parse(text)
        return parsed[text]

    found: list[Parsed] = []
    for start in range(len(parts)):  # the question's clauses are parts[start:end]: a story before, after or both
        for end in range(start + 1, len(parts) + 1):
            before, run, after = parts[:start], parts[start:end], parts[end:]
            if not before and not after:
                continue
            if not (all(_may_be_story(clause, False) for clause in before)
                    and all(_may_be_story(clause, True) for clause in after)):
                continue
            main = parse_once(" ".join(run))
            if main.refusal or main.leftovers or main.metric is None and not _answerable(main):
                continue
            stories = [_header(parse_once(clause), clause) if _opens(before, i)
                       else _story(parse_once(clause), clause, main.timezone)
                       for i, clause in enumerate(before) if not _greeting(clause)]
            stories += [_story(parse_once(clause), clause, main.timezone) for clause in after]
            if all(s is not None and _within(s, main) for s in stories):
                found.append((len(run), main))
    plans = {_key(p) for _, p in found}
    if len(plans) == 1:
        return found[0][1]
    if len({_key(p, follow_up=False) for _, p in found}) == 1:
        # the same plan but for the opening "but" of the question's own clause: "I'm new here, sorry, but what
        # percentage ..." (heldout_ah) is "sorry but ..." (no follow-up) or "but ..." (one): the clause as said
        return min(found, key=lambda f: f[0])[1]
    return None


def _opens(story: list[str], i: int) -> bool:
    """Is story clause `i` a forwarded message's header that opens the message (after greetings only)?"""
    return _forwarded(story[i]) and all(_greeting(clause) for clause in story[:i])


def _forwarded(clause: str) -> bool:
    # a name with the sender's role in brackets ("Fwd from Pieter (finance)", heldout_r): the role says it is a sender
    clause = re.sub(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?(?=\s*\([^()]+\))", " ", clause)
    words = _tokens(clause)
    return bool(_FORWARD.match(" ".join(words))) and all(
        w in _SENDER or w in lx.PEOPLE or i > 0 and words[i - 1] in _HONORIFIC or w in _HONORIFIC
        for i, w in enumerate(words))


def _header(parsed: Parsed, clause: str) -> Parsed | None:
    """A forwarded message's header, parsed alone: who sent it may be any name or role ("the shift lead",
    "accounts", "Mr. Weber"), but it names no plan part, no filter value, no city, number or plan-changing word."""
    if (any(getattr(parsed, name) for name in (*_PLAN_PARTS, *_VALUES)) or parsed.counted
            or parsed.fell_back is not None or _names_a_city(parsed, clause)):
        return None
    for word in parsed.leftovers:
        if _plan_word(word) or word in CITIES:
            return None
    return parsed


def _greeting(clause: str) -> bool:
    return bool(_GREETING.fullmatch(" ".join(_tokens(clause))))


# Whose story a clause may tell besides the question's own people words ("a lot of people bought it", "some students
# asked for their money back"), and the openings of a first-person story ("When I launched the new module ...").
_STORY_PEOPLE = lx.PEOPLE | frozenset("""visitors fans riders passengers travellers travelers someone somebody everyone
everybody""".split())
_STORY_OPENING = re.compile(r"(?:when|while|since|after|because|as|so|and|but)?\s*(?:i|we)\b")
# ... unless it is the request itself ("I need for last month the net in dollars", "so I would like to know ...").
_REQUEST = re.compile(r"(?:so|and|but|please)?\s*(?:i|we)\s+(?:really\s+|just\s+|also\s+)?(?:need|needs|want|wanted"
                      r"|would|d|wish|like|require|ask|am asking|are asking|wonder|am wondering|are wondering)\b")


def story_changes_plan(question: str, whole: Parsed, parse: Callable[[str], Parsed]) -> str | None:
    """A question that parses whole, but with a clause that tells a story around it ("..., how many refunds did I
    have to give? Some students asked for their money back."): when the rest, parsed alone, is a question with a
    figure and a different plan, the story's words went into the plan (heldout_q: "money" made a count of refunds
    their volume; "card" and "Amazon Pay" of a story became filters). Returns that story clause (the question is
    then refused: the story adds something the question does not say), or None."""
    parts = clauses(question)
    if not 2 <= len(parts) <= MAX_CLAUSES or whole.refusal or whole.leftovers:
        return None
    for cut in range(1, len(parts)):
        for run, story, after in ((parts[:cut], parts[cut:], True), (parts[cut:], parts[:cut], False)):
            if not all(_tells_a_story(clause, after) for clause in story):
                continue
            main = parse(" ".join(run))
            if main.refusal or main.leftovers or (main.metric is None and not main.counted):
                continue
            if _plan_key(main) != _plan_key(whole):
                return " ".join(story)
    return None


def _plan_key(parsed: Parsed) -> tuple:
    """What a plan is made of (not how it was said: "how many", "payments", "okay" are the same plan)."""
    values = {name: getattr(parsed, name) for name in _VALUES}
    values["statuses"] = statuses_for(parsed.metric, tuple(values["statuses"]))
    return (parsed.metric or "count", *(repr(getattr(parsed, name)) for name in (*_PLAN_PARTS[1:], "fell_back")),
            *(repr(values[name]) for name in _VALUES))


def _tells_a_story(clause: str, after: bool) -> bool:
    """Reporting, filler, a first-person aside, or a clause about people or what the speaker did: read by its words
    only (unlike `_may_be_story`, it may name values: it is used to find a story that changed a plan)."""
    words = _tokens(clause)
    if not words or _REQUEST.match(" ".join(words)):
        return False
    if _greeting(clause) or _forwarded(clause):  # set aside only when they name nothing (`without_story`)
        return False
    return (_may_be_story(clause, after) or any(w in _STORY_PEOPLE for w in words)
            or bool(_STORY_OPENING.match(" ".join(words))))


def _may_be_story(clause: str, after: bool) -> bool:
    """Only reporting or filler, a greeting, or (`after` the question) a first-person aside, with no word that
    could narrow the question (read before any parse)."""
    if _greeting(clause) or _forwarded(clause):  # only in front of the question: "volume yesterday, morning" may
        return not after  # mean the morning (a header: only as the first clause, see `without_story`)
    words = _words(clause)
    if not words or words[0] in _PREPOSITIONS or any(w in _NARROWS for w in words):
        return False
    if any(w in lx.PEOPLE and i > 0 and words[i - 1] not in _BEFORE_PEOPLE for i, w in enumerate(words)):
        return False  # "new customers", "premium buyers": a kind of customer the question may be about
    text = " ".join(words)
    # "please tell me ...", "can you tell us ...": the request, never a report (heldout_w: "Please tell me my net
    # revenue for last month, after refunds." was refused as a story)
    reports = [w for i, w in enumerate(words) if w in _REPORTS
               and not (w in ("tell", "ask") and words[i + 1:i + 2] in (["me"], ["us"]))]
    return (bool(reports) or any(re.search(rf"\b{p}\b", text) for p in _REPORTING_PHRASES)
            or all(w in lx.FILLER for w in words) or words[0] in _APOLOGY
            or len(words) > 1 and _first_person(words, after) and not _REQUEST.match(text))


def _first_person(words: list[str], after: bool) -> bool:
    """A first-person clause: after the question an aside ("..., I'm replying to a customer", "..., because I'm
    thinking about the price"); before it, the speaker about themselves ("I am new with the shop register, ...",
    heldout_n), never the request (`_REQUEST`)."""
    if any(w in ("one", "ones") or w in lx.PAYMENT_NOUNS for w in words):
        return False  # "I'm worried about the overnight ones: ..." names which payments (the session's review)
    if words[0] in _FIRST_PERSON:
        return True
    return after and words[0] in _ASIDE_CONJUNCTIONS and words[1] in _FIRST_PERSON


def _answerable(main: Parsed) -> bool:
    """A parse with no metric word that the planner still answers (a bare count: "how many declines today")."""
    return bool(main.counted or main.payment_noun or main.statuses or main.fell_back or main.follow_up)


def _story(parsed: Parsed, clause: str, zone: str | None = None) -> Parsed | None:
    """The clause's parse when it can be a story: no plan part but filter values, no plan-changing word left, and
    no name the grammar could not place (a city, a capitalised word past the clause's first: "customers in Tokyo",
    "buyers on PayPal" could be the place or the value the question is about). A city of the question's own `zone`
    is no such name ("santiago office asking: volume yesterday in Santiago time", heldout_p): it is capitalised, but
    the only reading the question lets it have is the zone it asks in."""
    if any(getattr(parsed, name) for name in _PLAN_PARTS if name != "window"):
        return None
    if parsed.counted or parsed.fell_back is not None or _names_a_city(parsed, clause, zone):
        return None
    leftovers = [w for w in parsed.leftovers if not _own_zone_city(w, clause, zone)]
    normalised = lx.normalise(clause)
    words = _tokens(normalised)
    if any(pair == ("i", "am") for pair in zip(words, words[1:])) and "am" in leftovers:
        leftovers.remove("am")  # "I'm replying", "because I am writing": the verb once, not "the am shift"
    for _ in _NOT_KNOWING.finditer(normalised):  # "I do not know how to answer": the speaker's knowing
        for word in ("not", "no"):
            if word in leftovers:
                leftovers.remove(word)
                break
    for word in leftovers:
        if _names_a_team(word, normalised):
            continue  # "I work on the growth team", "a slide for the checkout team" (heldout_af): who, not what
        if _plan_word(word):
            return None
        if word not in lx.PEOPLE and (word in CITIES or _capitalised(word, clause) or _in_a_slot(word, clause)):
            return None
    return parsed


_TEAM = r"(?:team|teams|department|dept|squad|org|function|lead|manager|director|head)"


def _names_a_team(word: str, text: str) -> bool:
    """Is an out-of-scope word the name of a team in a story clause ("the growth team", "our checkout squad")?"""
    return word in lx.OUT_OF_SCOPE and bool(re.search(rf"\b{re.escape(word)}\s+{_TEAM}\b", text))


def _names_a_city(parsed: Parsed, clause: str, zone: str | None = None) -> bool:
    """A city in the clause, even one the grammar ignored ("tokyo office asking:"): it could be the zone or the place
    the question is about, so the clause is never set aside; unless it is a city of `zone`, the question's own."""
    text = " ".join(_tokens(clause))
    return any(word in CITIES and not _own_zone_city(word, clause, zone) for word in parsed.ignored) or any(
        " " in city and not _own_zone_city(city, clause, zone) and re.search(rf"\b{re.escape(city)}\b", text)
        for city in CITIES)


def _own_zone_city(city: str, clause: str, zone: str | None) -> bool:
    """A city of the question's own zone named as who asks ("santiago office asking:"), never as a place ("customers
    in Munich complained: ... Berlin time" is about Munich: the session's review)."""
    return bool(zone) and CITIES.get(city) == zone and not re.search(
        rf"\b(?:in|from|at|near|around|of|to)\s+(?:the\s+)?{re.escape(city)}\b", " ".join(_tokens(clause)))


def _plan_word(word: str) -> bool:
    """A word left in a story or header clause that could change a plan: a plan word, a number, a field-like name."""
    return (word in _CHANGES_A_PLAN or any(c.isdigit() for c in word) or "_" in word or word in spoken.NUMBER_VOCAB
            or word in lx.NUMBER_WORDS and word not in ("a", "an"))


def _in_a_slot(word: str, clause: str) -> bool:
    """Does `word` stand where a value, a grouping or a ranked thing would ("customers on paypal")?"""
    words = [w for w in _tokens(clause) if w not in ("the", "a", "an", "our", "my",
                                                                                   "their", "its", "your", "all")]
    return any(i > 0 and words[i - 1] in SLOTS for i, w in enumerate(words) if w == word)


def _capitalised(word: str, clause: str) -> bool:
    """Is `word` written with a capital somewhere in the clause but as its first word?"""
    rest = clause.strip().split(None, 1)[1:]
    return bool(rest) and any(not m.group(0).islower()
                              for m in re.finditer(rf"\b{re.escape(word)}\b", rest[0], re.IGNORECASE))


def _within(story: Parsed, main: Parsed) -> bool:
    """The story names no window but the question's, and only values the question names."""
    if story.window is not None and story.window != main.window:
        return False
    return all(set(getattr(story, name)) <= set(getattr(main, name)) for name in _VALUES)


def _key(parsed: Parsed, follow_up: bool = True) -> tuple:
    return tuple(repr(getattr(parsed, name)) for name in (*_PLAN_PARTS, *_VALUES, "fell_back", "payment_noun",
                                                           "counted", *(("follow_up",) if follow_up else ()),
                                                           "status_words"))
