"""Advisor safety: PII redaction, refusal of injection and harmful requests, output filter and disclaimer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from nivesh_ml.pii import mask_pii

DISCLAIMER: Final = ("_This is general information, not personalised investment, tax or legal advice. "
                     "Rates and rules change; check official sources or a SEBI-registered adviser before acting._")

_I = re.IGNORECASE
INJECTION_PATTERNS: Final[list[re.Pattern[str]]] = [re.compile(p, _I) for p in (
    r"\b(ignore|disregard|forget|skip|bypass|override)\b[^.?!\n]{0,40}\b(instructions?|rules?|prompts?|guidelines?"
    r"|polic(y|ies)|guardrails?|restrictions?|directives?|programming)\b",
    r"\b(system|hidden|initial|original|developer|internal)\s+(prompt|instructions?|message|rules)\b",
    r"\b(reveal|show|print|repeat|output|leak|dump|display|tell me)\b[^.?!\n]{0,30}\b(your|the)\s+"
    r"(prompt|instructions?|configuration|config|rules|api key|secrets?)\b",
    r"\byou are (now|no longer)\b", r"\bfrom now on,? (you|act|respond|behave)\b",
    r"\b(act|behave|pretend|roleplay|role-play)\b[^.?!\n]{0,40}\b(no|without|unfiltered|unrestricted|any)\s+"
    r"(rules|restrictions|filters?|limits|guidelines|censorship)\b",
    r"\b(jailbreak|DAN mode|developer mode|god mode|sudo mode|do anything now)\b",
    r"(<\s*/?\s*(system|assistant|im_start|im_end)\s*>|\[\s*(system|INST)\s*\]|###\s*(system|instruction))",
    r"\bnew (instructions?|rules|persona)\s*:", r"\b(admin|root|maintenance) (override|access|command)\b",
    r"\b(disable|turn off|remove)\b[^.?!\n]{0,25}\b(safety|filters?|guardrails?|disclaimers?)\b",
    r"\b(instructions?|rules?|niyam|prompt|guidelines?)\b[^.?!\n]{0,30}\b(bhool|bhul|bhulo|bhula|chhod|chod)\w{0,4}",
    r"\b(bhool|bhul|chhod|chod)\w{0,4}\b[^.?!\n]{0,30}\b(instructions?|rules?|niyam|prompt|guidelines?)\b",
    r"\bprompt injection\b", r"\brepeat (the|everything|all)\b[^.?!\n]{0,20}\b(above|before|earlier)\b",
    # role-play jailbreaks: a persona without the rules a registered adviser keeps
    r"\b(let'?s|lets) (role[- ]?play|pretend)\b",
    r"\b(role[- ]?play|pretend|imagine|act as|you are)\b[^.?!\n]{0,60}\b(unregistered|unlicensed|no rules|without "
    r"rules|say anything|no restrictions|no limits|unfiltered|(doesn'?t|does not|don'?t) care about (sebi|rules|"
    r"regulations?|the law))\b",
    r"\bsay (exactly|verbatim)\b[^.?!\n]{0,60}\bguarantee",
)]

HARMFUL_PATTERNS: Final[dict[str, list[re.Pattern[str]]]] = {
    "tax_evasion": [re.compile(p, _I) for p in (
        r"\b(evade|evading|evasion of|dodge|dodging|cheat on|cheat the)\b[^.?!\n]{0,20}\b(taxe?s?|income tax|gst|it dep"
        r"(artmen)?t)\b",
        r"\btax evasion\b", r"\bhide\b[^.?!\n]{0,40}\b(from|in)\b[^.?!\n]{0,20}\b(tax|income tax|it department|itr)\b",
        r"\b(hide|conceal|not (declare|report|show))\b[^.?!\n]{0,30}\b(income|cash|earnings|salary|profits?)\b",
        r"\b(fake|forged|bogus|false)\b[^.?!\n]{0,25}\b(rent receipts?|bills?|invoices?|receipts?|donations?"
        r"|deductions?|medical bills?|hra)\b",
        r"\bblack money\b", r"\b(launder|laundering|hawala)\b",
        r"\b(without paying|avoid paying|not pay)\b[^.?!\n]{0,15}\b(any )?tax(es)?\b[^.?!\n]{0,40}"
        r"\b(illegal|caught|secret|hide|without anyone)",
        r"\bbenami\b", r"\b(under[- ]report|underreport)\b[^.?!\n]{0,20}\bincome\b",
        r"\b(show|report|declare|dikha\w{0,3})\b[^.?!\n]{0,10}\b(less|lower|kam|fake)\b[^.?!\n]{0,15}\b(income|"
        r"salary|profits?|kamai|turnover)\b",
        r"\b(income|salary|cash|kamai|paisa|paise)\b[^.?!\n]{0,30}\b(na|nahi|mat)\s+(dikha\w{0,3}|declare)\b",
        r"\b(income|kamai|cash|paisa|paise|salary|profit|munafa)\b[^.?!\n]{0,30}\b(chupa|chhupa|chupau|chhupau|"
        r"chupaun|chhupaun|chupana|chhupana|chupaye|chhupaye|chhipa|chipa)\w{0,3}\b",
    )],
    "fraudulent_scheme": [re.compile(p, _I) for p in (
        r"\b(start|run|design|create|set up|launch|make|build|promote|operate|plan|organi[sz]e)\b[^.?!\n]{0,40}"
        r"\b(ponzi|pyramid scheme|chit fund scam|mlm scheme)\b",
        r"\b(start|run|design|create|set up|launch|promote|sell|market|pitch)\b[^.?!\n]{0,40}\b(guaranteed|assured|"
        r"fixed)\b[^.?!\n]{0,25}\b(returns?|profits?)\b",
        r"\b(promise|promising|guarantee|guaranteeing)\b[^.?!\n]{0,30}\b(investors|clients|customers|people|members)\b[^.?!\n]{0,30}\b("
        r"returns?|profits?|double)\b",
        r"\bpump and dump\b", r"\bmoney mule\b",
        r"\b(get|steal|obtain|phish)\b[^.?!\n]{0,30}\b(someone'?s?|others'?|their|victims?'?)\b[^.?!\n]{0,20}\b("
        r"otp|pin|cvv|password|card details)\b",
        r"\b(clone|skim)\b[^.?!\n]{0,15}\bcards?\b",
        r"\b(get|steal|obtain|phish|take|nikal\w{0,4})\b[^.?!\n]{0,20}\b(otp|upi pin|cvv|atm pin|passwords?)\b"
        r"[^.?!\n]{0,15}\b(from|of)\b[^.?!\n]{0,10}\b(neighbou?rs?|friends?|someone|somebody|people|others|"
        r"customers?|victims?|relatives?|colleagues?|elderly|strangers?)\b",
    )],
}

# What a SEBI-registered adviser must not do, or must not help with (checked after the harmful requests above).
_ASK = (r"\b(which|what|kaunsa|kaun ?sa|konsa|best|top|name|suggest|recommend|give me|tell me|batao|bataiye|list|send|"
        r"share|need|want|chahiye)\b")
_SECURITY = (r"\b(stocks?|shares?|scrips?|penny stocks?|small[- ]?caps?|mid[- ]?caps?|crypto(currency)?|coins?|"
             r"multibaggers?)\b")
_SURE = (r"\b(guaranteed?|assured|pakka|pakki|sure[- ]?shot|risk[- ]?free|no[- ]risk|can'?t[- ]lose|cannot lose|never "
         r"lose[sr]?|no[- ]loss|loss[- ]?free|zero[- ]loss|without (any )?(risk|loss(es)?)|100 ?% (accura\w{0,4}|sure|"
         r"safe|guaranteed|profit\w{0,4}|success\w{0,4}|win\w{0,4}))(?!\w)")
_DERIVATIVE = (r"\b(f ?& ?o|fno|options?|futures|derivatives?|intraday|bank ?nifty|nifty|option trading|"
               r"strateg(y|ies))\b")
ADVICE_PATTERNS: Final[dict[str, list[re.Pattern[str]]]] = {
    "insider_trading": [re.compile(p, _I) for p in (
        r"\b(trade|trading|buy|sell|profit|make money|earn|invest|use)\b[^.?!\n]{0,40}\b(unpublished|non[- ]public|"
        r"insider|inside|confidential|upsi)\b",
        r"\b(told me|tipped|leaked|know about|knows about|heard about|found out about)\b[^.?!\n]{0,60}\b(results?|"
        r"merger|acquisition|deal|earnings|buyback|order|takeover|numbers|figures|financials)\b[^.?!\n]{0,40}\b(before|early|"
        r"ahead)\b",
        r"\b(told me|tipped|leaked|know|knows|heard|found out)\b[^.?!\n]{0,50}\b(will|going to|is about to|plans? to|"
        r"planning to)\s+(announce|declare|report|release|publish)\b[^?!\n]{0,80}\b(buy|sell|trade|invest|profit|"
        r"make money)",
        r"\b(know|knew|got|have|heard)\b[^.?!\n]{0,20}\b(results?|numbers|earnings|merger|deal|buyback|order|"
        r"takeover|financials)\b[^.?!\n]{0,20}\b(early|in advance|ahead of|before (they are |it is )?(announced|"
        r"public|published|out|released))",
        r"\b(results?|merger|deal|order|earnings|numbers|news)\b[^.?!\n]{0,30}\b(pehle|pahle|advance mein)\b"
        r"[^.?!\n]{0,60}\b(kharid\w{0,4}|bech\w{0,4}|buy|sell|trade|invest)",
        r"\b(before|ahead of)\b[^.?!\n]{0,25}\b(public|announced|announcement|disclosed|disclosure)\b[^.?!\n]{0,40}"
        r"\b(profit|buy|sell|trade|invest)",
    )],
    "kyc_evasion": [re.compile(p, _I) for p in (
        r"\b(without|bina|avoid|skip|bypass|escape)\b[^.?!\n]{0,25}\b(kyc|ckyc|kyc verification)\b",
        r"\b(someone else|another person|cousin|friend|relative|brother|sister|maid|driver|servant)['’]?s? "
        r"(pan|aadhaar|kyc|demat|bank account|name)\b[^.?!\n]{0,60}\b(invest|trade|open|buy|so|hide|show)",
        r"\b(fake|forged|borrowed|benami)\s+(pan|aadhaar|kyc|demat|identity|id)\b",
        r"\b(someone|another|other|mother|father|mom|dad|wife|husband|son|daughter|parents?|relatives?|friends?|maid|"
        r"driver|servant|brother|sister|uncle|aunt|neighbou?r)(['’]s)?\b[^.?!\n]{0,10}\b(name|pan|account|demat)\b"
        r"[^.?!\n]{0,50}\b(hid(e|den|ing)|conceal\w{0,3}|chupa\w{0,3}|chhupa\w{0,3}|evade|escape tax|avoid tax)",
    )],
    "specific_security": [re.compile(p, _I) for p in (
        _ASK + r"[^.?!\n]{0,30}" + _SECURITY + r"[^.?!\n]{0,40}\b(buy|sell|invest|will|go(ing)? up|double|rise|jump|"
        r"[0-9]{1,3}x|profit|returns?|kharid\w{0,4}|bech\w{0,4}|upar|jayega|tomorrow|kal|this (week|year|month)|next|"
        r"tips?|lu|loon|lun|lena|badh\w{0,4}|chal\w{0,4})\b",
        r"\b(should|shall|can|must) (i|we)\b[^.?!\n]{0,12}\b(buy|sell|hold|exit|short|average)\s+(?:(?:my|our) )?"
        r"(?!my\b|the\b|some\b|any\b|more\b|individual\b|direct\b|shares\b|stocks\b)"
        r"[a-z][\w&.-]{0,20}( [a-z][\w&.-]{0,20}){0,3} (shares?|"
        r"stocks?|scrip)\b",
        _SECURITY + r"[^.?!\n]{0,30}\b(kharidu|kharidun|kharid lu|kharid loon|bechu|bechun|bech du|bech doon)\b",
        r"\b(intraday|stock|share|trading|option|f&o|fno|btst)s? (tips?|calls?)\b[^.?!\n]{0,20}\b(do|dedo|de do|"
        r"dijiye|chahiye|batao|bhejo|please|pls)\b",
        r"\b(give|send|share|need|want|batao|chahiye|koi|kuch)\b[^.?!\n]{0,20}\b(stock|share|intraday|trading|options?|f&o|"
        r"penny stock|multibagger)s? tips?\b",
    )],
    "assured_returns": [re.compile(p, _I) for p in (
        r"\b(suggest|give|tell|want|need|where|which|batao|bataiye|chahiye|find|show|recommend|looking for|get)\b"
        r"[^.?!\n]{0,40}" + _SURE + r"[^.?!\n]{0,30}(\b[0-9]{1,3}(\.[0-9])? ?%|\bdouble\b|\b[2-9]x\b|\btriple\b|"
        r"\breturns?\b|\bprofits?\b|\bincome\b|\bmunafa\b|\bway\b|\bplan\b|\bscheme\b|\binvestment\b)",
        _SURE + r"[^.?!\n]{0,15}\b(returns?|profits?|munafa|income)\b[^.?!\n]{0,40}\b(batao|bataiye|chahiye|suggest|"
        r"recommend|where|which|kaha|kahan)\b",
        _SURE + r"[^.?!\n]{0,40}" + _DERIVATIVE,
        r"\b(how|kaise)\b[^.?!\n]{0,20}\b(make|earn|get|kamay\w{0,2}|kamau|kamana)\b[^.?!\n]{0,20}" + _SURE
        + r"[^.?!\n]{0,15}\b(returns?|profits?|munafa|income|money|paisa)\b",
        _SURE + r"[^.?!\n]{0,15}\b(returns?|profits?|munafa|income|kamai)\b[^.?!\n]{0,30}\b(kaise|kamay\w{0,2}|kamau|"
        r"kamana)\b",
        _DERIVATIVE + r"[^.?!\n]{0,40}" + _SURE,
        r"\b(scheme|plan|investment)\b[^.?!\n]{0,20}\b(jisme|jismein|which|that)\b[^.?!\n]{0,20}\b(pakka|guaranteed|"
        r"surely|definitely)\b",
    )],
}

PROMISE_PATTERNS: Final[list[re.Pattern[str]]] = [re.compile(p, _I) for p in (
    r"\b(i|we) (guarantee|promise|assure you)\b",
    r"\byou will (definitely|surely|certainly|100%) (earn|get|make|double|gain|profit)",
    r"\bguaranteed to (double|triple|grow|give|return|earn|beat)\b",
    r"\b(risk[- ]free|sure[- ]shot|assured) (profits?|returns?|gains?|income|multibagger)\b",
    r"\b(will|is going to) (double|triple) your money\b",
)]
SECURITY_CALL_PATTERNS: Final[list[re.Pattern[str]]] = [re.compile(p, _I) for p in (
    r"\b(you should|i recommend|i suggest|i'd|i would|go ahead and|definitely|must|strong)\s+(buy|sell|short|dump|"
    r"exit|accumulate|book profits? in)\b[^.!?\n]{0,40}\b(shares?|stocks?|scrip|equity|ipo)\b",
    r"\b(buy|sell|short|accumulate)\s+(shares|stock)\s+of\s+[A-Z]",
    r"\b(strong )?(buy|sell) (call|rating|recommendation)\b",
    r"\btarget price\b", r"\bstop[- ]loss (at|of) (₹|rs\.?)\s?\d",
)]

PUBLIC_EMAIL: Final = re.compile(r"(?<![\w.+-])[\w.+-]++@(?:[\w-]++\.)*"
                                 r"(?:gov\.in|nic\.in|rbi\.org\.in|npci\.org\.in)\b", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n|$)")


@dataclass
class Screen:
    """Outcome of screening a user message."""

    text: str
    flags: list[str] = field(default_factory=list)
    refusal: str | None = None


def redact(text: str, keep_public: bool = False) -> tuple[str, list[str]]:
    """Mask PAN, Aadhaar, card, account and phone numbers, e-mails and UPI IDs (``[KIND]`` placeholders).

    With ``keep_public``, official addresses of regulators and government bodies (e.g. crpc@rbi.org.in in
    our grievance guide) stay readable in answers shown to the user.
    """
    if not keep_public:
        return mask_pii(text)
    public = PUBLIC_EMAIL.findall(text)
    for i, address in enumerate(public):
        text = text.replace(address, f"\x00{i}\x00")
    text, kinds = mask_pii(text)
    for i, address in enumerate(public):
        text = text.replace(f"\x00{i}\x00", address)
    return text, kinds


def detect_injection(text: str) -> bool:
    """True when the message tries to override the assistant's instructions."""
    return any(p.search(text) for p in INJECTION_PATTERNS)


