"""The export reads plain rows (exports.export_records), not model instances: the file
must be the one the initiatives themselves give, cell for cell, whatever each record
holds or lacks, with its reasons for a place, a chunk of rows at a time."""

import codecs
import csv
import io
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from django.test import RequestFactory

from initiatives import caching, exports
from initiatives.exports import HEADERS, export_lines, export_records, with_reasons, xlsx_row
from initiatives.models import Contact, Initiative, OpeningTime, Organisation, VanguardSite

from ..factories import (
    AreaFactory,
    ConditionFactory,
    FundingLineFactory,
    InitiativeFactory,
    OrganisationFactory,
    PopulationGroupFactory,
    PostcodeFactory,
    TopicFactory,
    VanguardSiteFactory,
)

pytestmark = pytest.mark.django_db

EXPORT_URL = "/initiatives/export.csv"
# Files the tests compare, cell for cell: every kind of filter, a place, a postcode.
EXPORTS = [
    "?include_ended=1",
    "?area=halton",
    "?area=cheshire-and-merseyside&include_ended=1",
    "?postcode=WA7+1AB",
    "?q=ukulele",
    "?topic=arts-and-health&role=both",
]
BASE_URL = "http://testserver"


@pytest.fixture
def small_chunks(monkeypatch):
    """Three rows a chunk, so that a handful of records spans several chunks."""
    monkeypatch.setattr(exports, "EXPORT_CHUNK_SIZE", 3)
    monkeypatch.setattr(exports, "ROWS_PER_WRITE", 2)


@pytest.fixture
def register():
    """Records with every column filled, with nothing but a name, with text a spreadsheet
    would run as a formula, one organisation shared across chunks, and one ended."""
    PostcodeFactory(postcode="WA7 1AB")
    icb = AreaFactory(name="Cheshire and Merseyside", kind="icb", code="E54000008")
    halton = AreaFactory(name="Halton", code="E06000006", parent=icb)
    no_code = AreaFactory(name="Runcorn old town", parent=halton)
    wales = AreaFactory(name="Wales", kind="nation", code="W92000004")
    shared = OrganisationFactory(
        name="Halton Social Enterprise",
        legal_form="cic",
        charity_number="1054234",
        company_number="08123456",
        website="https://halton-se.example.org/",
        members=120,
        volunteers=35,
    )
    accounts = {"financial_year_end": date(2025, 3, 31), "year": 2024, "total_income_gbp": 10**6}
    FundingLineFactory(
        organisation=shared,
        funder_type="nhs",
        funder_name="Halton ICB",
        amount_gbp=625_000,
        share=Decimal("62.50"),
        source="https://example.org/accounts-2025",
        **accounts,
    )
    FundingLineFactory(organisation=shared, funder_type="other", share=None, year=None)
    shared.recompute_funding()
    vanguard = VanguardSiteFactory(name="Better Care Together", care_model="pacs")
    topics = [TopicFactory(name="Arts and health"), TopicFactory(name="=Peer support")]
    conditions = [
        ConditionFactory(name="Dementia"),
        ConditionFactory(name="Huntington's", is_rare=True),
    ]
    full = {
        "summary": "Music for wellbeing.",
        "organisation": shared,
        "role": "both",
        "topics": topics,
        "conditions": conditions,
        "population_groups": [PopulationGroupFactory(name="Older people")],
        "vanguard": vanguard,
        "self_referral": True,
        "drop_in": False,
        "waiting_list": True,
        "waiting_list_contact": "+Ask Sam at reception",
        "cost": "some_costs",
        "cost_detail": "\u00a33 a session",
        "by_appointment": False,
        "opening_notes": "Closed on bank holidays",
        "languages": "English; Welsh",
        "step_free_access": True,
        "hearing_loop": False,
        "accessibility_note": "Lift to every floor",
        "min_age": 16,
        "max_age": 99,
        "lifecycle": "running",
        "started_in": 2016,
        "website": "https://ukulele.example.org/",
        "email": "hello@ukulele.example.org",
        "phone": "01928 123456",
        "address": "Church Street,\nRuncorn",
        "postcode": "wa7 1ab",
        "last_verified_on": date(2025, 3, 1),
    }
    records = [
        InitiativeFactory(name="Ukulele lessons", areas=[halton, icb, no_code], **full),
        InitiativeFactory(name="Bare", organisation=None, summary="", last_verified_on=None),
        InitiativeFactory(
            name='=HYPERLINK("https://evil.example")',
            summary="@SUM(A1)",
            address="-1",
            areas=[halton],
            located_in_town="Runcorn",
        ),
        InitiativeFactory(name="Everyone in Wales", areas=[wales], national=True),
        InitiativeFactory(name="The whole UK", national=True, organisation=shared),
        InitiativeFactory(name="In the ICB", areas=[icb], organisation=shared, topics=topics),
        InitiativeFactory(name="Closed down", areas=[halton], lifecycle="ended", ended_in=2020),
        InitiativeFactory(name="'=Quoted", areas=[no_code], **{**full, "vanguard": None}),
    ]
    for record in records[:1] + records[-1:]:
        OpeningTime.objects.create(
            initiative=record, day="TU", opens_at=time(13), closes_at=time(15)
        )
        OpeningTime.objects.create(
            initiative=record, day="MO", opens_at=time(10), closes_at=time(12)
        )
        OpeningTime.objects.create(initiative=record, closed=True, valid_from=date(2025, 12, 24))
        Contact.objects.create(initiative=record, name="Sam Jones", title="Coordinator")
        Contact.objects.create(initiative=record, email="desk@example.org")
    # A change in British Summer Time: the file gives it in UK time.
    Initiative.objects.filter(pk=records[0].pk).update(
        updated_at=datetime(2025, 7, 1, 12, 0, 5, 123456, tzinfo=UTC)
    )
    return records


