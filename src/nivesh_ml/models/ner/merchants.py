"""Known Indian merchants: canonical name, spending category and the aliases they appear under."""

from __future__ import annotations

import re
from functools import lru_cache

# (canonical name, category, aliases). Aliases are matched case-insensitively after punctuation is dropped;
# the canonical name and its lower-case form are aliases implicitly.
MERCHANTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Swiggy", "food", ("swiggy ltd", "bundl technologies", "swiggy food")),
    ("Swiggy Instamart", "groceries", ("instamart",)),
    ("Zomato", "food", ("zomato ltd", "zomato limited", "zomato private limited", "zomato payu")),
    ("Amazon", "shopping", ("amazon in", "amazon india", "amazon seller services", "amazon de", "amzn",
                            "amazon retail")),
    ("Amazon Pay", "shopping", ("amazonpay", "amazon pay india")),
    ("Amazon Prime", "subscriptions", ("prime video", "amazon prime video")),
    ("Flipkart", "shopping", ("flipkart internet", "flipkart india", "fkrt")),
    ("Myntra", "shopping", ("myntra designs", "myntra designs pvt ltd")),
    ("Ajio", "shopping", ()),
    ("Nykaa", "shopping", ("nykaa e retail", "fsn e commerce")),
    ("Meesho", "shopping", ("fashnear technologies",)),
    ("BigBasket", "groceries", ("big basket", "supermarket grocery supplies", "bbdaily")),
    ("Blinkit", "groceries", ("grofers", "blink commerce")),
    ("Zepto", "groceries", ("zepto marketplace", "kiranakart")),
    ("DMart", "groceries", ("d mart", "dmart avenue", "avenue supermarts")),
    ("Reliance Smart", "groceries", ("reliance fresh", "reliance retail", "smart bazaar")),
    ("Reliance Digital", "shopping", ()),
    ("Croma", "shopping", ("infiniti retail",)),
    ("Decathlon", "shopping", ("decathlon sports", "decathlon sports india")),
    ("Lenskart", "shopping", ()),
    ("Uber", "travel", ("uber india", "uber india systems", "uber trip", "uber rides")),
    ("Uber Eats", "food", ()),
    ("Ola", "travel", ("olacabs", "ola cabs", "ani technologies")),
    ("Rapido", "travel", ("roppen transportation",)),
    ("Namma Yatri", "travel", ()),
    ("IRCTC", "travel", ("indian railway", "irctc ltd", "indian railways")),
    ("MakeMyTrip", "travel", ("make my trip", "mmt")),
    ("IndiGo", "travel", ("interglobe aviation", "indigo airlines")),
    ("Airbnb", "travel", ()),
    ("Metro Rail", "travel", ("dmrc", "bmrcl", "metro")),
    ("Indian Oil", "fuel", ("iocl", "indianoil", "indian oil corporation")),
    ("HP Petrol", "fuel", ("hpcl", "hindustan petroleum")),
    ("Bharat Petroleum", "fuel", ("bpcl",)),
    ("Shell", "fuel", ("shell india",)),
    ("Jio", "utilities", ("reliance jio", "jio fiber", "jio prepaid", "jio recharge")),
    ("Airtel", "utilities", ("bharti airtel", "airtel payments", "airtel postpaid", "airtel xstream")),
    ("Vodafone Idea", "utilities", ("vi", "vodafone", "vodafone idea ltd", "vodafone idea limited")),
    ("ACT Fibernet", "utilities", ("act fibernet", "atria convergence")),
    ("Tata Play", "utilities", ("tata sky",)),
    ("Tata Power", "utilities", ("tata power ddl", "tata power delhi")),
    ("Adani Electricity", "utilities", ("adani electricity mumbai",)),
    ("BESCOM", "utilities", ()),
    ("MSEDCL", "utilities", ("mahavitaran",)),
    ("BSES Rajdhani", "utilities", ("bses", "bses yamuna")),
    ("Mahanagar Gas", "utilities", ("mgl",)),
    ("Netflix", "subscriptions", ("netflix com", "netflix.com", "netflix india")),
    ("Hotstar", "subscriptions", ("disney hotstar", "disney+ hotstar", "jiohotstar", "novi digital")),
    ("Spotify", "subscriptions", ("spotify india",)),
    ("YouTube Premium", "subscriptions", ("youtube", "google youtube")),
    ("Google Play", "subscriptions", ("google play store", "google playstore")),
    ("Google One", "subscriptions", ()),
    ("Apple", "subscriptions", ("apple com", "apple.com", "apple india", "itunes")),
    ("BookMyShow", "entertainment", ("bigtree entertainment", "book my show")),
    ("PVR INOX", "entertainment", ("pvr", "inox", "pvr cinemas")),
    ("Starbucks", "food", ("starbucks coffee", "tata starbucks")),
    ("Chaayos", "food", ()),
    ("Chai Point", "food", ()),
    ("Domino's", "food", ("dominos", "dominos pizza", "jubilant foodworks")),
    ("McDonald's", "food", ("mcdonalds",)),
    ("Apollo Pharmacy", "healthcare", ("apollo", "apollo pharmacies")),
    ("PharmEasy", "healthcare", ()),
    ("1mg", "healthcare", ("tata 1mg",)),
    ("Max Healthcare", "healthcare", ("max hospital",)),
    ("MedPlus", "healthcare", ("medplus diagnostics", "medplus pharmacy")),
    ("Cult.fit", "entertainment", ("cult fit", "cultfit", "curefit")),
    ("Urban Company", "utilities", ("urbanclap", "urban clap")),
    ("LIC", "insurance premium", ("lic of india", "life insurance corporation")),
    ("HDFC Life", "insurance premium", ("hdfc life insurance",)),
    ("HDFC Ergo", "insurance premium", ("hdfc ergo general ins", "hdfc ergo general insurance")),
    ("SBI Life", "insurance premium", ()),
    ("Kotak Life", "insurance premium", ()),
    ("Tata AIA Life", "insurance premium", ("tata aia",)),
    ("Bajaj Finance", "EMI", ("bajaj finserv", "bajaj finance ltd")),
    ("Zerodha", "investment", ("zerodha broking",)),
    ("Groww", "investment", ("nextbillion technology",)),
    ("PhonePe", "transfers", ("phonepe pvt ltd",)),
    ("Paytm", "transfers", ("one97 communications", "paytm payments")),
    ("Byju's", "education", ("byjus", "think and learn")),
    ("OpenAI", "subscriptions", ("openai llc", "chatgpt")),
    ("JioMart", "groceries", ("jio mart",)),
    ("Amazon Fresh", "groceries", ()),
    ("Licious", "groceries", ()),
    ("Country Delight", "groceries", ()),
    ("Spencer's", "groceries", ("spencers", "spencers retail")),
    ("Big Bazaar", "groceries", ("bigbazaar",)),
    ("Nature's Basket", "groceries", ("natures basket",)),
    ("Ratnadeep", "groceries", ("ratnadeep supermarket",)),
    ("Dunzo", "groceries", ("dunzo daily",)),
    ("Tata CLiQ", "shopping", ("tata cliq", "tatacliq")),
    ("FirstCry", "shopping", ("first cry", "brainbees")),
    ("Pepperfry", "shopping", ()),
    ("Urban Ladder", "shopping", ()),
    ("IKEA", "shopping", ("ikea india",)),
    ("Westside", "shopping", ()),
    ("Pantaloons", "shopping", ()),
    ("Shoppers Stop", "shopping", ("shoppersstop",)),
    ("Zara", "shopping", ("zara india",)),
    ("H&M", "shopping", ("hennes mauritz", "h and m")),
    ("Bata", "shopping", ("bata india",)),
    ("Tanishq", "shopping", ("titan company",)),
    ("Vijay Sales", "shopping", ()),
    ("Cleartrip", "travel", ()),
    ("Goibibo", "travel", ("ibibo",)),
    ("Yatra", "travel", ("yatra online",)),
    ("EaseMyTrip", "travel", ("easemytrip", "ease my trip")),
    ("redBus", "travel", ("redbus", "red bus")),
    ("Air India", "travel", ("airindia",)),
    ("Akasa Air", "travel", ("akasa",)),
    ("SpiceJet", "travel", ("spice jet",)),
    ("Vistara", "travel", ()),
    ("OYO", "travel", ("oyo rooms", "oravel stays")),
    ("BluSmart", "travel", ("blu smart",)),
    ("FASTag", "travel", ("fastag recharge", "netc fastag")),
    ("Nayara Energy", "fuel", ("nayara",)),
    ("Jio-bp", "fuel", ("jio bp", "jiobp")),
    ("Torrent Power", "electricity", ()),
    ("CESC", "electricity", ()),
    ("TANGEDCO", "electricity", ("tneb",)),
    ("KSEB", "electricity", ()),
    ("Indraprastha Gas", "gas", ("igl",)),
    ("Dish TV", "utilities", ("dishtv",)),
    ("Hathway", "utilities", ()),
    ("Excitel", "utilities", ()),
    ("BSNL", "utilities", ()),
    ("SonyLIV", "subscriptions", ("sony liv",)),
    ("ZEE5", "subscriptions", ("zee 5",)),
    ("JioCinema", "subscriptions", ("jio cinema",)),
    ("Audible", "subscriptions", ()),
    ("Kindle", "subscriptions", ("amazon kindle",)),
    ("LinkedIn", "subscriptions", ("linkedin premium",)),
    ("Microsoft", "subscriptions", ("microsoft 365", "msft")),
    ("Adobe", "subscriptions", ("adobe systems",)),
    ("Zomato Gold", "subscriptions", ()),
    ("KFC", "food", ("kfc india",)),
    ("Pizza Hut", "food", ("pizzahut",)),
    ("Burger King", "food", ()),
    ("Subway", "food", ()),
    ("Haldiram's", "food", ("haldirams", "haldiram")),
    ("Barbeque Nation", "food", ("barbeque nation hospitality",)),
    ("Cafe Coffee Day", "food", ("ccd", "coffee day")),
    ("Third Wave Coffee", "food", ()),
    ("EatSure", "food", ("eat sure",)),
    ("Box8", "food", ()),
    ("Netmeds", "healthcare", ()),
    ("Practo", "healthcare", ()),
    ("Fortis Healthcare", "healthcare", ("fortis", "fortis hospital")),
    ("Manipal Hospitals", "healthcare", ("manipal hospital",)),
    ("Dr Lal PathLabs", "healthcare", ("lal pathlabs", "dr lal path labs")),
    ("Thyrocare", "healthcare", ()),
    ("Wellness Forever", "healthcare", ()),
    ("Unacademy", "education", ("sorting hat",)),
    ("Vedantu", "education", ()),
    ("upGrad", "education", ("upgrad",)),
    ("Coursera", "education", ()),
    ("Udemy", "education", ()),
    ("PhysicsWallah", "education", ("physics wallah",)),
    ("Upstox", "investment", ("rksv",)),
    ("Angel One", "investment", ("angel broking",)),
    ("Kuvera", "investment", ()),
    ("ICICI Prudential", "insurance premium", ("icici prudential life", "icici pru")),
    ("Star Health", "insurance premium", ("star health insurance",)),
    ("Niva Bupa", "insurance premium", ("max bupa",)),
    ("Care Health", "insurance premium", ("care health insurance", "religare health")),
    ("ACKO", "insurance premium", ("acko general insurance",)),
    ("Go Digit", "insurance premium", ("digit insurance", "go digit general insurance")),
    ("Policybazaar", "insurance premium", ("policy bazaar",)),
    ("CRED", "transfers", ("dreamplug", "cred club")),
    ("Dream11", "entertainment", ("dream 11", "sporta technologies")),
    ("PlayStation", "entertainment", ("playstation network", "psn")),
)