def detect_harmful(text: str) -> str | None:
    """The category of a request we must decline, if any: tax evasion, a fraudulent scheme, a specific security
    to buy or sell, guaranteed returns or a can't-lose strategy, trading on inside information, KYC evasion."""
    for kind, patterns in (HARMFUL_PATTERNS | ADVICE_PATTERNS).items():
        if any(p.search(text) for p in patterns):
            return kind
    return None


REFUSALS: Final = {
    "prompt_injection": ("I can't change how I work or share my internal instructions, but I'm happy to help "
                         "with your money questions: budgeting, saving, investing, loans, insurance or taxes."),
    "tax_evasion": ("I can't help with hiding income or evading tax; it is illegal and can lead to penalties and "
                    "prosecution. I can show you legal ways to lower your tax instead: Section 80C, 80D, NPS under "
                    "80CCD(1B), HRA, home-loan benefits, or choosing the better of the old and new regimes."),
    "fraudulent_scheme": ("I can't help with that. Schemes that promise guaranteed high returns, or that take other "
                          "people's money or credentials, are frauds or illegal. If someone offered you such a scheme, "
                          "you can report it to SEBI SCORES, sachet.rbi.org.in or the cybercrime helpline 1930."),
    "specific_security": (
        "I can't tell you which particular share, stock or coin to buy or sell. In India, recommending specific "
        "securities is investment advice, which only SEBI-registered investment advisers and research analysts may "
        "give; tips from unregistered 'finfluencers' or Telegram/WhatsApp groups are a common route to losses and "
        "pump-and-dump schemes. You can check a registration on sebi.gov.in (Intermediaries). What I can do: explain "
        "how to judge a company or a fund, how diversified options such as index funds work, and how much of your "
        "money suits equity for your goals."),
    "assured_returns": (
        "No market-linked investment or trading strategy can guarantee returns or promise that you can't lose: SEBI "
        "forbids registered advisers and brokers from assuring returns, and offers of 'sure-shot' or fixed high "
        "returns are a red flag for fraud. In equity F&O, SEBI's September 2024 study found that about 9 in 10 "
        "individual traders lost money between FY22 and FY24. If you need certainty, government-backed schemes "
        "have fixed, published rates (PPF, SCSS, post-office deposits), and bank deposits are insured by DICGC up "
        "to ₹5 lakh per bank; I can explain those, or how to size an emergency fund and a SIP for your goal."),
    "insider_trading": (
        "I can't help with trading on unpublished price-sensitive information (UPSI) such as results, mergers or "
        "orders before they are announced. Insider trading is illegal under the SEBI (Prohibition of Insider "
        "Trading) Regulations, 2015, and applies to anyone who receives such information, not only employees; "
        "penalties can reach ₹25 crore or three times the profit, whichever is higher, with prosecution as well. "
        "Trade only on information the company has published to the stock exchanges."),
    "kyc_evasion": (
        "I can't help with getting around KYC or investing in someone else's name. KYC with your PAN is mandatory "
        "for bank, demat and mutual-fund accounts under the Prevention of Money Laundering Act rules, and using "
        "another person's identity can be benami or fraud. KYC is a one-time step: you can complete it online with "
        "a KYC registration agency (KRA) or through your bank, broker or fund house using your PAN and Aadhaar."),
}


