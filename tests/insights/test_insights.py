"""The insights page: every figure checked exactly on a small known register."""

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from initiatives import caching
from initiatives.insights.figures import condition_icb_counts
from initiatives.insights.page import TABLES, Insights, Sections, warm_insights
from initiatives.insights.scope import Scope
from initiatives.models import (
    Area,
    FundingLine,
    Initiative,
    InitiativeAreaClosure,
    VanguardSite,
)

from ..factories import (
    AreaFactory,
    ConditionFactory,
    FundingLineFactory,
    InitiativeFactory,
    OrganisationFactory,
    PostcodeFactory,
    VanguardSiteFactory,
)

pytestmark = pytest.mark.django_db

SP, CAMP, BOTH = Initiative.Role.SERVICE_PROVIDER, Initiative.Role.CAMPAIGNING, Initiative.Role.BOTH
# Counted afresh: one lookup per param, then the figures and the lists to choose from,
# and on PostgreSQL the figures' own time limit set and put back (2). The register's
# headline is the facet tally's read and a count of those verified lately (2, where
# one statement counted them all from the records, taking 0.5 s at a million); the ICBs
# each condition is served in, the tally's pairs and the records only based in an ICB
# (2, where one statement took 1.8 s at a million).
PAGE_QUERY_LIMIT = 28


class World:
    """A small register whose every figure is worked out by hand in the tests."""

    def __init__(self):
        kind = Area.Kind
        self.england = AreaFactory(name="England", slug="england", kind=kind.NATION)
        self.region = AreaFactory(
            name="North West", slug="north-west", kind=kind.NHS_REGION, parent=self.england
        )
        self.icb_a = AreaFactory(name="ICB Alpha", slug="icb-a", kind=kind.ICB, parent=self.region)
        self.icb_b = AreaFactory(name="ICB Beta", slug="icb-b", kind=kind.ICB, parent=self.region)
        self.a1 = AreaFactory(name="Halton", slug="halton", parent=self.icb_a)
        self.a2 = AreaFactory(name="Knowsley", slug="knowsley", parent=self.icb_a)
        # A district split between the two ICBs: parent A, other parent B.
        self.split = AreaFactory(name="Splitshire", slug="splitshire", parent=self.icb_a)
        self.split.other_parents.add(self.icb_b)
        self.b1 = AreaFactory(name="Bolton", slug="bolton", parent=self.icb_b)

        self.rare1 = ConditionFactory(name="Rare one", slug="rare-one", is_rare=True)
        self.rare2 = ConditionFactory(name="Rare two", slug="rare-two", is_rare=True)
        self.common = ConditionFactory(name="Common", slug="common")

        care = VanguardSite.CareModel
        self.v1 = VanguardSiteFactory(name="Vanguard One", slug="v-one", care_model=care.MCP)
        self.v2 = VanguardSiteFactory(name="Vanguard Two", slug="v-two", care_model=care.PACS)
        self.v2.areas.add(self.a2)
        self.v3 = VanguardSiteFactory(name="Vanguard Three", slug="v-three", care_model=care.UEC)

        nhs, lottery = FundingLine.FunderType.NHS, FundingLine.FunderType.NATIONAL_LOTTERY
        self.org1 = OrganisationFactory(name="Org one", members=100, volunteers=10)
        FundingLineFactory(organisation=self.org1, funder_type=nhs, share=Decimal("80"))
        self.org2 = OrganisationFactory(name="Org two", volunteers=5)
        FundingLineFactory(organisation=self.org2, funder_type=nhs, share=Decimal("30"))
        FundingLineFactory(organisation=self.org2, funder_type=lottery, share=Decimal("20"))
        self.org3 = OrganisationFactory(name="Org three", members=50)
        self.org4 = OrganisationFactory(name="Org four")
        FundingLineFactory(organisation=self.org4, funder_type=lottery, share=Decimal("60"))
        for org in (self.org1, self.org2, self.org4):
            org.refresh_from_db()

        long_ago = date.today() - timedelta(days=400)
        self.i1 = InitiativeFactory(
            name="One",
            organisation=self.org1,
            role=SP,
            areas=[self.a1],
            conditions=[self.rare1, self.common],
            vanguard=self.v1,
        )
        self.i2 = InitiativeFactory(
            name="Two",
            organisation=self.org1,
            role=CAMP,
            areas=[self.split],
            conditions=[self.common],
        )
        self.i3 = InitiativeFactory(
            name="Three",
            organisation=self.org2,
            role=BOTH,
            areas=[self.icb_a],
            conditions=[self.common],
            last_verified_on=long_ago,
        )
        self.i4 = InitiativeFactory(
            name="Four",
            organisation=self.org3,
            role=CAMP,
            areas=[self.b1],
            conditions=[self.rare2],
            vanguard=self.v2,
        )
        self.i5 = InitiativeFactory(
            name="Five",
            organisation=self.org4,
            role=SP,
            areas=[self.england],
            last_verified_on=None,
        )
        # Not published: in no figure anywhere.
        draft_org = OrganisationFactory(name="Draft org", members=1000)
        InitiativeFactory(
            name="Draft",
            organisation=draft_org,
            status=Initiative.Status.DRAFT,
            areas=[self.a2],
            conditions=[self.rare2],
            vanguard=self.v1,
        )
        InitiativeFactory(
            name="Archived",
            organisation=self.org4,
            status=Initiative.Status.ARCHIVED,
            role=CAMP,
            areas=[self.a1, self.b1],
            conditions=[self.rare1, self.rare2],
        )


