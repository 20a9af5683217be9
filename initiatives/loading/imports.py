"""Bulk import of initiatives from the export's own CSV format (exports.COLUMNS).

Export, edit in a spreadsheet, import: rows with a known UUID update that record,
other rows create drafts. Every row is checked first, and every problem is reported
by row and column; nothing is written unless every row is valid, and then all of it
is written in one transaction. Columns the register works out for itself (the public
URL, rare conditions, care model, funding figures) are read and ignored.
"""

import csv
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, ProhibitNullCharactersValidator, URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from initiatives.caching import bump_version
from initiatives.exports import COLUMNS, MULTI_VALUE_SEPARATOR, restore
from initiatives.models import (
    MAX_AGE,
    Area,
    Condition,
    Initiative,
    Organisation,
    PopulationGroup,
    Topic,
    VanguardSite,
    free_slug,
    slug_base,
)
from initiatives.services import (
    batches,
    history_baseline,
    history_snapshot,
    last_change,
    when_in_words,
)
from initiatives.validators import (
    normalise_postcode,
    normalise_registration_number,
    validate_charity_number,
    validate_company_number,
    validate_postcode,
)

from .problems import ImportRefused, Problem, Tally

# Refused before reading. The export takes about 8 MB per 10,000 initiatives, so this
# allows about 25,000 rows at once; larger files are better split.
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_MEGABYTES = MAX_IMPORT_BYTES // (1024 * 1024)
# Work out for themselves from other columns; read and ignored.
DERIVED_COLUMNS = {
    "public_url",
    "rare_conditions",
    "care_model",
    "funding_dependency",
    "largest_funder_share",
    "nhs_share",
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
LINK_FIELDS = ["topics", "conditions", "population_groups", "areas"]
# A cell holding exactly the record's current text is taken as it is, unchecked, so that
# a value today's checks would refuse does not stop an unchanged row from importing.
KEPT_AS_THEY_ARE = {"name", "summary", "website", "email", "phone", "address", "postcode"}
ACCESS_LABELS = {
    "self-referral": "self_referral",
    "professional referral": "professional_referral",
    "drop-in": "drop_in",
    "membership": "membership",
}
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}
SLUG_MAX_LENGTH = Initiative._meta.get_field("slug").max_length
HEADER_BY_NAME = {column.name: column.header for column in COLUMNS}
NAME_BY_KEY = {
    **{column.header.casefold(): column.name for column in COLUMNS},
    **{column.name.casefold(): column.name for column in COLUMNS},
}
CSV_UTF8_HINT = (
    "Save it as UTF-8: in Excel choose \u201cCSV UTF-8 (Comma delimited)\u201d; in LibreOffice "
    "tick \u201cEdit filter settings\u201d and choose Unicode (UTF-8)."
)


@dataclass
class ImportResult(Tally):
    """What an import did (or, in a dry run, would do) to initiatives and organisations."""

    organisations_created: int = 0
    organisations_updated: int = 0
    dry_run: bool = False

    def __str__(self) -> str:
        verb = "Would create" if self.dry_run else "Created"
        text = (
            f"{verb} {self.created:,} draft initiative{'s' * (self.created != 1)}, "
            f"{'would update' if self.dry_run else 'updated'} {self.updated:,}, "
            f"left {self.unchanged:,} unchanged"
        )
        if self.organisations_created or self.organisations_updated:
            text += (
                f"; organisations: {self.organisations_created:,} new, "
                f"{self.organisations_updated:,} updated"
            )
        return text + (" (dry run: nothing was written)." if self.dry_run else ".")


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
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        header = next(reader)
        for number, cells in enumerate(reader, start=2):
            if any(cell.strip() for cell in cells):
                rows.append((number, cells))
    except csv.Error as exc:
        raise ImportRefused(
            [Problem(None, None, f"The file is not a readable CSV file: {exc}.")]
        ) from None
    return header, rows


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


def split_values(text: str) -> list[str]:
    return [part.strip() for part in text.split(MULTI_VALUE_SEPARATOR.strip()) if part.strip()]


class Choices:
    """A choice field's values, found by value or label in any case."""

    def __init__(self, choices):
        self.labels = [str(label) for _, label in choices]
        self.by_key = {}
        for value, label in choices:
            self.by_key[str(label).casefold()] = value
            self.by_key[str(value).casefold()] = value


