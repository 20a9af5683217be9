"""Reading and checking the rows of an import (the export's CSV format, exports.COLUMNS).

The file's size, encoding and header are checked first; then each row's cells are
read into an ImportRecord, with every problem recorded by row and column header.
Cells are matched against the register's vocabularies, areas and vanguard sites
(Lookups), loaded once per import. Columns the register works out for itself (the
public URL, rare conditions, care model, funding figures) are read and ignored.
"""

import csv
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError

from initiatives.exports import COLUMNS, restore
from initiatives.models import (
    MAX_AGE,
    Area,
    Condition,
    Initiative,
    Organisation,
    PopulationGroup,
    Topic,
    VanguardSite,
)
from initiatives.opening import parse_compact
from initiatives.validators import (
    normalise_phone,
    validate_charity_number,
    validate_company_number,
    validate_uk_phone,
)

from .problems import ImportRefused, Problem
from .rows import (
    Choices,
    Row,
    a_date,
    a_moment,
    choice,
    email,
    postcode,
    read_csv,
    registration,
    split_values,
    text_value,
    website,
    whole_number,
    year,
    yes_no,
)

# Refused before reading. The export takes about 8 MB per 10,000 initiatives, so this
# allows about 25,000 rows at once; larger files are better split.
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_MEGABYTES = MAX_IMPORT_BYTES // (1024 * 1024)
# Work out for themselves from other columns; read and ignored.
DERIVED_COLUMNS = {
    "public_url",
    # The organisation's, changed on its own admin page.
    "organisation_website",
    "rare_conditions",
    "care_model",
    "funding_dependency",
    "largest_funder_share",
    "nhs_share",
    "funding_lines",
    "funding_sources",
    "serves_place",
    "why_listed",
    # Edited in the admin: the file shows them, the import leaves them as they are.
    "contacts",
    "access_contacts",
    "opening_exceptions",
}
REQUIRED_COLUMNS = ["uuid", "name", "role"]
ORGANISATION_COLUMNS = {
    "legal_form": "legal_form",
    "charity_number": "charity_number",
    "company_number": "company_number",
    "members": "members",
    "volunteers": "volunteers",
}
M2M_COLUMNS = {
    "topics": ("topics", Topic),
    "conditions": ("conditions", Condition),
    "population_groups": ("population_groups", PopulationGroup),
}
# A cell holding exactly the record's current text is taken as it is, unchecked, so that
# a value today's checks would refuse does not stop an unchanged row from importing.
KEPT_AS_THEY_ARE = {"name", "summary", "website", "email", "phone", "address", "postcode"}
ACCESS_LABELS = {
    "self-referral": "self_referral",
    "professional referral": "professional_referral",
    "drop-in": "drop_in",
    "waiting list": "waiting_list",
    "membership": "membership",
}
# yes, no, or empty for not recorded.
MAYBE_COLUMNS = ["by_appointment", "step_free_access", "hearing_loop", "bsl"]
HEADER_BY_NAME = {column.name: column.header for column in COLUMNS}
NAME_BY_KEY = {
    **{column.header.casefold(): column.name for column in COLUMNS},
    **{column.name.casefold(): column.name for column in COLUMNS},
}
CSV_UTF8_HINT = (
    "Save it as UTF-8: in Excel choose \u201cCSV UTF-8 (Comma delimited)\u201d; in LibreOffice "
    "tick \u201cEdit filter settings\u201d and choose Unicode (UTF-8)."
)


def size_problem(size: int) -> Problem | None:
    """The refusal for a file too large to import, before any of it is read."""
    if size > MAX_IMPORT_BYTES:
        return Problem(
            None,
            None,
            f"The file is {size / (1024 * 1024):,.1f} MB; the import takes at most "
            f"{MAX_IMPORT_MEGABYTES} MB. Split it into smaller files and import each.",
        )
    return None


# Reading the file ----------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text; raises ImportRefused when it is empty or not UTF-8."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise ImportRefused(
            [
                Problem(
                    None,
                    None,
                    f"The file is not UTF-8 text (byte {data[exc.start]:#04x} on line {row} "
                    f"is not UTF-8). {CSV_UTF8_HINT}",
                )
            ]
        ) from None
    if not text.strip():
        raise ImportRefused(
            [
                Problem(
                    None,
                    None,
                    "The file is empty. Export the register as CSV to see the format: "
                    "the first row holds the column headers.",
                )
            ]
        )
    return text


