"""The commissioners' CSV and XLSX exports: the listing's records, every page of them.

Columns are defined once, as data (COLUMNS), and used by the export, the admin
action, the README table and the import that reads the same file back. Rows are
read as plain values, a chunk at a time (export_records: one query for the rows and a
fixed number per chunk for their related rows, no model instances), and stream into a
StreamingHttpResponse, so memory stays flat whatever the number of rows. With
Redis, each row's text is kept for the next export of any place (kept_row_lines). The
XLSX has the same columns, written by openpyxl in write-only mode to a temporary
file (rows never gather in memory), then streamed.
"""

import csv
import hashlib
import io
import re
import tempfile
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.contrib import admin
from django.db import connections
from django.db.models import F, Lookup
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from . import caching
from .areas import TIER_COVERING, TIER_HERE, TIER_NATION
from .caching import revalidated
from .listing.filters import InitiativeFilter
from .listing.params import FILTER_PARAMS, normalise_params
from .models import (
    Contact,
    FundingDependency,
    FundingLine,
    Initiative,
    OpeningTime,
    Organisation,
    VanguardSite,
)
from .opening import COMPACT_FORMAT, exceptions, format_compact
from .services.history import batches
from .wording import funding_line_in_words, place_reason, reason_for

EXPORT_CHUNK_SIZE = 2000
# Rows joined into one piece of the response: fewer, larger writes to the socket.
ROWS_PER_WRITE = 500
MULTI_VALUE_SEPARATOR = "; "
# A spreadsheet may evaluate a cell that starts with one of these (OWASP "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
BYTE_ORDER_MARK = "\ufeff"
# The first characters of the texts neutralise() may change (a quote may hide a trigger).
NEUTRALISED_FIRST = frozenset((*FORMULA_TRIGGERS, "'"))


@dataclass(frozen=True)
class Column:
    """One CSV column: its stable name and header, what it means, and how to read it."""

    name: str
    header: str
    meaning: str
    get: Callable[[Initiative], object]
    # Several values in one cell, joined with MULTI_VALUE_SEPARATOR.
    multiple: bool = False
    # The getter gives the initiative's slug; the export makes it the URL of its page.
    page_url: bool = False
    # For the XLSX, where the value's type matters: a typed value (a datetime where the
    # CSV has its text); `get` serves when absent.
    typed: Callable[[Initiative], object] | None = None


def _names(items: Iterable) -> list[str]:
    return [item.name for item in items]


def _organisation(attribute: str) -> Callable[[Initiative], object]:
    def get(initiative: Initiative) -> object:
        organisation = initiative.organisation
        return getattr(organisation, attribute) if organisation is not None else None

    return get


# Choice labels by value: a dict lookup per cell, where get_FOO_display() costs far more.
ROLE_LABELS = dict(Initiative.Role.choices)
COST_LABELS = dict(Initiative.Cost.choices)
LIFECYCLE_LABELS = dict(Initiative.Lifecycle.choices)
DEPENDENCY_LABELS = dict(FundingDependency.choices)
LEGAL_FORM_LABELS = dict(Organisation.LegalForm.choices)
CARE_MODEL_LABELS = dict(VanguardSite.CareModel.choices)


def _legal_form(initiative: Initiative) -> str:
    organisation = initiative.organisation
    if organisation is None:
        return ""
    return LEGAL_FORM_LABELS.get(organisation.legal_form, organisation.legal_form)


def _care_model(initiative: Initiative) -> str:
    vanguard = initiative.vanguard
    return CARE_MODEL_LABELS.get(vanguard.care_model, "") if vanguard is not None else ""


def _yes_no(name: str) -> Callable[[Initiative], object]:
    """yes, no, or empty when nobody has recorded it."""
    return lambda i: getattr(i, name)


def _ways_in_contacts(initiative: Initiative) -> list[str]:
    return [f"{way['label']}: {way['who']}" for way in initiative.ways_in if way["who"]]


def _contacts(initiative: Initiative) -> list[str]:
    return [
        ", ".join(
            part for part in (contact.name, contact.title, contact.phone, contact.email) if part
        )
        for contact in initiative.contact_list
    ]


def _funding_lines(initiative: Initiative) -> list:
    """The organisation's funding lines, as for_export() prefetched them."""
    organisation = initiative.organisation
    return getattr(organisation, "funding_line_list", []) if organisation is not None else []


def _funding_line_words(initiative: Initiative) -> list[str]:
    """The organisation's funding lines in words, worked out once for each organisation
    (the initiatives of one organisation share it in export_records)."""
    organisation = initiative.organisation
    if organisation is None:
        return []
    words = getattr(organisation, "funding_line_words", None)
    if words is None:
        words = [funding_line_in_words(line) for line in _funding_lines(initiative)]
        organisation.funding_line_words = words
    return words