ROLES = Choices(Initiative.Role.choices)
COSTS = Choices(Initiative.Cost.choices)
LEGAL_FORMS = Choices(Organisation.LegalForm.choices)


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


@dataclass
class Row:
    """What one valid row asks for."""

    number: int
    key: uuid.UUID | None
    values: dict = field(default_factory=dict)  # Initiative field -> value
    links: dict = field(default_factory=dict)  # m2m field -> set of ids
    organisation_name: str | None = None  # None: the file has no Organisation column
    organisation_values: dict = field(default_factory=dict)
    exported_at: tuple[datetime, bool] | None = None
    # Worked out when matched against the database:
    initiative: Initiative | None = None
    organisation_key: object = None


class RowReader:
    """Turns a row's cells into a Row, collecting every problem on the way."""

    def __init__(self, positions: dict[str, int], lookups: Lookups, problems: list):
        self.positions = positions
        self.lookups = lookups
        self.problems = problems

    def key(self, number: int, cells: list[str]) -> uuid.UUID | None:
        """The row's UUID, if it has a valid one (problems are reported by read())."""
        self.number, self.cells, self.ok = number, cells, True
        try:
            return self.uuid_value(self.raw("uuid") or "")
        except ValidationError:
            return None

    def read(self, number: int, cells: list[str], current: Initiative | None) -> Row | None:
        """The row's values, checked; None (with its problems recorded) if any is wrong.

        `current` is the record the row's UUID names, if it exists.
        """
        self.number = number
        self.cells = cells
        self.current = current
        self.ok = True
        if len(cells) > len(self.positions) and any(
            cell.strip() for cell in cells[max(self.positions.values(), default=-1) + 1 :]
        ):
            self.problem(None, f"This row has {len(cells)} cells but the header has fewer.")

        row = Row(number=number, key=self.cell("uuid", self.uuid_value))
        values = row.values
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
        self.read_into(values, "website", website)
        self.read_into(values, "email", email)
        self.read_into(values, "phone", lambda t: text_value(t, max_length=40))
        self.read_into(values, "address", lambda t: text_value(t, max_length=2000))
        self.read_into(values, "postcode", postcode)
        self.read_into(values, "last_verified_on", a_date, column="last_verified")
        self.read_into(values, "vanguard_id", self.vanguard, column="vanguard")
        access = self.cell("how_to_access", self.access)
        if access is not None:
            values.update(access)
        ages = {
            name: values[name] if name in values else getattr(current, name, None)
            for name in ("min_age", "max_age")
        }
        if None not in ages.values() and ages["min_age"] > ages["max_age"]:
            self.problem(
                "min_age" if "min_age" in values else "max_age",
                f"The minimum age ({ages['min_age']}) is above the maximum age "
                f"({ages['max_age']}).",
            )
        for column, (name, _) in M2M_COLUMNS.items():
            ids = self.cell(column, lambda t, c=column: self.terms(c, t))
            if ids is not None:
                row.links[name] = ids
        areas = self.areas()
        if areas is not None:
            row.links["areas"] = areas
        if "organisation" in self.positions:
            row.organisation_name = self.cell(
                "organisation", lambda t: text_value(t, max_length=200)
            )
            self.organisation_values(row)
        row.exported_at = self.cell("last_updated", a_moment)
        return row if self.ok else None

    # Helpers --------------------------------------------------------------------

    def problem(self, column: str | None, message: str) -> None:
        self.ok = False
        self.problems.append(Problem(self.number, HEADER_BY_NAME.get(column, column), message))

    def raw(self, column: str) -> str | None:
        """The cell's text as it was before the export neutralised it, or None if no column."""
        position = self.positions.get(column)
        if position is None:
            return None
        text = self.cells[position] if position < len(self.cells) else ""
        text = text.strip()
        return restore(text).strip() if text.startswith("'") else text

    def cell(self, column: str, parse):
        text = self.raw(column)
        if text is None:
            return None
        try:
            return parse(text)
        except ValidationError as exc:
            self.problem(column, " ".join(exc.messages))
            return None

    def read_into(self, values: dict, name: str, parse, *, column: str | None = None) -> None:
        column = column or name
        if column not in self.positions:
            return
        text = self.raw(column)
        current = self.current
        if name in KEPT_AS_THEY_ARE and current is not None and text == getattr(current, name):
            values[name] = text
            return
        try:
            values[name] = parse(text)
        except ValidationError as exc:
            self.problem(column, " ".join(exc.messages))

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
    def access(text: str) -> dict[str, bool]:
        flags = dict.fromkeys(ACCESS_LABELS.values(), False)
        for part in split_values(text):
            name = ACCESS_LABELS.get(part.casefold())
            if name is None:
                raise ValidationError(
                    f"Unknown way in \u201c{part}\u201d: use Self-referral, Professional "
                    "referral, Drop-in or Membership."
                )
            flags[name] = True
        return flags

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
            codes = self.raw("area_codes")
            ids, unknown = set(), []
            for code in split_values(codes):
                pk = lookups.areas_by_code.get(code.upper()) or lookups.areas_by_slug.get(code)
                if pk is None:
                    unknown.append(code)
                else:
                    ids.add(pk)
            if unknown:
                self.problem(
                    "area_codes",
                    "Unknown area code"
                    + ("s " if len(unknown) > 1 else " ")
                    + ", ".join(f"\u201c{code}\u201d" for code in unknown)
                    + ": use ONS or NHS codes (such as E06000006) of areas in the register.",
                )
                return None
            names = self.raw("areas")
            # Areas served is read only to catch an edit made there instead of in Area codes.
            if names:
                given = {name.casefold() for name in split_values(names)}
                coded = {lookups.area_names[pk].casefold() for pk in ids}
                if given != coded:
                    self.problem(
                        "areas",
                        "Areas served does not match Area codes. The import reads areas by "
                        "code: change Area codes, and make Areas served the same areas "
                        "(or clear it).",
                    )
                    return None
            return ids
        if "areas" in self.positions:
            ids = set()
            for name in split_values(self.raw("areas")):
                found = lookups.areas_by_name.get(name.casefold(), [])
                if len(found) != 1:
                    self.problem(
                        "areas",
                        f"{'Several areas are' if found else 'No area is'} called "
                        f"\u201c{name}\u201d: add an Area codes column to say which.",
                    )
                    return None
                ids.add(found[0])
            return ids
        return None

    def organisation_values(self, row: Row) -> None:
        values = row.organisation_values
        self.read_into(
            values,
            "legal_form",
            lambda t: choice(LEGAL_FORMS, t, what="legal form"),
        )
        self.read_into(values, "charity_number", lambda t: registration(t, validate_charity_number))
        self.read_into(values, "company_number", lambda t: registration(t, validate_company_number))
        self.read_into(values, "members", whole_number)
        self.read_into(values, "volunteers", whole_number)


