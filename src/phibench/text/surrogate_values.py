"""Surrogate values for one patient: consistent, seeded, shaped like the original.

One `PatientSurrogates` per patient holds a generator seeded from (seed,
patient id) and a memory of what each original became, so the same name gets
the same surrogate in every note of that patient, and different patients get
independent draws. Dates move by one offset per patient (Safe Harbor does not
require it, but intervals between events survive, which analyses need), in the
original's own format where it can be read.
"""

from __future__ import annotations

import datetime as dt
import random
import re

from phibench.text import embedded_vocab as vocab

_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_NAME_MONTH = {m[:3]: i + 1 for i, m in enumerate(_MONTHS)} | {
    m: i + 1 for i, m in enumerate(_MONTHS)
}
#: reference year for dates with no year: a leap year, so 2/29 can be read
_NO_YEAR = 2000

_NUMERIC = re.compile(r"^(\d{1,2})([/-])(\d{1,2})(?:\2(\d{4}|\d{2}))?$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WORDY = re.compile(r"^([A-Za-z]{3,9})(\.?) (\d{1,2})(?:(,?) (\d{4}))?$")
_DMY = re.compile(r"^(\d{1,2})-([A-Za-z]{3})-(\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")
_AGE = re.compile(r"\d+")
_FIRST_NAMES = vocab.FIRST_NAMES_F + vocab.FIRST_NAMES_M
_FIRST_KEYS = frozenset(name.casefold() for name in _FIRST_NAMES)


class PatientSurrogates:
    """Surrogates for one patient's PHI; call `value(label, original)`."""

    def __init__(self, patient_id: str, seed: int) -> None:
        self.rng = random.Random(f"{seed}:{patient_id}")
        # under a year, so a month/day with no year never lands on itself
        self.shift_days = self.rng.choice([-1, 1]) * self.rng.randint(30, 330)
        self.age_shift = self.rng.choice([-2, -1, 1, 2])
        self._memory: dict[tuple[str, str], str] = {}

    def value(self, label: str, original: str) -> str:
        """The surrogate of `original`; the same original gives the same value."""
        kind = _kind(label, original)
        key = (kind, original.strip().casefold())
        if key not in self._memory:
            value = self._draw(kind, original)
            if value.casefold() == original.casefold():  # e.g. a name span over "/"
                value = "x" * max(1, len(original))
            self._memory[key] = value
        if kind in {"DATE", "AGE", "CODE"}:
            return self._memory[key]
        return _same_case(original, self._memory[key])

    def _draw(self, kind: str, original: str) -> str:
        if kind == "DATE":
            shifted = shift_date(original, self.shift_days)
            if shifted is not None:
                return shifted
            kind = "CODE"
        if kind == "AGE":
            return self._age(original)
        if kind == "NAME":
            return _same_case(original, self._name(original))
        for _ in range(20):
            candidate = _same_case(original, self._fresh(kind, original))
            if candidate.casefold() != original.casefold():
                return candidate
        return _same_case(original, "x" * max(1, len(original)))

    def _age(self, original: str) -> str:
        number = _AGE.search(original)
        if number is None:
            return "age unknown"
        age = int(number.group())
        if age > 89:  # Safe Harbor: one category for 90 and over
            return "over 89"
        new = min(max(age + self.age_shift, 0), 89)
        new = new if new != age else age - 1 if age > 0 else age + 1
        return original[: number.start()] + str(new) + original[number.end() :]

    def _name(self, original: str) -> str:
        """Word by word, so "Ana Lee" and "Lee" stay consistent."""
        words = re.split(r"(\W+)", original)
        return "".join(self._name_word(w) if w and w[0].isalnum() else w for w in words)

    def _name_word(self, word: str) -> str:
        key = ("NAMEWORD", word.casefold())
        if key not in self._memory:
            pool = _FIRST_NAMES if word.casefold() in _FIRST_KEYS else vocab.SURNAMES
            choice = word
            while choice.casefold() == word.casefold():
                choice = (
                    self.rng.choice("ABCDEFGHJKLMNPRSTVW")
                    if len(word) == 1
                    else self.rng.choice(pool)
                )
            self._memory[key] = choice
        return _same_case(word, self._memory[key])

    def _fresh(self, kind: str, original: str) -> str:
        rng = self.rng
        draws = {
            "EMAIL": lambda: (
                f"{rng.choice(vocab.SURNAMES).lower()}{rng.randint(1, 99)}"
                f"@{rng.choice(vocab.EMAIL_DOMAINS)}"
            ),
            "URL": lambda: (
                f"https://{rng.choice(vocab.PORTAL_HOSTS)}/"
                f"{rng.randint(100000, 999999)}"
            ),
            "IPADDR": lambda: ".".join(str(rng.randint(1, 254)) for _ in range(4)),
            "STREET": lambda: (
                f"{rng.randint(2, 999)} {rng.choice(vocab.STREET_NAMES)} "
                f"{rng.choice(vocab.STREET_SUFFIXES)}"
            ),
            "CITY": lambda: rng.choice(vocab.CITIES)[0],
            "STATE": lambda: rng.choice(sorted(vocab.STATE_NAMES.values())),
            "COUNTRY": lambda: rng.choice(vocab.COUNTRIES),
            "HOSPITAL": lambda: rng.choice(
                vocab.HOSPITAL_SHORT if len(original) <= 5 else vocab.HOSPITALS
            ),
            "ORGANIZATION": lambda: rng.choice(vocab.EMPLOYERS),
            "DEPARTMENT": lambda: rng.choice(vocab.DEPARTMENTS),
            "PROFESSION": lambda: rng.choice(vocab.PROFESSIONS),
        }
        if kind in draws:
            return draws[kind]()
        return _same_shape(original, rng)


def _kind(label: str, original: str) -> str:
    """How to draw a surrogate for this label (untyped spans by their look)."""
    if label in {"PATIENT", "DOCTOR", "USERNAME"}:
        return "NAME" if label != "USERNAME" else "CODE"
    if label in {"DATE", "AGE"}:
        return label
    if label == "LOCATION-OTHER":
        return "CITY"
    if label in {"EMAIL", "URL", "IPADDR", "STREET", "CITY", "STATE", "COUNTRY"}:
        return label
    if label in {"HOSPITAL", "ORGANIZATION", "DEPARTMENT", "PROFESSION"}:
        return label
    if label == "OTHER":
        if shift_date(original, 0) is not None:
            return "DATE"
        return "CODE" if any(c.isdigit() for c in original) else "NAME"
    return "CODE"  # phone, fax, ZIP, room and every ID: keep the shape


def _same_shape(original: str, rng: random.Random) -> str:
    """Digits to random digits, letters to random letters; punctuation kept."""
    out = []
    for index, char in enumerate(original):
        if char.isdigit():
            low = 1 if index == 0 or not original[index - 1].isdigit() else 0
            out.append(str(rng.randint(low, 9)))
        elif char.isalpha():
            letter = rng.choice("abcdefghjkmnpqrstuvwxyz")
            out.append(letter.upper() if char.isupper() else letter)
        else:
            out.append(char)
    return "".join(out)


def _same_case(original: str, value: str) -> str:
    """The value in the original's case: upper, lower or capitalised words."""
    letters = [c for c in original if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 1:
        return value.upper()
    if letters and all(c.islower() for c in letters):
        return value.lower()
    if letters and letters[0].isupper() and value.isupper():
        return " ".join(word.capitalize() for word in value.split(" "))
    return value


def shift_date(original: str, days: int) -> str | None:
    """The date moved by `days`, written in the original's format; None if unread."""
    text = original.strip()
    for reader in (_numeric, _iso, _wordy, _dmy, _year):
        result = reader(text, days)
        if result is not None:
            return original.replace(text, result)
    return None


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _pad(value: int, like: str) -> str:
    return f"{value:0{len(like)}d}" if like.startswith("0") else str(value)


def _numeric(text: str, days: int) -> str | None:
    match = _NUMERIC.match(text)
    if match is None:
        return None
    month, sep, day, year = match.groups()
    full = _NO_YEAR if year is None else int(year) + (0 if len(year) == 4 else 2000)
    if year is not None and len(year) == 2 and int(year) > 30:
        full -= 100
    date = _date(full, int(month), int(day))
    if date is None:
        return None
    new = date + dt.timedelta(days=days)
    out = f"{_pad(new.month, month)}{sep}{_pad(new.day, day)}"
    if year is not None:
        out += sep + (str(new.year) if len(year) == 4 else f"{new.year % 100:02d}")
    return out


def _iso(text: str, days: int) -> str | None:
    match = _ISO.match(text)
    date = match and _date(*(int(g) for g in match.groups()))
    return (date + dt.timedelta(days=days)).isoformat() if date else None


def _month_word(new: dt.date, like: str) -> str:
    name = _MONTHS[new.month - 1]
    name = name[:3] if len(like) == 3 else name
    return _same_case(like, name.capitalize()) if like[0].isupper() else name


def _wordy(text: str, days: int) -> str | None:
    match = _WORDY.match(text)
    if match is None or match[1].lower() not in _NAME_MONTH:
        return None
    word, dot, day, comma, year = match.groups()
    date = _date(int(year) if year else _NO_YEAR, _NAME_MONTH[word.lower()], int(day))
    if date is None:
        return None
    new = date + dt.timedelta(days=days)
    out = f"{_month_word(new, word)}{dot} {_pad(new.day, day)}"
    return out + (f"{comma} {new.year}" if year else "")


def _dmy(text: str, days: int) -> str | None:
    match = _DMY.match(text)
    if match is None or match[2].lower() not in _NAME_MONTH:
        return None
    date = _date(int(match[3]), _NAME_MONTH[match[2].lower()], int(match[1]))
    if date is None:
        return None
    new = date + dt.timedelta(days=days)
    return f"{_pad(new.day, match[1])}-{_month_word(new, match[2])}-{new.year}"


def _year(text: str, days: int) -> str | None:
    match = _YEAR.match(text)
    if match is None or not 1800 <= int(text) <= 2200:
        return None
    years = max(1, round(abs(days) / 365.25)) if days else 0
    return str(int(text) + (years if days > 0 else -years))