def _updated_local(initiative: Initiative) -> datetime:
    """The last change in the current time zone (UK time): as export_records converted
    it, once a chunk looking up the zone, or converted here."""
    local = getattr(initiative, "updated_local", None)
    return local if local is not None else timezone.localtime(initiative.updated_at)


def _last_updated(initiative: Initiative) -> str:
    local = _updated_local(initiative)
    if local.year >= 1000:  # the same text as strftime's, at half the cost
        return local.isoformat(" ", "seconds")[:19]
    return local.strftime("%Y-%m-%d %H:%M:%S")


def _last_updated_datetime(initiative: Initiative) -> datetime:
    """UK time without its zone, as a spreadsheet holds a date and time."""
    return _updated_local(initiative).replace(tzinfo=None, microsecond=0)


COLUMNS: list[Column] = [
    Column(
        "uuid",
        "UUID",
        "The record's permanent identifier (also its Open Referral id).",
        lambda i: i.uuid,
    ),
    Column("name", "Name", "The initiative's name.", lambda i: i.name),
    Column(
        "public_url",
        "Public URL",
        "Its page on this site.",
        lambda i: i.slug,
        page_url=True,
    ),
    Column("summary", "Summary", "What it does, in at most 300 characters.", lambda i: i.summary),
    Column("organisation", "Organisation", "The legal body that runs it.", _organisation("name")),
    Column(
        "legal_form",
        "Legal form",
        "The organisation's legal form (registered charity, community interest company, ...).",
        _legal_form,
    ),
    Column(
        "charity_number",
        "Charity number",
        "The organisation's charity number, if any.",
        _organisation("charity_number"),
    ),
    Column(
        "company_number",
        "Company number",
        "The organisation's Companies House number, if any.",
        _organisation("company_number"),
    ),
    Column(
        "organisation_website",
        "Organisation website",
        "The organisation's own website (the initiative's is in Website).",
        _organisation("website"),
    ),
    Column(
        "role",
        "Role",
        "Service provider (delivers services directly), Campaigning group "
        "(informs, advocates, campaigns) or Both.",
        lambda i: ROLE_LABELS.get(i.role, i.role),
    ),
    Column("topics", "Topics", "What it does.", lambda i: _names(i.topic_list), multiple=True),
    Column(
        "conditions",
        "Conditions",
        "Conditions it serves.",
        lambda i: _names(i.condition_list),
        multiple=True,
    ),
    Column(
        "rare_conditions",
        "Rare conditions",
        "Those of its conditions that are rare.",
        lambda i: [c.name for c in i.condition_list if c.is_rare],
        multiple=True,
    ),
    Column(
        "population_groups",
        "Population groups",
        "Who it is for.",
        lambda i: _names(i.population_group_list),
        multiple=True,
    ),
    Column(
        "areas",
        "Areas served",
        "Names of the areas it serves.",
        lambda i: _names(i.area_list),
        multiple=True,
    ),
    Column(
        "area_codes",
        "Area codes",
        "Official ONS or NHS code of each area served, in the "
        "same order (the area's slug where it has no code).",
        lambda i: [a.code or a.slug for a in i.area_list],
        multiple=True,
    ),
    Column(
        "national",
        "National",
        "Whether it serves the whole UK or a whole nation (yes or no).",
        lambda i: i.national,
    ),
    Column(
        "vanguard",
        "Vanguard",
        "The new care models vanguard site it belongs to, if any.",
        lambda i: i.vanguard.name if i.vanguard is not None else None,
    ),
    Column("care_model", "Care model", "That vanguard's care model.", _care_model),
    Column(
        "how_to_access",
        "How to access",
        "Self-referral, Professional referral, Drop-in, Waiting list, Membership: those "
        "recorded as applying (empty when not recorded).",
        lambda i: i.access_routes,
        multiple=True,
    ),
    Column(
        "cost",
        "Cost",
        "Free, Some costs or Paid (empty when not recorded).",
        lambda i: COST_LABELS.get(i.cost, i.cost),
    ),
    Column(
        "cost_detail",
        "Cost in detail",
        "One line on what it costs (empty when not recorded).",
        lambda i: i.cost_detail,
    ),
    Column(
        "min_age",
        "Minimum age",
        "Youngest age served, in years (empty when not recorded).",
        lambda i: i.min_age,
    ),
    Column(
        "max_age",
        "Maximum age",
        "Oldest age served, in years (empty when not recorded or no upper age).",
        lambda i: i.max_age,
    ),
    Column(
        "lifecycle",
        "Lifecycle",
        "Running, Paused, Ended or Planned (empty when not recorded).",
        lambda i: LIFECYCLE_LABELS.get(i.lifecycle, i.lifecycle),
    ),
    Column(
        "started_in", "Year started", "The year it started, where known.", lambda i: i.started_in
    ),
    Column(
        "ended_in",
        "Year ended",
        "The year it ended, where known (ended initiatives are exported only with "
        "include_ended=1).",
        lambda i: i.ended_in,
    ),
    Column(
        "funding_dependency",
        "Funding dependency",
        "How much the organisation depends on its largest single funder: Diverse (under 25%), "
        "Moderate (25-49%), Dependent (50-74%), Highly dependent (75% or more) or Not known "
        "(no source gives a share of its income).",
        lambda i: DEPENDENCY_LABELS.get(i.funding_dependency, i.funding_dependency),
    ),
    Column(
        "largest_funder_share",
        "Largest funder share (%)",
        "Share of the organisation's income from its largest single funder, in percent.",
        lambda i: i.largest_funder_share,
    ),
    Column(
        "nhs_share",
        "NHS share (%)",
        "Share of the organisation's income from the NHS, in percent (empty when its "
        "recorded funding leaves part of its income unaccounted for).",
        lambda i: i.nhs_share,
    ),
    Column(
        "funding_lines",
        "Funding lines",
        "Each recorded line of the organisation's income, the latest first: its year, funder "
        "and amount, with its share of income only where the same source gives the total.",
        _funding_line_words,
        multiple=True,
    ),
    Column(
        "funding_sources",
        "Funding sources",
        "Where each funding line was read, in the same order (several sources of one line "
        "separated by |).",
        lambda i: [line.source for line in _funding_lines(i)],
        multiple=True,
    ),
    Column(
        "members",
        "Members",
        "The organisation's number of members (empty when not recorded).",
        _organisation("members"),
    ),
    Column(
        "volunteers",
        "Volunteers",
        "The organisation's number of volunteers (empty when not recorded).",
        _organisation("volunteers"),
    ),
    Column("website", "Website", "The initiative's website.", lambda i: i.website),
    Column("email", "Email", "Contact email address.", lambda i: i.email),
    Column("phone", "Phone", "Contact phone number.", lambda i: i.phone),
    Column("address", "Address", "Postal address (may span lines).", lambda i: i.address),
    Column("postcode", "Postcode", "Postcode of the address.", lambda i: i.postcode),
    Column(
        "contacts",
        "Contacts",
        "People or desks to contact: name, role, phone, email (edited in the admin; "
        "the import leaves them as they are).",
        _contacts,
        multiple=True,
    ),
    Column(
        "access_contacts",
        "Who to contact to get in",
        "For each way in, who to contact (edited in the admin; the import leaves them as "
        "they are).",
        _ways_in_contacts,
        multiple=True,
    ),
    Column(
        "opening_times",
        "Opening times",
        f"The usual weekly times, such as \u201c{COMPACT_FORMAT}\u201d (empty when not "
        "recorded; dated times and closures are in Opening exceptions).",
        lambda i: format_compact(i.opening_time_list),
    ),
    Column(
        "opening_exceptions",
        "Opening exceptions",
        "Seasonal times and closures, in words (edited in the admin; the import leaves "
        "them as they are).",
        lambda i: exceptions(i.opening_time_list),
        multiple=True,
    ),
    Column(
        "by_appointment",
        "By appointment only",
        "yes or no (empty when not recorded).",
        _yes_no("by_appointment"),
    ),
    Column(
        "opening_notes",
        "Opening notes",
        "What the weekly times cannot say.",
        lambda i: i.opening_notes,
    ),
    Column(
        "languages",
        "Languages",
        "Languages it is delivered in.",
        lambda i: i.language_list,
        multiple=True,
    ),
    Column(
        "step_free_access",
        "Step-free access",
        "yes or no (empty when not recorded).",
        _yes_no("step_free_access"),
    ),
    Column(
        "hearing_loop",
        "Hearing loop",
        "yes or no (empty when not recorded).",
        _yes_no("hearing_loop"),
    ),
    Column(
        "bsl",
        "BSL",
        "British Sign Language: yes or no (empty when not recorded).",
        _yes_no("bsl"),
    ),
    Column(
        "accessibility_note",
        "Accessibility in detail",
        "Anything else about access to the place.",
        lambda i: i.accessibility_note,
    ),
    Column(
        "last_verified",
        "Last verified",
        "Date a curator last checked the record (YYYY-MM-DD).",
        lambda i: i.last_verified_on,
    ),
    Column(
        "last_updated",
        "Last updated",
        "Date and UK time of the record's last change (YYYY-MM-DD HH:MM:SS).",
        _last_updated,
        typed=_last_updated_datetime,
    ),
    Column(
        "serves_place",
        "Serves the place",
        "In a file for an area or a postcode: Here (the place or within it), Covering "
        "(a wider area that includes it) or Nation or UK-wide; empty otherwise.",
        lambda i: getattr(i, "tier_words", ""),
    ),
    Column(
        "why_listed",
        "Why it is listed",
        "In a file for an area or a postcode: why it serves that place, in words.",
        lambda i: getattr(i, "why_listed", ""),
    ),
]

