import codecs
import csv
import io
import re
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from initiatives import exports
from initiatives.exports import COLUMNS, FORMULA_TRIGGERS, HEADERS, neutralise, restore
from initiatives.listing.filters import InitiativeFilter
from initiatives.models import Contact, Initiative, OpeningTime, VanguardSite
from tests.factories import curators_group

from ..factories import (
    AreaFactory,
    ConditionFactory,
    FundingLineFactory,
    InitiativeFactory,
    OrganisationFactory,
    PopulationGroupFactory,
    TopicFactory,
    VanguardSiteFactory,
)

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"
EXPORT_URL = "/initiatives/export.csv"


def read_export(response) -> list[dict[str, str]]:
    """The rows of a streamed CSV response, as a spreadsheet or Python's csv module reads them."""
    body = b"".join(response.streaming_content)
    assert body.startswith(codecs.BOM_UTF8), "Excel needs the byte-order mark to read UTF-8"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADERS
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def export(client, params: str = "") -> list[dict[str, str]]:
    response = client.get(f"{EXPORT_URL}{params}")
    assert response.status_code == 200
    return read_export(response)


def test_export_url_is_named():
    assert reverse("initiatives:export_csv") == EXPORT_URL


def test_export_is_a_streamed_csv_download_named_by_date_and_filters(client):
    area = AreaFactory(name="Halton")
    InitiativeFactory(areas=[area])
    response = client.get(f"{EXPORT_URL}?role=service_provider&area=halton&q=ukulele+lessons")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = date.today().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="initiatives-{today}-q-ukulele-lessons'
        '-role-service_provider-area-halton.csv"'
    )
    read_export(response)


def test_filename_without_filters_has_the_date_only(client):
    response = client.get(EXPORT_URL)
    assert response["Content-Disposition"] == (
        f'attachment; filename="initiatives-{date.today().isoformat()}.csv"'
    )


def test_export_has_only_published_records(client):
    InitiativeFactory(name="Open")
    InitiativeFactory(name="Draft", status=Initiative.Status.DRAFT)
    InitiativeFactory(name="Gone", status=Initiative.Status.ARCHIVED)
    assert [row["Name"] for row in export(client)] == ["Open"]


def test_export_has_every_record_of_the_filtered_listing_not_one_page(client):
    parent = AreaFactory(name="Cheshire and Merseyside", kind="icb")
    child = AreaFactory(name="Halton", parent=parent)
    asthma = ConditionFactory(name="Asthma")
    for n in range(45):
        InitiativeFactory(name=f"Match {n:02}", areas=[child], conditions=[asthma])
    InitiativeFactory(name="Wrong role", areas=[child], conditions=[asthma], role="campaigning")
    InitiativeFactory(name="Elsewhere", conditions=[asthma])
    InitiativeFactory(name="Draft", areas=[child], conditions=[asthma], status="draft")

    params = "?role=service_provider&area=cheshire-and-merseyside&condition=asthma"
    names = [row["Name"] for row in export(client, params)]

    assert names == [f"Match {n:02}" for n in range(45)]
    filterset = InitiativeFilter(
        {"role": "service_provider", "area": parent.slug, "condition": [asthma.slug]},
        queryset=Initiative.objects.published(),
    )
    assert names == [initiative.name for initiative in filterset.qs]


def test_export_follows_the_listing_sort(client):
    InitiativeFactory(name="Beta", last_verified_on=date(2025, 1, 1))
    InitiativeFactory(name="Alpha", last_verified_on=date(2024, 1, 1))
    InitiativeFactory(name="Gamma", last_verified_on=None)
    assert [row["Name"] for row in export(client)] == ["Alpha", "Beta", "Gamma"]
    assert [row["Name"] for row in export(client, "?sort=-last_verified_on")] == [
        "Beta",
        "Alpha",
        "Gamma",
    ]


def test_invalid_params_still_export_with_the_valid_filters_applied(client):
    InitiativeFactory(name="Provider")
    InitiativeFactory(name="Campaign", role="campaigning")
    rows = export(client, "?role=campaigning&area=no-such-area&condition=nope&page=-1&sort=x")
    assert [row["Name"] for row in rows] == ["Campaign"]
    rows = export(client, "?role=%00campaigning&role=")
    assert [row["Name"] for row in rows] == ["Campaign"]