# Matching and planning --------------------------------------------------------------


@dataclass
class Plan:
    rows: list[Row]
    creates: list[Row] = field(default_factory=list)
    updates: list[Row] = field(default_factory=list)
    unchanged: int = 0
    new_organisations: dict[str, dict] = field(default_factory=dict)  # casefold name -> values
    organisation_names: dict[str, str] = field(default_factory=dict)
    organisation_changes: dict[int, dict] = field(default_factory=dict)


def existing_initiatives(keys: list[uuid.UUID]) -> dict[uuid.UUID, Initiative]:
    """The initiatives with these UUIDs, each with `current_links` (tag field -> ids)."""
    found: dict[uuid.UUID, Initiative] = {}
    for chunk in batches(keys):
        initiatives = Initiative.objects.filter(uuid__in=chunk).select_related("organisation")
        by_pk = {initiative.pk: initiative for initiative in initiatives}
        for initiative in by_pk.values():
            initiative.current_links = {name: set() for name in LINK_FIELDS}
            found[initiative.uuid] = initiative
        for name in LINK_FIELDS:
            field_ = Initiative._meta.get_field(name)
            source = field_.m2m_field_name() + "_id"
            target = field_.m2m_reverse_field_name() + "_id"
            through = field_.remote_field.through
            for owner, other in through.objects.filter(
                **{f"{source}__in": list(by_pk)}
            ).values_list(source, target):
                by_pk[owner].current_links[name].add(other)
    return found