def _key(text: str) -> str:
    text = re.sub(r"[^0-9a-z&+]+", " ", text.lower())
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=1)
def merchant_index() -> dict[str, tuple[str, str]]:
    """Alias key → (canonical name, category)."""
    index: dict[str, tuple[str, str]] = {}
    for name, category, aliases in MERCHANTS:
        for alias in (name, *aliases):
            index.setdefault(_key(alias), (name, category))
    return index


_LEGAL_SUFFIX = re.compile(r" (pvt|private|ltd|limited|llp|inc|india|in|co|corp|com)$")


def lookup_merchant(text: str) -> tuple[str, str] | None:
    """``(canonical name, category)`` of a merchant as written ("SWIGGY", "ZOMATO LTD"), if known."""
    key = _key(text)
    index = merchant_index()
    while key:
        if key in index:
            return index[key]
        stripped = _LEGAL_SUFFIX.sub("", key)
        if stripped == key:
            break
        key = stripped
    return None


def canonical_merchant(text: str) -> str:
    """The canonical name of a known merchant; otherwise the text with its casing tidied."""
    found = lookup_merchant(text)
    if found is not None:
        return found[0]
    cleaned = re.sub(r"\s+", " ", text).strip()
    return cleaned.title() if cleaned.isupper() and len(cleaned) > 3 else cleaned