HEADERS = [column.header for column in COLUMNS]
# What export_row reads of each column, ready for the loop over every cell.
CELL_READERS = [(column.get, column.page_url) for column in COLUMNS]


def columns_markdown() -> str:
    """The README's table of columns, generated from COLUMNS so that it stays true."""
    lines = ["| name | header | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{c.name}` | {c.header} | {c.meaning} |" for c in COLUMNS]
    return "\n".join(lines)


def neutralise(text: str) -> str:
    """Make a cell inert in spreadsheets: prefix a single quote to text that could be a formula.

    Leading quotes are looked through, so restore() gives back exactly the original text.
    """
    if not text:
        return text
    first = text[0]
    if first in FORMULA_TRIGGERS or (
        first == "'" and text.lstrip("'").startswith(FORMULA_TRIGGERS)
    ):
        return "'" + text
    return text


def restore(text: str) -> str:
    """Undo neutralise(): the original text of an exported cell (for importing it back)."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def to_text(value: object) -> str:
    """A value as cell text: yes/no, plain decimals, ISO dates, "; " between several values."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return MULTI_VALUE_SEPARATOR.join(to_text(item) for item in value)
    return str(value)


def _joined(values: list) -> str:
    try:
        return MULTI_VALUE_SEPARATOR.join(values)  # texts, as most lists are
    except TypeError:
        return to_text(values)


