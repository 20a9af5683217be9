"""Opening times: is it open now, when does it open next, the weekly table, overlaps,
and the compact text form of the CSV ("Mon 10:00-16:00; Tue 10:00-12:00").

Pure functions over anything shaped like an OpeningTime (day, opens_at, closes_at,
valid_from, valid_to, closed); the time is always passed in (`now`), so that the
answers can be checked at any moment, and read in UK time (Europe/London).
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

UK_TIME = ZoneInfo("Europe/London")
# Open Referral's byday codes, Monday first (the index is date.weekday()).
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# How far ahead "Opens Tuesday 10:00" looks: a week, and a fortnight of closures.
LOOK_AHEAD_DAYS = 21


class Slot(Protocol):
    day: str
    opens_at: time | None
    closes_at: time | None
    valid_from: date | None
    valid_to: date | None
    closed: bool


@dataclass(frozen=True)
class Status:
    """Open or closed now, in words: "Open now until 16:00", "Closed now · Opens Tuesday 10:00"."""

    open: bool
    text: str


def _applies(slot: Slot, on: date) -> bool:
    if slot.valid_from is not None and on < slot.valid_from:
        return False
    end = slot.valid_to if slot.valid_to is not None else (slot.valid_from if slot.closed else None)
    return end is None or on <= end


def slots_on(slots: Sequence[Slot], on: date) -> list[Slot]:
    """The slots open on that date (none when a closure covers it), earliest first."""
    if any(slot.closed and _applies(slot, on) for slot in slots):
        return []
    code = DAY_CODES[on.weekday()]
    found = [
        slot
        for slot in slots
        if not slot.closed
        and slot.day == code
        and slot.opens_at is not None
        and slot.closes_at is not None
        and _applies(slot, on)
    ]
    # A dated slot on a day is an exception: it replaces that day's usual times.
    dated = [slot for slot in found if slot.valid_from is not None or slot.valid_to is not None]
    return sorted(dated or found, key=lambda slot: slot.opens_at)


def opening_status(slots: Iterable[Slot], *, now: datetime) -> Status | None:
    """Open now or not, and when it next opens, in UK time; None without weekly times."""
    if now.tzinfo is None:
        raise ValueError("`now` must be an aware datetime (timezone.now()).")
    slots = list(slots)
    if not any(not slot.closed for slot in slots):
        return None
    local = now.astimezone(UK_TIME)
    today, clock = local.date(), local.time().replace(tzinfo=None)
    for slot in slots_on(slots, today):
        if slot.opens_at <= clock < slot.closes_at:
            return Status(True, f"Open now until {slot.closes_at:%H:%M}")
    for ahead in range(LOOK_AHEAD_DAYS + 1):
        on = today + timedelta(days=ahead)
        for slot in slots_on(slots, on):
            if ahead == 0 and slot.opens_at <= clock:
                continue
            return Status(
                False, f"Closed now \u00b7 Opens {_when(ahead, on)} {slot.opens_at:%H:%M}"
            )
    return Status(False, "Closed now")


def _when(ahead: int, on: date) -> str:
    if ahead == 0:
        return "today"
    if ahead == 1:
        return "tomorrow"
    name = DAY_NAMES[on.weekday()]
    return name if ahead < 7 else f"{name} {on.day} {on:%B}"


def weekly_rows(slots: Iterable[Slot]) -> list[tuple[str, str]]:
    """(day, "10:00 to 12:00, 13:00 to 16:00") for each day of the usual week that has
    undated slots, Monday first."""
    by_day: dict[str, list[Slot]] = {}
    for slot in slots:
        if slot.closed or slot.valid_from is not None or slot.valid_to is not None:
            continue
        by_day.setdefault(slot.day, []).append(slot)
    return [
        (DAY_NAMES[n], ", ".join(_span(slot) for slot in sorted(day, key=lambda s: s.opens_at)))
        for n, code in enumerate(DAY_CODES)
        if (day := by_day.get(code))
    ]


def exceptions(slots: Iterable[Slot]) -> list[str]:
    """Dated slots and closures in words, in date order."""
    dated = [
        slot
        for slot in slots
        if slot.closed or slot.valid_from is not None or slot.valid_to is not None
    ]
    dated.sort(key=lambda slot: (slot.valid_from or date.min, slot.valid_to or date.max))
    lines = []
    for slot in dated:
        period = _period(slot)
        if slot.closed:
            lines.append(f"Closed {period}")
        else:
            lines.append(f"{DAY_NAMES[DAY_CODES.index(slot.day)]}s {_span(slot)}, {period}")
    return lines


def _span(slot: Slot) -> str:
    return f"{slot.opens_at:%H:%M} to {slot.closes_at:%H:%M}"


def _day(on: date) -> str:
    return f"{on.day} {on:%B %Y}"


def _period(slot: Slot) -> str:
    start, end = slot.valid_from, slot.valid_to
    if slot.closed and end is None:
        end = start
    if start and end:
        return f"on {_day(start)}" if start == end else f"from {_day(start)} to {_day(end)}"
    if start:
        return f"from {_day(start)}"
    return f"until {_day(end)}"


def overlaps(slots: Sequence[Slot]) -> list[tuple[Slot, Slot]]:
    """Pairs of open slots on the same day whose times and dates overlap."""
    found = []
    open_slots = [
        slot for slot in slots if not slot.closed and slot.day and slot.opens_at and slot.closes_at
    ]
    for i, first in enumerate(open_slots):
        for second in open_slots[i + 1 :]:
            if (
                first.day == second.day
                and first.opens_at < second.closes_at
                and second.opens_at < first.closes_at
                and (first.valid_from or date.min) <= (second.valid_to or date.max)
                and (second.valid_from or date.min) <= (first.valid_to or date.max)
            ):
                found.append((first, second))
    return found


def overlap_message(first: Slot, second: Slot) -> str:
    day = DAY_NAMES[DAY_CODES.index(first.day)]
    return (
        f"{day} {_span(first).replace(' to ', '-')} overlaps {day} "
        f"{_span(second).replace(' to ', '-')}: make them one slot, or change the times."
    )


# The compact text form -----------------------------------------------------------

COMPACT_RE = re.compile(
    r"^(?P<day>[A-Za-z]+)\s+(?P<opens>\d{1,2}[:.]\d{2})\s*(?:-|\u2013|to)\s*"
    r"(?P<closes>\d{1,2}[:.]\d{2})$"
)
COMPACT_FORMAT = "Mon 10:00-16:00; Tue 10:00-12:00; Tue 13:00-15:00"
DAY_BY_WORD = {
    **{
        abbreviation.casefold(): code
        for abbreviation, code in zip(DAY_ABBREVIATIONS, DAY_CODES, strict=True)
    },
    **{name.casefold(): code for name, code in zip(DAY_NAMES, DAY_CODES, strict=True)},
    **{code.casefold(): code for code in DAY_CODES},
}


@dataclass(frozen=True)
class WeeklySlot:
    """An undated weekly slot, as the compact text form gives it."""

    day: str
    opens_at: time
    closes_at: time
    valid_from: date | None = None
    valid_to: date | None = None
    closed: bool = False


def _clock(text: str) -> time:
    hours, minutes = re.split(r"[:.]", text)
    return time(int(hours), int(minutes))


def parse_compact(text: str) -> list[WeeklySlot]:
    """The slots of "Mon 10:00-16:00; Tue 10:00-12:00"; ValueError says what is wrong."""
    slots = []
    for part in (piece.strip() for piece in (text or "").split(";")):
        if not part:
            continue
        match = COMPACT_RE.match(part)
        if match is None:
            raise ValueError(
                f"\u201c{part}\u201d is not a day and times: write each slot as a day and "
                f"its opening and closing times, separated by ;, like \u201c{COMPACT_FORMAT}\u201d."
            )
        day = DAY_BY_WORD.get(match["day"].casefold())
        if day is None:
            raise ValueError(
                f"\u201c{match['day']}\u201d is not a day: use Mon, Tue, Wed, Thu, Fri, Sat or Sun."
            )
        try:
            opens, closes = _clock(match["opens"]), _clock(match["closes"])
        except ValueError:
            raise ValueError(
                f"\u201c{part}\u201d has a time that does not exist: use 24-hour times from "
                "00:00 to 23:59."
            ) from None
        if closes <= opens:
            raise ValueError(
                f"\u201c{part}\u201d closes before it opens: a slot that runs past midnight "
                "is two slots."
            )
        slots.append(WeeklySlot(day, opens, closes))
    pairs = overlaps(slots)
    if pairs:
        raise ValueError(overlap_message(*pairs[0]))
    return slots


def format_compact(slots: Iterable[Slot]) -> str:
    """The undated weekly slots in the compact text form, Monday first."""
    weekly = [
        slot
        for slot in slots
        if not slot.closed and slot.valid_from is None and slot.valid_to is None and slot.day
    ]
    weekly.sort(key=lambda slot: (DAY_CODES.index(slot.day), slot.opens_at))
    return "; ".join(
        f"{DAY_ABBREVIATIONS[DAY_CODES.index(slot.day)]} "
        f"{slot.opens_at:%H:%M}-{slot.closes_at:%H:%M}"
        for slot in weekly
    )