def as_initiatives_give_it(params: str) -> str:
    """The file as the initiatives from for_export() give it, through the same columns."""
    queryset, _stem, place = exports.filtered_export(RequestFactory().get(EXPORT_URL + params))
    rows = with_reasons(queryset.for_export().iterator(chunk_size=2000), place)
    return "".join(export_lines(rows, base_url=BASE_URL))


def exported(client, params: str) -> str:
    response = client.get(EXPORT_URL + params)
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith(codecs.BOM_UTF8)
    return body.decode("utf-8")


@pytest.mark.parametrize("params", EXPORTS)
def test_the_file_is_the_one_the_initiatives_give_cell_for_cell(
    client, register, small_chunks, params
):
    expected = as_initiatives_give_it(params)
    assert exported(client, params) == expected
    assert len(list(csv.reader(io.StringIO(expected)))) > 1


def test_cells_of_full_bare_and_formula_records(client, register, small_chunks):
    text = exported(client, "?include_ended=1").removeprefix("\ufeff")
    rows = {row["UUID"]: row for row in csv.DictReader(io.StringIO(text))}
    assert list(csv.reader(io.StringIO(text)))[0] == HEADERS
    full, bare, formula, *_rest, quoted = (rows[str(r.uuid)] for r in register)
    assert full["Topics"] == "'=Peer support; Arts and health"
    assert full["Organisation"] == "Halton Social Enterprise"
    assert full["Funding lines"] == (
        "Year to 31 March 2025: Halton ICB (NHS), \u00a3625,000, 62.5% of a total income of "
        "\u00a31,000,000; Year not stated: Payer not named"
    )
    assert full["Who to contact to get in"] == "Waiting list: +Ask Sam at reception"
    assert full["Contacts"] == "Sam Jones, Coordinator; desk@example.org"
    assert full["Last updated"] == "2025-07-01 13:00:05"
    assert full["Opening times"] == "Mon 10:00-12:00; Tue 13:00-15:00"
    assert full["Opening exceptions"] == "Closed on 24 December 2025"
    assert full["How to access"] == "Self-referral; Waiting list"
    assert full["Vanguard"] == "Better Care Together"
    assert full["Care model"] == VanguardSite.CareModel.PACS.label
    assert quoted["Name"] == "''=Quoted"
    assert quoted["Funding lines"] == full["Funding lines"]
    assert formula["Name"] == '\'=HYPERLINK("https://evil.example")'
    assert formula["Summary"] == "'@SUM(A1)"
    assert formula["Address"] == "'-1"
    for column in ("Organisation", "Summary", "Topics", "Funding lines", "Contacts", "Vanguard"):
        assert bare[column] == "", column
    assert bare["Last verified"] == bare["Minimum age"] == bare["By appointment only"] == ""
    assert bare["Funding dependency"] == "Not known (no share of income recorded)"