# to_text() for the commonest exact types of a cell's value, found with one dict lookup
# instead of a chain of isinstance() (export_row falls back to to_text for the others).
TEXT_BY_TYPE: dict[type, Callable[[object], str]] = {
    str: lambda value: value,
    type(None): lambda value: "",
    list: _joined,
    bool: lambda value: "yes" if value else "no",
    int: str,
    UUID: str,
    date: date.isoformat,
    Decimal: lambda value: format(value.normalize(), "f"),
    datetime: datetime.isoformat,
}


def page_url_maker(base_url: str) -> Callable[[str], str]:
    """slug -> absolute URL of the initiative's page, reversing the URL pattern only once."""
    placeholder = "initiative-slug"
    prefix, suffix = reverse("initiatives:detail", args=[placeholder]).split(placeholder)
    return lambda slug: f"{base_url}{prefix}{slug}{suffix}"


def export_row(
    initiative: Initiative, *, page_url: Callable[[str], str], readers=None
) -> list[str]:
    """The CSV cells of one initiative, in COLUMNS order, safe to open in a spreadsheet
    (`readers`: only these of CELL_READERS).

    The initiative is an ExportRecord from export_records(), or an initiative from
    `for_export()`: either has its related rows in lists.
    """
    cells = []
    append = cells.append
    for get, is_page_url in CELL_READERS if readers is None else readers:
        value = get(initiative)
        text = (page_url if is_page_url else TEXT_BY_TYPE.get(value.__class__, to_text))(value)
        # neutralise() changes only a text that starts with one of these.
        if text and text[0] in NEUTRALISED_FIRST:
            text = neutralise(text)
        append(text)
    return cells


class _Echo:
    """A file-like object whose write() returns what it was given (csv.writer -> str)."""

    def write(self, value: str) -> str:
        return value


def export_lines(initiatives: Iterable[Initiative], *, base_url: str) -> Iterator[str]:
    """The CSV file in pieces: a byte-order mark and the header, then rows in batches."""
    writer = csv.writer(_Echo())  # the "excel" dialect: RFC 4180 quoting, CRLF line ends
    page_url = page_url_maker(base_url)
    yield BYTE_ORDER_MARK + writer.writerow(HEADERS)
    batch: list[str] = []
    for initiative in initiatives:
        batch.append(writer.writerow(export_row(initiative, page_url=page_url)))
        if len(batch) >= ROWS_PER_WRITE:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


# Reading the rows ----------------------------------------------------------------
#
# The export reads plain values, not model instances: the initiative's own fields, its
# organisation's and vanguard's in the same row (a join), then for each chunk of rows
# one query per kind of related row (areas, topics, conditions, population groups,
# opening times, contacts, funding lines), grouped by initiative in Python. The same
# COLUMNS getters read these records as they read an initiative from for_export().