def test_params_are_tidied_as_the_listing_tidies_them(client):
    InitiativeFactory(name="Ukulele club")
    InitiativeFactory(name="Choir", role="campaigning")
    # An over-long search is cut to its first 200 characters, as on the listing.
    assert [row["Name"] for row in export(client, "?q=ukulele" + "%20" * 300)] == ["Ukulele club"]
    # A repeated single-valued param: the last one counts.
    assert [row["Name"] for row in export(client, "?role=service_provider&role=campaigning")] == [
        "Choir"
    ]


def test_a_full_record_fills_every_column(client):
    icb = AreaFactory(name="Cheshire and Merseyside", kind="icb", code="E54000008")
    halton = AreaFactory(name="Halton", code="E06000006")
    no_code = AreaFactory(name="Runcorn old town")
    organisation = OrganisationFactory(
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
        organisation=organisation,
        funder_type="nhs",
        funder_name="Halton ICB",
        amount_gbp=625_000,
        share=Decimal("62.50"),
        source="https://example.org/accounts-2025",
        **accounts,
    )
    FundingLineFactory(
        organisation=organisation,
        funder_type="corporate",
        amount_gbp=100_000,
        share=Decimal("10"),
        source="https://example.org/accounts-2025 | https://example.org/news",
        **accounts,
    )
    vanguard = VanguardSiteFactory(
        name="Better Care Together", care_model=VanguardSite.CareModel.PACS
    )
    initiative = InitiativeFactory(
        name="Ukulele lessons",
        summary="Music for wellbeing.",
        organisation=organisation,
        role="both",
        topics=[TopicFactory(name="Arts and health"), TopicFactory(name="Peer support")],
        conditions=[
            ConditionFactory(name="Dementia"),
            ConditionFactory(name="Huntington's disease", is_rare=True),
        ],
        population_groups=[PopulationGroupFactory(name="Older people")],
        areas=[halton, icb, no_code],
        national=False,
        vanguard=vanguard,
        self_referral=True,
        drop_in=True,
        waiting_list=True,
        waiting_list_contact="Ask Sam at reception",
        cost="some_costs",
        cost_detail="\u00a33 a session",
        by_appointment=False,
        opening_notes="Closed on bank holidays",
        languages="English; Welsh",
        step_free_access=True,
        hearing_loop=False,
        accessibility_note="Lift to every floor",
        min_age=16,
        max_age=99,
        lifecycle="running",
        started_in=2016,
        website="https://ukulele.example.org/",
        email="hello@ukulele.example.org",
        phone="01928 123456",
        address="Church Street\nRuncorn",
        postcode="wa7 1ab",
        last_verified_on=date(2025, 3, 1),
    )
    OpeningTime.objects.create(
        initiative=initiative, day="TU", opens_at=time(13), closes_at=time(15)
    )
    OpeningTime.objects.create(
        initiative=initiative, day="MO", opens_at=time(10), closes_at=time(12)
    )
    OpeningTime.objects.create(initiative=initiative, closed=True, valid_from=date(2025, 12, 24))
    Contact.objects.create(
        initiative=initiative, name="Sam Jones", title="Coordinator", phone="+44 1928 654321"
    )
    [row] = export(client)
    assert row == {
        "UUID": str(initiative.uuid),
        "Name": "Ukulele lessons",
        "Public URL": f"http://testserver/initiatives/{initiative.slug}/",
        "Summary": "Music for wellbeing.",
        "Organisation": "Halton Social Enterprise",
        "Legal form": "Community interest company",
        "Charity number": "1054234",
        "Company number": "08123456",
        "Organisation website": "https://halton-se.example.org/",
        "Role": "Both",
        "Topics": "Arts and health; Peer support",
        "Conditions": "Dementia; Huntington's disease",
        "Rare conditions": "Huntington's disease",
        "Population groups": "Older people",
        "Areas served": "Cheshire and Merseyside; Halton; Runcorn old town",
        "Area codes": "E54000008; E06000006; runcorn-old-town",
        "National": "no",
        "Vanguard": "Better Care Together",
        "Care model": "Integrated primary and acute care system",
        "How to access": "Self-referral; Drop-in; Waiting list",
        "Cost": "Some costs",
        "Cost in detail": "\u00a33 a session",
        "Minimum age": "16",
        "Maximum age": "99",
        "Lifecycle": "Running",
        "Year started": "2016",
        "Year ended": "",
        "Funding dependency": "Dependent (largest funder 50-74%)",
        "Largest funder share (%)": "62.5",
        "NHS share (%)": "62.5",
        "Funding lines": (
            "Year to 31 March 2025: Halton ICB (NHS), \u00a3625,000, 62.5% of a total income of "
            "\u00a31,000,000; Year to 31 March 2025: Corporate, \u00a3100,000, 10% of a total "
            "income of \u00a31,000,000"
        ),
        "Funding sources": (
            "https://example.org/accounts-2025; "
            "https://example.org/accounts-2025 | https://example.org/news"
        ),
        "Members": "120",
        "Volunteers": "35",
        "Website": "https://ukulele.example.org/",
        "Email": "hello@ukulele.example.org",
        "Phone": "01928 123456",
        "Address": "Church Street\nRuncorn",
        "Postcode": "WA7 1AB",
        "Contacts": "Sam Jones, Coordinator, 01928 654321",
        "Who to contact to get in": "Waiting list: Ask Sam at reception",
        "Opening times": "Mon 10:00-12:00; Tue 13:00-15:00",
        "Opening exceptions": "Closed on 24 December 2025",
        "By appointment only": "no",
        "Opening notes": "Closed on bank holidays",
        "Languages": "English; Welsh",
        "Step-free access": "yes",
        "Hearing loop": "no",
        "BSL": "",
        "Accessibility in detail": "Lift to every floor",
        "Last verified": "2025-03-01",
        "Last updated": row["Last updated"],
        # Filled only in a file for an area or a postcode (tests/listing/test_serving.py).
        "Serves the place": "",
        "Why it is listed": "",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["Last updated"])