def _organisations_by_name(names: set[str]) -> dict[str, list[Organisation]]:
    found: dict[str, list[Organisation]] = defaultdict(list)
    if names:
        for organisation in Organisation.objects.all().iterator(chunk_size=2000):
            key = organisation.name.casefold()
            if key in names:
                found[key].append(organisation)
    return found


def _narrowed(organisations: list[Organisation], row: Row) -> list[Organisation]:
    """Organisations sharing a name, told apart by the row's charity or company number."""
    for number in ("charity_number", "company_number"):
        if len(organisations) < 2:
            break
        given = row.organisation_values.get(number)
        if given:
            organisations = [o for o in organisations if getattr(o, number) == given]
    return organisations


def plan_import(
    rows: list[Row], existing: dict[uuid.UUID, Initiative], problems: list[Problem]
) -> Plan:
    """Match rows with records and organisations, and work out what each would change."""
    plan = Plan(rows=rows)

    names = {row.organisation_name.casefold() for row in rows if row.organisation_name}
    organisations = _organisations_by_name(names)
    organisation_rows: dict[object, tuple[int, dict]] = {}

    for row in rows:
        initiative = existing.get(row.key) if row.key else None
        row.initiative = initiative
        # Which organisation: the current one when its name is unchanged, else by name.
        if row.organisation_name is None:
            row.organisation_key = initiative.organisation_id if initiative else None
        elif not row.organisation_name:
            row.organisation_key = None
        elif (
            initiative is not None
            and initiative.organisation is not None
            and initiative.organisation.name.casefold() == row.organisation_name.casefold()
        ):
            row.organisation_key = initiative.organisation_id
        else:
            matches = _narrowed(organisations.get(row.organisation_name.casefold(), []), row)
            if len(matches) > 1:
                problems.append(
                    Problem(
                        row.number,
                        "Organisation",
                        f"{len(matches)} organisations are called \u201c{row.organisation_name}"
                        "\u201d: give its charity or company number to say which, or link "
                        "the initiative in the admin.",
                    )
                )
                continue
            row.organisation_key = (
                matches[0].pk if matches else ("new", row.organisation_name.casefold())
            )
        # Organisation columns must agree between rows of one organisation.
        if row.organisation_key is not None and row.organisation_values:
            earlier = organisation_rows.get(row.organisation_key)
            if earlier is None:
                organisation_rows[row.organisation_key] = (row.number, row.organisation_values)
            else:
                number, values = earlier
                for name, value in row.organisation_values.items():
                    if name in values and values[name] != value:
                        problems.append(
                            Problem(
                                row.number,
                                HEADER_BY_NAME[name],
                                f"Row {number} gives this organisation a different "
                                f"{HEADER_BY_NAME[name].lower()}; the rows of one organisation "
                                "must agree.",
                            )
                        )
        if initiative is not None:
            _check_not_changed_since_export(row, problems)

    # Organisations to create or change.
    all_organisations = {o.pk: o for group in organisations.values() for o in group}
    for row in rows:
        if row.initiative is not None and row.initiative.organisation is not None:
            all_organisations.setdefault(
                row.initiative.organisation_id, row.initiative.organisation
            )
    for key, (_, values) in organisation_rows.items():
        if isinstance(key, tuple):
            continue
        organisation = all_organisations[key]
        changed = {
            name: value for name, value in values.items() if getattr(organisation, name) != value
        }
        if changed:
            plan.organisation_changes[key] = changed
    for row in rows:
        if isinstance(row.organisation_key, tuple):
            name = row.organisation_key[1]
            plan.organisation_names.setdefault(name, row.organisation_name)
            plan.new_organisations.setdefault(name, {}).update(
                organisation_rows.get(row.organisation_key, (0, {}))[1]
            )
    plan.all_organisations = all_organisations

    for row in rows:
        if row.initiative is None:
            plan.creates.append(row)
        elif _changes(row):
            plan.updates.append(row)
        else:
            plan.unchanged += 1
    return plan