@pytest.fixture
def world():
    return World()


def rows_of(table):
    """A table as plain values, row by row."""
    return [[cell.value for cell in row] for row in table.rows]


def text(response) -> str:
    return response.content.decode()


def read_csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


# --- figures -----------------------------------------------------------------


class TestHeadline:
    def test_an_icb_counts_its_own_initiatives_organisations_and_people(self, world):
        here = Insights(Scope(area=world.icb_a)).here
        assert here.initiatives == 3  # One, Two (split district), Three (the ICB itself)
        assert here.organisations == 2
        assert (here.members, here.members_known) == (100, 1)
        assert (here.volunteers, here.volunteers_known) == (15, 2)
        assert here.verified == 2
        assert here.verified_share == Decimal("67")
        assert here.highly_dependent == 2
        assert (here.funding_known, here.nhs_share, here.nhs_funded) == (2, Decimal("55"), 2)

    def test_the_whole_register_leaves_out_drafts_and_archived_records(self, world):
        register = Insights(Scope()).here
        assert register.initiatives == 5
        assert register.organisations == 4
        assert register.members == 150  # not the draft organisation's 1000
        assert register.verified == 3
        assert register.verified_share == Decimal("60")
        # Three organisations have funding; Four's one line (60% from the Lottery) leaves
        # 40% of its income unaccounted for, so its NHS share is not known, not 0%:
        # the average is over the other two, (80 + 30) / 2.
        assert (
            register.funding_known,
            register.nhs_known,
            register.nhs_share,
            register.nhs_funded,
        ) == (3, 2, Decimal("55"), 2)

    def test_ended_initiatives_are_counted_apart_from_current_provision(self, client, world):
        InitiativeFactory(
            name="Old pilot",
            organisation=OrganisationFactory(name="Pilot body", members=9000),
            role=SP,
            areas=[world.a1],
            conditions=[ConditionFactory(name="Rare three", slug="rare-three", is_rare=True)],
            lifecycle="ended",
        )
        here = Insights(Scope(area=world.icb_a)).here
        assert (here.initiatives, here.organisations, here.members, here.ended) == (3, 2, 100, 1)
        assert here.by_role[SP] == 1
        register = Insights(Scope()).here
        assert (register.initiatives, register.ended) == (5, 1)
        page = text(client.get("/insights/", {"area": "icb-a"}))
        link = re.search(r'href="([^"]*)">1</a> ended initiative,', page)
        assert link is not None
        # The figure's link lists the ended initiative it counts, and nothing else.
        listing = client.get(link.group(1).replace("&amp;", "&"))
        assert listing.context["count"] == 1
        assert [row.name for row in listing.context["page"]] == ["Old pilot"]
        whole = re.search(r'href="([^"]*)">1</a> ended initiative', text(client.get("/insights/")))
        listing = client.get(whole.group(1).replace("&amp;", "&"))
        assert [row.name for row in listing.context["page"]] == ["Old pilot"]
        rows = read_csv(client.get("/insights/headline.csv", {"area": "icb-a"}))
        assert [
            "Ended initiatives (kept on the register, not counted in these figures)",
            "1",
            "1",
        ] in rows
        # A rare condition that only the ended pilot served is a gap.
        gaps = read_csv(client.get("/insights/gaps.csv", {"area": "icb-a"}))
        assert "Rare three" in [row[0] for row in gaps]

    def test_members_nobody_reported_are_not_known_rather_than_zero(self, world):
        here = Insights(Scope(area=world.icb_b)).here
        assert here.initiatives == 2  # Two (split district) and Four
        assert here.volunteers == 10
        org3_only = Insights(Scope(area=world.b1)).here
        assert (org3_only.volunteers, org3_only.volunteers_known) == (None, 0)

    def test_a_vanguard_narrows_the_scope(self, world):
        here = Insights(Scope(vanguard=world.v1)).here
        assert (here.initiatives, here.organisations) == (1, 1)
        nothing = Insights(Scope(area=world.b1, vanguard=world.v1)).here
        assert (nothing.initiatives, nothing.verified_share, nothing.nhs_share) == (0, None, None)