def test_an_initiative_without_organisation_or_vanguard_has_empty_cells(client):
    InitiativeFactory(name="Loose group", organisation=None, national=True)
    [row] = export(client)
    assert row["Organisation"] == row["Legal form"] == row["Vanguard"] == ""
    assert row["Care model"] == row["Members"] == row["Largest funder share (%)"] == ""
    assert row["National"] == "yes"
    assert row["Funding dependency"] == "Not known (no share of income recorded)"


def test_commas_quotes_and_line_breaks_survive_a_round_trip(client):
    awkward = 'Smith, Jones & "Partners"\r\nline two\nline three, "end"'
    InitiativeFactory(name=awkward, summary="a,b;c\"d'e", address="1 High St,\r\nRuncorn")
    [row] = export(client)
    assert row["Name"] == awkward
    assert row["Summary"] == "a,b;c\"d'e"
    assert row["Address"] == "1 High St,\r\nRuncorn"


def test_unicode_survives(client):
    InitiativeFactory(name="Côr Cymunedol — Ynys Môn ✓")
    [row] = export(client)
    assert row["Name"] == "Côr Cymunedol — Ynys Môn ✓"


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_no_cell_can_be_evaluated_as_a_formula(client, trigger):
    def evil(text: str) -> str:
        return f"{trigger}{text}"

    organisation = OrganisationFactory(
        name=evil('HYPERLINK("http://x","y")'),
        charity_number=evil("105423"),
        company_number=evil("0812345"),
    )
    initiative = InitiativeFactory(
        name=evil("cmd|' /C calc'!A0"),
        summary=evil("1+1"),
        organisation=organisation,
        topics=[TopicFactory(name=evil("topic"))],
        conditions=[ConditionFactory(name=evil("rare"), is_rare=True)],
        population_groups=[PopulationGroupFactory(name=evil("group"))],
        areas=[AreaFactory(name=evil("area"), code=evil("E0600"))],
        vanguard=VanguardSiteFactory(name=evil("vanguard")),
        website=evil("http://x.example"),
        email=evil("a@b.example"),
        phone=evil("44 1928 123456"),
        address=evil("1 High Street"),
        postcode=evil("WA71AB"),
        cost_detail=evil("3 a session"),
        opening_notes=evil("ring first"),
        languages=evil("Welsh"),
        accessibility_note=evil("ramp"),
        drop_in=True,
        drop_in_contact=evil("ask"),
    )
    initiative.contacts.create(name=evil("Sam"), phone="01928 123456")
    [row] = export(client)
    for header, cell in row.items():
        assert not cell.startswith(FORMULA_TRIGGERS), f"{header} could run as a formula: {cell!r}"
    text_columns = [
        "Name",
        "Summary",
        "Organisation",
        "Charity number",
        "Company number",
        "Topics",
        "Conditions",
        "Rare conditions",
        "Population groups",
        "Areas served",
        "Area codes",
        "Vanguard",
        "Website",
        "Email",
        "Address",
        "Cost in detail",
        "Opening notes",
        "Accessibility in detail",
        "Contacts",
    ]
    # The phone is stored as a UK number written the usual way, so it cannot start with one.
    for header in text_columns:
        assert row[header].startswith("'" + trigger), header
    assert restore(row["Name"]) == evil("cmd|' /C calc'!A0")


