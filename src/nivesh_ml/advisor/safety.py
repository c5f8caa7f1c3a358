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
    r"\bprompt injection\b", r"\brepeat (the|everything|all)\b[^.?!\n]{0,20}\b(above|before|earlier)\b",
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
    )],
    "fraudulent_scheme": [re.compile(p, _I) for p in (
        r"\b(ponzi|pyramid scheme|chit fund scam|mlm scheme)\b",
        r"\b(start|run|design|create|set up|launch|promote|sell|market|pitch)\b[^.?!\n]{0,40}\b(guaranteed|assured|"
        r"fixed)\s+(high\s+)?(returns?|profits?)\b",
        r"\b(promise|guarantee)\b[^.?!\n]{0,30}\b(investors|clients|customers|people|members)\b[^.?!\n]{0,30}\b("
        r"returns?|profits?|double)\b",
        r"\b(pump and dump|insider (tip|trading|information))\b", r"\bmoney mule\b",
        r"\b(get|steal|obtain|phish)\b[^.?!\n]{0,30}\b(someone'?s?|others'?|their|victims?'?)\b[^.?!\n]{0,20}\b("
        r"otp|pin|cvv|password|card details)\b",
        r"\b(clone|skim)\b[^.?!\n]{0,15}\bcards?\b",
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
    """The harmful-request category of the message (tax evasion, fraudulent scheme), if any."""
    for kind, patterns in HARMFUL_PATTERNS.items():
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