def _changes(row: Row) -> dict:
    """Initiative fields (and tag fields) the row would change on its record."""
    initiative = row.initiative
    changed = {
        name: value for name, value in row.values.items() if getattr(initiative, name) != value
    }
    if (
        not isinstance(row.organisation_key, tuple)
        and row.organisation_key != initiative.organisation_id
    ):
        changed["organisation_id"] = row.organisation_key
    if isinstance(row.organisation_key, tuple):
        changed["organisation_id"] = row.organisation_key
    for name, ids in row.links.items():
        if initiative.current_links[name] != ids:
            changed[name] = ids
    return changed


def _check_not_changed_since_export(row: Row, problems: list[Problem]) -> None:
    """Refuse a row whose record was changed after the file was exported (it would undo that)."""
    if row.exported_at is None or not _changes(row):
        return
    exported, has_seconds = row.exported_at
    updated = timezone.localtime(row.initiative.updated_at).replace(microsecond=0, tzinfo=None)
    if not has_seconds:
        updated = updated.replace(second=0)
    if updated > exported:
        moment, who = last_change(Initiative, row.initiative.pk)
        problems.append(
            Problem(
                row.number,
                "Last updated",
                f"This initiative was changed in the register at {when_in_words(moment)} by "
                f"{who}, after this file was exported. Importing the row would undo that "
                "change: export again and make this row's changes in the new file.",
            )
        )


# Writing ------------------------------------------------------------------------------


def _write(plan: Plan, *, user, filename: str) -> ImportResult:
    result = ImportResult(
        created=len(plan.creates), updated=len(plan.updates), unchanged=plan.unchanged
    )
    reason = f"Imported from {filename}"[:100]
    today = timezone.localdate()

    # Organisations first: new ones, then changes (history by their save() signals).
    organisations = dict(plan.all_organisations)
    new_by_name: dict[str, Organisation] = {}
    for key, values in plan.new_organisations.items():
        organisation = Organisation(name=plan.organisation_names[key], **values)
        organisation.source_note = f"Imported from {filename} on {today.isoformat()}."
        organisation._history_user = user
        organisation._change_reason = reason
        organisation.save()
        new_by_name[key] = organisation
    result.organisations_created = len(new_by_name)
    if plan.organisation_changes:
        history_baseline(model=Organisation, pks=list(plan.organisation_changes))
    for pk, changed in plan.organisation_changes.items():
        organisation = organisations[pk]
        for name, value in changed.items():
            setattr(organisation, name, value)
        organisation._history_user = user
        organisation._change_reason = reason
        organisation.save()
    result.organisations_updated = len(plan.organisation_changes)

    def organisation_for(row: Row):
        key = row.organisation_key
        if isinstance(key, tuple):
            return new_by_name[key[1]]
        return organisations.get(key) if key is not None else None

    history_baseline(model=Initiative, pks=[row.initiative.pk for row in plan.updates])
    link_changes: list[tuple[int, str, set[int], set[int]]] = []
    created_pks, updated_pks = [], []

    slugs = new_slugs([row.values["name"] for row in plan.creates])
    for row, slug in zip(plan.creates, slugs, strict=True):
        initiative = Initiative(status=Initiative.Status.DRAFT, slug=slug, **row.values)
        if row.key is not None:
            initiative.uuid = row.key
        initiative.organisation = organisation_for(row)
        initiative.source_note = f"Imported from {filename} on {today.isoformat()}."
        if initiative.last_verified_on is not None:
            initiative.last_verified_by = user
        initiative.skip_history_when_saving = True
        initiative.save()
        created_pks.append(initiative.pk)
        for name, ids in row.links.items():
            link_changes.append((initiative.pk, name, ids, set()))

    for row in plan.updates:
        initiative = row.initiative
        changed = _changes(row)
        fields = {"updated_at"}
        for name, value in row.values.items():
            if name in changed:
                setattr(initiative, name, value)
                fields.add(name.removesuffix("_id"))
        if "last_verified_on" in changed and initiative.last_verified_on is not None:
            initiative.last_verified_by = user
            fields.add("last_verified_by")
        if "organisation_id" in changed:
            initiative.organisation = organisation_for(row)
            fields |= {"organisation", "funding_dependency", "largest_funder_share", "nhs_share"}
        initiative.skip_history_when_saving = True
        initiative.save(update_fields=fields)
        updated_pks.append(initiative.pk)
        for name, ids in row.links.items():
            if name in changed:
                link_changes.append((initiative.pk, name, ids, initiative.current_links[name]))

    _write_links(link_changes)
    history_snapshot(model=Initiative, pks=created_pks, user=user, reason=reason, history_type="+")
    history_snapshot(model=Initiative, pks=updated_pks, user=user, reason=reason, history_type="~")
    return result


