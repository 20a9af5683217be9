"""Say only what is known: an unrecorded field is shown as "Not recorded" or left out,
curator notes stay with curators, and ended initiatives are kept but set apart."""

import codecs
import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from initiatives.models import Initiative

from ..factories import AreaFactory, InitiativeFactory
from .support import MAX_DETAIL_QUERIES, text

pytestmark = pytest.mark.django_db

EXPORT_URL = "/initiatives/export.csv"
API = "/api/v1"
# Words a page, a file or a record would use to claim something about a field.
CLAIMS = ["All ages", "Anyone", "Not specific to a condition", "Not part of a vanguard"]


def export_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def nothing_recorded(**values) -> Initiative:
    """A published record with only what a record cannot be without: a name and a role."""
    return InitiativeFactory(
        name="Bare record",
        slug="bare-record",
        organisation=None,
        summary="",
        last_verified_on=None,
        **values,
    )


class TestARecordWithNothingRecorded:
    def test_every_field_on_the_page_says_not_recorded_or_is_left_out(self, client):
        initiative = nothing_recorded()
        page = text(client.get(initiative.get_absolute_url()))
        for claim in CLAIMS:
            assert claim not in page
        rows = dict(re.findall(r"<dt>([^<]+)</dt>\s*<dd[^>]*>\s*(.*?)\s*</dd>", page, flags=re.S))
        for label in [
            "Status",
            "What it does",
            "Who it is for",
            "Conditions",
            "Ages",
            "Areas served",
            "Cost",
            "Languages",
            "Accessibility",
        ]:
            assert rows[label] == "Not recorded", label
        assert rows["Ways in"] == "Not recorded: contact them to ask"
        assert '<p id="opening-times-unknown">Not recorded.</p>' in page
        for claim in ("Open now", "Closed now", "appointment", "Waiting list", "Step-free"):
            assert claim not in page, claim
        assert "Know how to reach them? Tell us" in page
        assert "Vanguard" not in rows
        assert "No contact details recorded." in page
        assert "Not checked yet." in page
        assert "Who runs it" not in page
        # Nothing is said as if someone had recorded it.
        assert "Self-referral" not in page and "Ended" not in page and "Running" not in page

    def test_the_csv_leaves_every_unrecorded_cell_empty(self, client):
        nothing_recorded()
        [row] = export_rows(client.get(EXPORT_URL))
        filled = {header for header, value in row.items() if value}
        # Name, role, its identity and page, and what every record has.
        assert filled == {
            "UUID",
            "Name",
            "Public URL",
            "Role",
            "National",
            "Funding dependency",
            "Last updated",
        }
        assert row["National"] == "no"
        assert row["Funding dependency"].startswith("Not known")

    def test_the_xlsx_leaves_the_same_cells_empty_as_the_csv(self, client):
        from openpyxl import load_workbook

        nothing_recorded()
        [csv_row] = export_rows(client.get(EXPORT_URL))
        response = client.get("/initiatives/export.xlsx")
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        header, row = [[cell.value for cell in r] for r in sheet.iter_rows(max_row=2)]
        filled = {
            title for title, value in zip(header, row, strict=True) if value not in (None, "")
        }
        assert filled == {title for title, value in csv_row.items() if value}
        assert "National" in filled and "Funding dependency" in filled

    def test_the_api_leaves_every_unrecorded_field_out(self, client):
        initiative = nothing_recorded()
        service = client.get(f"{API}/services/{initiative.uuid}").json()
        assert set(service) == {"id", "name", "status", "last_modified", "attributes"}
        # Its role, and its funding dependency as the explicit "Not known" term.
        terms = {a["link_type"]: a["taxonomy_term"]["name"] for a in service["attributes"]}
        assert set(terms) == {"role", "funding_dependency"}
        assert terms["funding_dependency"].startswith("Not known")
        [listed] = client.get(f"{API}/services").json()["contents"]
        assert set(listed) == {"id", "name", "status", "last_modified"}

    def test_a_record_for_all_ages_still_says_so(self, client):
        initiative = nothing_recorded(min_age=0)
        page = text(client.get(initiative.get_absolute_url()))
        assert re.search(r"<dt>Ages</dt>\s*<dd>All ages</dd>", page)

    def test_ways_in_recorded_as_none_of_the_four_are_not_called_unrecorded(self, client):
        initiative = nothing_recorded(
            self_referral=False, professional_referral=False, drop_in=False, membership=False
        )
        page = text(client.get(initiative.get_absolute_url()))
        for way in (
            "Self-referral",
            "Referral by a GP or social prescriber",
            "Drop-in",
            "Membership",
        ):
            assert f"{way}: not offered" in page
        assert "Waiting list" not in page
        assert "Not recorded: contact them to ask" not in page