def read_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header cells and (spreadsheet row number, cells) of each non-blank record."""
    try:
        header, rows = read_csv(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise ImportRefused(
            [Problem(None, None, f"The file is not a readable CSV file: {exc}.")]
        ) from None
    # decode() refuses blank text, so there is always a header row.
    return header or [], rows


def map_headers(header: list[str]) -> tuple[dict[str, int], list[Problem]]:
    """Column name -> position, and the problems with the header row."""
    problems = []
    positions: dict[str, int] = {}
    for position, text in enumerate(header):
        key = restore(text.strip()).casefold()
        name = NAME_BY_KEY.get(key)
        if name is None:
            if not key:
                problems.append(
                    Problem(
                        1,
                        f"column {position + 1}",
                        "This column has no header: add one or delete the column.",
                    )
                )
            else:
                problems.append(
                    Problem(
                        1,
                        text.strip(),
                        "Unknown column. The import reads the export's columns: "
                        + ", ".join(column.header for column in COLUMNS)
                        + ".",
                    )
                )
        elif name in positions:
            problems.append(
                Problem(1, text.strip(), "This column appears twice: keep one of them.")
            )
        else:
            positions[name] = position
    missing = [HEADER_BY_NAME[name] for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        problems.append(
            Problem(
                1,
                None,
                f"Missing column{'s' * (len(missing) > 1)}: {', '.join(missing)}. Every file "
                "needs UUID (empty for a new initiative), Name and Role.",
            )
        )
    return positions, problems


# Checking cells ----------------------------------------------------------------------


class Lookups:
    """Everything rows are matched against, loaded once per import."""

    def __init__(self):
        self.terms = {column: self._by_name(model) for column, (_, model) in M2M_COLUMNS.items()}
        self.areas_by_code: dict[str, int] = {}
        self.areas_by_slug: dict[str, int] = {}
        self.areas_by_name: dict[str, list[int]] = defaultdict(list)
        self.area_names: dict[int, str] = {}
        for pk, code, slug, name in Area.objects.values_list("pk", "code", "slug", "name"):
            if code:
                self.areas_by_code[code.upper()] = pk
            self.areas_by_slug[slug] = pk
            self.areas_by_name[name.casefold()].append(pk)
            self.area_names[pk] = name
        self.vanguards: dict[str, int] = {}
        for pk, name, slug in VanguardSite.objects.values_list("pk", "name", "slug"):
            self.vanguards[name.casefold()] = pk
            self.vanguards[slug] = pk

    @staticmethod
    def _by_name(model) -> dict[str, int]:
        found = {}
        for pk, name, slug in model.objects.values_list("pk", "name", "slug"):
            found[name.casefold()] = pk
            found.setdefault(slug, pk)
        return found


ROLES = Choices(Initiative.Role.choices)
COSTS = Choices(Initiative.Cost.choices)
LIFECYCLES = Choices(Initiative.Lifecycle.choices)
LEGAL_FORMS = Choices(Organisation.LegalForm.choices)


def cell_text(cells: list[str], position: int) -> str:
    """A cell's text as it was before the export neutralised it ("" past the row's end)."""
    text = cells[position].strip() if position < len(cells) else ""
    return restore(text).strip() if text.startswith("'") else text


@dataclass
class ImportRecord:
    """What one valid row asks for: the initiative's values, links and organisation."""

    number: int
    key: uuid.UUID | None
    values: dict = field(default_factory=dict)  # Initiative field -> value
    links: dict = field(default_factory=dict)  # m2m field -> set of ids
    organisation_name: str | None = None  # None: the file has no Organisation column
    organisation_values: dict = field(default_factory=dict)
    exported_at: tuple[datetime, bool] | None = None
    # The usual weekly opening times; None: the file has no Opening times column.
    opening_times: list | None = None
    # Worked out when matched against the database:
    initiative: Initiative | None = None
    organisation_key: object = None


def phone(text: str) -> str:
    validate_uk_phone(text)
    return normalise_phone(text) if text else ""


def maybe_yes_no(text: str) -> bool | None:
    """yes or no; an empty cell is "not recorded"."""
    return yes_no(text) if text else None


def languages(text: str) -> str:
    value = "; ".join(split_values(text))
    return text_value(value, max_length=300)