# What no column or reason reads stays in the database: the long texts the file leaves
# out, and the record's bookkeeping (a getter that reads one of these fails loudly).
LEFT_OUT_FIELDS = frozenset(
    {
        "description",
        "source_note",
        "curator_note",
        "created_at",
        "status",
        "easting",
        "northing",
        "latitude",
        "longitude",
        "last_verified_by_id",
        "checked_by_provider",
        "notes_in_public_text",
        "version",
    }
)
INITIATIVE_FIELDS = tuple(
    field.attname
    for field in Initiative._meta.concrete_fields
    if field.attname not in LEFT_OUT_FIELDS
)
ORGANISATION_FIELDS = (
    "name",
    "legal_form",
    "charity_number",
    "company_number",
    "website",
    "members",
    "volunteers",
)
VANGUARD_FIELDS = ("name", "slug", "care_model")
# The m2m lists, each as for_export() names it: (field, list attribute, what a row
# needs of each related record).
TAG_LISTS = (
    ("areas", "area_list", ("name", "slug", "code")),
    ("conditions", "condition_list", ("name", "slug", "is_rare")),
    ("topics", "topic_list", ("name", "slug")),
    ("population_groups", "population_group_list", ("name", "slug")),
)
OPENING_TIME_FIELDS = ("closed", "day", "opens_at", "closes_at", "valid_from", "valid_to", "note")
CONTACT_FIELDS = ("name", "title", "phone", "email")
FUNDING_LINE_FIELDS = (
    "funder_type",
    "funder_name",
    "amount_gbp",
    "total_income_gbp",
    "share",
    "financial_year_end",
    "year",
    "source",
)


class _Record:
    """A row's values as attributes."""

    def __init__(self, values: dict):
        self.__dict__ = values


class _FundingLineRecord(namedtuple("_FundingLineRecord", FUNDING_LINE_FIELDS)):
    __slots__ = ()
    period = FundingLine.period


_OpeningTimeRecord = namedtuple("_OpeningTimeRecord", OPENING_TIME_FIELDS)
_ContactRecord = namedtuple("_ContactRecord", CONTACT_FIELDS)


class ExportRecord(_Record):
    """One initiative as the export reads it: the attributes COLUMNS and with_reasons
    read of an initiative from for_export(), and its properties that they use."""

    ACCESS_ROUTES = Initiative.ACCESS_ROUTES
    ACCESS_ROUTE_WORDS = Initiative.ACCESS_ROUTE_WORDS
    access_routes = Initiative.access_routes
    ways_in = Initiative.ways_in
    language_list = Initiative.language_list
    location_town = Initiative.location_town


class _AnyOf(Lookup):
    """`field = ANY(%s::bigint[])`: a whole chunk of ids in one parameter, the array's
    text (PostgreSQL), where `field IN (%s, %s, ...)` costs Django and psycopg work for
    each id."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = "{" + ",".join(map(str, self.rhs)) + "}"
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, ids]


def _among(queryset, field: str, ids: list[int]):
    """The queryset's rows whose `field` is one of `ids`."""
    if connections[queryset.db].vendor == "postgresql":
        return queryset.filter(_AnyOf(F(field), ids))
    return queryset.filter(**{f"{field}__in": ids})


def _by_initiative(rows: Iterable[tuple], make: type[tuple]) -> dict:
    """{key: [record, ...]} from (key, *values) rows, keeping the rows' order."""
    grouped: dict = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(make._make(row[1:]))
    return grouped


def _tag_lists(field_name: str, attributes: tuple, ids: list[int], shared: dict) -> dict:
    """{initiative id: [tag, ...]} for one m2m, in the tag model's order (by name), each
    tag one model instance shared by every row of the export."""
    field = Initiative._meta.get_field(field_name)
    through = field.remote_field.through
    target = field.m2m_reverse_field_name()
    model = field.related_model
    ordering = [f"{target}__{name}" for name in model._meta.ordering] + [f"{target}_id"]
    rows = (
        _among(through.objects.all(), "initiative_id", ids)
        .order_by(*ordering)
        .values_list("initiative_id", f"{target}_id", *(f"{target}__{a}" for a in attributes))
    )
    lists: dict = {}
    for initiative_id, tag_id, *values in rows:
        tag = shared.get((model, tag_id))
        if tag is None:
            tag = model(id=tag_id, **dict(zip(attributes, values, strict=True)))
            shared[(model, tag_id)] = tag
        lists.setdefault(initiative_id, []).append(tag)
    return lists