def test_the_workbook_has_the_same_values_as_the_initiatives_give(register, small_chunks):
    request = RequestFactory().get(EXPORT_URL + "?area=halton&include_ended=1")
    queryset, _stem, place = exports.filtered_export(request)
    page_url = exports.page_url_maker(BASE_URL)
    expected = [
        xlsx_row(row, page_url=page_url)
        for row in with_reasons(queryset.for_export().iterator(chunk_size=2000), place)
    ]
    rows = [
        xlsx_row(row, page_url=page_url) for row in with_reasons(export_records(queryset), place)
    ]
    assert rows == expected
    assert len(rows) == 6  # here, covering, and the nation or UK-wide


def related_rows_for(n: int) -> None:
    for i in range(n):
        organisation = OrganisationFactory(name=f"Organisation {i}")
        FundingLineFactory(organisation=organisation, funder_name=f"Funder {i}")
        initiative = InitiativeFactory(
            name=f"Item {i}",
            organisation=organisation,
            topics=[TopicFactory(name=f"Topic {i}")],
            conditions=[ConditionFactory(name=f"Condition {i}")],
            population_groups=[PopulationGroupFactory(name=f"Group {i}")],
            areas=[AreaFactory(name=f"Area {i}")],
            vanguard=VanguardSiteFactory(name=f"Vanguard {i}"),
        )
        OpeningTime.objects.create(
            initiative=initiative, day="MO", opens_at=time(9), closes_at=time(10 + i)
        )
        Contact.objects.create(initiative=initiative, name=f"Contact {i}")


