"""Reading CSV rows and their cells, for the seed files and the import.

`read_csv` splits a file into its header and its numbered, non-blank rows; a `Row`
holds one of them by column name and records the problems found in its cells. Cells
are read in one of two ways:

- Row's own readers (`text`, `choice`, `boolean`, `date`, `decimal`, `integer`,
  `slugs`, `reference(s)`), which record a problem and carry on; the seed files use
  these, with their messages.
- Parsers (`choice`, `whole_number`, `yes_no`, `text_value`, `website`, `email`,
  `postcode`, `registration`, `a_date`, `a_moment`): functions from a cell's text to
  a value that raise ValidationError with a message for a curator; the import
  applies them with `Row.parse`.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Protocol

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, ProhibitNullCharactersValidator, URLValidator
from django.utils import timezone

from initiatives.exports import MULTI_VALUE_SEPARATOR
from initiatives.validators import (
    normalise_postcode,
    normalise_registration_number,
    validate_email_domain,
    validate_postcode,
)

# Between the slugs of a many-valued cell in the seed files.
LIST_SEPARATOR = ";"
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


def read_csv(lines: Iterable[str]) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """The header's cells, and (spreadsheet row number, cells) of each row that is not blank.

    The header is None for a file with no rows at all. Raises csv.Error for text that
    is not CSV.
    """
    reader = csv.reader(lines)
    header = next(reader, None)
    rows = [
        (number, cells)
        for number, cells in enumerate(reader, start=2)
        if any(cell.strip() for cell in cells)
    ]
    return header, rows


class ProblemSink(Protocol):
    """Where a Row's problems go: the seed file or the import being read."""

    def problem(self, row: int | None, column: str | None, message: str) -> None: ...


class Row:
    """One data row of a CSV file: its spreadsheet row number and its cells by column.

    `file` is whatever collects the problems of the file being read: anything with
    `problem(row, column, message)`. Each reader records a problem against its column
    and carries on, so that one pass over a row reports everything wrong with it.
    """

    def __init__(self, file: ProblemSink, number: int, cells: dict[str, str]):
        self.file = file
        self.number = number
        self.cells = cells

    def problem(self, column: str | None, message: str) -> None:
        self.file.problem(self.number, column, message)

    def parse(self, column: str, parse):
        """The cell as `parse` (one of the parsers below) reads it.

        None when the file has no such column, or when `parse` refuses the text; the
        refusal is recorded as a problem against the column.
        """
        text = self.cells.get(column)
        if text is None:
            return None
        try:
            return parse(text)
        except ValidationError as exc:
            self.problem(column, " ".join(exc.messages))
            return None

    def text(self, column: str, *, required: bool = False) -> str:
        value = self.cells[column].strip()
        if required and not value:
            self.problem(column, "a value is required.")
        return value

    def choice(self, column: str, choices, *, blank: bool = False) -> str:
        value = self.text(column)
        valid = [str(code) for code, _label in choices]
        if not value and not blank:
            self.problem(column, f"a value is required: one of {', '.join(valid)}.")
        elif value and value not in valid:
            self.problem(column, f'"{value}" is not one of {", ".join(valid)}.')
        return value

    def boolean(self, column: str) -> bool:
        value = self.text(column).lower()
        if value not in ("true", "false"):
            self.problem(column, f'"{self.text(column)}" is not one of true, false.')
        return value == "true"

    def date(self, column: str) -> dt.date | None:
        value = self.text(column)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.problem(column, f'"{value}" is not a date written as YYYY-MM-DD.')
            return None

    def decimal(self, column: str, *, required: bool = True) -> Decimal | None:
        return self._number(column, Decimal, InvalidOperation, "a number", required=required)

    def integer(self, column: str, *, required: bool = True) -> int | None:
        return self._number(column, int, ValueError, "a whole number", required=required)

    def _number(
        self, column: str, parse, error: type[Exception], what: str, *, required: bool = True
    ):
        """The cell parsed by `parse` (None when empty and not required); a problem naming
        `what` when `error` is raised."""
        value = self.text(column, required=required)
        try:
            return parse(value) if value else None
        except error:
            self.problem(column, f'"{value}" is not {what}.')
            return None

    def slugs(self, column: str) -> list[str]:
        """The ";"-separated slugs of a cell, in order, without repeats."""
        return list(dict.fromkeys(split_values(self.text(column), LIST_SEPARATOR)))

    def reference(self, column: str, known, what: str, *, required: bool = False):
        """The id (or slug, when `known` is a set) that the cell's slug names."""
        slug = self.text(column, required=required)
        if not slug:
            return None
        if slug not in known:
            self.problem(column, f'"{slug}" is not the slug of any {what}.')
            return None
        return slug if isinstance(known, set) else known[slug]

    def references(self, column: str, known, what: str) -> list:
        found = []
        for slug in self.slugs(column):
            if slug not in known:
                self.problem(column, f'"{slug}" is not the slug of any {what}.')
            else:
                found.append(slug if isinstance(known, set) else known[slug])
        return found


