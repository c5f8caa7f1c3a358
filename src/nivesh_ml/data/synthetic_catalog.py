"""Reference tables of the transaction simulator: cities, income bands, merchants, stream specs.

Pure data (no I/O, no randomness). The names here are the simulator's defaults that DESIGN.md §4
mentions; models must not depend on them (user data brings its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final


@dataclass(frozen=True)
class City:
    """An Indian city a simulated user lives in."""

    name: str
    tier: int
    lat: float
    lon: float
    weight: float  # relative share of simulated users
    power: tuple[str, ...]  # electricity distribution companies billing there


CITIES: Final[tuple[City, ...]] = (
    City("Mumbai", 1, 19.0760, 72.8777, 9.0, ("Adani Electricity", "Tata Power", "BEST")),
    City("Delhi", 1, 28.6139, 77.2090, 9.0, ("BSES Rajdhani", "BSES Yamuna", "Tata Power-DDL")),
    City("Bengaluru", 1, 12.9716, 77.5946, 8.5, ("BESCOM",)),
    City("Hyderabad", 1, 17.3850, 78.4867, 6.5, ("TSSPDCL",)),
    City("Chennai", 1, 13.0827, 80.2707, 6.0, ("TANGEDCO",)),
    City("Kolkata", 1, 22.5726, 88.3639, 5.5, ("CESC",)),
    City("Pune", 1, 18.5204, 73.8567, 5.0, ("MSEDCL",)),
    City("Ahmedabad", 1, 23.0225, 72.5714, 4.5, ("Torrent Power",)),
    City("Jaipur", 2, 26.9124, 75.7873, 2.5, ("JVVNL",)),
    City("Lucknow", 2, 26.8467, 80.9462, 2.5, ("UPPCL",)),
    City("Kochi", 2, 9.9312, 76.2673, 1.8, ("KSEB",)),
    City("Indore", 2, 22.7196, 75.8577, 1.8, ("MPPKVVCL",)),
    City("Chandigarh", 2, 30.7333, 76.7794, 1.5, ("Chandigarh Electricity",)),
    City("Surat", 2, 21.1702, 72.8311, 2.0, ("DGVCL",)),
    City("Nagpur", 2, 21.1458, 79.0882, 1.6, ("MSEDCL",)),
    City("Coimbatore", 2, 11.0168, 76.9558, 1.5, ("TANGEDCO",)),
    City("Bhopal", 2, 23.2599, 77.4126, 1.3, ("MPMKVVCL",)),
    City("Visakhapatnam", 2, 17.6868, 83.2185, 1.3, ("APEPDCL",)),
    City("Bhubaneswar", 2, 20.2961, 85.8245, 1.0, ("TPCODL",)),
    City("Guwahati", 2, 26.1445, 91.7362, 1.0, ("APDCL",)),
    City("Patna", 2, 25.5941, 85.1376, 1.2, ("SBPDCL",)),
    City("Mysuru", 3, 12.2958, 76.6394, 0.8, ("CESC Mysore",)),
    City("Nashik", 3, 19.9975, 73.7898, 0.8, ("MSEDCL",)),
    City("Dehradun", 3, 30.3165, 78.0322, 0.7, ("UPCL",)),
    City("Ranchi", 3, 23.3441, 85.3096, 0.7, ("JBVNL",)),
    City("Udaipur", 3, 24.5854, 73.7125, 0.5, ("AVVNL",)),
    City("Varanasi", 3, 25.3176, 82.9739, 0.7, ("PuVVNL",)),
    City("Madurai", 3, 9.9252, 78.1198, 0.7, ("TANGEDCO",)),
    City("Raipur", 3, 21.2514, 81.6296, 0.6, ("CSPDCL",)),
    City("Thrissur", 3, 10.5276, 76.2144, 0.5, ("KSEB",)),
    City("Jalandhar", 3, 31.3260, 75.5762, 0.5, ("PSPCL",)),
    City("Hubballi", 3, 15.3647, 75.1240, 0.5, ("HESCOM",)),
)

BANDS: Final[tuple[str, ...]] = ("low", "middle", "upper_middle", "high")
# P(band | city tier): rows are tiers 1..3.
BAND_BY_TIER: Final[tuple[tuple[float, ...], ...]] = (
    (0.25, 0.40, 0.25, 0.10), (0.35, 0.40, 0.19, 0.06), (0.45, 0.38, 0.14, 0.03))
SALARY_MEDIAN: Final[tuple[float, ...]] = (18_000.0, 42_000.0, 95_000.0, 240_000.0)  # INR take-home, tier 1
SALARY_TIER_FACTOR: Final[tuple[float, ...]] = (1.0, 0.85, 0.75)
AMOUNT_SCALE: Final[tuple[float, ...]] = (0.55, 1.0, 1.7, 3.0)  # discretionary ticket size by band

EMPLOYERS: Final[tuple[str, ...]] = (
    "ACME TECH PVT LTD", "INFOSYS LTD", "TATA CONSULTANCY SERVICES", "WIPRO LTD", "HCL TECHNOLOGIES",
    "RELIANCE RETAIL LTD", "HDFC BANK LTD", "ICICI BANK LTD", "LARSEN AND TOUBRO", "MAHINDRA AND MAHINDRA",
    "APOLLO HOSPITALS", "DMART AVENUE SUPERMARTS", "BHARTI AIRTEL LTD", "ZOMATO LTD", "SWIGGY LTD",
    "FLIPKART INTERNET PVT LTD", "COGNIZANT TECH SOLUTIONS", "ACCENTURE SOLUTIONS PVT", "BAJAJ AUTO LTD",
    "ASIAN PAINTS LTD", "SUNRISE PUBLIC SCHOOL", "SHREE CEMENT LTD", "KOTAK MAHINDRA BANK", "ITC LTD",
)
PAYDAY_RULES: Final[tuple[int, ...]] = (1, 5, 7, 10, 31)  # 31 = last working day of the month
PAYDAY_WEIGHTS: Final[tuple[float, ...]] = (0.30, 0.10, 0.15, 0.10, 0.35)

PERSON_NAMES: Final[tuple[str, ...]] = tuple(
    f"{first} {last}" for first in (
        "Rahul", "Priya", "Amit", "Sneha", "Vikram", "Anjali", "Rohit", "Pooja", "Arjun", "Kavya", "Suresh",
        "Lakshmi", "Imran", "Fatima", "Rajesh", "Neha", "Karthik", "Divya", "Manoj", "Ayesha", "Sanjay",
        "Meera", "Deepak", "Nandini", "Harpreet", "Joseph")
    for last in ("Sharma", "Iyer", "Reddy", "Patel", "Khan", "Das", "Nair", "Singh", "Gupta", "Menon",
                 "Kulkarni", "Banerjee", "Joshi", "Pillai", "Verma")
)
MULE_NAMES: Final[tuple[str, ...]] = (  # payees that appear only in rapid-burst fraud
    "Sonu Traders", "Quick Cash Services", "R K Enterprises", "Maa Tara Telecom", "Lucky Mobile Point",
    "Star Online Hub", "Jai Ambe Agency", "Royal Recharge Centre", "Anmol Fintech", "Galaxy Digital Store",
)
UPI_HANDLES: Final[tuple[tuple[str, str], ...]] = (
    ("ybl", "YESB"), ("paytm", "PYTM"), ("okaxis", "UTIB"), ("icici", "ICIC"), ("okhdfcbank", "HDFC"),
    ("oksbi", "SBIN"), ("axl", "UTIB"), ("ibl", "ICIC"), ("yesbank", "YESB"), ("hdfcbank", "HDFC"),
)

# (name, weight, online, card descriptor city for online merchants)
Pool = tuple[tuple[str, float, bool], ...]
KIRANA: Final[Pool] = tuple((n, 1.0, False) for n in (
    "Sri Lakshmi Kirana Store", "Gupta General Store", "Balaji Provision Store", "Patel Kirana",
    "Annapurna Stores", "Shree Ganesh Traders", "Maa Durga Kirana", "Om Sai Provisions", "Nadar Stores",
    "Agarwal Super Bazaar", "New Bharat Stores", "Krishna Departmental Store"))
POOLS: Final[dict[str, Pool]] = {
    "groceries": (("BigBasket", 3.0, True), ("Blinkit", 3.0, True), ("Zepto", 2.5, True),
                  ("Swiggy Instamart", 2.0, True), ("DMart", 3.0, False), ("Reliance Fresh", 1.5, False),
                  ("More Supermarket", 1.0, False), ("JioMart", 1.0, True), ("Spencer's", 0.5, False),
                  *KIRANA),
    "food_delivery": (("Swiggy", 5.0, True), ("Zomato", 5.0, True), ("Domino's Pizza", 1.0, True),
                      ("EatSure", 0.5, True), ("Behrouz Biryani", 0.5, True)),
    "dining": (("Starbucks", 1.0, False), ("Cafe Coffee Day", 1.0, False), ("McDonald's", 1.5, False),
               ("KFC", 1.0, False), ("Haldiram's", 1.0, False), ("Barbeque Nation", 0.7, False),
               ("Chaayos", 0.6, False), ("Burger King", 0.8, False), ("Pizza Hut", 0.6, False),
               ("Saravana Bhavan", 0.6, False), ("Udupi Krishna Bhavan", 0.8, False), ("Punjabi Dhaba", 0.8, False),
               ("Paradise Biryani", 0.6, False), ("Third Wave Coffee", 0.5, False), ("Social", 0.4, False)),
    "fuel": (("Indian Oil", 4.0, False), ("HP Petrol Pump", 3.0, False), ("Bharat Petroleum", 3.0, False),
             ("Shell", 0.8, False), ("Nayara Energy", 0.8, False)),
    "transport": (("Uber", 4.0, True), ("Ola", 3.0, True), ("Rapido", 2.5, True), ("Namma Yatri", 0.7, True),
                  ("Metro Card Recharge", 1.5, True), ("FASTag Recharge", 1.0, True)),
    "shopping": (("Amazon", 5.0, True), ("Flipkart", 4.5, True), ("Myntra", 2.0, True), ("Nykaa", 1.2, True),
                 ("Ajio", 1.0, True), ("Meesho", 1.0, True), ("Croma", 0.5, False),
                 ("Reliance Digital", 0.5, False), ("Lifestyle", 0.5, False), ("Westside", 0.5, False),
                 ("Decathlon", 0.4, False), ("Pantaloons", 0.5, False), ("Lenskart", 0.3, True)),
    "gifts": (("Tanishq", 1.5, False), ("Kalyan Jewellers", 1.2, False), ("Malabar Gold & Diamonds", 1.0, False),
              ("CaratLane", 0.6, True), ("Ferns N Petals", 1.0, True), ("Archies", 0.6, False),
              ("Haldiram's Sweets", 1.0, False), ("Bikanervala", 0.8, False), ("Anand Sweets", 0.8, False),
              ("FabIndia", 0.7, False), ("Titan World", 0.6, False)),
    "entertainment": (("PVR INOX", 3.0, False), ("BookMyShow", 3.0, True), ("Cinepolis", 1.0, False),
                      ("Wonderla", 0.3, False), ("Timezone", 0.4, False), ("Paytm Insider", 0.5, True)),
    "healthcare": (("Apollo Pharmacy", 3.0, False), ("MedPlus", 2.0, False), ("PharmEasy", 1.2, True),
                   ("Tata 1mg", 1.2, True), ("Practo", 0.5, True), ("Manipal Hospitals", 0.4, False),
                   ("Dr Lal PathLabs", 0.5, False), ("Wellness Forever", 0.6, False)),
    "travel": (("IRCTC", 4.0, True), ("MakeMyTrip", 2.5, True), ("IndiGo", 1.5, True), ("Goibibo", 1.0, True),
               ("redBus", 1.5, True), ("Cleartrip", 0.6, True), ("OYO", 0.6, True), ("Air India", 0.6, True)),
    "cash_withdrawal": (("SBI ATM", 4.0, False), ("HDFC Bank ATM", 2.0, False), ("ICICI Bank ATM", 1.5, False),
                        ("Axis Bank ATM", 1.2, False), ("Canara Bank ATM", 0.8, False)),
    "p2p": tuple((n, 1.0, True) for n in PERSON_NAMES),
    "p2p_in": tuple((n, 1.0, True) for n in PERSON_NAMES),
    "investments": (("Zerodha", 2.0, True), ("Groww", 2.0, True), ("Upstox", 1.0, True),
                    ("Kuvera", 0.4, True), ("Paytm Money", 0.5, True)),
    "edtech": (("Unacademy", 1.0, True), ("BYJU'S", 0.8, True), ("Coursera", 0.8, True),
               ("Udemy", 1.0, True), ("Physics Wallah", 1.0, True)),
    "refunds": (("Amazon", 2.0, True), ("Flipkart", 2.0, True), ("Myntra", 1.0, True), ("Swiggy", 0.5, True)),
}

# Hour-of-day weights (0..23). Hours 1-4 are zero except where real life has them (late food orders,
# night cabs): the odd_hour anomaly lives there.
HOURS: Final[dict[str, tuple[float, ...]]] = {
    "day": (0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 6, 7, 8, 7, 6, 6, 6, 7, 8, 8, 7, 5, 3, 1),
    "grocery": (0, 0, 0, 0, 0, 0, 1, 3, 6, 7, 6, 5, 4, 3, 3, 3, 4, 6, 8, 9, 8, 6, 3, 1),
    "meals": (1, .4, 0, 0, 0, 0, 0, .3, 1, 1.5, 1, 2, 7, 8, 5, 2, 2, 2, 3, 6, 10, 11, 8, 4),
    "dining": (0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 2, 2, 5, 6, 4, 2, 3, 4, 4, 6, 8, 9, 6, 2),
    "commute": (.6, .3, 0, 0, 0, 0, .5, 2, 6, 8, 6, 3, 2, 2, 2, 3, 4, 6, 8, 8, 6, 4, 2, 1),
    "evening": (0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 4, 4, 4, 5, 6, 8, 9, 9, 7, 4, 1),
    "any": (0, 0, 0, 0, 0, 0, .5, 2, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 6, 4, 2),
    "office": (0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 6, 8, 8, 6, 6, 6, 6, 5, 2, 0, 0, 0, 0, 0),
    "morning": (0, 0, 0, 0, 0, 0, 4, 8, 8, 6, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
}
WEEK: Final[dict[str, tuple[float, ...]]] = {  # Monday..Sunday
    "flat": (1, 1, 1, 1, 1, 1, 1),
    "weekend": (0.75, 0.75, 0.8, 0.85, 1.15, 1.6, 1.5),
    "weekend_strong": (0.6, 0.6, 0.7, 0.8, 1.2, 1.9, 1.8),
    "leisure": (0.9, 0.9, 0.9, 0.95, 1.1, 1.25, 1.3),
    "grocery": (0.9, 0.9, 0.9, 0.95, 1.0, 1.2, 1.3),
    "workday": (1.15, 1.15, 1.15, 1.15, 1.15, 0.7, 0.55),
}
# Channel order follows schemas.CHANNELS: upi, card, netbanking, cash, wallet, other.
CHANNEL_MIX: Final[dict[str, tuple[float, ...]]] = {
    "upi_first": (0.72, 0.20, 0.0, 0.0, 0.08, 0.0),
    "card_first": (0.40, 0.55, 0.0, 0.0, 0.05, 0.0),
    "online": (0.50, 0.40, 0.05, 0.0, 0.05, 0.0),
    "upi_only": (1.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    "cash": (0.0, 0.0, 0.0, 1.0, 0.0, 0.0),
    "bank": (0.35, 0.0, 0.65, 0.0, 0.0, 0.0),
    "bills": (0.60, 0.15, 0.25, 0.0, 0.0, 0.0),
    "autopay": (0.30, 0.70, 0.0, 0.0, 0.0, 0.0),
}


@dataclass(frozen=True)
class Stream:
    """A discretionary (Poisson-timed) transaction stream."""

    key: str
    category: str
    per_month: float  # events per user-month at band "middle"
    band_rate: tuple[float, float, float, float]
    median: float  # INR per event at band "middle"
    sigma: float  # log-normal spread of one event's amount
    hours: str
    week: str
    channels: str
    direction: str = "debit"
    month_factor: tuple[float, ...] = field(default=(1.0,) * 12)
    round_to: float = 1.0  # amounts paid by UPI are whole rupees; cash comes in 100s


STREAMS: Final[tuple[Stream, ...]] = (
    Stream("groceries", "groceries", 7.0, (0.9, 1, 1.1, 1.15), 520, 0.75, "grocery", "grocery", "upi_first"),
    Stream("food_delivery", "food_delivery", 5.5, (0.5, 1, 1.4, 1.6), 380, 0.45, "meals", "leisure", "upi_first",
           month_factor=(1, 1, 1, 0.95, 1, 1.05, 1.15, 1.15, 1.1, 1, 1, 1)),
    Stream("dining", "dining", 3.0, (0.5, 1, 1.6, 2.2), 650, 0.6, "dining", "weekend", "card_first"),
    Stream("fuel", "fuel", 2.8, (0.8, 1, 1.1, 1.1), 1100, 0.45, "day", "flat", "upi_first", round_to=50.0),
    Stream("transport", "transport", 8.0, (0.7, 1, 1.3, 1.3), 190, 0.6, "commute", "workday", "upi_first"),
    Stream("shopping", "shopping", 3.0, (0.6, 1, 1.5, 2.0), 1150, 0.85, "day", "weekend", "online",
           month_factor=(1.1, 0.95, 0.95, 0.95, 0.95, 0.95, 1.0, 1.05, 1.0, 1.0, 1.05, 1.0)),
    Stream("gifts", "shopping", 0.12, (0.5, 1, 1.6, 2.2), 2800, 0.9, "day", "weekend", "card_first"),
    Stream("entertainment", "entertainment", 1.4, (0.5, 1, 1.5, 1.8), 550, 0.55, "evening", "weekend_strong",
           "online"),
    Stream("healthcare", "healthcare", 1.1, (1, 1, 1.1, 1.2), 480, 0.9, "day", "flat", "upi_first",
           month_factor=(1.05, 1, 0.95, 0.95, 0.95, 1, 1.25, 1.25, 1.2, 1, 0.95, 1)),
    Stream("travel", "travel", 0.5, (0.3, 1, 2.0, 3.0), 2600, 0.9, "any", "flat", "online",
           month_factor=(0.9, 0.8, 0.9, 1.1, 1.6, 1.5, 0.8, 0.8, 0.8, 1.1, 1.3, 1.3)),
    Stream("cash_withdrawal", "cash_withdrawal", 1.5, (1.6, 1, 0.6, 0.4), 2000, 0.6, "any", "flat", "cash",
           round_to=500.0),
    Stream("p2p", "transfers", 4.5, (1.0, 1, 1.1, 1.1), 700, 1.0, "any", "flat", "upi_only"),
    Stream("p2p_in", "transfers", 1.2, (1.0, 1, 1.1, 1.1), 900, 1.0, "any", "flat", "upi_only", direction="credit"),
    Stream("investments", "investments", 0.15, (0.1, 1, 2.5, 4.0), 5000, 0.8, "office", "workday", "bank",
           round_to=100.0),
    Stream("edtech", "education", 0.05, (0.4, 1, 1.3, 1.2), 1800, 0.7, "evening", "flat", "online"),
    Stream("refunds", "refunds", 0.25, (0.6, 1, 1.5, 2.0), 900, 0.8, "day", "flat", "online", direction="credit"),
)
STREAM_INDEX: Final[dict[str, int]] = {s.key: i for i, s in enumerate(STREAMS)}

# Festival windows: (holiday, first day offset, last day offset, {stream: rate factor}, {stream: amount factor}).
Window = tuple[str, int, int, dict[str, float], dict[str, float]]
FESTIVALS: Final[tuple[Window, ...]] = (
    ("diwali", -30, -3, {"shopping": 2.4, "gifts": 4.0, "groceries": 1.15}, {"shopping": 1.2}),
    ("diwali", -2, -2, {"shopping": 3.0, "gifts": 12.0}, {"shopping": 1.4, "gifts": 1.6}),  # Dhanteras
    ("diwali", -8, -1, {"travel": 2.0}, {"travel": 1.2}),
    ("diwali", -1, 1, {"groceries": 1.5, "gifts": 6.0, "dining": 1.3}, {"groceries": 1.3}),
    ("holi", -3, -1, {"groceries": 1.4, "shopping": 1.3, "gifts": 2.0}, {}),
    ("holi", 0, 0, {"dining": 1.5, "food_delivery": 1.3}, {}),
    ("eid_fitr", -7, -1, {"shopping": 1.5, "gifts": 2.0, "groceries": 1.2}, {}),
    ("eid_fitr", 0, 0, {"dining": 1.6, "food_delivery": 1.3}, {}),
    ("eid_adha", -3, -1, {"groceries": 1.3}, {}),
    ("christmas", -7, 5, {"dining": 1.4, "entertainment": 1.4, "shopping": 1.3, "gifts": 2.5, "travel": 1.3}, {}),
    ("christmas", 6, 6, {"dining": 2.2, "entertainment": 1.8}, {"dining": 1.3}),  # New Year's Eve
)
WEDDING_MONTHS: Final[tuple[int, ...]] = (11, 12, 1, 2)
WEDDING: Final[dict[str, float]] = {"shopping": 1.2, "gifts": 2.5, "travel": 1.3}
PAYDAY_BOOST: Final[dict[str, float]] = {  # spend rises in the week after salary lands
    "shopping": 1.3, "dining": 1.2, "entertainment": 1.2, "food_delivery": 1.1, "investments": 4.0, "travel": 1.15}

# Recurring payees.
LENDERS: Final[tuple[str, ...]] = (
    "BAJAJ FINANCE LTD", "HDFC BANK LTD", "ICICI BANK LTD", "STATE BANK OF INDIA", "TATA CAPITAL LTD",
    "AXIS BANK LTD", "HOME CREDIT INDIA", "LIC HOUSING FINANCE")
BROADBAND: Final[tuple[str, ...]] = ("ACT Fibernet", "Airtel Xstream Fiber", "JioFiber", "BSNL Bharat Fibre",
                                     "Hathway")
BROADBAND_PRICES: Final[tuple[float, ...]] = (499, 699, 799, 999, 1178, 1499)
MOBILE: Final[tuple[str, ...]] = ("Jio", "Airtel", "Vi")
MOBILE_SHARE: Final[tuple[float, ...]] = (0.45, 0.38, 0.17)
PREPAID_PLANS: Final[tuple[float, ...]] = (199, 239, 299, 349, 399, 479, 666, 719, 859)
POSTPAID_PLANS: Final[tuple[float, ...]] = (399, 499, 599, 699, 999, 1199)
LPG: Final[tuple[str, ...]] = ("Indane Gas", "HP Gas", "Bharat Gas")
# (service, monthly prices, P(subscribed | band))
SUBSCRIPTIONS: Final[tuple[tuple[str, tuple[float, ...], tuple[float, float, float, float]], ...]] = (
    ("Netflix", (149, 199, 499, 649), (0.08, 0.30, 0.55, 0.70)),
    ("Disney+ Hotstar", (149, 299), (0.10, 0.30, 0.45, 0.50)),
    ("Spotify", (119, 179), (0.05, 0.20, 0.35, 0.45)),
    ("Amazon Prime", (299,), (0.10, 0.35, 0.55, 0.65)),
    ("YouTube Premium", (149,), (0.03, 0.10, 0.20, 0.30)),
)
INSURERS: Final[tuple[str, ...]] = ("LIC", "HDFC Life", "ICICI Prudential Life", "Star Health", "Niva Bupa",
                                    "Care Health Insurance", "ICICI Lombard")
SIP_PLATFORMS: Final[tuple[str, ...]] = ("Groww", "Zerodha Coin", "Kuvera", "ET Money", "Paytm Money")
SCHOOLS: Final[tuple[str, ...]] = ("Delhi Public School", "Kendriya Vidyalaya", "Ryan International School",
                                   "St. Xavier's High School", "DAV Public School", "Podar International School")

# Anomaly material: payees that never appear in normal streams.
FOREIGN: Final[tuple[tuple[str, str, str, str], ...]] = (  # descriptor, country, currency, category
    ("ALIEXPRESS", "CN", "USD", "shopping"), ("AMAZON.COM", "US", "USD", "shopping"),
    ("NOON.COM", "AE", "AED", "shopping"), ("BOOKING.COM", "NL", "EUR", "travel"),
    ("STEAMGAMES.COM", "US", "USD", "entertainment"), ("ASOS.COM", "GB", "GBP", "shopping"),
    ("AGODA", "SG", "SGD", "travel"), ("ETSY.COM", "US", "USD", "shopping"),
    ("TALABAT", "AE", "AED", "food_delivery"), ("LAZADA", "MY", "MYR", "shopping"),
    ("QATAR AIRWAYS", "QA", "QAR", "travel"), ("DUBAI DUTY FREE", "AE", "AED", "shopping"),
    ("SHEIN.COM", "SG", "SGD", "shopping"), ("ZALANDO", "DE", "EUR", "shopping"),
)
FX_INR: Final[dict[str, float]] = {"USD": 84.0, "EUR": 91.0, "GBP": 107.0, "AED": 22.9, "SGD": 63.0,
                                   "MYR": 18.9, "QAR": 23.1}
FAR_PREFIXES: Final[tuple[str, ...]] = ("Shree Balaji", "New Royal", "Hotel Grand", "Sai Krupa", "Classic",
                                        "Metro", "Golden", "Jai Hind", "Sunrise", "Lucky")
FAR_KINDS: Final[tuple[tuple[str, str], ...]] = (
    ("Electronics", "shopping"), ("Jewellers", "shopping"), ("Residency", "travel"),
    ("Fuel Station", "fuel"), ("Family Restaurant", "dining"), ("Mobile Gallery", "shopping"))
TESTING_MERCHANTS: Final[tuple[str, ...]] = ("RAZORPAY*DIGIGOLDSTORE", "PAYU*GAMEKEYS", "CCAVENUE*TOPUPHUB",
                                             "CASHFREE*EBOOKMART", "PAYU*FASTRECHARGE")
GIFT_CARDS: Final[tuple[str, ...]] = ("Google Play", "Amazon Pay Gift Card", "Flipkart Gift Card")