def screen_input(message: str) -> Screen:
    """Redact PII, then decide whether the message must be refused."""
    text, kinds = redact(message)
    flags = [f"pii_redacted:{k.lower()}" for k in kinds]
    if detect_injection(text):
        return Screen(text, [*flags, "refused:prompt_injection"], REFUSALS["prompt_injection"])
    harmful = detect_harmful(text)
    if harmful:
        return Screen(text, [*flags, f"refused:{harmful}"], REFUSALS[harmful])
    return Screen(text, flags)


def filter_output(reply: str) -> tuple[str, list[str]]:
    """Drop sentences promising returns or calling buys/sells on securities; redact PII; add the disclaimer."""
    flags: list[str] = []
    kept: list[str] = []
    for sentence in _SENTENCE.findall(reply):
        if any(p.search(sentence) for p in PROMISE_PATTERNS):
            flags.append("output_blocked:return_promise")
            continue
        if any(p.search(sentence) for p in SECURITY_CALL_PATTERNS):
            flags.append("output_blocked:security_call")
            continue
        kept.append(sentence)
    text = "".join(kept).strip()
    if flags:
        text += ("\n\n(I removed a statement that promised returns or recommended trading a specific security; "
                 "no investment's return is guaranteed and I don't give buy/sell calls.)")
    text, kinds = redact(text, keep_public=True)
    flags += [f"output_pii_redacted:{k.lower()}" for k in kinds]
    if DISCLAIMER not in text:
        text = f"{text}\n\n{DISCLAIMER}"
    return text, sorted(set(flags), key=flags.index)