@pytest.mark.parametrize("records", [3, 9])
def test_queries_are_fixed_per_chunk_whatever_the_rows_hold(
    client, small_chunks, django_assert_max_num_queries, records
):
    related_rows_for(records)
    chunks = records // 3
    # The rows (one query, read a chunk at a time), then for each chunk one query per kind
    # of related row: areas, conditions, topics, population groups, opening times,
    # contacts, funding lines.
    with django_assert_max_num_queries(1 + 7 * chunks):
        text = exported(client, "").removeprefix("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    # Each row has its own related values, whichever chunk it was read in.
    assert [
        (
            row["Name"],
            row["Topics"],
            row["Conditions"],
            row["Population groups"],
            row["Areas served"],
        )
        for row in rows
    ] == [
        (f"Item {i}", f"Topic {i}", f"Condition {i}", f"Group {i}", f"Area {i}")
        for i in range(records)
    ]
    assert [row["Contacts"] for row in rows] == [f"Contact {i}" for i in range(records)]
    assert [row["Opening times"] for row in rows] == [
        f"Mon 09:00-{10 + i}:00" for i in range(records)
    ]
    assert [row["Funding lines"] for row in rows] == [
        f"2025-26: Funder {i} (NHS), 50% of its income" for i in range(records)
    ]
    assert [row["Vanguard"] for row in rows] == [f"Vanguard {i}" for i in range(records)]


@pytest.fixture
def kept_rows(monkeypatch, settings):
    """Rows kept one by one as with Redis (caching.keeps_many_small; here in the local
    cache), and no whole file kept: each export is made, from the rows kept so far."""
    monkeypatch.setattr(caching, "keeps_many_small", lambda: True)
    settings.PAGE_CACHE = False


@pytest.fixture
def rows_made(monkeypatch):
    """The records whose kept cells an export made (not found kept), by name."""
    made: list[str] = []
    real = exports.export_row

    def export_row(record, **kwargs):
        if kwargs.get("readers") is exports.KEPT_READERS:
            made.append(record.name)
        return real(record, **kwargs)

    monkeypatch.setattr(exports, "export_row", export_row)
    return made


@pytest.mark.parametrize("params", EXPORTS)
def test_a_file_made_from_rows_another_export_kept_is_the_same_file(
    client, register, small_chunks, kept_rows, rows_made, params
):
    """Exports of other places keep their rows; this one reads those and makes the
    rest, then reads every row kept: the same file, cell for cell, each time. Only the
    place's two cells are made for each file (a postcode search's rows are made whole:
    their reasons need the distance)."""
    expected = as_initiatives_give_it(params)
    exported(client, "?area=halton")
    exported(client, "?area=wales")
    rows_made.clear()
    assert exported(client, params) == expected
    made_first = list(rows_made)
    assert "Everyone in Wales" not in made_first  # kept by the export for Wales
    rows_made.clear()
    assert exported(client, params) == expected
    assert rows_made == []
    if params != "?postcode=WA7+1AB":
        assert len(made_first) < len(list(csv.reader(io.StringIO(expected)))) - 1


def test_a_change_makes_the_rows_again(client, register, kept_rows, rows_made):
    """Rows are kept under the register's version: after a curator's change, the next
    export makes its rows again, and shows the change."""
    first = exported(client, "?include_ended=1")
    organisation = Organisation.objects.get(name="Halton Social Enterprise")
    organisation.name = "Halton Community Interest Company"
    organisation.save()
    rows_made.clear()
    again = exported(client, "?include_ended=1")
    assert "Halton Social Enterprise" in first
    assert "Halton Social Enterprise" not in again
    assert "Halton Community Interest Company" in again
    assert len(rows_made) == len(list(csv.reader(io.StringIO(again)))) - 1
    assert again == as_initiatives_give_it("?include_ended=1")


def test_a_record_deleted_while_its_file_is_made_is_left_out(
    client, register, kept_rows, monkeypatch
):
    """The ids are read first and the rows not kept after them: a record deleted in
    between is left out of the file, which still ends whole."""
    real = exports.export_records

    def export_records(queryset):
        return (record for record in real(queryset) if record.name != "Bare")

    monkeypatch.setattr(exports, "export_records", export_records)
    expected = as_initiatives_give_it("?include_ended=1").splitlines(keepends=True)
    text = exported(client, "?include_ended=1")
    assert "Bare" not in text
    assert text.splitlines(keepends=True) == [line for line in expected if ",Bare," not in line]


def test_with_a_replica_rows_are_kept_only_once_it_has_caught_up(
    client, register, kept_rows, rows_made, monkeypatch, settings
):
    """Rows made within REPLICA_LAG_SECONDS of a change may come from a replica that has
    not caught up with it: they are not kept for the next export until then."""
    monkeypatch.setattr(caching, "REPLICA_ALIAS", "default")  # as if a replica were set
    settings.REPLICA_LAG_SECONDS = 3600  # every version is younger than this
    exported(client, "?include_ended=1")
    rows = len(rows_made)
    exported(client, "?include_ended=1")
    assert len(rows_made) == 2 * rows  # made again: none was kept
    settings.REPLICA_LAG_SECONDS = 0
    exported(client, "?include_ended=1")
    rows_made.clear()
    exported(client, "?include_ended=1")
    assert rows_made == []