def export_records(queryset) -> Iterator[ExportRecord]:
    """The queryset's initiatives as ExportRecords, in its order, a chunk at a time: one
    query for the rows (read EXPORT_CHUNK_SIZE at a time) and a fixed number per chunk."""
    annotations = tuple(queryset.query.annotation_select)
    names = INITIATIVE_FIELDS + annotations
    organisation_start = len(names)
    vanguard_start = organisation_start + len(ORGANISATION_FIELDS)
    rows = (
        queryset.prefetch_related(None)
        .values_list(
            *INITIATIVE_FIELDS,
            *annotations,
            *(f"organisation__{name}" for name in ORGANISATION_FIELDS),
            *(f"vanguard__{name}" for name in VANGUARD_FIELDS),
        )
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    )
    id_index = names.index("id")
    shared: dict = {}  # tags and vanguards, one instance each for the whole export
    for chunk in batches(rows, EXPORT_CHUNK_SIZE):
        ids = [row[id_index] for row in chunk]
        tags = {
            attribute: _tag_lists(field_name, fields, ids, shared)
            for field_name, attribute, fields in TAG_LISTS
        }
        opening_times = _by_initiative(
            _among(OpeningTime.objects.all(), "initiative_id", ids).values_list(
                "initiative_id", *OPENING_TIME_FIELDS
            ),
            _OpeningTimeRecord,
        )
        contacts = _by_initiative(
            _among(Contact.objects.all(), "initiative_id", ids).values_list(
                "initiative_id", *CONTACT_FIELDS
            ),
            _ContactRecord,
        )
        organisations: dict = {}
        records = []
        zone = timezone.get_current_timezone()
        for row in chunk:
            record = ExportRecord(dict(zip(names, row[:organisation_start], strict=True)))
            record.updated_local = record.updated_at.astimezone(zone)
            record_id = record.id
            for attribute, lists in tags.items():
                setattr(record, attribute, lists.get(record_id, []))
            record.opening_time_list = opening_times.get(record_id, [])
            record.contact_list = contacts.get(record_id, [])
            organisation_id = record.organisation_id
            if organisation_id is None:
                record.organisation = None
            else:
                organisation = organisations.get(organisation_id)
                if organisation is None:
                    values = row[organisation_start:vanguard_start]
                    organisation = organisations[organisation_id] = _Record(
                        dict(zip(ORGANISATION_FIELDS, values, strict=True))
                    )
                record.organisation = organisation
            vanguard_id = record.vanguard_id
            if vanguard_id is None:
                record.vanguard = None
            else:
                vanguard = shared.get((VanguardSite, vanguard_id))
                if vanguard is None:
                    values = dict(zip(VANGUARD_FIELDS, row[vanguard_start:], strict=True))
                    vanguard = shared[(VanguardSite, vanguard_id)] = VanguardSite(
                        id=vanguard_id, **values
                    )
                record.vanguard = vanguard
            records.append(record)
        funding_lines = _by_initiative(
            _among(FundingLine.objects.all(), "organisation_id", list(organisations)).values_list(
                "organisation_id", *FUNDING_LINE_FIELDS
            ),
            _FundingLineRecord,
        )
        for organisation_id, organisation in organisations.items():
            organisation.funding_line_list = funding_lines.get(organisation_id, [])
        yield from records


TIER_WORDS = {TIER_HERE: "Here", TIER_COVERING: "Covering", TIER_NATION: "Nation or UK-wide"}


def csv_response(queryset, *, filename: str, base_url: str, place=None) -> StreamingHttpResponse:
    """Stream the queryset's initiatives as a CSV download, a chunk of rows at a time.

    With `place` (an areas.ServedPlace), or rows of a postcode search, each row says
    how it serves that place, as the listing does. With Redis, rows made for one export
    are kept for the next (kept_row_lines)."""
    near_point = place is None and "tier" in queryset.query.annotations
    if caching.keeps_many_small() and not near_point:
        lines = kept_row_lines(queryset, place, base_url=base_url)
    else:
        lines = export_lines(with_reasons(export_records(queryset), place), base_url=base_url)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Rows kept for the next export ----------------------------------------------------
#
# Commissioners export many places, and exports of different places share most of
# their rows: every English ICB's file holds the records serving the whole UK, 60% of
# its rows in the generated register. With Redis (caching.keeps_many_small), each row's
# cells but the last two are kept as CSV text under the register's version, so the next
# export reads them instead of reading and writing them again. The last two cells, how
# the row serves the place asked for and why, are the only ones that depend on the
# place: they are made for each export, from the row's areas and where it is located.

