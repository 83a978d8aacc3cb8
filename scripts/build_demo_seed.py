"""Build civic311/demo/data/requests.json, the demo's compact seed, from real Los Angeles and NYC 311 rows.

    .venv/bin/python scripts/build_demo_seed.py [--data ../shared/data]

What is kept from each real row: its request type (mapped to a starter-catalog service code), channel,
anonymity, time of day and weekday rhythm, time to acknowledge and close, outcome (and NYC's resolution
text, with agency names made generic), address, and position (as a fraction of the source city's
extent, so the demo moves it onto each demo city's map). What is made up, deterministically: who
reported it (example.com names), answers to the category's questions (from NYC's descriptor where it
says), the resident's wording of the description (from per-type phrasings, since LA publishes none and
NYC only a descriptor), how many days ago (spread over six weeks), and a few reopenings and duplicates.

The app never reads ../shared: only the JSON written here ships. Re-run after changing the mapping.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "civic311" / "tenants" / "data" / "starter_catalog.json"
OUT = ROOT / "civic311" / "demo" / "data" / "requests.json"
LA_FILE = "la_myla311_2018-01-01_to_01-04_10000rows.csv"
NYC_FILE = "nyc311_sample_2014-2019_1000rows.csv"
DAYS = 42
PER_CITY = {"springfield": (190, 170), "shelbyville": (140, 120)}  # (LA rows, NYC rows)

LA_TYPES = {
    "Bulky Items": "bulky-item",
    "Graffiti Removal": "graffiti",
    "Illegal Dumping Pickup": "illegal-dumping",
    "Metal/Household Appliances": "appliance-pickup",
    "Electronic Waste": "electronic-waste",
    "Homeless Encampment": "encampment",
    "Dead Animal Removal": "dead-animal",
    "Other": "general",
    "Single Streetlight Issue": "streetlight-out",
    "Multiple Streetlight Issue": "streetlights-out-multiple",
    "Report Water Waste": "water-waste",
    "Feedback": "general",
}
# LA is 49 % bulky items: cap each type's share so the demo shows the whole catalog at work.
LA_WEIGHT = {
    "bulky-item": 0.22,
    "graffiti": 0.16,
    "illegal-dumping": 0.14,
    "appliance-pickup": 0.08,
    "electronic-waste": 0.06,
    "encampment": 0.07,
    "dead-animal": 0.07,
    "general": 0.05,
    "streetlight-out": 0.07,
    "streetlights-out-multiple": 0.04,
    "water-waste": 0.04,
}
NYC_TYPES = {
    "Illegal Parking": "illegal-parking",
    "Noise - Residential": "noise-residential",
    "Blocked Driveway": "blocked-driveway",
    "Request Large Bulky Item Collection": "bulky-item",
    "Street Light Condition": "streetlight-out",
    "Street Condition": "pothole",
    "Highway Condition": "pothole",
    "HEAT/HOT WATER": "no-heat",
    "UNSANITARY CONDITION": "property-maintenance",
    "PAINT/PLASTER": None,
    "Noise - Street/Sidewalk": "noise-commercial",
    "Noise - Commercial": "noise-commercial",
    "Noise - Vehicle": "noise-commercial",
    "Noise - Park": "noise-commercial",
    "Noise": "noise-construction",
    "General Construction/Plumbing": "building-no-permit",
    "Building/Use": "building-no-permit",
    "Water System": "water-leak",
    "Missed Collection (All Materials)": "missed-collection",
    "Derelict Vehicle": "abandoned-vehicle",
    "Derelict Vehicles": "abandoned-vehicle",
    "Traffic Signal Condition": "traffic-signal",
    "Graffiti": "graffiti",
    "Sewer": "sewer-backup",
    "Maintenance or Facility": "park-maintenance",
    "Sanitation Condition": "street-sweeping",
    "Dirty Conditions": "street-sweeping",
    "Sweeping/Missed": "street-sweeping",
    "Broken Parking Meter": "parking-meter",
    "Broken Muni Meter": "parking-meter",
    "Electronics Waste Appointment": "electronic-waste",
    "Sidewalk Condition": "sidewalk-repair",
    "Root/Sewer/Sidewalk Condition": "sidewalk-repair",
    "Curb Condition": "curb-ramp",
    "Animal Abuse": "injured-animal",
    "Food Establishment": "food-establishment",
    "Food Poisoning": "food-establishment",
    "Rodent": "rodents",
    "New Tree Request": "tree-planting",
    "Illegal Tree Damage": "tree-removal",
    "Dead/Dying Tree": "tree-removal",
    "Damaged Tree": "tree-down",
    "Overgrown Tree/Branches": "tree-trim",
    "Street Sign - Missing": "street-sign",
    "Standing Water": "storm-drain",
    "Animal in a Park": "stray-animal",
    "Water Conservation": "water-waste",
}
LA_CHANNEL = {
    "Call": "phone",
    "Voicemail": "phone",
    "Mobile App": "api",
    "Self Service": "portal",
    "Email": "portal",
    "Driver Self Report": "walk_in",
    "Council's Office": "walk_in",
}
NYC_CHANNEL = {"PHONE": "phone", "ONLINE": "portal", "MOBILE": "api", "UNKNOWN": "walk_in", "OTHER": "walk_in"}

# NYC descriptor fragment -> answers it implies.
HINTS = {
    "Blocked Hydrant": {"violation": "hydrant"},
    "Double Parked": {"violation": "double"},
    "Posted Parking Sign": {"violation": "no_parking"},
    "Commercial Overnight": {"violation": "no_parking"},
    "Blocked Bike Lane": {"violation": "bike_lane"},
    "Blocked Sidewalk": {"violation": "crosswalk"},
    "No Access": {"fully": "full"},
    "Partial Access": {"fully": "partial"},
    "Loud Music": {"source": "music"},
    "Banging": {"source": "banging"},
    "Loud Talking": {"source": "party"},
    "Loud Television": {"source": "music"},
    "Barking Dog": {"source": "dog"},
    "Street Light Out": {"problem": "out"},
    "Lamp Dim": {"problem": "dim"},
    "Lamp Missing": {"problem": "out"},
    "ENTIRE BUILDING": {"lacking": "heat"},
    "APARTMENT ONLY": {"lacking": "hot_water"},
    "PESTS": {"issues": ["pests"]},
    "GARBAGE/RECYCLING": {"issues": ["trash"]},
    "Controller": {"problem": "dark"},
    "Pedestrian Signal": {"problem": "ped_button"},
    "Ped Lamp": {"problem": "ped_button"},
    "Sewer Backup": {"what": "manhole"},
    "Sewer Odor": {"what": "odor"},
    "Manhole Overflow": {"what": "manhole"},
    "Catch Basin": {"what": "drain"},
    "Hydrant Running": {"amount": "gushing"},
    "Leak": {"amount": "steady"},
    "Missed Recycling": {"stream": ["recycling"]},
    "1 Missed Collection": {"stream": ["trash"]},
    "Pothole": {"size": "medium"},
    "Cave-in": {"size": "large"},
    "Structure - Outdoors": {"feature": "bench"},
    "Garbage or Litter": {"feature": "litter"},
    "Grass/Weeds": {"feature": "grass"},
    "Construction Before/After": {"hours": "early"},
    "Building Permit - None": {"work": "addition"},
    "Vacant, Open": {"work": "other"},
}

STRINGS = {
    "vehicle": [
        "Silver Toyota Camry",
        "White Ford Econoline van",
        "Black Honda Accord",
        "Blue Chevy Malibu",
        "Green Jeep Cherokee",
        "Red Nissan Altima",
        "Tan Buick LeSabre",
        "Gray Dodge Caravan",
    ],
    "plate": ["IL AB 12345", "IL 7K 4421", "IN 391 QRT", "IL CV 80712", "MO 2HJ-551", "no plate visible"],
    "unit": ["2F", "3R", "Apt 4B", "1 rear", "Unit 12", "5C", "Apt 2"],
    "business_name": [
        "Lucky Star Buffet",
        "Corner Grill",
        "El Rancho Taqueria",
        "Capitol Lounge",
        "Main Street Deli",
        "Sunrise Market",
    ],
    "park_name": ["Washington Park", "Lincoln Park", "Douglas Park", "Bunn Park", "Iles Park", "Centennial Park"],
    "meter_number": ["M-2041", "M-1187", "PS-0309", "M-3360"],
    "pole_number": ["SL-40172", "SL-11893", "SL-22710"],
    "from_to": ["From 4th St to 7th St", "From Walnut to Lowell", "Between Cook and Jackson"],
    "from_to_es": ["De la calle 4 a la 7"],
}
NUMBERS = {
    "item_count": (1, 6),
    "device_count": (1, 3),
    "days_parked": (3, 21),
    "count": (1, 4),
    "how_many": (3, 9),
    "height": (1, 3),
    "area": (4, 60),
    "people": (1, 6),
}

FIRST = [
    "Maria",
    "James",
    "Linda",
    "Robert",
    "Patricia",
    "Michael",
    "Jennifer",
    "David",
    "Guadalupe",
    "Jose",
    "Karen",
    "Thomas",
    "Nancy",
    "Daniel",
    "Rosa",
    "Kevin",
    "Angela",
    "Luis",
    "Sharon",
    "Brian",
    "Carmen",
    "Tyrone",
    "Mei",
    "Anh",
    "Fatima",
    "Olga",
    "Samuel",
    "Denise",
]
LAST = [
    "Garcia",
    "Johnson",
    "Smith",
    "Nguyen",
    "Hernandez",
    "Brown",
    "Lopez",
    "Williams",
    "Martinez",
    "Davis",
    "Kim",
    "Wilson",
    "Gonzalez",
    "Anderson",
    "Thompson",
    "Rivera",
    "Moore",
    "Jackson",
    "Patel",
    "Lee",
    "Ramirez",
    "Clark",
]

# A resident's words for each LA type (LA publishes no description), with the answers those words imply,
# so what the description says and what the questions record agree.
DESCRIPTIONS = {
    "bulky-item": [
        (
            "Couch and two mattresses to pick up, will be at the curb.",
            {"items": ["mattress", "sofa"], "item_count": "3"},
        ),
        ("Old sectional sofa and a box spring.", {"items": ["mattress", "sofa"], "item_count": "2"}),
        ("Dresser, a broken table and some chairs after moving out.", {"items": ["cabinet", "sofa", "table"]}),
        ("Recliner and a mattress for pickup.", {"items": ["mattress", "sofa"], "item_count": "2"}),
        ("Rolled carpet and a futon frame, tied up by the curb.", {"items": ["carpet", "other"], "placement": "curb"}),
    ],
    "graffiti": [
        ("Tagging on the side wall of the building, spray paint.", {"surface": "building"}),
        ("Graffiti on the utility box at the corner.", {"surface": "pole", "property": "public"}),
        ("Fresh tags on the fence along the alley.", {"surface": "fence"}),
        ("Gang graffiti painted on the garage door overnight.", {"surface": "building", "offensive": "yes"}),
        ("Spray paint on the stop sign and the light pole.", {"surface": "sign", "property": "public"}),
    ],
    "illegal-dumping": [
        (
            "Someone dumped a pile of trash bags and a mattress in the alley.",
            {"materials": ["bags", "furniture"], "where_on_street": "alley"},
        ),
        (
            "Construction debris and drywall dumped on the parkway.",
            {"materials": ["construction"], "where_on_street": "parkway"},
        ),
        ("Six old tires left by the curb.", {"materials": ["tires"], "where_on_street": "street"}),
        (
            "Furniture and bags dumped next to the dumpsters, blocking the alley.",
            {"materials": ["bags", "furniture"], "where_on_street": "alley"},
        ),
    ],
    "appliance-pickup": [
        ("Old refrigerator, doors removed, at the curb.", {"appliances": ["fridge"], "doors_removed": "yes"}),
        ("Washer and dryer for metal pickup.", {"appliances": ["washer"], "doors_removed": "na"}),
        ("Broken water heater and a stove.", {"appliances": ["stove", "water_heater"], "doors_removed": "na"}),
    ],
    "electronic-waste": [
        ("Two old TVs and a computer monitor.", {"devices": ["computer", "tv"], "device_count": "3"}),
        ("Box of old electronics: printer, keyboard, monitor.", {"devices": ["computer", "printer"]}),
    ],
    "encampment": [
        ("Two tents on the sidewalk under the overpass, people seem to need help.", {"people": "3"}),
        ("Person sleeping in a car in the lot for several nights, please send outreach.", {"people": "1"}),
        ("Tent and belongings blocking half the sidewalk near the bus stop.", {}),
    ],
    "dead-animal": [
        ("Dead cat in the street near the curb.", {"animal": "cat", "where_on_street": "street"}),
        ("Dead raccoon on the sidewalk.", {"animal": "raccoon", "where_on_street": "sidewalk"}),
        ("Dead dog by the side of the road, hit by a car.", {"animal": "dog", "where_on_street": "street"}),
        ("Dead bird in the alley behind the house.", {"animal": "bird", "where_on_street": "alley"}),
    ],
    "general": [
        ("How do I get a new recycling calendar?", {"topic": "question"}),
        ("Thank you to the crew who cleaned up our block last week.", {"topic": "compliment"}),
        ("Who do I call about a noisy generator at the substation?", {"topic": "question"}),
    ],
    "streetlight-out": [
        ("Street light out in front of the house, whole corner is dark.", {"problem": "out"}),
        ("Light keeps flickering on and off.", {"problem": "flickering"}),
        ("Street light has been out for a week.", {"problem": "out"}),
        ("The street light stays on all day.", {"problem": "day"}),
    ],
    "streetlights-out-multiple": [
        ("Entire block is dark, four lights out in a row.", {"how_many": "4"}),
        ("Several lights out along the street.", {}),
    ],
    "water-waste": [
        ("Sprinklers running onto the sidewalk every morning, water running down the gutter.", {"type": "sprinkler"}),
        ("Broken sprinkler head spraying water into the street all day.", {"type": "sprinkler"}),
        ("Hose left running in the front yard since yesterday.", {"type": "hose"}),
    ],
}
DESCRIPTIONS_ES = {
    "bulky-item": [
        (
            "Un sofá y dos colchones para recoger, estarán en la banqueta.",
            {"items": ["mattress", "sofa"], "item_count": "3", "placement": "curb"},
        ),
        ("Un ropero viejo y una base de cama.", {"items": ["cabinet", "mattress"], "item_count": "2"}),
    ],
    "graffiti": [
        ("Grafiti en la pared del edificio, pintado anoche.", {"surface": "building"}),
        ("Pintas en la cerca del callejón.", {"surface": "fence"}),
    ],
    "illegal-dumping": [
        (
            "Tiraron bolsas de basura y un colchón en el callejón.",
            {"materials": ["bags", "furniture"], "where_on_street": "alley"},
        ),
        ("Dejaron llantas viejas en la esquina.", {"materials": ["tires"], "where_on_street": "street"}),
    ],
    "dead-animal": [("Un gato muerto en la calle frente a mi casa.", {"animal": "cat", "where_on_street": "street"})],
    "streetlight-out": [("La luz de la calle está apagada, la esquina está muy oscura.", {"problem": "out"})],
}

AGENCY_WORDS = [
    (r"The Department of Housing Preservation and Development", "Code Enforcement"),
    (r"Department of Housing Preservation and Development", "Code Enforcement"),
    (r"The Department of Environmental Protection", "Water and Sewer"),
    (r"Department of Environmental Protection", "Water and Sewer"),
    (r"The Department of Buildings", "Code Enforcement"),
    (r"Department of Buildings", "Code Enforcement"),
    (r"The Department of Sanitation", "Sanitation"),
    (r"Department of Sanitation", "Sanitation"),
    (r"The Department of Parks and Recreation", "Parks and Forestry"),
    (r"The Department of Transportation", "Public Works"),
    (r"Department of Transportation", "Public Works"),
    (r"The Police Department", "The police"),
    (r"NYC|New York City|New York", "the city"),
    (r"\bDSNY\b|\bDOT\b|\bDEP\b|\bHPD\b|\bNYPD\b", "the city"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    args = parser.parse_args()
    data = Path(args.data)
    catalog = {c["service_code"]: c for g in json.loads(CATALOG.read_text())["groups"] for c in g["categories"]}
    rng = random.Random(311)
    la = [r for r in _la_rows(data / LA_FILE) if r["code"] in catalog]
    nyc = [r for r in _nyc_rows(data / NYC_FILE) if r["code"] in catalog]
    _normalise_positions(la)
    _normalise_positions(nyc)
    rows: list[dict] = []
    for city, (n_la, n_nyc) in PER_CITY.items():
        chosen = _pick_la(la, n_la, rng) + rng.sample(nyc, min(n_nyc, len(nyc)))
        rng.shuffle(chosen)
        for index, src in enumerate(chosen):
            rows.append(_seed_row(city, src, index, len(chosen), catalog[src["code"]], rng))
    _add_duplicates(rows, rng)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "about": "Demo requests derived from real 311 rows of Los Angeles (MyLA311, 2018) and New York City "
        "(NYC Open Data, 2014-2019) by scripts/build_demo_seed.py; see SOURCES.md.",
        "days": DAYS,
        "rows": rows,
    }
    OUT.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} rows to {OUT.relative_to(ROOT)} ({OUT.stat().st_size // 1024} KiB)")


# --- reading the real rows ----------------------------------------------------------------------


def _when(raw: str) -> datetime | None:
    try:
        return datetime.strptime(raw.strip(), "%m/%d/%Y %I:%M:%S %p")
    except ValueError:
        return None


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return round((end - start).total_seconds() / 3600, 2)


def _address(raw: str) -> str:
    text = re.sub(r",\s*\d{5}$", "", raw.strip())
    words = []
    for word in text.split():
        words.append(word.lower() if word in {"AT", "AND"} else (word if len(word) <= 1 else word.title()))
    return " ".join(words)


def _la_rows(path: Path) -> list[dict]:
    out = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            created = _when(row["CreatedDate"])
            if not (row["Latitude"] and row["Address"] and created):
                continue
            status = row["Status"]
            outcome = {"Cancelled": "withdrawn", "Referred Out": "referred"}.get(status, "resolved")
            out.append(
                {
                    "src": f"la:{row['SRNumber']}",
                    "code": LA_TYPES.get(row["RequestType"]),
                    "created": created,
                    "close_h": _hours(created, _when(row["ClosedDate"])),
                    "outcome": outcome,
                    "note": "",
                    "channel": LA_CHANNEL.get(row["RequestSource"], "phone"),
                    "anonymous": row["Anonymous"] == "Y",
                    "address": _address(row["Address"]),
                    "lat": float(row["Latitude"]),
                    "lng": float(row["Longitude"]),
                    "descriptor": "",
                }
            )
    return out


def _nyc_rows(path: Path) -> list[dict]:
    out = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            created = _when(row["Created Date"])
            address = row["Incident Address"] or (
                f"{row['Intersection Street 1']} and {row['Intersection Street 2']}"
                if row["Intersection Street 1"]
                else ""
            )
            if not (row["Latitude"] and address and created):
                continue
            note = _generic(row["Resolution Description"])
            closed = row["Status"] == "Closed"
            out.append(
                {
                    "src": f"nyc:{row['Unique Key']}",
                    "code": NYC_TYPES.get(row["Complaint Type"]),
                    "created": created,
                    "close_h": _hours(created, _when(row["Closed Date"])) if closed else None,
                    "outcome": _nyc_outcome(note),
                    "note": note,
                    "channel": NYC_CHANNEL.get(row["Open Data Channel Type"], "walk_in"),
                    "anonymous": False,
                    "address": _address(address),
                    "lat": float(row["Latitude"]),
                    "lng": float(row["Longitude"]),
                    "descriptor": row["Descriptor"],
                }
            )
    return out


def _generic(text: str) -> str:
    text = text.replace("\u00e2\u0080\u0099", "'").replace("\u00e2\u0080\u009c", '"').replace("\u00e2\u0080\u009d", '"')
    if "Service Request status for this request is available" in text or "311.nyc.gov" in text.lower():
        return ""
    for pattern, replacement in AGENCY_WORDS:
        text = re.sub(pattern, replacement, text)
    return text.strip()[:600]


def _nyc_outcome(note: str) -> str:
    lowered = note.lower()
    if "not able to gain access" in lowered or "unable to gain access" in lowered:
        return "no_access"
    if (
        "not necessary" in lowered
        or "no evidence" in lowered
        or "no further action" in lowered
        or "no violation" in lowered
    ):
        return "not_actionable"
    if "another agency" in lowered or "referred" in lowered:
        return "referred"
    return "resolved"


def _normalise_positions(rows: list[dict]) -> None:
    """Positions as fractions of the source city's extent (2nd-98th percentile), y growing north."""
    lats = sorted(r["lat"] for r in rows)
    lngs = sorted(r["lng"] for r in rows)
    lo_lat, hi_lat = lats[len(lats) // 50], lats[-len(lats) // 50 - 1]
    lo_lng, hi_lng = lngs[len(lngs) // 50], lngs[-len(lngs) // 50 - 1]
    for r in rows:
        r["x"] = round(min(max((r["lng"] - lo_lng) / (hi_lng - lo_lng), 0.0), 1.0), 4)
        r["y"] = round(min(max((r["lat"] - lo_lat) / (hi_lat - lo_lat), 0.0), 1.0), 4)


def _pick_la(rows: list[dict], n: int, rng: random.Random) -> list[dict]:
    by_code: dict[str, list[dict]] = {}
    for r in rows:
        by_code.setdefault(r["code"], []).append(r)
    picked = []
    for code, share in LA_WEIGHT.items():
        pool = by_code.get(code, [])
        picked += rng.sample(pool, min(len(pool), max(1, round(n * share))))
    return picked[:n]


# --- the seed row -------------------------------------------------------------------------------


def _seed_row(city: str, src: dict, index: int, total: int, category: dict, rng: random.Random) -> dict:
    code = src["code"]
    anonymous = src["anonymous"] and category["anonymous_allowed"]
    spanish = not anonymous and code in DESCRIPTIONS_ES and rng.random() < 0.25
    contact = None if anonymous else _contact(rng, with_email=category["contact_required"] or rng.random() < 0.7)
    created = src["created"]
    description, implied = _description(code, src["descriptor"], spanish, rng)
    # Spread over six weeks, newest first; keep the real time of day.
    days_ago = min(DAYS - 1, int((index + rng.random()) * DAYS / total))
    row = {
        "city": city,
        "src": src["src"],
        "code": code,
        "ch": src["channel"],
        "anon": anonymous,
        "loc": "es" if spanish else "en",
        "contact": contact,
        "desc": description,
        "addr": src["address"],
        "x": src["x"],
        "y": src["y"],
        "d": days_ago,
        "tod": created.hour * 3600 + created.minute * 60 + created.second,
        "answers": _answers(category, src["descriptor"], implied, rng),
        "close_h": src["close_h"],
        "outcome": src["outcome"] if src["close_h"] is not None else None,
        "note": src["note"],
    }
    close_h = src["close_h"]
    if close_h is not None:  # some rows were closed the second they were made: leave time to acknowledge
        close_h = row["close_h"] = max(close_h, round(rng.uniform(0.5, 3), 2))
    row["ack_h"] = round(max(0.1, min(close_h * 0.3 if close_h else 30.0, rng.uniform(0.5, 26))), 2)
    if (close_h is None or close_h > 24) and rng.random() < 0.55:
        row["work_h"] = round(row["ack_h"] + rng.uniform(2, 40), 2)
    row["assign"] = rng.random() < 0.5
    if (close_h is None or close_h > days_ago * 24) and days_ago <= 12 and rng.random() < 0.35:  # untriaged backlog
        row["ack_h"] = None
        row.pop("work_h", None)
        row["assign"] = False
    if rng.random() < 0.12:
        row["reply"] = rng.choice(
            [
                "Thanks for the report. A crew is scheduled for this location.",
                "We have inspected the site and added it to this week's work list.",
                "Gracias por su reporte. Un equipo está programado para este lugar."
                if spanish
                else "Thank you. We contacted the property owner and will follow up.",
            ]
        )
    if close_h is not None and row["outcome"] == "resolved" and not anonymous and rng.random() < 0.05:
        row["reopen_h"] = round(close_h + rng.uniform(4, 60), 2)
    return row


def _contact(rng: random.Random, with_email: bool) -> dict:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    contact = {"name": f"{first} {last}"}
    if with_email:
        contact["email"] = f"{first}.{last}{rng.randint(1, 99)}@example.com".lower()
    if not with_email or rng.random() < 0.4:
        contact["phone"] = f"217-555-{rng.randint(100, 999):04d}"
    return contact


def _description(code: str, descriptor: str, spanish: bool, rng: random.Random) -> tuple[str, dict]:
    """The resident's words and the answers they imply."""
    if spanish:
        return rng.choice(DESCRIPTIONS_ES[code])
    if descriptor and descriptor.lower() not in {"request large bulky item collection", "with license plate"}:
        cleaned = re.sub(r"\s*\([A-Z0-9]+\)", "", descriptor).replace("(Use Comments)", "").strip()
        cleaned = cleaned[0].upper() + cleaned[1:].lower() if cleaned.isupper() else cleaned
        extra = rng.choice(
            [
                "",
                " Going on for a while now.",
                " Please send someone.",
                " Second time reporting this.",
                " It was like this yesterday too.",
            ]
        )
        return f"{cleaned}.{extra}".strip(), {}
    if code == "bulky-item":  # NYC's bulky rows say nothing more: use the LA phrasings
        return rng.choice(DESCRIPTIONS[code])
    return rng.choice(DESCRIPTIONS.get(code) or [("", {})])


def _answers(category: dict, descriptor: str, implied: dict, rng: random.Random) -> dict:
    hinted: dict = dict(implied)
    for fragment, answers in HINTS.items():
        if fragment.lower() in descriptor.lower():
            hinted.update(answers)
    out: dict = {}
    for q in category["questions"]:
        code, kind = q["code"], q["datatype"]
        keys = [v["key"] for v in q.get("values", ())]
        if code in hinted and (
            kind not in ("singlevaluelist", "multivaluelist") or all(k in keys for k in _as_list(hinted[code]))
        ):
            out[code] = hinted[code]
            continue
        if not q["required"] and rng.random() > 0.3:
            continue
        if kind == "singlevaluelist":
            out[code] = rng.choice(keys)
        elif kind == "multivaluelist":
            out[code] = sorted(rng.sample(keys, rng.choice([1, 1, 2])))
        elif kind == "number":
            low, high = NUMBERS.get(code, (1, 5))
            out[code] = str(rng.randint(low, high))
        elif kind == "string":
            out[code] = rng.choice(STRINGS.get(code, ["see description"]))
        # datetime and free text questions are optional everywhere: left unanswered, as most people do.
    return out


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _add_duplicates(rows: list[dict], rng: random.Random) -> None:
    """A few people report what a neighbour already reported: same type, a few metres away, hours later.
    The demo merges them into the first report, which must still be open then."""
    for city in PER_CITY:
        candidates = [
            i
            for i, r in enumerate(rows)
            if r["city"] == city
            and r["d"] >= 3
            and (r["close_h"] is None or r["close_h"] > 30)
            and not r.get("reopen_h")
        ]
        for original_index in rng.sample(candidates, min(8, len(candidates))):
            original = rows[original_index]
            offset_h = rng.uniform(2, 20)
            seconds = original["tod"] + int(offset_h * 3600)
            dup = {
                **original,
                "src": original["src"] + "-dup",
                "dup_of": original["src"],
                "contact": _contact(rng, with_email=True),
                "anon": False,
                "loc": "en",
                "desc": rng.choice(
                    [
                        "Same problem as reported before, still there.",
                        "This has been here for days.",
                        "Please fix, it is getting worse.",
                    ]
                ),
                "x": round(min(original["x"] + rng.uniform(-0.0002, 0.0002), 1.0), 4),
                "y": round(min(original["y"] + rng.uniform(-0.0002, 0.0002), 1.0), 4),
                "d": original["d"] - seconds // 86400,
                "tod": seconds % 86400,
                "merge_h": round(rng.uniform(1, 6), 2),
                "assign": False,
            }
            for key in ("reply", "reopen_h", "work_h", "close_h", "outcome", "note", "ack_h"):
                dup.pop(key, None)
            rows.append(dup)


if __name__ == "__main__":
    main()