class TestRoles:
    def test_area_beside_the_whole_register(self, world):
        insights = Insights(Scope(area=world.icb_a))
        assert rows_of(insights.table("roles")) == [
            ["Service providers", 1, Decimal("33"), 2, Decimal("40")],
            ["Campaigning groups", 1, Decimal("33"), 2, Decimal("40")],
            ["Both", 1, Decimal("33"), 1, Decimal("20")],
        ]

    def test_each_figure_links_to_its_listing(self, world):
        row = Insights(Scope(area=world.icb_a)).table("roles").rows[1]
        assert row[1].url == "/initiatives/?area=icb-a&role=campaigning"
        assert row[3].url == "/initiatives/?role=campaigning"


class TestFunding:
    def test_organisations_by_band_split_by_what_their_initiatives_here_do(self, world):
        table = Insights(Scope(area=world.icb_a)).table("funding")
        assert rows_of(table) == [
            # Org one runs a service (One) and a campaign (Two) here: "both".
            ["Highly dependent (75% or more from one funder)", 0, 0, 1, 1],
            ["Dependent (50-74%)", 0, 0, 0, 0],
            ["Moderate (25-49%)", 0, 0, 1, 1],
            ["Diverse (no funder 25% or more)", 0, 0, 0, 0],
            ["Not known (no share of income recorded)", 0, 0, 0, 0],
        ]
        assert (
            table.rows[0][4].url == "/initiatives/?area=icb-a&funding_dependency=highly_dependent"
        )
        assert table.rows[0][3].url == (
            "/initiatives/?area=icb-a&funding_dependency=highly_dependent&role=both"
        )

    def test_whole_register_bands(self, world):
        assert rows_of(Insights(Scope()).table("funding")) == [
            ["Highly dependent (75% or more from one funder)", 0, 0, 1, 1],
            ["Dependent (50-74%)", 1, 0, 0, 1],
            ["Moderate (25-49%)", 0, 0, 1, 1],
            ["Diverse (no funder 25% or more)", 0, 0, 0, 0],
            ["Not known (no share of income recorded)", 0, 1, 0, 1],
        ]

    def test_highly_dependent_initiatives_are_listed(self, world):
        table = Insights(Scope(area=world.icb_a)).table("highly-dependent")
        assert rows_of(table) == [
            ["One", "Org one", "Service provider", Decimal("80"), Decimal("80")],
            ["Two", "Org one", "Campaigning group", Decimal("80"), Decimal("80")],
        ]
        # The full list downloads through the listing's export.
        assert table.download_url == (
            "/initiatives/export.csv?area=icb-a&funding_dependency=highly_dependent"
        )


class TestVanguards:
    def test_sites_here_with_their_care_model_and_initiatives_by_role(self, world):
        table = Insights(Scope(area=world.icb_a)).table("vanguards")
        # Vanguard Two holds nothing here but covers Knowsley; Vanguard Three is elsewhere.
        assert rows_of(table) == [
            ["Vanguard One", "Multispecialty community provider", "no", 1, 0, 0, 1],
            ["Vanguard Two", "Integrated primary and acute care system", "no", 0, 0, 0, 0],
        ]
        assert (
            table.rows[0][3].url == "/initiatives/?area=icb-a&vanguard=v-one&role=service_provider"
        )

    def test_whole_register_shows_every_site(self, world):
        table = Insights(Scope()).table("vanguards")
        assert [row[0] for row in rows_of(table)] == [
            "Vanguard One",
            "Vanguard Two",
            "Vanguard Three",
        ]
        assert rows_of(table)[1][3:] == [0, 1, 0, 1]