# Parsers -------------------------------------------------------------------


def split_values(text: str, separator: str = MULTI_VALUE_SEPARATOR.strip()) -> list[str]:
    """The values of a many-valued cell, stripped, in order, without blanks."""
    return [part.strip() for part in text.split(separator) if part.strip()]


class Choices:
    """A choice field's values, found by value or label in any case."""

    def __init__(self, choices):
        self.labels = [str(label) for _, label in choices]
        self.by_key = {}
        for value, label in choices:
            self.by_key[str(label).casefold()] = value
            self.by_key[str(value).casefold()] = value


def choice(choices: Choices, text: str, *, what: str, required: bool = False) -> str:
    """A choice's value from its label or value, in any case."""
    if not text:
        if required:
            raise ValidationError(f"Give the {what}: one of {', '.join(choices.labels)}.")
        return ""
    value = choices.by_key.get(text.casefold())
    if value is None:
        raise ValidationError(
            f"\u201c{text}\u201d is not a {what}: use one of {', '.join(choices.labels)}."
        )
    return value


def whole_number(text: str, *, low: int = 0, high: int | None = None) -> int | None:
    if not text:
        return None
    try:
        number = int(text.replace(",", ""))
    except ValueError:
        raise ValidationError(f"\u201c{text}\u201d is not a whole number.") from None
    if number < low or (high is not None and number > high):
        limit = f"between {low} and {high}" if high is not None else f"{low} or more"
        raise ValidationError(f"{number} is out of range: give a whole number {limit}.")
    return number


def year(text: str) -> int | None:
    """A calendar year such as 2019, or None for an empty cell."""
    return whole_number(text, low=1900, high=2100)


def yes_no(text: str) -> bool:
    value = text.casefold()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValidationError(f"\u201c{text}\u201d is not yes or no.")


def text_value(text: str, *, max_length: int | None, required: bool = False, what: str = "") -> str:
    ProhibitNullCharactersValidator()(text)
    if required and not text:
        raise ValidationError(f"Give the {what}; it cannot be empty.")
    if max_length is not None and len(text) > max_length:
        raise ValidationError(
            f"At most {max_length:,} characters are allowed; this has {len(text):,}."
        )
    return text


def website(text: str) -> str:
    if not text:
        return ""
    if "://" not in text:
        text = "https://" + text
    text_value(text, max_length=300)
    URLValidator()(text)
    return text


def email(text: str) -> str:
    if text:
        text_value(text, max_length=254)
        EmailValidator()(text)
        validate_email_domain(text)
    return text


def postcode(text: str) -> str:
    if not text:
        return ""
    validate_postcode(text)
    return normalise_postcode(text)


def registration(text: str, validator) -> str:
    value = normalise_registration_number(text)
    if value:
        validator(value)
    return value


def a_date(text: str) -> date | None:
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            value = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if value > timezone.localdate():
            raise ValidationError(f"{value.isoformat()} is in the future.")
        return value
    raise ValidationError(f"\u201c{text}\u201d is not a date: write it as YYYY-MM-DD.")


def a_moment(text: str) -> tuple[datetime, bool] | None:
    """(local date and time, whether it has seconds) from a Last updated cell."""
    if not text:
        return None
    patterns = [
        ("%Y-%m-%d %H:%M:%S", True),
        ("%Y-%m-%d %H:%M", False),
        ("%d/%m/%Y %H:%M:%S", True),
        ("%d/%m/%Y %H:%M", False),
    ]
    for pattern, seconds in patterns:
        try:
            return datetime.strptime(text, pattern), seconds
        except ValueError:
            continue
    raise ValidationError(
        f"\u201c{text}\u201d is not a date and time: keep the exported YYYY-MM-DD HH:MM:SS."
    )