def new_slugs(names: list[str]) -> list[str]:
    """Unique slugs for new initiatives, as models.unique_slug makes them, from one query.

    (One query in all, where unique_slug's per-record LIKE query scans the table on SQLite.)
    """
    if not names:
        return []
    taken = set(Initiative.objects.values_list("slug", flat=True))
    slugs = []
    for name in names:
        candidate = free_slug(slug_base(name, max_length=SLUG_MAX_LENGTH), taken)
        taken.add(candidate)
        slugs.append(candidate)
    return slugs


def _write_links(changes: list[tuple[int, str, set[int], set[int]]]) -> None:
    """Add and remove tag links in bulk (history is written after, with the final tags)."""
    by_field: dict[str, list] = defaultdict(list)
    for owner, name, wanted, current in changes:
        by_field[name].append((owner, wanted, current))
    for name, rows in by_field.items():
        field_ = Initiative._meta.get_field(name)
        source = field_.m2m_field_name() + "_id"
        target = field_.m2m_reverse_field_name() + "_id"
        through = field_.remote_field.through
        added = [
            through(**{source: owner, target: other})
            for owner, wanted, current in rows
            for other in sorted(wanted - current)
        ]
        through.objects.bulk_create(added, batch_size=1000)
        for owner, wanted, current in rows:
            gone = current - wanted
            if gone:
                through.objects.filter(**{source: owner, f"{target}__in": gone}).delete()


# The import -----------------------------------------------------------------------


def import_initiatives(
    data: bytes, *, filename: str = "the file", dry_run: bool = False, user=None
) -> ImportResult:
    """Check every row of a CSV file in the export's format, then import all of it or nothing.

    Raises ImportRefused listing every problem (by row and column) when any row is
    invalid; then nothing is written. With dry_run, only checks and counts.
    """
    too_big = size_problem(len(data))
    if too_big:
        raise ImportRefused([too_big])
    header, records = read_rows(decode(data))
    positions, problems = map_headers(header)
    if problems:
        raise ImportRefused(problems)
    if not records:
        raise ImportRefused([Problem(None, None, "The file has a header row but no initiatives.")])
    reader = RowReader(positions, Lookups(), problems)
    keys: dict[int, uuid.UUID] = {}
    first_row_of: dict[uuid.UUID, int] = {}
    for number, cells in records:
        key = reader.key(number, cells)
        if key is None:
            continue
        if key in first_row_of:
            problems.append(
                Problem(
                    number,
                    "UUID",
                    f"This UUID is also in row {first_row_of[key]}: each initiative can "
                    "appear once in a file.",
                )
            )
        else:
            first_row_of[key] = number
        keys[number] = key
    existing = existing_initiatives(list(first_row_of))
    rows = []
    for number, cells in records:
        key = keys.get(number)
        current = existing.get(key) if first_row_of.get(key) == number else None
        row = reader.read(number, cells, current)
        if row is not None:
            rows.append(row)
    plan = plan_import(rows, existing, problems)
    if problems:
        raise ImportRefused(sorted(problems, key=lambda p: p.row or 0))
    if dry_run:
        result = ImportResult(
            created=len(plan.creates),
            updated=len(plan.updates),
            unchanged=plan.unchanged,
            organisations_created=len(plan.new_organisations),
            organisations_updated=len(plan.organisation_changes),
            dry_run=True,
        )
        return result
    try:
        with transaction.atomic():
            written = _write(plan, user=user, filename=filename)
            bump_version()
            return written
    except IntegrityError as exc:
        raise ImportRefused(
            [
                Problem(
                    None,
                    None,
                    f"The database refused the import, so nothing was written ({exc}). "
                    "Try again; if it happens again, tell a developer.",
                )
            ]
        ) from exc
