"""Finding a place from what someone typed, and locating initiatives by their postcode."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When

from .models import Postcode

ENTER_A_POSTCODE = "Enter a UK postcode, like WA7 1AB"
NOT_FOUND = "We couldn't find that postcode"
# Longer than any postcode with generous spacing; anything longer is not one.
MAX_POSTCODE_LENGTH = 16

OUTWARD = r"[A-Z]{1,2}[0-9][A-Z0-9]?"
INWARD = r"[0-9][A-Z]{2}"
FULL_RE = re.compile(rf"({OUTWARD})({INWARD})")
OUTWARD_RE = re.compile(OUTWARD)
# An inward code cut short: its digit, perhaps with its first letter (WA7 1, WA7 1A).
PARTIAL_INWARD_RE = re.compile(r"[0-9][A-Z]?")

KIND_PREFERENCE = Case(
    When(kind=Postcode.Kind.UNIT, then=Value(0)),
    When(kind=Postcode.Kind.SECTOR, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class PlaceQuery:
    """What a postcode query could mean, in the stored form, most likely first.

    "WA7 1AB" is one postcode; "WA7 1" a sector; "M11" is the district M11 or,
    typed without its space, the sector M1 1, so it has two readings.
    """

    candidates: tuple[str, ...]

    @property
    def text(self) -> str:
        return self.candidates[0]


def parse_place_query(text: str) -> PlaceQuery:
    """Read a full postcode, a sector or an outward code in any case and spacing.

    Raises ValidationError with a message for the person who typed it.
    """
    text = (text or "").strip().upper()
    if not text or len(text) > MAX_POSTCODE_LENGTH:
        raise ValidationError(ENTER_A_POSTCODE, code="invalid_postcode")
    words = text.split()
    compact = "".join(words)
    if not compact.isascii() or not compact.isalnum():
        raise ValidationError(ENTER_A_POSTCODE, code="invalid_postcode")

    full = FULL_RE.fullmatch(compact)
    if full:
        return PlaceQuery((f"{full[1]} {full[2]}",))
    if len(words) == 2 and OUTWARD_RE.fullmatch(words[0]):
        if PARTIAL_INWARD_RE.fullmatch(words[1]):
            return PlaceQuery((f"{words[0]} {words[1][0]}",))
    elif len(words) == 1:
        candidates = []
        if OUTWARD_RE.fullmatch(compact):
            candidates.append(compact)
        # Typed without the space: WA71 is the sector WA7 1, WA71A likewise.
        for cut in (1, 2):
            outward, inward = compact[:-cut], compact[-cut:]
            if OUTWARD_RE.fullmatch(outward) and PARTIAL_INWARD_RE.fullmatch(inward):
                candidates.append(f"{outward} {inward[0]}")
        if candidates:
            return PlaceQuery(tuple(dict.fromkeys(candidates)))
    raise ValidationError(ENTER_A_POSTCODE, code="invalid_postcode")


def find_postcode(text: str) -> Postcode | None:
    """The postcode, sector or district someone typed, or None if it is not one we know."""
    try:
        query = parse_place_query(text)
    except ValidationError:
        return None
    found = {p.postcode: p for p in Postcode.objects.filter(postcode__in=query.candidates)}
    for candidate in query.candidates:
        if candidate in found:
            return found[candidate]
    return None


@dataclass(frozen=True)
class Place:
    """Where a postcode search points: what was asked and the row standing in for it."""

    asked: str  # the normalised query, "WA7 1ZZ"
    postcode: Postcode  # the postcode itself, or the sector or district holding it

    @property
    def exact(self) -> bool:
        return self.postcode.postcode == self.asked

    @property
    def note(self) -> str:
        """What a results page should say when the match is not exact ("" when it is)."""
        if self.exact:
            return ""
        return (
            f"We couldn't find {self.asked}, so we are showing results near the centre of "
            f"{self.postcode.get_kind_display().lower()} {self.postcode.postcode}."
        )


def find_place(text: str) -> Place:
    """The place a postcode search means, falling back from a postcode to its sector or
    district when the postcode itself is unknown (new, mistyped, or not imported).

    Raises ValidationError: "Enter a UK postcode, like WA7 1AB" for text that is no
    postcode, "We couldn't find that postcode" when nothing of it is known.
    """
    query = parse_place_query(text)
    readings: list[str] = []
    for candidate in query.candidates:
        outward, _, inward = candidate.partition(" ")
        readings += [candidate, f"{outward} {inward[0]}" if inward else outward, outward]
    readings = list(dict.fromkeys(readings))
    found = {p.postcode: p for p in Postcode.objects.filter(postcode__in=readings)}
    for reading in readings:
        if reading in found:
            asked = next(
                (c for c in query.candidates if c == reading or c.startswith(reading)),
                query.text,
            )
            return Place(asked=asked, postcode=found[reading])
    raise ValidationError(NOT_FOUND, code="postcode_not_found")


def _readings(postcode: str) -> tuple[str, str, str] | None:
    """A stored initiative postcode as (unit, sector, district), or None if malformed."""
    match = FULL_RE.fullmatch("".join((postcode or "").split()).upper())
    if not match:
        return None
    outward, inward = match[1], match[2]
    return f"{outward} {inward}", f"{outward} {inward[0]}", outward


def best_match(postcode: str) -> Postcode | None:
    """Where a full postcode is: the postcode itself, else its sector's or district's centre."""
    readings = _readings(postcode)
    if readings is None:
        return None
    return (
        Postcode.objects.filter(postcode__in=readings, easting__isnull=False)
        .order_by(KIND_PREFERENCE)
        .first()
    )


LOCATION_FIELDS = ("easting", "northing", "latitude", "longitude")


def postcode_not_found_message(initiative) -> str | None:
    """What a curator should know when the initiative's postcode did not give its location.

    None when there is no postcode or it was found exactly.
    """
    postcode = initiative.postcode
    if not postcode:
        return None
    if _readings(postcode) is None:
        return f"{postcode} is not a UK postcode, so this initiative has no location."
    match = best_match(postcode)
    if match is not None and match.kind == Postcode.Kind.UNIT:
        return None
    if match is not None:
        return (
            f"{postcode} is not in the postcode directory, so the initiative is placed at the "
            f"centre of {match.get_kind_display().lower()} {match.postcode}, which may be a "
            "few kilometres out. Check the postcode."
        )
    if not Postcode.objects.exists():
        return (
            "The postcode directory has not been imported, so no initiative has a location. "
            "Run `python manage.py import_postcodes`."
        )
    return (
        f"We couldn't find {postcode} in the postcode directory, so this initiative has no "
        "location and does not appear in searches by distance. Check the postcode."
    )