class TestConditions:
    def test_icbs_are_counted_directly_through_districts_and_split_districts(self, world):
        counts = condition_icb_counts()
        assert counts[world.rare1.pk] == 1  # One serves Halton, in ICB A
        # One (Halton, A), Two (Splitshire: A and B), Three (ICB A itself).
        assert counts[world.common.pk] == 2
        assert counts[world.rare2.pk] == 1  # Four in Bolton; the draft does not count

    def test_an_icb_is_not_served_by_a_record_only_based_there(self, world, monkeypatch):
        """The tally counts a record based in an ICB's district as "here" for the ICB;
        the ICBs a condition is served in leave such a record out, as the count from
        the records does, until it serves an area within the ICB."""

        def both():
            tallied = condition_icb_counts()
            with monkeypatch.context() as counted:
                counted.setattr("initiatives.insights.figures._tallied_icb_pairs", lambda i: None)
                assert condition_icb_counts() == tallied
            return tallied

        assert both()[world.rare2.pk] == 1  # Four, in Bolton (ICB B)
        regional = InitiativeFactory(name="Six", areas=[world.region], conditions=[world.rare2])
        based_in_halton(world, regional)  # Halton lies in ICB A
        assert InitiativeAreaClosure.objects.filter(initiative=regional, area=world.icb_a).exists()
        assert both()[world.rare2.pk] == 1
        regional.areas.add(world.a2)  # now it serves Knowsley, in ICB A
        assert both()[world.rare2.pk] == 2
        regional.areas.set([world.region])
        assert both()[world.rare2.pk] == 1
        # Another record serving ICB A keeps it served while Six is only based there.
        InitiativeFactory(name="Seven", areas=[world.icb_a], conditions=[world.rare2])
        assert both()[world.rare2.pk] == 2

    def test_initiatives_here_and_in_the_register(self, world):
        table = Insights(Scope(area=world.icb_a)).table("conditions")
        assert rows_of(table) == [
            ["Common", "no", 3, 3, 2],
            ["Rare one", "yes", 1, 1, 1],
            ["Rare two", "yes", 0, 1, 1],
        ]
        assert table.rows[0][2].url == "/initiatives/?area=icb-a&condition=common"
        assert table.rows[0][3].url == "/initiatives/?condition=common"

    def test_gaps_beside_the_well_covered(self, world):
        insights = Insights(Scope(area=world.icb_a))
        # The second column: initiatives serving the nation or the whole UK, beside the gap.
        assert rows_of(insights.table("gaps")) == [["Rare two", 0, 1, 1]]
        assert rows_of(insights.table("well-covered")) == [
            ["Common", 3, 3, 2],
            ["Rare one", 1, 1, 1],
        ]
        assert rows_of(Insights(Scope(area=world.icb_b)).table("gaps")) == [["Rare one", 0, 1, 1]]

    def test_a_gap_is_what_nothing_here_or_covering_serves(self, world):
        """Issue 14: what covers the area (its region) fills a gap; what serves the whole
        nation does not, and is counted beside it."""
        InitiativeFactory(name="Regional rare two", areas=[world.region], conditions=[world.rare2])
        InitiativeFactory(name="English rare one", areas=[world.england], conditions=[world.rare1])
        assert rows_of(Insights(Scope(area=world.icb_a)).table("gaps")) == []
        assert rows_of(Insights(Scope(area=world.icb_b)).table("gaps")) == [["Rare one", 1, 2, 1]]

    def test_an_ended_initiative_is_in_no_condition_count_nor_its_icbs(self, world):
        """Ended as the listing means it (lifecycle ended): kept on the register, counted
        nowhere among the conditions, here, in the whole register or in ICBs served."""
        before = rows_of(Insights(Scope(area=world.icb_b)).table("conditions"))
        icbs = condition_icb_counts()
        InitiativeFactory(
            name="Ended rare one in Bolton",
            areas=[world.b1],
            conditions=[world.rare1, world.common],
            lifecycle=Initiative.Lifecycle.ENDED,
        )
        assert condition_icb_counts() == icbs
        assert icbs[world.rare1.pk] == 1  # ICB Alpha only, not ICB Beta
        assert rows_of(Insights(Scope(area=world.icb_b)).table("conditions")) == before
        assert rows_of(Insights(Scope(area=world.icb_b)).table("gaps")) == [["Rare one", 0, 1, 1]]
        assert [c.register for c in Insights(Scope()).conditions.rows] == [3, 1, 1]
        # The same initiative, running again, counts everywhere.
        running = Initiative.objects.get(name="Ended rare one in Bolton")
        running.lifecycle = Initiative.Lifecycle.RUNNING
        running.save()  # as a curator saves it: a new version of the register
        assert condition_icb_counts()[world.rare1.pk] == 2
        assert [c.register for c in Insights(Scope()).conditions.rows] == [4, 2, 1]

    def test_each_scope_counts_its_conditions_without_testing_every_link_in_a_filter(self, world):
        """An area's counts per condition are read by joining its initiatives, never
        as COUNT(...) FILTER (WHERE initiative_id IN (SELECT ...)) over every link: once
        those ids outgrow the planner's memory for a hash, the subquery is read again
        for each link. England at a million records ran past the page's minute, and
        the page answered 503."""
        InitiativeFactory(name="Regional rare two", areas=[world.region], conditions=[world.rare2])
        for scope in (Scope(area=world.icb_a), Scope(area=world.england), Scope(vanguard=world.v1)):
            with CaptureQueriesContext(connection) as queries:
                Insights(scope).conditions  # noqa: B018 - counted on first use
            for query in queries.captured_queries:
                assert not re.search(r"FILTER \(WHERE[^()]*IN \(SELECT", query["sql"]), query