# The row's cells kept: all but the last two, "Serves the place" and "Why it is listed"
# (a line is the kept text, a comma, then those two).
PLACE_COLUMNS = ("serves_place", "why_listed")
assert tuple(column.name for column in COLUMNS[-2:]) == PLACE_COLUMNS, "the place's come last"
KEPT_READERS = CELL_READERS[: -len(PLACE_COLUMNS)]
PLACE_READERS = CELL_READERS[-len(PLACE_COLUMNS) :]
# What a row's areas are read with, as export_records reads them.
AREA_TAG_FIELDS = {name: fields for name, _attribute, fields in TAG_LISTS}["areas"]
# What with_reasons() reads of a row for a place (place_reason), besides its areas.
PLACE_FIELDS = ("id", "national", "location_district_id", "location_precision", "located_in_town")


def kept_row_lines(queryset, place, *, base_url: str) -> Iterator[str]:
    """The same CSV as export_lines(with_reasons(export_records(queryset), place)), its
    rows' cells but the place's kept in the cache (caching.kept_many) and made only for
    the rows not kept yet. Not for a postcode search's rows (their reasons need the
    distance)."""
    writer = csv.writer(_Echo())
    page_url = page_url_maker(base_url)
    # What a row's text is made from besides the record: the site's address (the page
    # URLs), the code (a column or its words may change) and the settings.
    made_by = hashlib.blake2b(
        "\n".join([base_url, caching.release(), caching.settings_digest()]).encode(),
        digest_size=8,
    ).hexdigest()
    # The version first, then the rows: none is kept under a version newer than it. With a
    # read replica, rows are kept only once it has caught up with that version.
    current = caching.version()
    keep = caching.settled(current)
    prefix = f"csv-row:{current}:{made_by}"
    yield BYTE_ORDER_MARK + writer.writerow(HEADERS)
    rows = (
        queryset.prefetch_related(None)
        .values_list(*PLACE_FIELDS)
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    )
    shared: dict = {}
    for chunk in batches(rows, EXPORT_CHUNK_SIZE):
        ids = [row[0] for row in chunk]
        kept = caching.kept_many(prefix, ids)
        missing = [pk for pk in ids if pk not in kept]
        areas: dict = {}  # the rows' areas, for the place's cells
        if missing:
            made = {}
            for record in export_records(
                _among(Initiative.objects.order_by(), "id", missing)  # any order: by id
            ):
                made[record.id] = writer.writerow(
                    export_row(record, page_url=page_url, readers=KEPT_READERS)
                ).removesuffix("\r\n")
                areas[record.id] = record.area_list
            if keep:
                caching.keep_many(prefix, made)
            kept.update(made)
        if place is not None:
            read = [pk for pk in ids if pk not in areas]
            if read:
                areas.update(_tag_lists("areas", AREA_TAG_FIELDS, read, shared))
        records = []
        for row in chunk:
            record = ExportRecord(dict(zip(PLACE_FIELDS, row, strict=True)))
            record.area_list = areas.get(record.id, [])
            records.append(record)
        lines = []
        for record in with_reasons(records, place):
            text = kept.get(record.id)
            if text is None:  # deleted since the ids were read: gone from the register
                continue
            place_cells = export_row(record, page_url=page_url, readers=PLACE_READERS)
            lines.append(f"{text},{writer.writerow(place_cells)}")
            if len(lines) >= ROWS_PER_WRITE:
                yield "".join(lines)
                lines = []
        if lines:
            yield "".join(lines)


def rows_csv_response(rows: Iterable[Iterable[object]], *, filename: str) -> HttpResponse:
    """A small table (its first row the header) as a CSV download: UTF-8 with a byte-order
    mark, the "excel" dialect as the export, and every cell made inert in spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([neutralise(to_text(value)) for value in row])
    response = HttpResponse(
        BYTE_ORDER_MARK + buffer.getvalue(), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


MAX_FILENAME_PART = 40


def with_reasons(rows: Iterable[Initiative], place) -> Iterator[Initiative]:
    """Each row with `tier_words` and `why_listed` for the place it was found for."""
    for row in rows:
        if place is not None:
            tier, row.why_listed = place_reason(
                place, row.area_list, national=row.national, initiative=row
            )
            row.tier_words = TIER_WORDS.get(tier, "")
        elif getattr(row, "tier", None) is not None:  # a postcode search's annotations
            row.tier_words = TIER_WORDS.get(row.tier, "")
            row.why_listed = reason_for(row, near_point=True)
        yield row


def export_filename(params, cleaned_data: dict, *, today: date | None = None) -> str:
    """initiatives-<date>[-<filter>-<value>...].csv, naming the filters that applied.

    The values are the params as given (slugs, words), so any kind of filter reads well.
    """
    parts = ["initiatives", (today or timezone.localdate()).isoformat()]
    for name in FILTER_PARAMS:
        if not cleaned_data.get(name):
            continue
        text = "-".join(slugify(value) for value in params.getlist(name))
        text = text[:MAX_FILENAME_PART].strip("-")
        if text:
            parts += [slugify(name), text]
    return "-".join(parts) + ".csv"


def site_base_url(request) -> str:
    """scheme://host of this request, to make the public URLs absolute."""
    return request.build_absolute_uri("/").rstrip("/")


