"""The sourced funding lines in seeds/funding_lines.csv: loaded as the reference gives
them, shares only where the source gives the total, and "not known" never guessed."""

import shutil
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError

from initiatives.models import FundingDependency, FundingLine, Initiative, Organisation

from .seeding import SEEDS, load
from .test_seeds import read_rows, write_rows

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("loaded")
class TestTheSeededFunding:
    def test_every_reference_line_is_loaded(self):
        assert FundingLine.objects.count() == 26
        assert FundingLine.objects.values("organisation").distinct().count() == 16
        assert not FundingLine.objects.filter(source="").exists()

    def test_a_share_only_where_the_source_gives_the_total(self):
        assert not FundingLine.objects.filter(share__isnull=False, total_income_gbp=None).exists()
        mind = FundingLine.objects.get(funder_name="Mind charity shops")
        assert (mind.amount_gbp, mind.share) == (22_800_000, Decimal("38.5"))
        assert mind.total_income_gbp == 59_200_000
        assert mind.financial_year_end == date(2023, 3, 31)
        assert mind.year == 2022

    def test_a_funder_without_a_total_is_known_but_the_band_is_not(self):
        alliance = Organisation.objects.get(slug="health-and-social-care-alliance-scotland")
        lines = list(alliance.funding_lines.all())
        assert len(lines) == 3
        assert all(line.share is None and line.amount_gbp for line in lines)
        assert alliance.funding_dependency == FundingDependency.UNKNOWN
        assert alliance.largest_funder_share is None

    def test_lines_whose_payer_is_not_named_set_no_band(self):
        # 94.5% from "charitable activities": the accounts do not say who paid.
        keyring = Organisation.objects.get(slug="keyring-living-support-networks")
        assert keyring.funding_dependency == FundingDependency.UNKNOWN
        assert keyring.nhs_share is None
        for initiative in keyring.initiatives.all():
            assert initiative.funding_dependency == FundingDependency.UNKNOWN

    def test_named_funders_with_shares_set_the_band(self):
        assert Organisation.objects.get(slug="mind").funding_dependency == "moderate"
        assert Organisation.objects.get(slug="parkrun-uk").largest_funder_share == Decimal("40.2")

    def test_the_page_shows_year_funder_amount_and_source(self, client):
        initiative = (
            Initiative.objects.published()
            .filter(organisation__slug="health-and-social-care-alliance-scotland")
            .first()
        )
        page = client.get(initiative.get_absolute_url()).content.decode()
        assert "Scottish Government (project funding) (central government)" in page
        assert "\u00a32,474,218" in page
        assert "Not known (no total income given)" in page
        assert "https://www.gov.scot/publications/refreshing-health-social-care" in page
        assert "Not known: no source we have gives the share" in page

    def test_insights_tells_not_known_from_diverse(self, client):
        page = client.get("/insights/").content.decode()
        assert "&quot;Not known&quot; is not &quot;diverse&quot;" in page or (
            '"Not known" is not "diverse"' in page
        )
        assert "a funder is recorded with an amount, but without the total income" in page


def test_a_share_without_the_total_is_refused(tmp_path):
    directory = tmp_path / "seeds"
    shutil.copytree(SEEDS, directory)
    path = directory / "funding_lines.csv"
    header, rows = read_rows(path)
    rows[0]["total_income_gbp"] = ""
    write_rows(path, header, rows)
    with pytest.raises(CommandError) as caught:
        load(directory)
    assert "row 2, column share_percent: a share of income needs the total income" in str(
        caught.value
    )
    assert not FundingLine.objects.exists()


# Columns the seeds leave empty in every row, because no seed file or reference
# records them (contacts, ways in, cost and ages come with their own models), or
# because they are filled only in a file for a place, or nobody has checked a record yet.
EMPTY_IN_THE_SEEDS = {
    "How to access",
    "Cost",
    "Minimum age",
    "Maximum age",
    "Members",
    "Volunteers",
    # No sourced mix names the NHS or accounts for all of an income with named payers.
    "NHS share (%)",
    "Email",
    "Phone",
    "Address",
    "Postcode",
    "Last verified",
    "Serves the place",
    "Why it is listed",
    # What someone about to go needs: no source in the reference records any of it.
    "Opening times",
    "Opening exceptions",
    "By appointment only",
    "Opening notes",
    "Who to contact to get in",
    "Cost in detail",
    "Contacts",
    "Languages",
    "Step-free access",
    "Hearing loop",
    "BSL",
    "Accessibility in detail",
}


@pytest.mark.usefixtures("loaded")
class TestTheSeededCsv:
    def test_every_column_with_data_in_the_seeds_is_filled_somewhere(self, client):
        import csv
        import io

        response = client.get("/initiatives/export.csv?include_ended=1")
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        header, *rows = list(csv.reader(io.StringIO(text)))
        assert len(rows) == Initiative.objects.published().count()
        empty = {title for n, title in enumerate(header) if not any(row[n] for row in rows)}
        assert empty == EMPTY_IN_THE_SEEDS
        by_title = [dict(zip(header, row, strict=True)) for row in rows]
        keyring = next(r for r in by_title if r["Company number"] == "03176431")
        assert keyring["Charity number"] == "1054234"
        assert keyring["Funding lines"].startswith("Year to 31 March 2021: Payer not named")
