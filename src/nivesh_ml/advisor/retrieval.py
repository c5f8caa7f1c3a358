"""Hybrid retrieval over the knowledge base: section chunks, MiniLM vectors + BM25, reciprocal-rank fusion; then
sentence-level retrieval inside the retrieved documents (the sentences that answer the question)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from nivesh_ml.advisor.embeddings import Encoder, encoder_dir, ensure_encoder, is_built
from nivesh_ml.advisor.knowledge import Document, bundled_documents, knowledge_hash
from nivesh_ml.config import Settings

log = logging.getLogger(__name__)

MAX_CHUNK_WORDS = 160
RRF_K = 60
SNIPPET_CHARS = 320
_STOP_TEXT = (
    "a an and are as at be by can do does for from has have how i if in is it its me my of on or so that the their "
    "them there these this to was what when where which who why will with you your should would could much many any "
    "get want need about am into than then also just please tell")
STOPWORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z₹(0-9])")
_BULLET = re.compile(r"^(?:[-*]|[0-9]{1,2}[.)]) ")
_TABLE_RULE = re.compile(r"^\|?[\s:|-]*$")
MAX_SENTENCE_CHARS = 420
SHORT_SENTENCE_CHARS = 45
LABEL_CHARS = 40  # "Lock-in: ...", "Deposit limits: ...": a fact's label, when the sentence starts with one
LABEL_BONUS = 0.5
MIN_ANSWER_COVERAGE = 0.35  # idf-weighted share of the question's key terms the answering sentence covers
ANSWER_CANDIDATES = 5  # leading sentences checked for coverage before saying the guides do not answer

# Query expansion: Hinglish words and everyday phrasings mapped to the words our guides use (applied to queries,
# never to the index). Phrases are matched as substrings of the lower-cased query, words as tokens.
QUERY_PHRASES: dict[str, str] = {
    "kam se kam": "minimum", "zyada se zyada": "maximum", "lock in": "lock-in tenure", "lock-in": "tenure",
    "no tax": "rebate 87a nil", "koi tax nahi": "rebate 87a nil", "tax nahi": "rebate 87a nil",
    "how long": "tenure years",
    "life cover": "cover times annual income",
    "short term": "stcg", "long term": "ltcg", "within a year": "stcg short-term", "not resolved": "ombudsman",
    "nahi sun": "ombudsman escalate", "income tax department": "income tax", "emergency fund": "months expenses",
    "fixed deposit": "fd", "deposit insurance": "dicgc", "kitne saal": "tenure years",
    "how many years": "tenure years", "kitne se kitne": "range",
    "tax saving": "tax-saver", "take out": "withdraw withdrawal", "become long term": "holding period",
    "becomes long term": "holding period", "treated as long term": "holding period", "fake call": "fraud 1930",
    "from my account": "unauthorised transaction fraud", "how much can i": "limit maximum",
    "chala gaya": "sent transferred", "kab tak": "age till", "kitna tak": "limit maximum", "kitni chhoot": "limit",
    "kitna chhoot": "limit", "kitna daal": "limit", "kitna jama": "limit", "kitna invest": "limit",
    "kitna claim": "limit", "byaj kitna": "rate", "kitna byaj": "rate", "interest kitna": "rate",
    "kitna interest": "rate", "byaj dar": "rate",
}
QUERY_WORDS: dict[str, str] = {
    "saal": "years", "sal": "years", "jama": "deposit", "naye": "new", "naya": "new", "nayi": "new",
    "purana": "old", "purane": "old", "accha": "good", "achha": "good", "acha": "good", "kahan": "where complaint",
    "kaha": "where complaint", "escalate": "ombudsman", "complaint": "grievance", "scam": "fraud 1930 cybercrime",
    "fraud": "1930 cybercrime", "stole": "fraud 1930", "stolen": "fraud 1930", "myself": "self",
    "maximum": "limit", "minimum": "limit", "lagta": "tax", "milta": "deduction", "milti": "deduction",
    "chhoot": "deduction", "chhut": "deduction",
    "mahine": "months", "mahina": "months", "byaj": "interest", "paisa": "money", "paise": "money",
    # everyday abbreviations and verbs, and more Hinglish (Latin script)
    "max": "maximum limit", "min": "minimum limit", "yr": "year", "yrs": "years", "amt": "amount",
    "put": "deposit", "daal": "deposit", "daalna": "deposit", "dal": "deposit", "lagana": "invest",
    "nikal": "withdrawal withdraw", "nikalna": "withdrawal", "nikala": "withdrawal", "nikaal": "withdrawal",
    "nikalne": "withdrawal", "withdraw": "withdrawal", "encash": "encashment withdrawal premature",
    "break": "premature",
    "beche": "sell sold", "bechna": "sell", "becha": "sell sold", "bechne": "sell", "kharida": "bought",
    "beti": "girl daughter", "daughter": "girl", "ladki": "girl", "umar": "age", "umr": "age",
    "ghar": "house home", "makaan": "house", "makan": "house", "karz": "loan", "karza": "loan",
    "mature": "maturity", "matures": "maturity", "din": "days", "shikayat": "complaint grievance",
    "jawab": "reply", "date": "due date", "deadline": "due date", "late": "belated penalty",
    "double": "doubles", "galat": "wrong", "jointly": "joint", "opened": "open", "wapas": "refund back",
    "mummy": "parents", "papa": "parents", "parent": "parents", "mom": "parents",
    "dad": "parents", "bachat": "savings", "har": "every", "percent": "%", "pehle": "before",
    "baad": "after", "band": "stop", "rokna": "stop", "khud": "self", "apne": "self",
    "own": "self", "pf": "epf provident fund", "flat": "property house", "apartment": "property house",
    "plot": "property land", "whom": "where", "cash": "lump sum",
    "most": "maximum limit", "add": "deposit", "salaried": "salary", "run": "maturity tenure",
    "runs": "maturity tenure", "lasts": "maturity tenure", "exit": "premature before", "khol": "open",
    "kholna": "open", "kholne": "open", "khole": "open", "kholu": "open", "khulta": "open",
    "dalna": "deposit", "dalne": "deposit", "zaroori": "minimum required", "zaruri": "minimum required",
    "shaadi": "marriage", "shadi": "marriage", "vivah": "marriage", "doob": "fails dicgc insured",
    "dooba": "fails dicgc insured", "doobe": "fails dicgc insured", "bankrupt": "fails dicgc insured",
    "collapse": "fails dicgc insured", "naukri": "job", "padhai": "education", "bachche": "children",
    "bacche": "children", "bima": "insurance", "kamai": "income", "tankhwah": "salary", "vyaj": "interest",
}
# Names of schemes and terms: they find the right document, but inside it every sentence is about that scheme,
# so they are left out of sentence scoring.
QUERY_ALIASES: dict[str, str] = {
    "ssy": "sukanya samriddhi", "sukanya": "ssy", "scss": "senior citizens savings scheme",
    "ltcg": "long-term capital gains 112a", "stcg": "short-term capital gains 111a", "cibil": "credit score",
    "sip": "systematic investment plan", "fd": "fixed deposit", "nps": "national pension system",
    "epf": "provident fund", "dicgc": "insured", "insured": "dicgc", "elss": "equity linked savings scheme",
    "ppf": "public provident fund", "mis": "pomis monthly income scheme",
    "pomis": "monthly income scheme", "rd": "recurring deposit", "td": "time deposit", "mssc": "mahila samman",
    "itr": "income tax return filing", "vpf": "voluntary provident fund", "kvp": "kisan vikas patra",
    "nsc": "national savings certificate",
}
# Names of schemes, sections and services: a sentence about a different scheme does not answer the question.
_ENTITY_TEXT = ("ppf epf vpf ssy sukanya scss nsc kvp pomis mssc mahila elss nps ulip sgb cibil upi dicgc itr tds ltcg "
                "stcg crypto gold rd td ombudsman")
_SECTION = re.compile(r"^[0-9]{2,3}[a-z]{1,5}$")
# a holding period under a year is short-term, "after a year" long-term (for capital-gains questions)
_SHORT_HOLDING = re.compile(r"\b(?:[1-9]|1[01]) ?(?:months?|mahine|mahino|mahina)\b|\b(?:within|less than|under|before|"
                            r"inside) (?:a|1|one|ek) (?:years?|saal)\b|\b(?:1|one|ek) ?(?:years?|saal)\b[^.?!\n]{0,6}"
                            r"\b(?:pehle|pahle|andar)\b", re.IGNORECASE)
_LONG_HOLDING = re.compile(r"\b(?:1|one|ek) ?(?:years?|saal)\b[^.?!\n]{0,12}\b(?:baad|after|later)\b|\b(?:after|more "
                           r"than|over) (?:1|one|a) years?\b", re.IGNORECASE)
_SPLIT_SECTION = re.compile(r"\b(80|87|24|54|10|111|112|115|194|234)\s+(ccd|cc|c|d|e|g|tta|ttb|a|b|ec|f|aa|baa|f)\b",
                            re.IGNORECASE)
ENTITY_PENALTY = 1.0
ENTITY_BONUS = 0.3
CONTEXT_WEIGHT = 0.5
OTHER_DOCUMENT_BONUS = -0.1  # a sentence of a guide outside the top documents can still answer (a rare term)
_HINGLISH_FILLER_TEXT = (
    "ka ki ke hai hain hota hoti hote mein me mai par pe se ko kya kaise ab jaun karu karun karna padta ho gaya "
    "nahi meri mera mere aur bhi koi tak ya sakte sakta hum hamein mujhe batao bataiye chahiye wala wali raha rahi "
    "rahe jata jati jate hoga hogi kab kyun kyu liye lekin hona hone karein kare kis kitna tahat abhi toh to "
    "kaunsa konsa kaun sa jo "
    "jab agar milega milegi lagega lagegi sakta saktey sake dena deni padega padegi wale baare bare padte padti "
    "karne karte karta karti dono lagti lagte sakti hu hoon hun tha thi the gayi gaye wo woh yeh ye is us unka "
    "uska apna apni chal chalega skte kr kro krna btao plz pls hua hui hue dega degi denge diya liya kiya karo "
    "kaun si jaye jaaye jayega")
HINGLISH_FILLER = frozenset(_HINGLISH_FILLER_TEXT.split())
# Everyday words that say nothing about the topic; a question is not "outside our guides" because of them.
_GENERAL_TEXT = (
    "someone somebody anyone till until first happen happened done doing give given going know okay ok thing "
    "things way ways really actually every current currently now latest today put amount took take taken got like see "
    "already still more "
    "also")
GENERAL_WORDS = frozenset(_GENERAL_TEXT.split())


@dataclass(frozen=True)
class Chunk:
    """A section (or part of one) of a knowledge document."""

    slug: str
    title: str
    heading: str
    text: str

    def indexed_text(self) -> str:
        """What is embedded and keyword-indexed: document title, section heading and text."""
        return f"{self.title}. {self.heading}. {self.text}"


@dataclass(frozen=True)
class Hit:
    """A retrieved document with its best-matching chunk."""

    slug: str
    title: str
    snippet: str
    score: float
    as_of: str = ""
    authority: str = ""

    def source(self) -> dict[str, str]:
        """The ``sources`` entry of an answer."""
        return {"title": self.title, "snippet": self.snippet}


_DEFINITION = re.compile(r"^\s*(what is|what's|what are) (a|an)\b|\bmeaning of\b|\bkya hota hai\b|\bkya hai\b$",
                         re.IGNORECASE)
# A number the question states ("my score is 650") and the ranges a sentence states ("650–699", "Below 650",
# "750 or above"): a row whose every range holds the number answers it; one with a range that excludes it does not.
# Amounts, percentages and durations are left out (their scales differ between question and guide).
_NOT_PLAIN = r"(?! ?(?:%|lakh|crore|k\b|years?|months?|days?|yrs?))"
_ASKED_NUMBER = re.compile(rf"(?<![\w₹.,/-])([0-9]{{2,6}}){_NOT_PLAIN}(?![\w.,/-])", re.IGNORECASE)
_RANGES = re.compile(
    rf"(?<![\w₹.,])([0-9]{{2,6}}) ?[–-] ?([0-9]{{2,6}}){_NOT_PLAIN}(?![\w.,])|"
    rf"\b(?:below|under|less than) ([0-9]{{2,6}}){_NOT_PLAIN}(?![\w.,])|"
    rf"(?<![\w₹.,])([0-9]{{2,6}}) (?:or|and) (?:above|more|higher)\b|"
    rf"\b(?:above|over) ([0-9]{{2,6}}){_NOT_PLAIN}(?![\w.,])",
    re.IGNORECASE)
RANGE_BONUS = 0.4


def stated_ranges(text: str) -> list[tuple[int, int]]:
    """The ranges ``text`` states, as inclusive ``(low, high)`` bounds ("Below 650" → (-1, 649))."""
    bounds = []
    for m in _RANGES.finditer(text):
        if m.group(1):
            bounds.append((int(m.group(1)), int(m.group(2))))
        elif m.group(3):
            bounds.append((-1, int(m.group(3)) - 1))
        else:
            bounds.append((int(m.group(4) or m.group(5)) + (0 if m.group(4) else 1), 10**9))
    return bounds


def range_fit(numbers: list[int], bounds: list[tuple[int, int]]) -> int:
    """+1 when every range holds each asked number, -1 when one excludes one, 0 without ranges or numbers."""
    if not bounds or not numbers:
        return 0
    return 1 if all(lo <= n <= hi for n in numbers for lo, hi in bounds) else -1


_FIGURE = re.compile(r"₹ ?[0-9]|[0-9] ?%|\b[0-9]{1,3}+ (years?|months?|days|times|lakh|crore)\b")


@dataclass(frozen=True)
class Passage:
    """A sentence (or one bullet point) of a knowledge document, scored for a question."""

    slug: str
    title: str
    heading: str
    text: str
    score: float
    as_of: str = ""
    authority: str = ""


def expand_query(query: str, aliases: bool = True) -> str:
    """The query plus the guides' words for its Hinglish and everyday terms (and scheme names' aliases)."""
    query = _SPLIT_SECTION.sub(r"\1\2", query)  # "section 80 C" is Section 80C
    lower = query.lower()
    extra = [v for k, v in QUERY_PHRASES.items() if k in lower]
    if _SHORT_HOLDING.search(lower):
        extra.append("short-term stcg")
    if _LONG_HOLDING.search(lower):
        extra.append("long-term ltcg")
    words = _WORD.findall(lower)
    extra += [QUERY_WORDS[w] for w in words if w in QUERY_WORDS]
    if aliases:
        extra += [QUERY_ALIASES[w] for w in words if w in QUERY_ALIASES]
    return " ".join([query, *extra])


def entities(text: str) -> set[str]:
    """Scheme names and section numbers of a text (its tokens)."""
    return {t for t in tokenize(text) if t in ENTITY_WORDS or _SECTION.match(t)}


def asked_entities(query: str) -> set[str]:
    """The schemes and sections a question names, with their aliases ("sukanya" is SSY), not its everyday words
    ("long term" is not a question about equity LTCG)."""
    words = _WORD.findall(_SPLIT_SECTION.sub(r"\1\2", query).lower())
    return entities(" ".join([*words, *(QUERY_ALIASES[w] for w in words if w in QUERY_ALIASES)]))


def _title_entities(title: str) -> set[str]:
    """What a guide is about when its title names one or two schemes ("EPF and VPF"); a guide to several
    ("NSC, KVP, POMIS, RD") lends none to a sentence that names none itself (a table row of another scheme)."""
    named = entities(title)
    return named if len(named) <= 2 else set()


def key_terms(text: str) -> set[str]:
    """The tokens of a question that carry meaning (Hinglish filler words dropped)."""
    return {t for t in tokenize(text) if t not in HINGLISH_FILLER}


def _clean(text: str) -> str:
    """Markdown emphasis and code marks removed, spaces collapsed (numbers at the start are kept)."""
    return " ".join(re.sub(r"[*_`#>|]", "", text).split())


def split_sentences(text: str, heading: str = "") -> list[str]:
    """Answer units of a chunk: each bullet or table row whole, paragraphs cut into sentences (markdown removed).

    A table row carries its section heading and the column names ("Section 80D deduction: Who is covered: Self
    — Maximum deduction: ₹25,000"), so that it reads (and is found) on its own.
    """
    units: list[str] = []
    header: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _TABLE_RULE.match(line):
            continue
        if line.startswith("|"):
            cells = [_clean(c) for c in line.strip("|").split("|")]
            if not header:
                header = cells
                continue
            row = " — ".join(f"{h}: {c}" if h else c for h, c in zip(header, cells, strict=False) if c)
            units.append(f"{heading}: {row}" if heading else row)
            continue
        header = []
        marker = _BULLET.match(line)
        bullet = marker is not None
        clean = _clean(line[marker.end():] if marker else line)
        if bullet and len(clean) <= MAX_SENTENCE_CHARS:
            units.append(clean)
        else:
            units.extend(s for s in _SENTENCE_END.split(clean) if s)
    return [u for u in units if len(u) > 12]


def _split_words(text: str, limit: int) -> list[str]:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    parts: list[str] = []
    current: list[str] = []
    for para in paragraphs:
        if current and len(" ".join(current).split()) + len(para.split()) > limit:
            parts.append("\n\n".join(current))
            current = []
        current.append(para)
    if current:
        parts.append("\n\n".join(current))
    return parts


def chunk_document(doc: Document, max_words: int = MAX_CHUNK_WORDS) -> list[Chunk]:
    """Split a document at its ``##`` headings, long sections further at paragraph boundaries."""
    sections = re.split(r"^##\s+", doc.body, flags=re.MULTILINE)
    chunks: list[Chunk] = []
    for i, section in enumerate(sections):
        heading, _, text = section.partition("\n") if i else ("Overview", "", section)
        text = re.sub(r"^#\s+.*$", "", text, flags=re.MULTILINE).strip()
        for part in _split_words(text, max_words) if text else []:
            chunks.append(Chunk(doc.slug, doc.title, heading.strip(), part))
    return chunks


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stop words, with a light plural/suffix stem."""
    tokens = []
    for word in _WORD.findall(text.lower()):
        if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        tokens.append(word)
    return tokens


ENTITY_WORDS = frozenset(t for w in _ENTITY_TEXT.split() for t in tokenize(w))  # stemmed as tokens are


def plain_snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """Markdown stripped to readable text, cut at a word boundary."""
    text = re.sub(r"[*_`#>|]", "", text)
    text = re.sub(r"^\s*[-\d]+[.)]?\s+", "", text, flags=re.MULTILINE)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


class _Vocabulary:
    """Spelling correction against the guides' words: a word of five letters or more that the guides never use
    becomes the most frequent guide word one edit away with the same first letter (deletion index, O(length))."""

    MIN_CHARS = 5
    MAX_CHARS = 20  # no guide word is longer; a longer "word" is left alone (its edits would cost length squared)

    def __init__(self, words: Sequence[str]) -> None:
        self.counts: dict[str, int] = {}
        for word in words:
            self.counts[word] = self.counts.get(word, 0) + 1
        for word in (*QUERY_WORDS, *QUERY_ALIASES, *HINGLISH_FILLER, *STOPWORDS, *GENERAL_WORDS):
            self.counts.setdefault(word, 1)
        self.deletions: dict[str, list[str]] = {}
        for word in self.counts:
            if len(word) >= self.MIN_CHARS - 1 and word.isalpha():
                for variant in {word[:i] + word[i + 1:] for i in range(len(word))}:
                    self.deletions.setdefault(variant, []).append(word)

    def _best(self, word: str) -> str | None:
        candidates = list(self.deletions.get(word, []))  # a letter missing from the query word
        for i in range(len(word)):
            variant = word[:i] + word[i + 1:]
            if variant in self.counts:  # an extra letter
                candidates.append(variant)
            candidates.extend(self.deletions.get(variant, []))  # one letter swapped
        fits = [c for c in candidates if c[0] == word[0] and c != word]
        return max(fits, key=lambda c: (self.counts[c], c)) if fits else None

    def correct(self, text: str) -> str:
        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            lower = word.lower()
            if not self.MIN_CHARS <= len(lower) <= self.MAX_CHARS or lower in self.counts or not lower.isalpha():
                return word
            return self._best(lower) or word

        return _WORD.sub(fix, text)


class Retriever:
    """Keyword (BM25) and, when an encoder is given, vector search fused by reciprocal rank."""

    def __init__(self, chunks: Sequence[Chunk], documents: Sequence[Document], encoder: Encoder | None = None,
                 vectors: np.ndarray | None = None, version: str = "") -> None:
        self.chunks = list(chunks)
        self.documents = {d.slug: d for d in documents}
        self.encoder = encoder
        self.version = version
        import bm25s  # here, not at the top: it brings numba, and a server imports this module at start-up

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.bm25 = bm25s.BM25()
        self.bm25.index([tokenize(c.indexed_text()) or ["_"] for c in self.chunks], show_progress=False)
        if encoder is not None and vectors is None:
            vectors = encoder.encode([c.indexed_text() for c in self.chunks])
        self.vectors = vectors
        self.sentences = [(c, text) for c in self.chunks for text in split_sentences(c.text, c.heading)]
        self.sentence_bm25 = bm25s.BM25()
        self.sentence_bm25.index([tokenize(text) or ["_"] for _, text in self.sentences], show_progress=False)
        self._sentence_tokens = [set(tokenize(f"{c.title} {c.heading} {text}")) for c, text in self.sentences]
        self._own_tokens = [set(tokenize(text)) for _, text in self.sentences]
        # the schemes and sections a sentence is about: those it (or its heading) names, else its document's
        self._named = [entities(f"{c.heading} {text}") for c, text in self.sentences]
        self._unnamed_in_many = [not self._named[i] and len(entities(c.title)) > 2
                                 for i, (c, _) in enumerate(self.sentences)]
        self._entities = [entities(f"{c.heading} {text}") or _title_entities(c.title) for c, text in self.sentences]
        frequency: dict[str, int] = {}
        for tokens in self._sentence_tokens:
            for token in tokens:
                frequency[token] = frequency.get(token, 0) + 1
        size = len(self._sentence_tokens)
        self._idf = {t: float(np.log((size + 1) / (n + 1))) + 1.0 for t, n in frequency.items()}
        self._unseen_idf = float(np.log(size + 1)) + 1.0
        self._vocabulary = _Vocabulary(_WORD.findall(" ".join(c.indexed_text() for c in self.chunks).lower()))
        self._labels = [set(tokenize(text.partition(":")[0])) if ":" in text[:LABEL_CHARS] else set()
                        for _, text in self.sentences]
        self._ranges = [stated_ranges(text) for _, text in self.sentences]  # "650–699", "Below 650"

    def correct(self, query: str) -> str:
        """The query with misspelt words ("intrest") replaced by the guides' word one edit away."""
        return self._vocabulary.correct(query)

    def _scores(self, query: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        """BM25 scores and cosine similarities of every chunk (None where that ranker is unavailable)."""
        tokens = tokenize(expand_query(query))
        keyword = np.asarray(self.bm25.get_scores(tokens)) if tokens else None
        semantic = None
        if self.encoder is not None and self.vectors is not None:
            semantic = self.vectors @ self.encoder.encode([query])[0]
        return keyword, semantic

    def _ranked(self, query: str) -> list[list[int]]:
        keyword, semantic = self._scores(query)
        return self._rankings(keyword, semantic)

    @staticmethod
    def _rankings(keyword: np.ndarray | None, semantic: np.ndarray | None) -> list[list[int]]:
        rankings = []
        if keyword is not None:
            rankings.append([int(i) for i in np.argsort(-keyword, kind="stable") if keyword[i] > 0])
        if semantic is not None:
            rankings.append([int(i) for i in np.argsort(-semantic, kind="stable")])
        return rankings

    @staticmethod
    def _snippet_scores(keyword: np.ndarray | None, semantic: np.ndarray | None, size: int) -> np.ndarray:
        """Which chunk of a document best answers the query: normalised BM25 plus cosine similarity."""
        combined = np.zeros(size)
        if keyword is not None and keyword.max() > 0:
            combined += keyword / keyword.max()
        if semantic is not None:
            combined += semantic
        return combined

    def search(self, query: str, k: int = 3) -> list[Hit]:
        """The ``k`` best documents for ``query`` (each with its best chunk as snippet)."""
        keyword, semantic = self._scores(self.correct(query))
        fused: dict[int, float] = {}
        for ranking in self._rankings(keyword, semantic):
            for rank, idx in enumerate(ranking):
                fused[idx] = fused.get(idx, 0.0) + 1.0 / (RRF_K + rank + 1)
        best: dict[str, tuple[float, int]] = {}
        for idx, score in fused.items():
            slug = self.chunks[idx].slug
            if slug not in best or score > best[slug][0]:
                best[slug] = (score, idx)
        order = sorted(best.items(), key=lambda item: -item[1][0])[:k]
        snippet_scores = self._snippet_scores(keyword, semantic, len(self.chunks))
        hits = []
        for slug, (score, _) in order:
            doc = self.documents[slug]
            idx = max((i for i, c in enumerate(self.chunks) if c.slug == slug), key=lambda i: snippet_scores[i])
            hits.append(Hit(slug=slug, title=doc.title, snippet=plain_snippet(self.chunks[idx].text),
                            score=round(score, 5), as_of=doc.as_of, authority=doc.authority))
        return hits

    def answer_passages(self, query: str, hits: Sequence[Hit], k: int = 3) -> list[Passage]:
        """The sentences of the retrieved documents that best answer ``query``, best first.

        Sentence BM25 (heading + sentence) plus the share of the question's key terms the sentence, its heading
        and its document title cover, plus a bonus for the document's retrieval rank and for carrying a figure
        when the question asks for one. Empty when no sentence shares a key term with the question.
        """
        query = self.correct(query)
        terms = key_terms(expand_query(query, aliases=False))
        asked = key_terms(query)
        if not terms or not asked or not hits:
            return []
        keyword = np.asarray(self.sentence_bm25.get_scores(list(terms)))
        top = keyword.max() if keyword.size and keyword.max() > 0 else 1.0
        rank_bonus = {h.slug: 0.6 - 0.2 * i for i, h in enumerate(hits)}
        wants_figure = _DEFINITION.search(query) is None
        weight = sum(self._idf.get(t, self._unseen_idf) for t in terms)
        named = asked_entities(query)
        asked_numbers = [int(m.group(1)) for m in _ASKED_NUMBER.finditer(query)][:3]
        scored: list[tuple[float, int]] = []
        for i, (chunk, text) in enumerate(self.sentences):
            shared = terms & self._sentence_tokens[i]
            if not shared:
                continue
            # rare terms (POMIS, 80CCD) say more about which sentence answers than common ones (deposit, limit)
            # a term in the sentence itself counts fully, one only in its heading or document title half
            own = self._own_tokens[i]
            overlap = sum(self._idf.get(t, self._unseen_idf) * (1.0 if t in own else CONTEXT_WEIGHT)
                          for t in shared) / weight
            score = keyword[i] / top + overlap + rank_bonus.get(chunk.slug, OTHER_DOCUMENT_BONUS)
            if named and self._entities[i]:
                if not named & self._entities[i]:  # about another scheme or section
                    score -= ENTITY_PENALTY
                elif named & self._named[i]:  # names the scheme asked about itself
                    score += ENTITY_BONUS
            elif named and self._unnamed_in_many[i]:  # a row of a guide to several schemes that names none
                score -= ENTITY_PENALTY / 2
            if wants_figure and _FIGURE.search(text):
                score += 0.3
            if terms & self._labels[i]:  # "Lock-in: 3 years ..." answers "what is the lock-in"
                score += LABEL_BONUS
            if len(text) < SHORT_SENTENCE_CHARS:  # "Actual results can be higher or lower." answers nothing
                score -= 0.5
            if asked_numbers:
                score += RANGE_BONUS * range_fit(asked_numbers, self._ranges[i])
            scored.append((score, i))
        scored.sort(key=lambda item: -item[0])
        # the answer is the best-scored of the leading sentences that covers enough of the question
        first = next((n for n, (_, i) in enumerate(scored[:ANSWER_CANDIDATES])
                      if self._coverage(i, asked, terms) >= MIN_ANSWER_COVERAGE), None)
        if first is None:
            return []  # no leading sentence shares enough with the question: the guides do not answer it
        scored.insert(0, scored.pop(first))
        out = []
        for score, i in scored[:k]:
            chunk, text = self.sentences[i]
            doc = self.documents[chunk.slug]
            out.append(Passage(chunk.slug, chunk.title, chunk.heading, text, round(float(score), 4), doc.as_of,
                               doc.authority))
        return out

    def _coverage(self, index: int, asked: set[str], terms: set[str]) -> float:
        """Share of the question's own key terms a sentence (with its heading and title) covers, each term
        weighted by its rarity, so that "weather in Delhi" is not answered because a guide mentions Delhi."""
        tokens = self._sentence_tokens[index]
        own = {t for t in asked - set(QUERY_WORDS) - GENERAL_WORDS if not t.isdigit()} or asked

        def weighted(words: set[str]) -> float:
            total = sum(self._idf.get(t, self._unseen_idf) for t in words)
            return sum(self._idf.get(t, self._unseen_idf) for t in words & tokens) / total

        return max(weighted(own), weighted(terms))

    def passage(self, hit: Hit, max_chars: int = 1200) -> str:
        """A longer excerpt (the matching document's text) for grounding an LLM."""
        doc = self.documents[hit.slug]
        return plain_snippet(doc.body, max_chars)


def index_dir(settings: Settings) -> Path:
    """Where the vector index lives."""
    return settings.var_dir / "advisor" / "index"


_encoders: dict[str, Encoder] = {}
_vectors: dict[tuple[str, str], np.ndarray] = {}


def _encoder(settings: Settings) -> Encoder:
    """One ONNX session per exported graph and process (several var dirs may hold the same export)."""
    directory = ensure_encoder(encoder_dir(settings))
    sha = json.loads((directory / "encoder.json").read_text()).get("sha256", str(directory))
    if sha not in _encoders:
        _encoders[sha] = Encoder(directory)
    return _encoders[sha]


def build_index(settings: Settings) -> dict[str, object]:
    """Export the encoder if needed, embed every chunk, save ``vectors.npy`` + ``chunks.json``."""
    documents = list(bundled_documents())
    chunks = [c for d in documents for c in chunk_document(d)]
    encoder = _encoder(settings)
    key = (knowledge_hash(), encoder.version)
    if key not in _vectors:
        _vectors[key] = encoder.encode([c.indexed_text() for c in chunks])
    vectors = _vectors[key]
    out = index_dir(settings)
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "vectors.npy", vectors)
    meta = {"knowledge_hash": knowledge_hash(), "encoder": encoder.version, "chunks": [asdict(c) for c in chunks]}
    (out / "chunks.json").write_text(json.dumps(meta, ensure_ascii=False))
    return {"documents": len(documents), "chunks": len(chunks), "knowledge_hash": meta["knowledge_hash"],
            "encoder": encoder.version, "index_dir": str(out)}


def ensure_index(settings: Settings) -> dict[str, object]:
    """Build the encoder and index unless both are present and current (``nivesh-ml bootstrap`` calls this)."""
    meta_path = index_dir(settings) / "chunks.json"
    if meta_path.exists() and is_built(encoder_dir(settings)):
        meta = json.loads(meta_path.read_text())
        encoder_meta = json.loads((encoder_dir(settings) / "encoder.json").read_text())
        if meta.get("knowledge_hash") == knowledge_hash() and meta.get("encoder") == encoder_meta.get("sha256"):
            return {"built": False, "index_dir": str(index_dir(settings))}
    return {"built": True, **build_index(settings)}


def load_retriever(settings: Settings, semantic: bool = True) -> Retriever:
    """The retriever for ``settings`` (building the encoder/index on first use when missing or stale)."""
    documents = list(bundled_documents())
    version = knowledge_hash()
    if not semantic:
        chunks = [c for d in documents for c in chunk_document(d)]
        return Retriever(chunks, documents, version=f"kb-{version}-bm25")
    meta_path = index_dir(settings) / "chunks.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    encoder = _encoder(settings)
    if meta.get("knowledge_hash") != version or meta.get("encoder") != encoder.version:
        log.info("advisor index missing or stale; building it")
        build_index(settings)
        meta = json.loads(meta_path.read_text())
    chunks = [Chunk(**c) for c in meta["chunks"]]
    vectors = np.load(index_dir(settings) / "vectors.npy")
    return Retriever(chunks, documents, encoder, vectors, version=f"kb-{version}-enc-{encoder.version[:8]}")