class TestRegisterFiguresKept:
    """The whole register's figures beside an area's (headline, per condition, ICBs
    served) are the same for every scope: counted once per version of the register and
    kept, then checked here against a fresh count after each kind of change."""

    @staticmethod
    def fresh(settings, scope) -> dict[str, list[list]]:
        settings.FIGURES_CACHE_SECONDS = 0
        try:
            return every_table(Insights(scope))
        finally:
            settings.FIGURES_CACHE_SECONDS = 3600

    def test_an_area_reads_the_register_figures_counted_for_the_whole_register(
        self, world, settings, django_assert_max_num_queries
    ):
        settings.FIGURES_CACHE_SECONDS = 3600
        whole = Insights(Scope())
        every_table(whole)
        with CaptureQueriesContext(connection) as counted:
            area = Insights(Scope(area=world.icb_a))
            tables = every_table(area)
        assert area.register == whole.here
        assert tables == self.fresh(settings, Scope(area=world.icb_a))
        # From nothing, the same page counts the register's figures too.
        cache.clear()
        with CaptureQueriesContext(connection) as from_nothing:
            every_table(Insights(Scope(area=world.icb_a)))
        assert len(counted) < len(from_nothing)

    def test_after_each_change_the_kept_figures_equal_a_fresh_count(self, world, settings):
        settings.FIGURES_CACHE_SECONDS = 3600
        scopes = [Scope(), Scope(area=world.icb_a), Scope(area=world.icb_b)]

        def check():
            for scope in scopes:
                assert every_table(Insights(scope)) == self.fresh(settings, scope), scope.name

        check()
        added = InitiativeFactory(
            name="Six", organisation=world.org3, role=SP, areas=[world.b1], conditions=[world.rare1]
        )
        check()
        assert Insights(Scope(area=world.icb_a)).register.initiatives == 6
        assert [c.register for c in Insights(Scope(area=world.icb_a)).conditions.rows] == [3, 2, 1]
        added.conditions.remove(world.rare1)
        check()
        added.lifecycle = Initiative.Lifecycle.ENDED
        added.save()
        check()
        world.i1.status = Initiative.Status.ARCHIVED
        world.i1.save()
        check()
        assert Insights(Scope(area=world.icb_b)).register.initiatives == 4


class TestCoverage:
    def test_an_icbs_districts_with_the_empty_ones(self, world):
        insights = Insights(Scope(area=world.icb_a))
        assert rows_of(insights.table("coverage")) == [
            ["Halton", "Local authority", 1],
            ["Knowsley", "Local authority", 0],
            ["Splitshire", "Local authority", 1],
        ]
        assert [area.name for area in insights.areas_with_none] == ["Knowsley"]
        halton = insights.table("coverage").rows[0]
        assert halton[0].url == "/insights/?area=halton"
        assert halton[2].url == "/initiatives/?area=halton"

    def test_a_split_district_counts_in_both_icbs(self, world):
        table = Insights(Scope(area=world.region)).table("coverage")
        assert rows_of(table) == [
            ["ICB Alpha", "Integrated care board", 3],
            ["ICB Beta", "Integrated care board", 2],
        ]

    def test_whole_register_by_nation(self, world):
        assert rows_of(Insights(Scope()).table("coverage")) == [["England", "Nation", 5]]

    def test_an_area_counts_what_is_based_there_as_its_listing_does(self, world):
        """A sub-area's count is its listing's first tier: what serves it or a place
        within it, or is based there (the figure links to that listing)."""
        based = InitiativeFactory(name="Based in Halton", areas=[world.b1])
        based_in_halton(world, based)
        halton = Initiative.objects.published().current().in_area(world.a1)
        assert set(halton.values_list("name", flat=True)) == {"One", "Based in Halton"}
        rows = rows_of(Insights(Scope(area=world.icb_a)).table("coverage"))
        assert rows[0] == ["Halton", "Local authority", 2]


def based_in_halton(world, initiative) -> None:
    """Give the initiative a postcode in Halton (the district its location lies in)."""
    world.a1.code = "E06000006"
    world.a1.save()
    PostcodeFactory(postcode="WA7 1AB", local_authority_code="E06000006")
    initiative.postcode = "WA7 1AB"
    initiative.save()
    assert initiative.location_district == world.a1