@given(st.text(max_size=30))
def test_restore_gives_back_exactly_what_neutralise_changed(text):
    safe = neutralise(text)
    assert not safe.startswith(FORMULA_TRIGGERS)
    assert restore(safe) == text


def test_export_queries_do_not_grow_with_rows(client, django_assert_max_num_queries):
    topics = TopicFactory.create_batch(2)
    for _ in range(3):
        InitiativeFactory(topics=topics, areas=[AreaFactory()], conditions=[ConditionFactory()])
    with django_assert_max_num_queries(8) as small:
        export(client)
    for _ in range(40):
        InitiativeFactory(topics=topics, areas=[AreaFactory()], conditions=[ConditionFactory()])
    with django_assert_max_num_queries(len(small.captured_queries)):
        rows = export(client)
    assert len(rows) == 43


def test_each_chunk_gets_its_related_values(client, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(exports, "EXPORT_CHUNK_SIZE", 3)
    monkeypatch.setattr(exports, "ROWS_PER_WRITE", 2)
    for n in range(8):
        InitiativeFactory(name=f"Item {n}", topics=[TopicFactory(name=f"Topic {n}")])
    # One query for the rows, then seven prefetches for each chunk of three (tags, areas,
    # opening times, contacts, funding lines).
    with django_assert_max_num_queries(1 + 7 * 3):
        rows = export(client)
    assert [row["Topics"] for row in rows] == [f"Topic {n}" for n in range(8)]


def test_columns_are_unique_and_documented():
    names = [column.name for column in COLUMNS]
    assert len(set(names)) == len(names)
    assert len(set(HEADERS)) == len(HEADERS)
    for column in COLUMNS:
        assert column.meaning.endswith("."), column.name
        assert re.fullmatch(r"[a-z_]+", column.name)


def test_readme_lists_every_column():
    text = README.read_text(encoding="utf-8")
    assert "## CSV export" in text
    for column in COLUMNS:
        assert f"| `{column.name}` | {column.header} | {column.meaning} |" in text, column.name


def test_readme_columns_table_is_current():
    text = README.read_text(encoding="utf-8")
    assert exports.columns_markdown() in text


def test_admin_action_exports_the_selected_records_in_the_same_format(client, django_user_model):

    curator = django_user_model.objects.create_user("curator", is_staff=True)
    curator.groups.add(curators_group())
    client.force_login(curator)
    chosen = [
        InitiativeFactory(name="Draft one", status="draft", topics=[TopicFactory(name="Arts")]),
        InitiativeFactory(name="=Published"),
    ]
    InitiativeFactory(name="Not selected")
    changelist = reverse("admin:initiatives_initiative_changelist")
    assert "Export selected to CSV" in client.get(changelist).content.decode()
    response = client.post(
        changelist,
        {"action": "export_selected_csv", "_selected_action": [i.pk for i in chosen]},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="initiatives-{date.today().isoformat()}-selected.csv"'
    )
    rows = read_export(response)
    assert [row["Name"] for row in rows] == ["'=Published", "Draft one"]
    assert rows[1]["Topics"] == "Arts"
