"""/initiatives/export.xlsx: the CSV's records and columns, as a workbook a spreadsheet
reads with identifiers as text, dates as dates, and nothing that runs as a formula."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from initiatives.exports import HEADERS

from ..factories import AreaFactory, InitiativeFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def workbook(client, params: str = ""):
    response = client.get(f"/initiatives/export.xlsx{params}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    content = b"".join(response.streaming_content)
    return response, load_workbook(io.BytesIO(content))


def csv_rows(client, params: str = "") -> list[list[str]]:
    import csv

    response = client.get(f"/initiatives/export.csv{params}")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_same_records_and_columns_as_the_csv_for_the_same_params(client):
    halton = AreaFactory(name="Halton", code="E06000006")
    InitiativeFactory(name="Ukulele lessons", areas=[halton])
    InitiativeFactory(name="Litter picking", areas=[halton], role="campaigning")
    InitiativeFactory(name="Elsewhere")
    params = f"?area={halton.slug}&role=service_provider"
    response, book = workbook(client, params)
    sheet = book["Initiatives"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    csv = csv_rows(client, params)
    assert [row[1] for row in rows[1:]] == [row[1] for row in csv[1:]] == ["Ukulele lessons"]
    assert rows[1][HEADERS.index("Serves the place")] == "Here"
    assert 'filename="initiatives-' in response["Content-Disposition"]
    assert "role-service_provider" in response["Content-Disposition"]
    assert response["Content-Disposition"].endswith('.xlsx"')


def test_identifiers_are_text_dates_are_dates_and_the_header_is_frozen_and_filtered(client):
    organisation = OrganisationFactory(company_number="03176431", charity_number="1054234")
    initiative = InitiativeFactory(
        organisation=organisation,
        min_age=16,
        last_verified_on=date(2025, 3, 1),
        postcode="WA7 1AB",
    )
    _response, book = workbook(client)
    sheet = book["Initiatives"]
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, sheet[2], strict=True))
    assert row["Company number"].value == "03176431"
    assert row["Company number"].data_type == "s"
    assert row["Charity number"].value == "1054234"
    assert row["UUID"].value == str(initiative.uuid)
    assert row["Last verified"].value == datetime(2025, 3, 1)
    assert row["Last verified"].is_date
    assert row["Last updated"].is_date
    assert row["Minimum age"].value == 16
    assert row["Maximum age"].value is None
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(HEADERS)).column_letter}2"


def test_the_company_number_keeps_its_zero_in_the_csv_too(client):
    InitiativeFactory(organisation=OrganisationFactory(company_number="03176431"))
    header, row = csv_rows(client)
    assert row[header.index("Company number")] == "03176431"


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil")', "+1", "-2+3", "@SUM(A1)"])
def test_text_that_could_run_as_a_formula_is_inert(client, text):
    InitiativeFactory(name=text, summary=f"{text}\x0b control character")
    _response, book = workbook(client)
    sheet = book["Initiatives"]
    name = sheet.cell(2, HEADERS.index("Name") + 1)
    assert name.data_type == "s"
    assert name.value == "'" + text
    summary = sheet.cell(2, HEADERS.index("Summary") + 1).value
    assert summary == "'" + text + " control character"


def test_shares_are_numbers(client):
    from ..factories import FundingLineFactory

    organisation = OrganisationFactory()
    FundingLineFactory(organisation=organisation, funder_type="nhs", share=Decimal("62.5"))
    InitiativeFactory(organisation=organisation)
    _response, book = workbook(client)
    sheet = book["Initiatives"]
    assert sheet.cell(2, HEADERS.index("NHS share (%)") + 1).value == 62.5


def test_an_invalid_param_is_dropped_as_on_the_listing(client):
    InitiativeFactory(name="Kept")
    _response, book = workbook(client, "?role=bogus&distance_km=abc")
    assert [row[1] for row in book["Initiatives"].iter_rows(min_row=2, values_only=True)] == [
        "Kept"
    ]


def test_the_listing_links_the_xlsx_beside_the_csv(client):
    InitiativeFactory(name="Walks", role="campaigning")
    page = client.get("/initiatives/?role=campaigning").content.decode()
    assert 'href="/initiatives/export.csv?role=campaigning"' in page
    assert 'href="/initiatives/export.xlsx?role=campaigning"' in page


def test_bounded_queries(client, django_assert_max_num_queries):
    for n in range(5):
        InitiativeFactory(name=f"Item {n}")
    with django_assert_max_num_queries(8):
        workbook(client)