class TestTallied:
    """The counts read from the facet tally (one indexed read: a scope's headline figures
    but those verified lately, its conditions here and coverage, and the whole
    register's per condition) equal the same counted from the records."""

    SCOPES = ("whole", "icb_a", "icb_b", "region", "england", "v1", "v2", "icb_a+v1")

    @staticmethod
    def scope(world, name: str) -> Scope:
        if name == "whole":
            return Scope()
        area, _, vanguard = name.partition("+")
        if area.startswith("v"):
            area, vanguard = "", area
        return Scope(
            area=getattr(world, area) if area else None,
            vanguard=getattr(world, vanguard) if vanguard else None,
        )

    def check(self, world, monkeypatch):
        for name in self.SCOPES:
            scope = self.scope(world, name)
            tallied = every_table(Insights(scope))
            with monkeypatch.context() as counted:
                # Nothing kept from the tallied run, and no tally read anywhere.
                counted.setattr("django.conf.settings.FIGURES_CACHE_SECONDS", 0)
                counted.setattr("initiatives.insights.page.scope_tally", lambda scope: None)
                counted.setattr("initiatives.insights.figures.scope_tally", lambda scope: None)
                counted.setattr("initiatives.insights.figures._tallied_icb_pairs", lambda i: None)
                counted.setattr(
                    "initiatives.insights.figures.tallied_vanguard_roles", lambda s: None
                )
                assert every_table(Insights(scope)) == tallied, name

    def test_the_headline_reads_the_tally_and_counts_only_those_verified_lately(self, world):
        """With the tally, the headline's counts of a scope come from it: the one statement
        over the records here counts those verified lately, not the roles and bands."""
        for scope in (Scope(), Scope(area=world.icb_a), Scope(vanguard=world.v1)):
            insights = Insights(scope)
            assert insights.tallied is not None
            with CaptureQueriesContext(connection) as queries:
                here = insights.here
            statements = " ".join(q["sql"] for q in queries)
            assert "last_verified_on" in statements
            # No counting of roles or bands over the records (the organisations' sums
            # read their own table's band).
            assert '"initiatives_initiative"."role"' not in statements
            assert '"initiatives_initiative"."funding_dependency"' not in statements
            assert here.initiatives == Insights(scope).tallied[1]

    def test_the_tally_and_a_fresh_count_agree_after_each_kind_of_change(self, world, monkeypatch):
        assert Insights(Scope(area=world.icb_a)).tallied is not None
        assert Insights(Scope(area=world.icb_a, vanguard=world.v1)).tallied is None
        self.check(world, monkeypatch)
        added = InitiativeFactory(
            name="Six",
            role=CAMP,
            areas=[world.a2, world.b1],
            conditions=[world.rare2, world.common],
            vanguard=world.v1,
        )
        self.check(world, monkeypatch)
        added.areas.set([world.region])
        added.conditions.remove(world.common)
        self.check(world, monkeypatch)
        based_in_halton(world, added)
        self.check(world, monkeypatch)
        world.i2.lifecycle = Initiative.Lifecycle.ENDED
        world.i2.save()
        world.i4.status = Initiative.Status.ARCHIVED
        world.i4.save()
        self.check(world, monkeypatch)


# --- the page ----------------------------------------------------------------


