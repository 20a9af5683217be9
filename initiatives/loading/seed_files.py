"""The seed files (seeds/*.csv): their columns, and reading one of them.

A SeedFile checks its header against the columns it must have and hands out its
data rows; problems are kept on the file, named by its path as the person running
`load_seeds` would type it, and raised together as a SeedError.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.conf import settings

from .problems import Problem, SeedError
from .rows import Row, read_csv

AREA_COLUMNS = [
    "slug",
    "name",
    "kind",
    "code",
    "ods_code",
    "parent_slug",
    "other_parent_slugs",
    "source_note",
]
CONDITION_COLUMNS = ["slug", "name", "is_rare"]
NAME_COLUMNS = ["slug", "name"]
VANGUARD_COLUMNS = [
    "slug",
    "name",
    "care_model",
    "social_movement_site",
    "lead_organisations",
    "area_description",
    "area_slugs",
    "source_note",
]
ORGANISATION_COLUMNS = [
    "slug",
    "name",
    "legal_form",
    "charity_number",
    "company_number",
    "website",
    "source_note",
]
# The reference's columns as they are (organisation is its spelling of the name, for
# the reader), with the register's slug of the organisation first.
FUNDING_LINE_COLUMNS = [
    "organisation_slug",
    "organisation",
    "financial_year_end",
    "funder_type",
    "funder_name",
    "amount_gbp",
    "share_percent",
    "total_income_gbp",
    "source",
    "note",
]
INITIATIVE_COLUMNS = [
    "slug",
    "name",
    "organisation_slug",
    "summary",
    "role",
    "topic_slugs",
    "condition_slugs",
    "population_slugs",
    "area_slugs",
    "national",
    "vanguard_slug",
    "website",
    "status",
    "last_verified_on",
    "source_note",
    "lifecycle",
    "started_in",
    "ended_in",
    "curator_note",
    "located_in_town",
]


def display_path(path: Path) -> str:
    """The path as the person running the command would type it."""
    for base in (Path.cwd(), Path(settings.BASE_DIR)):
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


class SeedFile:
    """One CSV file: checks its header and hands out its rows."""

    def __init__(self, directory: Path, stem: str, columns: list[str]):
        self.path = directory / f"{stem}.csv"
        self.display = display_path(self.path)
        self.columns = columns
        self.problems: list[Problem] = []

    def problem(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(row, column, message, file=self.display))

    def raise_problems(self) -> None:
        if self.problems:
            raise SeedError(self.problems)

    def rows(self) -> list[Row]:
        try:
            with open(self.path, encoding="utf-8-sig", newline="") as handle:
                header, records = read_csv(handle)
        except FileNotFoundError:
            self.problem(None, None, "file not found. Every seed file must be present.")
            self.raise_problems()
        except UnicodeDecodeError:
            self.problem(None, None, "is not UTF-8 text. Save it as CSV UTF-8.")
            self.raise_problems()
        except csv.Error as exc:
            self.problem(None, None, f"is not valid CSV ({exc}).")
            self.raise_problems()
        if header is None:
            self.problem(
                1, None, f"the file is empty. Row 1 must name the columns: {self._expected}."
            )
            self.raise_problems()
        header = [name.strip() for name in header]
        self._check_header(header)
        self.raise_problems()
        rows = []
        for number, cells in records:
            if len(cells) != len(header):
                self.problem(
                    number, None, f"has {len(cells)} cells but the header has {len(header)}."
                )
                continue
            rows.append(Row(self, number, dict(zip(header, cells, strict=True))))
        return rows

    @property
    def _expected(self) -> str:
        return ", ".join(self.columns)

    def _check_header(self, header: list[str]) -> None:
        for column in self.columns:
            if column not in header:
                self.problem(
                    1, column, f"missing from the header. The columns must be: {self._expected}."
                )
        seen = set()
        for column in header:
            if column not in self.columns:
                self.problem(
                    1,
                    column or "(blank)",
                    f"is not a column of this file. The columns must be: {self._expected}.",
                )
            elif column in seen:
                self.problem(1, column, "appears twice in the header.")
            seen.add(column)
