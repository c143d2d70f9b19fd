"""A seeded generator of clinical notes with gold PHI: the embedded corpus.

Notes come in three kinds (upper-case ICU nursing notes, discharge summaries,
radiology reports; `embedded_templates`) and belong to patients who have
several notes each. Each patient has one persona (names, dates, numbers,
address, clinicians) used in all their notes, as in a real record, so
surrogate and linkage checks have something to be consistent about. Every PHI
slot is typed with an i2b2-2014 subtype and covers the Safe Harbor identifiers
text can hold, in many surface forms (dates with and without a year, ages over
89, phone numbers glued to a word).

The same (n_notes, seed) gives the same corpus on every machine: all draws go
through one `random.Random(seed)`.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

from phibench.text import embedded_vocab as vocab
from phibench.text.document import Corpus, Document, GoldSpan
from phibench.text.embedded_templates import ALTERNATIVES, KINDS, UPPER_CASE_KINDS
from phibench.tracking.guard import DataUseTerms

EMBEDDED_TEXT_VERSION = "1"
_SLOT = re.compile(r"\{([A-Z0-9_]+)(?::([a-z]+))?\}")

#: slot -> subtype of the span it produces
_NAME_SLOTS = {
    "PATIENT": ("PT_FULL", "PT_FIRST", "PT_LAST", "REL_FULL", "REL_FIRST"),
    "DOCTOR": ("DR_FULL", "DR_LAST", "DR2_FULL", "DR2_LAST", "RN_FIRST", "RN_FULL"),
    "DATE": ("NOTEDATE", "ADMIT", "MIDDATE", "NEXTDATE", "PRIORDATE", "DOB", "YEAR"),
    "HOSPITAL": ("HOSPITAL", "HOSP_SHORT"),
    "EMAIL": ("EMAIL", "EMAIL2", "EMAIL3"),
}
SLOT_LABELS = {
    **{slot: label for label, slots in _NAME_SLOTS.items() for slot in slots},
    "AGE": "AGE", "MRN": "MEDICALRECORD", "ACCOUNT": "ACCOUNT", "SSN": "SSN",
    "HEALTHPLAN": "HEALTHPLAN", "LICENSE": "LICENSE", "DEVICE": "DEVICE",
    "PHONE": "PHONE", "FAX": "FAX", "URL": "URL", "IP": "IPADDR",
    "STREET": "STREET", "CITY": "CITY", "STATE": "STATE", "ZIP": "ZIP",
    "DEPT": "DEPARTMENT", "ROOM": "ROOM", "PROFESSION": "PROFESSION",
    "COUNTRY": "COUNTRY", "USERNAME": "USERNAME", "EMPLOYER": "ORGANIZATION",
    "VEHICLE": "VEHICLE",
}  # fmt: skip

#: literal (non-PHI) slots
_RELATION = "REL_RELATION"

_DATE_FORMATS = ("slash", "slash2", "long", "iso", "dmy", "noyear", "monthday")


@dataclass(frozen=True)
class Person:
    first: str
    last: str


@dataclass(frozen=True)
class Persona:
    """Everything identifying about one simulated patient, fixed across notes."""

    patient_id: str
    name: Person
    relative: Person
    relation: str
    clinicians: tuple[Person, Person, Person]  # attending, consultant, nurse
    age: int
    birth: dt.date
    admit: dt.date
    numbers: dict[str, str]
    street: str
    city: str
    state: str
    zip_code: str
    hospital: int
    department: str
    profession: str
    employer: str
    country: str
    arrival_year: int


def generate_notes(n_notes: int, seed: int) -> Corpus:
    """`n_notes` notes of patients with 1-5 notes each, deterministic in `seed`."""
    if n_notes < 1:
        raise ValueError(f"n_notes {n_notes}: must be at least 1")
    rng = random.Random(seed)
    documents: list[Document] = []
    index = 0
    while len(documents) < n_notes:
        persona = _persona(rng, f"E{index:05d}")
        index += 1
        count = min(rng.randint(1, 5), n_notes - len(documents))
        for number in range(count):
            kind = rng.choice(sorted(KINDS))
            documents.append(_note(rng, persona, kind, number))
    return Corpus(
        name="embedded",
        language="en",
        documents=tuple(documents),
        data_use=DataUseTerms("embedded", "allowed"),
        source=f"embedded generator v{EMBEDDED_TEXT_VERSION} (n_notes={n_notes}, "
        f"seed={seed})",
    )


def _person(rng: random.Random, female: bool | None = None) -> Person:
    if female is None:
        female = rng.random() < 0.5
    firsts = vocab.FIRST_NAMES_F if female else vocab.FIRST_NAMES_M
    return Person(rng.choice(firsts), rng.choice(vocab.SURNAMES))


def _digits(rng: random.Random, n: int) -> str:
    return str(rng.randint(1, 9)) + "".join(
        str(rng.randint(0, 9)) for _ in range(n - 1)
    )


def _numbers(rng: random.Random, name: Person) -> dict[str, str]:
    # SSN area 100-665 (never 000, 666 or 9xx) so validators accept it
    ssn = f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
    host = rng.choice(vocab.PORTAL_HOSTS)
    user = f"{name.first[0]}{name.last}".lower()
    domains = vocab.EMAIL_DOMAINS
    return {
        "MRN": _digits(rng, 7),
        "ACCOUNT": f"{rng.choice('ABCHK')}{_digits(rng, 8)}",
        "SSN": ssn,
        "HEALTHPLAN": f"{rng.choice(['XGH', 'BCX', 'MHP'])}{_digits(rng, 9)}",
        "LICENSE": f"S{_digits(rng, 8)}",
        "VEHICLE": f"{rng.randint(1, 9)}{rng.choice('BKRTX')}{rng.choice('CLMW')}"
        f"{_digits(rng, 3)}",
        "DEVICE": f"PM{_digits(rng, 6)}-{rng.randint(10, 99)}",
        "PHONE": f"{rng.randint(201, 989)}{rng.randint(200, 989)}{_digits(rng, 4)}",
        "FAX": f"{rng.randint(201, 989)}{rng.randint(200, 989)}{_digits(rng, 4)}",
        "EMAIL": f"{user}{rng.randint(1, 99)}@{rng.choice(domains)}",
        "EMAIL2": f"{name.last.lower()}.family@{rng.choice(domains)}",
        "EMAIL3": f"{name.first.lower()}{_digits(rng, 3)}@{rng.choice(domains)}",
        "URL": f"https://{host}/patient/{_digits(rng, 6)}",
        "IP": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        "USERNAME": f"{user[:7]}{rng.randint(1, 9)}",
        "ROOM": f"{rng.randint(2, 9)}{rng.randint(10, 40)}",
    }


def _persona(rng: random.Random, patient_id: str) -> Persona:
    name = _person(rng)
    relative_female = rng.random() < 0.5
    age = rng.randint(90, 104) if rng.random() < 0.15 else rng.randint(19, 89)
    admit = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randint(0, 3650))
    birth = admit - dt.timedelta(days=age * 365 + rng.randint(1, 360))
    city, state = rng.choice(vocab.CITIES)
    street = (
        f"{rng.randint(2, 999)} {rng.choice(vocab.STREET_NAMES)} "
        f"{rng.choice(vocab.STREET_SUFFIXES)}"
    )
    return Persona(
        patient_id=patient_id,
        name=name,
        relative=Person(_person(rng, relative_female).first, name.last),
        relation=rng.choice(vocab.RELATIONS[0 if relative_female else 1]),
        clinicians=(_person(rng), _person(rng), _person(rng, female=True)),
        age=age,
        birth=birth,
        admit=admit,
        numbers=_numbers(rng, name),
        street=street,
        city=city,
        state=state,
        zip_code=f"{rng.randint(1000, 99999):05d}",
        hospital=rng.randrange(len(vocab.HOSPITALS)),
        department=rng.choice(vocab.DEPARTMENTS),
        profession=rng.choice(vocab.PROFESSIONS),
        employer=rng.choice(vocab.EMPLOYERS),
        country=rng.choice(vocab.COUNTRIES),
        arrival_year=rng.randint(1960, 2005),
    )


def _note(rng: random.Random, persona: Persona, kind: str, number: int) -> Document:
    lines = []
    for line in KINDS[kind]:
        wording = rng.choice(line.split(ALTERNATIVES))
        if not wording.startswith("?") or rng.random() < 0.5:
            lines.append(wording.removeprefix("?"))
    note_date = persona.admit + dt.timedelta(days=number + rng.randint(0, 2))
    upper = kind in UPPER_CASE_KINDS
    text, spans = _fill("\n".join(lines) + "\n", rng, persona, note_date, upper)
    note_id = f"{persona.patient_id}-{number + 1:02d}"
    return Document(note_id, persona.patient_id, text, tuple(spans))


def _fill(
    template: str, rng: random.Random, persona: Persona, note_date: dt.date, upper: bool
) -> tuple[str, list[GoldSpan]]:
    pieces: list[str] = []
    spans: list[GoldSpan] = []
    offset = 0
    position = 0
    for match in _SLOT.finditer(template):
        literal = template[position : match.start()]
        surface = _render(match[1], match[2], rng, persona, note_date)
        if upper:
            literal, surface = literal.upper(), surface.upper()
        pieces.append(literal)
        offset += len(literal)
        pieces.append(surface)
        if match[1] != _RELATION:
            label = SLOT_LABELS[match[1]]
            spans.append(GoldSpan(offset, offset + len(surface), label, surface))
        offset += len(surface)
        position = match.end()
    tail = template[position:]
    pieces.append(tail.upper() if upper else tail)
    return "".join(pieces), spans


def _render(
    slot: str, fmt: str | None, rng: random.Random, p: Persona, note_date: dt.date
) -> str:
    """The surface of one slot for this persona."""
    people = {
        "PT": p.name,
        "REL": p.relative,
        "DR": p.clinicians[0],
        "DR2": p.clinicians[1],
        "RN": p.clinicians[2],
    }
    who, _, part = slot.rpartition("_")
    if who in people and slot != _RELATION:
        person = people[who]
        return {"FULL": f"{person.first} {person.last}", "FIRST": person.first}.get(
            part, person.last
        )
    dates = {
        "NOTEDATE": note_date,
        "ADMIT": p.admit,
        "MIDDATE": p.admit + dt.timedelta(days=1),
        "NEXTDATE": note_date + dt.timedelta(days=14 + rng.randint(0, 20)),
        "PRIORDATE": p.admit - dt.timedelta(days=rng.randint(30, 400)),
        "DOB": p.birth,
    }
    if slot in dates:
        return format_date(dates[slot], fmt or rng.choice(_DATE_FORMATS))
    if slot in {"PHONE", "FAX"}:
        return format_phone(
            p.numbers[slot], fmt or rng.choice(["paren", "dash", "dot"])
        )
    return _plain(slot, p)


def _plain(slot: str, p: Persona) -> str:
    if slot in p.numbers:
        return p.numbers[slot]
    values = {
        "AGE": str(p.age),
        "YEAR": str(p.arrival_year),
        "STREET": p.street,
        "CITY": p.city,
        "STATE": vocab.STATE_NAMES[p.state],
        "ZIP": p.zip_code,
        "HOSPITAL": vocab.HOSPITALS[p.hospital],
        "HOSP_SHORT": vocab.HOSPITAL_SHORT[p.hospital],
        "DEPT": p.department,
        "PROFESSION": p.profession,
        "EMPLOYER": p.employer,
        "COUNTRY": p.country,
        _RELATION: p.relation,
    }
    return values[slot]


def format_date(date: dt.date, fmt: str) -> str:
    """A date in one of the surface forms notes use; `noyear` drops the year."""
    forms = {
        "slash": f"{date.month}/{date.day}/{date.year}",
        "slash2": f"{date.month:02d}/{date.day:02d}/{date.year % 100:02d}",
        "long": f"{date:%B} {date.day}, {date.year}",
        "iso": date.isoformat(),
        "dmy": f"{date.day:02d}-{date:%b}-{date.year}",
        "noyear": f"{date.month}/{date.day}",
        "monthday": f"{date:%b} {date.day}",
    }
    return forms[fmt]


def format_phone(digits: str, fmt: str) -> str:
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    forms = {
        "paren": f"({area}) {exchange}-{line}",
        "dash": f"{area}-{exchange}-{line}",
        "dot": f"{area}.{exchange}.{line}",
    }
    return forms[fmt]