class TestPage:
    def test_an_icb_page_shows_its_figures_with_links(self, client, world):
        response = client.get("/insights/", {"area": "icb-a"})
        assert response.status_code == 200
        html = text(response)
        assert "<h1>Insights for ICB Alpha</h1>" in html
        assert '<a class="headline-figures__number" href="/initiatives/?area=icb-a">3</a>' in html
        assert "67%</a> verified in the last 12 months (2 of 3)" in html
        highly = "/initiatives/?area=icb-a&amp;funding_dependency=highly_dependent"
        assert f'href="{highly}">2 initiatives</a>' in html
        assert "55%</a> of an organisation's income here" in html
        assert '<option value="icb-a" selected>ICB Alpha</option>' in html
        # The empty district, linked to its (empty) listing.
        assert '<a href="/initiatives/?area=knowsley">Knowsley</a>' in html

    def test_whole_register_by_default(self, client, world):
        html = text(client.get("/insights/"))
        assert "<h1>Insights for the whole register</h1>" in html
        assert '<a class="headline-figures__number" href="/initiatives/">5</a>' in html

    def test_every_table_has_a_csv_download_for_the_same_scope(self, client, world):
        html = text(client.get("/insights/", {"area": "icb-a", "vanguard": "v-one"}))
        for slug in ("headline", "roles", "funding", "vanguards", "conditions", "gaps", "coverage"):
            assert f'href="/insights/{slug}.csv?area=icb-a&amp;vanguard=v-one"' in html

    def test_charts_are_labelled_images_with_their_numbers_in_words(self, client, world):
        html = text(client.get("/insights/", {"area": "icb-a"}))
        charts = re.findall(r'<svg class="chart" role="img" aria-labelledby="([^"]+)"', html)
        assert len(charts) == 5  # roles, funding, vanguards, conditions, coverage
        for labelled_by in charts:
            title_id, desc_id = labelled_by.split()
            assert f'<title id="{title_id}">' in html
            assert f'<desc id="{desc_id}">' in html
        assert "Service providers: 33% here, 40% whole register" in html
        assert (
            "Highly dependent (75% or more from one funder): 1 "
            "(Service providers 0, Campaigning groups 0, Both 1)" in html
        )

    def test_one_visitors_shortlist_never_shows_in_the_next_visitors_header(self, world):
        """The figures are cached, the page is not: visitor A's "Shortlist (2)" must not
        reach visitor B, who has shortlisted nothing."""
        shortlisted = "Shortlist (<span data-shortlist-count>2</span>)"
        a, b = Client(), Client()
        a.post("/shortlist/add/", {"id": [str(world.i1.pk), str(world.i2.pk)], "next": "/"})
        assert shortlisted in text(a.get("/insights/"))
        assert isinstance(caching.peek("insights-figures", {}), Sections)
        html = text(b.get("/insights/"))
        assert shortlisted not in html
        assert "Shortlist (<span data-shortlist-count>0</span>)" in html
        # B's figures are A's, from the cache, and so is the content rendered from them,
        # which holds no one's header.
        assert '<a class="headline-figures__number" href="/initiatives/">5</a>' in html
        body = caching.peek("insights-body", {})
        assert '<a class="headline-figures__number" href="/initiatives/">5</a>' in body
        assert "data-shortlist-count" not in body

    def test_a_param_that_names_nothing_is_never_kept_for_the_next_visitor(self, world):
        """`?area=nowhere` falls back to the whole register with a message; the next
        visitor to the whole register must get the figures without that message."""
        a, b = Client(), Client()
        assert "no area \u201cnowhere\u201d" in text(a.get("/insights/", {"area": "nowhere"}))
        html = text(b.get("/insights/"))
        assert "nowhere" not in html
        assert "could not be used" not in html
        assert "nowhere" not in text(a.get("/insights/"))

    def test_no_inline_styles_or_scripts(self, client, world):
        html = text(client.get("/insights/", {"area": "icb-a"}))
        assert " style=" not in html
        assert "<style" not in html
        assert "<script>" not in html

    def test_names_are_escaped_in_tables_and_charts(self, client, world):
        bold = ConditionFactory(name='<b>"Bold"</b>', slug="bold")
        InitiativeFactory(name='<b>"Bold"</b> group', conditions=[bold])
        html = text(client.get("/insights/"))
        assert "<b>" not in html
        assert "&lt;b&gt;&quot;Bold&quot;&lt;/b&gt;" in html

    def test_empty_register_still_renders(self, client):
        response = client.get("/insights/")
        assert response.status_code == 200
        assert "0</a> current published initiatives" in text(response)

    def test_query_count_is_bounded_and_does_not_grow_with_the_data(
        self, client, world, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(PAGE_QUERY_LIMIT):
            client.get("/insights/", {"area": "icb-a", "vanguard": "v-one"})
        # Both counted from nothing: the whole register's figures too, which every
        # scope shares (kept once per version).
        cache.clear()
        with CaptureQueriesContext(connection) as small:
            client.get("/insights/", {"area": "icb-a"})
        for n in range(6):
            org = OrganisationFactory(members=n)
            FundingLineFactory(organisation=org, share=Decimal("90"))
            InitiativeFactory(
                organisation=org,
                areas=[world.a1, world.split],
                conditions=[ConditionFactory(is_rare=True)],
                vanguard=VanguardSiteFactory(),
            )
            AreaFactory(parent=world.icb_a)
        cache.clear()
        with CaptureQueriesContext(connection) as large:
            client.get("/insights/", {"area": "icb-a"})
        assert len(large) == len(small)
        with django_assert_max_num_queries(PAGE_QUERY_LIMIT):
            client.get("/insights/")


class TestBadParams:
    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"area": "atlantis"}, "There is no area \u201catlantis\u201d in the register"),
            ({"vanguard": "nowhere"}, "There is no vanguard site \u201cnowhere\u201d"),
            ({"area": "x" * 5000}, "There is no area"),
            ({"area": "bad\x00slug"}, "There is no area \u201cbadslug\u201d"),
        ],
    )
    def test_unknown_values_are_reported_and_the_whole_register_shown(
        self, client, world, params, message
    ):
        response = client.get("/insights/", params)
        assert response.status_code == 200
        html = text(response)
        assert message in html
        assert "Insights for the whole register" in html
        assert '<a class="headline-figures__number" href="/initiatives/">5</a>' in html

    def test_markup_in_a_param_is_escaped(self, client, world):
        html = text(client.get("/insights/", {"area": "<script>alert(1)</script>"}))
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    def test_a_good_area_with_a_bad_vanguard_keeps_the_area(self, client, world):
        html = text(client.get("/insights/", {"area": "icb-a", "vanguard": "nowhere"}))
        assert "Insights for ICB Alpha" in html
        assert "There is no vanguard site" in html


# --- CSV downloads -----------------------------------------------------------


