"""Opening times in words: open now or when it opens next, in UK time, whatever the
season; the weekly table; overlaps; the CSV's compact form. No database needed."""

from datetime import UTC, date, datetime, time

import pytest

from initiatives.opening import (
    WeeklySlot,
    exceptions,
    format_compact,
    opening_status,
    overlaps,
    parse_compact,
    weekly_rows,
)


def slot(day, opens, closes, **dated):
    return WeeklySlot(day, time(*opens), time(*closes), **dated)


def closure(first, last=None):
    return WeeklySlot("", None, None, valid_from=first, valid_to=last, closed=True)


# Monday to Friday, 10:00 to 16:00; Tuesday evening too.
WEEK = [slot(day, (10,), (16,)) for day in ("MO", "TU", "WE", "TH", "FR")] + [
    slot("TU", (18,), (20, 30))
]


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


class TestOpenNow:
    def test_open_in_winter_uk_time_is_utc(self):
        # Monday 1 December 2025, 15:59 GMT.
        status = opening_status(WEEK, now=utc(2025, 12, 1, 15, 59))
        assert (status.open, status.text) == (True, "Open now until 16:00")

    def test_in_summer_uk_time_is_an_hour_ahead_of_utc(self):
        # Monday 7 July 2025, 15:30 UTC is 16:30 BST: closed, though 15:30 would be open.
        status = opening_status(WEEK, now=utc(2025, 7, 7, 15, 30))
        assert (status.open, status.text) == (False, "Closed now \u00b7 Opens tomorrow 10:00")
        # And 09:30 UTC is 10:30 BST: open.
        assert opening_status(WEEK, now=utc(2025, 7, 7, 9, 30)).open

    def test_just_after_midnight_in_summer_is_already_the_next_day(self):
        # Monday 23:30 UTC in July is Tuesday 00:30 BST: it opens "today", not "tomorrow".
        status = opening_status(WEEK, now=utc(2025, 7, 7, 23, 30))
        assert status.text == "Closed now \u00b7 Opens today 10:00"
        # The same moment in winter is still Monday (23:30 GMT).
        status = opening_status(WEEK, now=utc(2025, 12, 1, 23, 30))
        assert status.text == "Closed now \u00b7 Opens tomorrow 10:00"

    def test_the_clocks_going_forward_do_not_shift_the_times(self):
        # Sunday 30 March 2025: clocks go forward at 01:00 UTC. Monday 09:05 UTC is 10:05 BST.
        assert opening_status(WEEK, now=utc(2025, 3, 31, 9, 5)).open
        # The Friday before, 09:05 UTC is 09:05 GMT: not yet.
        status = opening_status(WEEK, now=utc(2025, 3, 28, 9, 5))
        assert status.text == "Closed now \u00b7 Opens today 10:00"

    def test_between_two_slots_of_a_day_it_opens_later_today(self):
        status = opening_status(WEEK, now=utc(2025, 12, 2, 17))
        assert status.text == "Closed now \u00b7 Opens today 18:00"
        assert opening_status(WEEK, now=utc(2025, 12, 2, 20, 29)).text == "Open now until 20:30"

    def test_on_friday_evening_it_opens_on_monday_by_name(self):
        status = opening_status(WEEK, now=utc(2025, 12, 5, 16))
        assert status.text == "Closed now \u00b7 Opens Monday 10:00"

    def test_a_closure_shuts_it_and_moves_the_next_opening(self):
        christmas = [*WEEK, closure(date(2025, 12, 24), date(2026, 1, 2))]
        status = opening_status(christmas, now=utc(2025, 12, 24, 11))
        assert not status.open
        # Monday 5 January is 12 days away: the date is given with the day.
        assert status.text == "Closed now \u00b7 Opens Monday 5 January 10:00"

    def test_a_dated_slot_replaces_the_usual_times_of_its_day(self):
        late = slot("WE", (12,), (14,), valid_from=date(2025, 12, 1), valid_to=date(2025, 12, 31))
        status = opening_status([*WEEK, late], now=utc(2025, 12, 3, 11))
        assert status.text == "Closed now \u00b7 Opens today 12:00"
        # After its dates, the usual times again.
        assert opening_status([*WEEK, late], now=utc(2026, 1, 7, 11)).open

    def test_nothing_weekly_recorded_says_nothing(self):
        assert opening_status([], now=utc(2025, 12, 1, 12)) is None
        assert opening_status([closure(date(2025, 12, 25))], now=utc(2025, 12, 1, 12)) is None

    def test_a_naive_moment_is_refused_rather_than_guessed(self):
        with pytest.raises(ValueError):
            opening_status(WEEK, now=datetime(2025, 12, 1, 12))


class TestWords:
    def test_weekly_rows_monday_first_with_each_days_slots(self):
        rows = weekly_rows([slot("TU", (18,), (20,)), slot("SA", (9,), (12,)), *WEEK[:2]])
        assert rows == [
            ("Monday", "10:00 to 16:00"),
            ("Tuesday", "10:00 to 16:00, 18:00 to 20:00"),
            ("Saturday", "09:00 to 12:00"),
        ]

    def test_exceptions_in_date_order(self):
        summer = slot("SA", (9,), (11,), valid_from=date(2026, 6, 1), valid_to=date(2026, 8, 31))
        lines = exceptions([summer, closure(date(2025, 12, 25)), *WEEK])
        assert lines == [
            "Closed on 25 December 2025",
            "Saturdays 09:00 to 11:00, from 1 June 2026 to 31 August 2026",
        ]


class TestOverlaps:
    def test_slots_of_one_day_that_overlap(self):
        pairs = overlaps([slot("MO", (10,), (12,)), slot("MO", (11, 30), (13,))])
        assert len(pairs) == 1

    def test_touching_slots_other_days_and_other_dates_do_not(self):
        assert not overlaps([slot("MO", (10,), (12,)), slot("MO", (12,), (13,))])
        assert not overlaps([slot("MO", (10,), (12,)), slot("TU", (10,), (12,))])
        winter = slot("MO", (10,), (12,), valid_to=date(2026, 3, 31))
        summer = slot("MO", (11,), (13,), valid_from=date(2026, 4, 1))
        assert not overlaps([winter, summer])


class TestCompactForm:
    def test_round_trip(self):
        text = "Mon 10:00-16:00; Tue 10:00-12:00; Tue 13:00-15:00"
        assert format_compact(parse_compact(text)) == text

    def test_day_names_and_time_styles_people_type(self):
        slots = parse_compact("tuesday 9.30 - 12:00;  MO 10:00\u201316:00 ;")
        assert format_compact(slots) == "Mon 10:00-16:00; Tue 09:30-12:00"

    def test_empty_is_no_times(self):
        assert parse_compact("") == []

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("Mon 10-16", "is not a day and times"),
            ("Someday 10:00-12:00", "\u201cSomeday\u201d is not a day"),
            ("Mon 10:00-25:00", "a time that does not exist"),
            ("Mon 16:00-10:00", "closes before it opens"),
            ("Mon 22:00-00:00", "closes before it opens"),
            ("Mon 10:00-12:00; Mon 11:00-13:00", "Monday 10:00-12:00 overlaps Monday 11:00-13:00"),
        ],
    )
    def test_what_is_wrong_is_named(self, text, message):
        with pytest.raises(ValueError, match=message):
            parse_compact(text)