def opening_times(text: str) -> list:
    try:
        return parse_compact(text)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class RowReader:
    """Turns a row's cells into an ImportRecord, collecting every problem on the way.

    It is the `file` of the Rows it reads: their problems come to `problem()`, which
    names the column by its header and marks the row as refused.
    """

    def __init__(self, positions: dict[str, int], lookups: Lookups, problems: list):
        self.positions = positions
        self.lookups = lookups
        self.problems = problems

    def key(self, number: int, cells: list[str]) -> uuid.UUID | None:
        """The row's UUID, if it has a valid one (problems are reported by read())."""
        try:
            return self.uuid_value(cell_text(cells, self.positions["uuid"]))
        except ValidationError:
            return None

    def read(
        self, number: int, cells: list[str], current: Initiative | None
    ) -> ImportRecord | None:
        """The row's values, checked; None (with its problems recorded) if any is wrong.

        `current` is the record the row's UUID names, if it exists.
        """
        self.row = Row(
            self, number, {name: cell_text(cells, at) for name, at in self.positions.items()}
        )
        self.current = current
        self.ok = True
        if len(cells) > len(self.positions) and any(
            cell.strip() for cell in cells[max(self.positions.values(), default=-1) + 1 :]
        ):
            self.row.problem(None, f"This row has {len(cells)} cells but the header has fewer.")

        record = ImportRecord(number=number, key=self.row.parse("uuid", self.uuid_value))
        values = record.values
        self.read_into(
            values, "name", lambda t: text_value(t, max_length=200, required=True, what="name")
        )
        self.read_into(values, "summary", lambda t: text_value(t, max_length=300))
        self.read_into(
            values,
            "role",
            lambda t: choice(ROLES, t, what="role", required=True),
        )
        self.read_into(values, "national", yes_no)
        self.read_into(values, "cost", lambda t: choice(COSTS, t, what="cost"))
        self.read_into(values, "min_age", lambda t: whole_number(t, high=MAX_AGE))
        self.read_into(values, "max_age", lambda t: whole_number(t, high=MAX_AGE))
        self.read_into(values, "lifecycle", lambda t: choice(LIFECYCLES, t, what="lifecycle"))
        self.read_into(values, "started_in", year)
        self.read_into(values, "ended_in", year)
        self.read_into(values, "website", website)
        self.read_into(values, "email", email)
        self.read_into(values, "phone", phone)
        self.read_into(values, "cost_detail", lambda t: text_value(t, max_length=200))
        self.read_into(values, "opening_notes", lambda t: text_value(t, max_length=300))
        self.read_into(values, "accessibility_note", lambda t: text_value(t, max_length=300))
        self.read_into(values, "languages", languages)
        for name in MAYBE_COLUMNS:
            self.read_into(values, name, maybe_yes_no)
        record.opening_times = self.row.parse("opening_times", opening_times)
        self.read_into(values, "address", lambda t: text_value(t, max_length=2000))
        self.read_into(values, "postcode", postcode)
        self.read_into(values, "last_verified_on", a_date, column="last_verified")
        self.read_into(values, "vanguard_id", self.vanguard, column="vanguard")
        listed = self.row.parse("how_to_access", self.access)
        if listed is not None:
            values.update(self.access_values(listed, current))
        ages = {
            name: values[name] if name in values else getattr(current, name, None)
            for name in ("min_age", "max_age")
        }
        if None not in ages.values() and ages["min_age"] > ages["max_age"]:
            self.row.problem(
                "min_age" if "min_age" in values else "max_age",
                f"The minimum age ({ages['min_age']}) is above the maximum age "
                f"({ages['max_age']}).",
            )
        lifecycle = {
            name: values[name] if name in values else getattr(current, name, default)
            for name, default in (("lifecycle", ""), ("started_in", None), ("ended_in", None))
        }
        for name, message in Initiative.lifecycle_problems(**lifecycle).items():
            self.row.problem(name, message)
        for column, (name, _) in M2M_COLUMNS.items():
            ids = self.row.parse(column, lambda t, c=column: self.terms(c, t))
            if ids is not None:
                record.links[name] = ids
        areas = self.areas()
        if areas is not None:
            record.links["areas"] = areas
        if "organisation" in self.row.cells:
            record.organisation_name = self.row.parse(
                "organisation", lambda t: text_value(t, max_length=200)
            )
            self.organisation_values(record)
        record.exported_at = self.row.parse("last_updated", a_moment)
        return record if self.ok else None

    # Helpers --------------------------------------------------------------------

    def problem(self, row: int | None, column: str | None, message: str) -> None:
        self.ok = False
        self.problems.append(Problem(row, HEADER_BY_NAME.get(column, column), message))

    def read_into(self, values: dict, name: str, parse, *, column: str | None = None) -> None:
        column = column or name
        if column not in self.row.cells:
            return
        text = self.row.cells[column]
        current = self.current
        if name in KEPT_AS_THEY_ARE and current is not None and text == getattr(current, name):
            values[name] = text
            return
        try:
            values[name] = parse(text)
        except ValidationError as exc:
            self.row.problem(column, " ".join(exc.messages))

    @staticmethod
    def uuid_value(text: str) -> uuid.UUID | None:
        if not text:
            return None
        try:
            return uuid.UUID(text)
        except ValueError:
            raise ValidationError(
                f"\u201c{text}\u201d is not a UUID. Leave it empty for a new initiative, or "
                "keep the one the export gave."
            ) from None

    def vanguard(self, text: str) -> int | None:
        if not text:
            return None
        pk = self.lookups.vanguards.get(text.casefold()) or self.lookups.vanguards.get(text)
        if pk is None:
            raise ValidationError(f"Unknown vanguard site \u201c{text}\u201d.")
        return pk

    @staticmethod
    def access(text: str) -> set[str]:
        """The ways in a "How to access" cell lists (field names)."""
        listed = set()
        for part in split_values(text):
            name = ACCESS_LABELS.get(part.casefold())
            if name is None:
                raise ValidationError(
                    f"Unknown way in \u201c{part}\u201d: use Self-referral, Professional "
                    "referral, Drop-in, Waiting list or Membership."
                )
            listed.add(name)
        return listed

    @staticmethod
    def access_values(listed: set[str], current: Initiative | None) -> dict[str, bool | None]:
        """Each way in: yes when listed; no when it was yes and is no longer listed.

        The file lists only the ways that apply, so it cannot say "no" apart from "not
        recorded": a way that is not listed keeps what the record says (not recorded,
        for a new record) rather than becoming a "no" nobody gave.
        """
        values = {}
        for name in ACCESS_LABELS.values():
            was = getattr(current, name, None)
            values[name] = True if name in listed else (False if was is True else was)
        return values

    def terms(self, column: str, text: str) -> set[int]:
        known = self.lookups.terms[column]
        ids, unknown = set(), []
        for part in split_values(text):
            pk = known.get(part.casefold())
            if pk is None:
                unknown.append(part)
            else:
                ids.add(pk)
        if unknown:
            noun = HEADER_BY_NAME[column].lower()
            raise ValidationError(
                f"Unknown {noun}: "
                + ", ".join(f"\u201c{name}\u201d" for name in unknown)
                + f". Use the names of existing {noun}, or add them in the admin first."
            )
        return ids

    def areas(self) -> set[int] | None:
        """Areas by code (Area codes), or by name when the file has only Areas served."""
        lookups = self.lookups
        if "area_codes" in self.positions:
            codes = self.row.cells.get("area_codes")
            ids, unknown = set(), []
            for code in split_values(codes):
                pk = lookups.areas_by_code.get(code.upper()) or lookups.areas_by_slug.get(code)
                if pk is None:
                    unknown.append(code)
                else:
                    ids.add(pk)
            if unknown:
                self.row.problem(
                    "area_codes",
                    "Unknown area code"
                    + ("s " if len(unknown) > 1 else " ")
                    + ", ".join(f"\u201c{code}\u201d" for code in unknown)
                    + ": use ONS or NHS codes (such as E06000006) of areas in the register.",
                )
                return None
            names = self.row.cells.get("areas")
            # Areas served is read only to catch an edit made there instead of in Area codes.
            if names:
                given = {name.casefold() for name in split_values(names)}
                coded = {lookups.area_names[pk].casefold() for pk in ids}
                if given != coded:
                    self.row.problem(
                        "areas",
                        "Areas served does not match Area codes. The import reads areas by "
                        "code: change Area codes, and make Areas served the same areas "
                        "(or clear it).",
                    )
                    return None
            return ids
        if "areas" in self.positions:
            ids = set()
            for name in split_values(self.row.cells.get("areas")):
                found = lookups.areas_by_name.get(name.casefold(), [])
                if len(found) != 1:
                    self.row.problem(
                        "areas",
                        f"{'Several areas are' if found else 'No area is'} called "
                        f"\u201c{name}\u201d: add an Area codes column to say which.",
                    )
                    return None
                ids.add(found[0])
            return ids
        return None

    def organisation_values(self, record: ImportRecord) -> None:
        values = record.organisation_values
        self.read_into(
            values,
            "legal_form",
            lambda t: choice(LEGAL_FORMS, t, what="legal form"),
        )
        self.read_into(values, "charity_number", lambda t: registration(t, validate_charity_number))
        self.read_into(values, "company_number", lambda t: registration(t, validate_company_number))
        self.read_into(values, "members", whole_number)
        self.read_into(values, "volunteers", whole_number)