class TestCuratorNotes:
    NOTE = "Allotment work not confirmed in stored sources: check with KeyRing."

    def test_are_never_published_searched_exported_or_sent(self, client):
        initiative = InitiativeFactory(
            name="KeyRing network",
            summary="Neighbours who help each other.",
            curator_note=self.NOTE,
        )
        page = text(client.get(initiative.get_absolute_url()))
        assert "not confirmed" not in page and "Allotment" not in page
        listing = text(client.get("/initiatives/?q=allotments"))
        assert "KeyRing network" not in listing
        assert "KeyRing network" in text(client.get("/initiatives/?q=neighbours"))
        assert "Allotment" not in b"".join(client.get(EXPORT_URL).streaming_content).decode()
        assert "Allotment" not in client.get(f"{API}/services/{initiative.uuid}").content.decode()
        assert client.get(f"{API}/services?search=allotments").json()["total_items"] == 0


class TestLifecycle:
    def test_an_ended_initiative_keeps_its_page_and_says_when_it_ended(self, client):
        initiative = InitiativeFactory(
            name="Vanguard pilot", lifecycle="ended", started_in=2016, ended_in=2019
        )
        with CaptureQueriesContext(connection) as queries:
            page = text(client.get(initiative.get_absolute_url()))
        assert len(queries) <= MAX_DETAIL_QUERIES
        assert "Ended in 2019 (started in 2016)" in page
        assert "This initiative no longer runs" in page

    def test_an_ended_initiative_without_a_year_does_not_invent_one(self, client):
        initiative = InitiativeFactory(lifecycle="ended")
        assert "Ended (year not recorded)" in text(client.get(initiative.get_absolute_url()))

    def test_a_start_year_alone_does_not_claim_it_still_runs(self, client):
        initiative = InitiativeFactory(started_in=2013)
        page = text(client.get(initiative.get_absolute_url()))
        assert "Started in 2013; whether it still runs is not recorded" in page

    def test_ended_initiatives_leave_the_listing_until_asked_for(self, client):
        InitiativeFactory(name="Still running", lifecycle="running")
        InitiativeFactory(name="Unrecorded lifecycle")
        InitiativeFactory(name="Old pilot", lifecycle="ended", ended_in=2018)
        default = text(client.get("/initiatives/"))
        assert "Still running" in default and "Unrecorded lifecycle" in default
        assert "Old pilot" not in default
        assert "<strong>2</strong> initiatives found" in default
        included = text(client.get("/initiatives/?include_ended=1"))
        assert "Old pilot" in included and "Ended in 2018" in included
        assert "<strong>3</strong> initiatives found" in included
        assert 'name="include_ended" value="1"' in included
        assert re.search(r'id="include_ended"[^>]*checked', included)
        assert "Including: ended initiatives" in included

    def test_a_bad_include_ended_value_is_named_and_ended_ones_stay_out(self, client):
        InitiativeFactory(name="Old pilot", lifecycle="ended")
        response = client.get("/initiatives/?include_ended=yes")
        assert response.status_code == 200
        page = text(response)
        assert "is not a choice for ended initiatives" in page
        assert "Old pilot" not in page

    def test_the_csv_and_the_api_honour_the_same_param(self, client):
        InitiativeFactory(name="Running")
        ended = InitiativeFactory(name="Ended", lifecycle="ended", ended_in=2019)
        assert [r["Name"] for r in export_rows(client.get(EXPORT_URL))] == ["Running"]
        rows = export_rows(client.get(f"{EXPORT_URL}?include_ended=1"))
        assert [(r["Name"], r["Lifecycle"], r["Year ended"]) for r in rows] == [
            ("Ended", "Ended", "2019"),
            ("Running", "", ""),
        ]
        names = [s["name"] for s in client.get(f"{API}/services").json()["contents"]]
        assert names == ["Running"]
        services = client.get(f"{API}/services?include_ended=1").json()["contents"]
        assert [(s["name"], s["status"]) for s in services] == [
            ("Ended", "defunct"),
            ("Running", "active"),
        ]
        detail = client.get(f"{API}/services/{ended.uuid}").json()
        assert (detail["status"], detail["alert"]) == ("defunct", "Ended in 2019.")

    def test_area_pages_and_home_figures_count_only_current_provision(self, client):
        halton = AreaFactory(name="Halton", slug="halton")
        InitiativeFactory(name="Current one", areas=[halton])
        InitiativeFactory(name="Ended one", areas=[halton], lifecycle="ended")
        area_page = text(client.get("/areas/halton/"))
        assert "Current one" in area_page and "Ended one" not in area_page
        assert "1 published initiative in the register" in text(client.get("/"))