class TestCsv:
    def test_a_table_downloads_as_csv_with_a_byte_order_mark(self, client, world):
        response = client.get("/insights/roles.csv", {"area": "icb-a"})
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        disposition = response["Content-Disposition"]
        assert disposition.startswith('attachment; filename="insights-roles-')
        assert disposition.endswith('-area-icb-a.csv"')
        assert read_csv(response) == [
            [
                "Role",
                "Initiatives here",
                "Share here (%)",
                "Initiatives in the whole register",
                "Share of the whole register (%)",
            ],
            ["Service providers", "1", "33", "2", "40"],
            ["Campaigning groups", "1", "33", "2", "40"],
            ["Both", "1", "33", "1", "20"],
        ]

    def test_csv_equals_the_table_on_the_page(self, client, world):
        rows = read_csv(client.get("/insights/coverage.csv", {"area": "icb-a"}))
        assert rows == [
            ["Area", "Kind", "Initiatives"],
            ["Halton", "Local authority", "1"],
            ["Knowsley", "Local authority", "0"],
            ["Splitshire", "Local authority", "1"],
        ]

    def test_every_table_downloads(self, client, world):
        for slug in (
            "headline",
            "roles",
            "funding",
            "highly-dependent",
            "vanguards",
            "conditions",
            "gaps",
            "well-covered",
            "coverage",
        ):
            response = client.get(f"/insights/{slug}.csv", {"area": "icb-a"})
            assert response.status_code == 200, slug
            assert len(read_csv(response)) >= 2, slug

    def test_headline_csv_has_here_and_whole_register(self, client, world):
        rows = read_csv(client.get("/insights/headline.csv", {"area": "icb-a"}))
        assert rows[0] == ["Figure", "Here (ICB Alpha)", "Whole register"]
        assert ["Published initiatives", "3", "5"] in rows
        assert ["Members (where known)", "100", "150"] in rows
        assert ["Average NHS share of an organisation's income (%)", "55", "55"] in rows

    def test_formulas_are_neutralised(self, client, world):
        ConditionFactory(name='=HYPERLINK("http://evil")', slug="evil", is_rare=True)
        rows = read_csv(client.get("/insights/gaps.csv", {"area": "icb-a"}))
        assert ['\'=HYPERLINK("http://evil")', "0", "0", "0"] in rows

    def test_unknown_table_is_a_404(self, client, world):
        assert client.get("/insights/nothing.csv").status_code == 404

    def test_bad_params_give_the_whole_register(self, client, world):
        response = client.get("/insights/headline.csv", {"area": "atlantis"})
        assert response.status_code == 200
        assert ["Published initiatives", "5", "5"] in read_csv(response)


# --- counted ahead after a change --------------------------------------------


def every_table(insights: Insights) -> dict[str, list[list]]:
    return {slug: rows_of(insights.table(slug)) for slug in TABLES}


def test_after_a_save_the_warmer_counts_what_the_next_visitor_is_served(
    world, client, django_assert_max_num_queries
):
    """A curator's save makes a new version; the registered warmers (run here in this
    thread, as the background thread runs them after the commit) count the whole
    register's insights, so the next visitor counts nothing, and is served figures equal
    to a fresh count that includes the change."""
    assert warm_insights in caching._warmers
    client.get("/insights/")  # counted under the version before the change
    InitiativeFactory(
        name="Six", organisation=world.org3, role=SP, areas=[world.b1], conditions=[world.rare1]
    )
    assert caching.peek("insights-figures", {}) is None  # a new version: nothing counted
    caching.warm_now()
    warmed = caching.peek("insights-figures", {})
    assert isinstance(warmed, Sections)
    fresh = Insights(Scope())
    assert every_table(Insights(Scope(), warmed)) == every_table(fresh)
    assert fresh.here.initiatives == 6
    # The content is rendered once from the warmed figures; after that a visitor's page
    # reads at most the session, never the figures or the lists to choose from.
    client.get("/insights/")
    with django_assert_max_num_queries(1):
        html = text(client.get("/insights/"))
    assert '<a class="headline-figures__number" href="/initiatives/">6</a>' in html


@pytest.mark.parametrize(
    "index, statement",
    [
        # Each organisation's band and roles here (the funding table), from the index alone.
        ("initiative_current_org_band", '"provides", "campaigns", COUNT(*)'),
        # The most dependent records, read in order, not all found and sorted.
        ("initiative_most_dependent", '"largest_funder_share" DESC'),
        # Those verified lately (the headline), counted from the index.
        ("initiative_current_verified", '"last_verified_on" >='),
    ],
)
def test_postgresql_reads_the_whole_registers_figures_through_their_partial_indexes(
    world, index, statement
):
    """The insights page's statements over the current published records are planned on
    the partial indexes of migration 0024: their condition is the one the statements
    spell, so the planner knows each index holds every row it asks for."""
    from ..listing.test_count_budget import only_indexes

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's partial indexes")
    insights = Insights(Scope())
    with CaptureQueriesContext(connection) as queries:
        insights.here, insights.funding  # noqa: B018 - counted for their statements
    (sql,) = [q["sql"] for q in queries if statement in q["sql"]]
    with connection.cursor() as cursor:
        only_indexes(cursor, index)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert f"using {index}" in plan, plan
    if index == "initiative_most_dependent":
        assert "Sort" not in plan, plan
    if index == "initiative_current_org_band":
        assert "Index Only Scan" in plan, plan