def filtered_export(request) -> tuple:
    """The listing's records for the request's params, as both exports read them: the
    queryset, the file name without its extension, and the place (an
    areas.ServedPlace) each row's reason is for.

    The params are tidied and judged exactly as the listing does it: invalid ones
    are dropped and the valid filters still apply.
    """
    params, _notices, _had_empty = normalise_params(request.GET)
    filterset = InitiativeFilter(params, queryset=Initiative.objects.published())
    queryset = filterset.qs
    cleaned = getattr(filterset.form, "cleaned_data", {})
    stem = export_filename(params, cleaned).removesuffix(".csv")
    place = None if cleaned.get("postcode") else filterset.area_place()
    return queryset, stem, place


@revalidated
def export_csv(request):
    """/initiatives/export.csv: the listing's records for the same params, every page of them."""
    queryset, stem, place = filtered_export(request)
    return csv_response(
        queryset, filename=f"{stem}.csv", base_url=site_base_url(request), place=place
    )


def export_xlsx(request):
    """/initiatives/export.xlsx: the same records and columns as export.csv."""
    queryset, stem, place = filtered_export(request)
    return xlsx_response(
        queryset, filename=f"{stem}.xlsx", base_url=site_base_url(request), place=place
    )


# XLSX --------------------------------------------------------------------------

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Control characters a workbook cannot hold (openpyxl refuses them): as
# openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE, without importing openpyxl for every page.
XLSX_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
# Column widths in characters: wide for text people read, narrow for figures.
XLSX_WIDE = {"name", "summary", "organisation", "areas", "funding_lines", "why_listed"}


def xlsx_cell_value(value: object, *, page_url: str | None = None) -> object:
    """A value as an XLSX cell holds it: numbers as numbers, dates as dates, and every
    text (identifiers included) as text, made inert like the CSV's (neutralise) and
    without the control characters a workbook cannot hold."""
    if page_url is not None:
        return page_url
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value
    return neutralise(XLSX_ILLEGAL_CHARACTERS.sub("", to_text(value)))


def xlsx_row(initiative: Initiative, *, page_url: Callable[[str], str]) -> list:
    """The cell values of one initiative, in COLUMNS order.

    Plain values, which openpyxl types itself: str as text (a neutralised text never
    starts with "=", which openpyxl would take for a formula), numbers as numbers,
    dates and datetimes as dates with a date format.
    """
    values = []
    for column in COLUMNS:
        raw = (column.typed or column.get)(initiative)
        values.append(xlsx_cell_value(raw, page_url=page_url(raw) if column.page_url else None))
    return values


def write_xlsx(initiatives: Iterable[Initiative], handle, *, base_url: str) -> int:
    """Write the workbook to `handle` (a binary file); returns the number of rows.

    Write-only mode: each row goes to a temporary file as it is appended, so memory
    stays flat whatever the number of rows. The header row is frozen and filtered.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Initiatives")
    for index, column in enumerate(COLUMNS, start=1):
        width = 40 if column.name in XLSX_WIDE else max(12, min(len(column.header) + 2, 24))
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title in HEADERS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        cell.data_type = "s"
        header.append(cell)
    sheet.append(header)
    page_url = page_url_maker(base_url)
    rows = 0
    for initiative in initiatives:
        sheet.append(xlsx_row(initiative, page_url=page_url))
        rows += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{rows + 1}"
    workbook.save(handle)
    return rows


def xlsx_response(queryset, *, filename: str, base_url: str, place=None) -> FileResponse:
    """The queryset's initiatives as an XLSX download, as csv_response gives the CSV.

    The workbook is written to a temporary file (a zip needs its end before it can be
    sent), which is then streamed and removed when the response closes.
    """
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    write_xlsx(with_reasons(export_records(queryset), place), handle, base_url=base_url)
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


@admin.action(description="Export selected to CSV")
def export_selected_csv(modeladmin, request, queryset):
    """Admin action: the selected initiatives (any status) in the export's format."""
    filename = f"initiatives-{timezone.localdate().isoformat()}-selected.csv"
    return csv_response(
        queryset.order_by("name", "pk"), filename=filename, base_url=site_base_url(request)
    )


__all__ = [
    "COLUMNS",
    "HEADERS",
    "MULTI_VALUE_SEPARATOR",
    "Column",
    "csv_response",
    "export_csv",
    "export_row",
    "export_xlsx",
    "export_selected_csv",
    "neutralise",
    "restore",
]
