"""The public pages other than the listing: home, one initiative, areas, errors."""

from datetime import date, timedelta

import pytest
from django.test import override_settings

from initiatives.models import Initiative

from .factories import AreaFactory, InitiativeFactory, OrganisationFactory
from .sample_register import build_register

pytestmark = pytest.mark.django_db

MAX_DETAIL_QUERIES = 8
# Three sections of a page each: count, rows and three prefetches.
MAX_AREA_QUERIES = 25


@pytest.fixture
def reg():
    return build_register()


def text(response) -> str:
    return response.content.decode()


class TestHome:
    def test_search_box_figures_and_browse_links(self, client, reg):
        response = client.get("/")
        assert response.status_code == 200
        page = text(response)
        assert '<label for="home-q">Search by keyword, place or postcode</label>' in page
        assert 'action="/initiatives/"' in page
        assert "7 published initiatives in the register." in page
        shares = {share["value"]: share["percent"] for share in response.context["role_shares"]}
        # 3 of 7 provide services, 2 campaign, 2 do both.
        assert shares == {"service_provider": 43, "campaigning": 29, "both": 29}
        # Wrexham, Halton, Warrington, Oldham, North West, Erewash.
        assert response.context["areas_covered"] == 6
        assert 'href="/areas/north-west/"' in page
        assert 'href="/initiatives/?area=north-west"' in page
        assert 'href="/areas/wales/"' in page
        assert 'href="/initiatives/?role=campaigning"' in page

    def test_regions_are_listed_under_their_nation(self, client, reg):
        browse = client.get("/").context["browse"]
        england = next(item for item in browse if item["area"].slug == "england")
        assert [region.name for region in england["regions"]] == ["Midlands", "North West"]

    def test_empty_register_still_renders(self, client):
        response = client.get("/")
        assert response.status_code == 200
        assert "0 published initiatives" in text(response)

    def test_home_queries_are_bounded(self, client, reg, django_assert_max_num_queries):
        with django_assert_max_num_queries(5):
            client.get("/")


class TestInitiativePage:
    def test_shows_every_public_field(self, client, reg):
        response = client.get("/initiatives/wrexham-allotments/")
        assert response.status_code == 200
        page = text(response)
        for expected in [
            "<h1>Wrexham Community Allotments</h1>",
            "Community allotments with support workers and carers.",
            "<p>Weekly growing sessions.</p>",
            "<p>Tools and seeds provided.</p>",
            "Service provider: delivers services directly.",
            'href="/initiatives/?topic=growing">Green space and growing</a>',
            'href="/initiatives/?population=carers">Carers</a>',
            "Dementia",
            "18 and over",
            'href="/areas/wrexham/">Wrexham</a>',
            "Not part of a vanguard site",
            "Self-referral",
            "Drop-in",
            "Free",
            "KeyRing Living Support Networks",
            "Registered charity",
            "1061197",
            "03213478",
            'href="https://www.keyring.org/allotments" rel="noopener noreferrer"',
            'href="mailto:allotments@keyring.example"',
            'href="tel:01978000000">01978 000 000</a>',
            "Last checked on",
            'href="/initiatives/?area=wrexham">Other initiatives in Wrexham</a>',
            'href="/initiatives/?condition=dementia">Other initiatives for Dementia</a>',
        ]:
            assert expected in page, expected

    def test_funding_mix_for_the_latest_year_and_dependency_in_words(self, client, reg):
        response = client.get("/initiatives/wrexham-allotments/")
        assert [(line["label"], line["share"]) for line in response.context["funding"]] == [
            ("Local authority", 60),
            ("NHS", 20.5),
        ]
        page = text(response)
        assert "Where its income came from in 2025" in page
        assert "Dependent: its largest funder gives between half and three quarters" in page
        assert "The NHS gave 20.5% of its income in 2025." in page
        # The 2020 National Lottery grant is history, not the current mix.
        assert "National Lottery" not in page

    def test_rare_condition_vanguard_and_stale_check_notice(self, client, reg):
        page = text(client.get("/initiatives/oldham-arts/"))
        assert 'Huntington&#x27;s disease <span class="tag tag--rare">rare</span>' in page
        assert "Better Care Together</a> vanguard site (integrated primary and acute care" in page
        assert "one of the six &ldquo;health as a social movement&rdquo; sites" in page
        assert "This record was last checked more than 12 months ago" in page
        assert "Highly dependent" in page

    def test_recently_checked_record_has_no_notice(self, client, reg):
        page = text(client.get("/initiatives/halton-ukulele/"))
        assert "more than 12 months ago" not in page
        assert 'id="review-due"' not in page

    def test_national_initiative_without_organisation_or_contact(self, client, reg):
        page = text(client.get("/initiatives/patient-view/"))
        assert "National: serves the whole of the UK or of a nation." in page
        assert "No contact details recorded." in page
        page = text(client.get("/initiatives/wellbeing-erewash/"))
        assert "Who runs it" not in page

    def test_never_checked_record_says_so(self, client):
        InitiativeFactory(slug="new-group", last_verified_on=None)
        page = text(client.get("/initiatives/new-group/"))
        assert "We have not checked this record yet." in page

    def test_contact_and_source_are_escaped_and_only_web_links_are_links(self, client):
        organisation = OrganisationFactory(website="javascript:alert(1)")
        InitiativeFactory(
            slug="odd",
            name="<b>Odd</b> & co",
            organisation=organisation,
            website="javascript:alert(2)",
            phone="<script>alert(3)</script>",
            email="a@example.org",
            source_note='See https://example.org/report?a=1&b=2 and <img src=x onerror="x">',
        )
        page = text(client.get("/initiatives/odd/"))
        assert "<h1>&lt;b&gt;Odd&lt;/b&gt; &amp; co</h1>" in page
        assert 'href="javascript:' not in page
        assert "<script>alert(3)" not in page
        assert "&lt;img src=x onerror=" in page
        assert 'href="https://example.org/report?a=1&amp;b=2"' in page

    @pytest.mark.parametrize("status", [Initiative.Status.DRAFT, Initiative.Status.ARCHIVED])
    def test_drafts_and_archived_records_are_not_found(self, client, status):
        InitiativeFactory(slug="hidden", status=status)
        response = client.get("/initiatives/hidden/")
        assert response.status_code == 404
        assert "We don\u2019t know an initiative at \u201chidden\u201d." in text(response)

    def test_unknown_slug_is_a_helpful_404(self, client):
        response = client.get("/initiatives/no-such-thing/")
        assert response.status_code == 404
        page = text(response)
        assert "Page not found" in page
        assert "We don\u2019t know an initiative at \u201cno-such-thing\u201d." in page
        assert 'href="/initiatives/">Search the register' in page

    def test_detail_queries_are_bounded(self, client, reg, django_assert_max_num_queries):
        with django_assert_max_num_queries(MAX_DETAIL_QUERIES):
            response = client.get("/initiatives/wrexham-allotments/")
        assert response.status_code == 200


class TestAreaIndex:
    def test_hierarchy_as_nested_lists(self, client, reg):
        response = client.get("/areas/")
        assert response.status_code == 200
        tree = response.context["tree"]
        england = next(node for node in tree if node["area"].slug == "england")
        north_west = next(n for n in england["children"] if n["area"].slug == "north-west")
        icb = next(n for n in north_west["children"] if n["area"].slug == "cheshire-merseyside")
        assert [n["area"].name for n in icb["children"]] == ["Halton", "Warrington"]
        wales = next(node for node in tree if node["area"].slug == "wales")
        assert [n["area"].name for n in wales["children"]] == ["Wrexham"]
        page = text(response)
        assert page.count('<ul class="area-tree">') >= 4
        assert 'href="/areas/halton/">Halton</a>' in page

    def test_a_split_district_appears_under_each_of_its_parents(self, client, reg):
        split = AreaFactory(name="Splitshire", parent=reg.areas["cheshire-merseyside"])
        split.other_parents.set([reg.areas["greater-manchester"]])
        page = text(client.get("/areas/"))
        assert page.count('href="/areas/splitshire/"') == 2

    def test_area_index_queries_are_bounded(self, client, reg, django_assert_max_num_queries):
        with django_assert_max_num_queries(4):
            client.get("/areas/")


class TestAreaPage:
    def sections(self, response) -> dict[str, list[str]]:
        return {
            section["key"]: [initiative.name for initiative in section["page"]]
            for section in response.context["sections"]
        }

    def test_three_sections_here_wider_and_national(self, client, reg):
        response = client.get("/areas/halton/")
        assert response.status_code == 200
        assert self.sections(response) == {
            "here": ["Halton Litter Pickers", "Halton Ukulele Club"],
            "wider": ["North West Carers Voice"],
            "national": ["Patient View Survey"],
        }
        page = text(response)
        assert "Serving Halton" in page
        assert "Serving a wider area that includes Halton" in page
        assert "Serving the whole UK" in page
        assert "Halton Draft Group" not in page
        assert "Halton Closed Group" not in page
        assert 'href="/initiatives/?area=halton"' in page
        assert 'part of <a href="/areas/england/">England</a>' in page

    def test_one_serving_the_area_and_its_region_is_listed_under_here_only(self, client, reg):
        InitiativeFactory(
            name="Halton and North West Walks",
            areas=[reg.areas["halton"], reg.areas["north-west"]],
        )
        sections = self.sections(client.get("/areas/halton/"))
        assert "Halton and North West Walks" in sections["here"]
        assert "Halton and North West Walks" not in sections["wider"]
        assert sections["wider"] == ["North West Carers Voice"]

    def test_region_lists_everything_below_it_and_its_sub_areas(self, client, reg):
        response = client.get("/areas/north-west/")
        assert self.sections(response)["here"] == [
            "Halton Litter Pickers",
            "Halton Ukulele Club",
            "North West Carers Voice",
            "Oldham Arts on Prescription",
        ]
        assert self.sections(response)["wider"] == []
        assert [a.name for a in response.context["sub_areas"]] == [
            "NHS Cheshire and Merseyside",
            "NHS Greater Manchester",
        ]
        page = text(response)
        assert "Places within North West" in page
        assert 'href="/initiatives/?vanguard=better-care">Better Care Together</a>' in page

    def test_vanguard_sites_in_and_around_the_area(self, client, reg):
        oldham = client.get("/areas/oldham/").context["vanguards"]
        assert [v.name for v in oldham] == ["Better Care Together"]
        derby = client.get("/areas/derby/").context["vanguards"]
        assert [v.name for v in derby] == ["Erewash MCP"]
        wales = text(client.get("/areas/wales/"))
        assert "No vanguard site is recorded here." in wales

    def test_long_sections_are_paginated_separately(self, client, reg):
        for n in range(25):
            InitiativeFactory(name=f"Halton group {n:02d}", areas=[reg.areas["halton"]])
        response = client.get("/areas/halton/")
        here = response.context["sections"][0]["page"]
        assert here.paginator.count == 27
        assert len(here.object_list) == 20
        assert here.next_url == "?here=2#here"
        second = client.get("/areas/halton/?here=2&national=abc")
        assert len(second.context["sections"][0]["page"].object_list) == 7
        assert "\u201cabc\u201d is not a page number" in text(second)

    def test_unknown_area_is_a_helpful_404(self, client, reg):
        response = client.get("/areas/xyz/")
        assert response.status_code == 404
        assert "We don\u2019t know the area \u201cxyz\u201d." in text(response)
        assert 'href="/areas/">Browse by area' in text(response)

    def test_area_page_queries_are_bounded(self, client, reg, django_assert_max_num_queries):
        for n in range(30):
            InitiativeFactory(name=f"Halton group {n:02d}", areas=[reg.areas["halton"]])
        with django_assert_max_num_queries(MAX_AREA_QUERIES):
            response = client.get("/areas/halton/")
        assert response.status_code == 200


class TestErrorPages:
    def test_404_in_the_site_style(self, client):
        response = client.get("/nowhere/")
        assert response.status_code == 404
        page = text(response)
        assert '<a class="skip-link" href="#main">' in page
        assert "Page not found" in page

    def test_500_page_stands_alone(self, client, settings):
        from django.template.loader import render_to_string

        page = render_to_string("500.html")
        assert "Sorry, something went wrong" in page
        assert '<main id="main"' in page
        assert "{%" not in page

    @override_settings(DEBUG=False)
    def test_a_crash_gives_the_500_page(self, client, monkeypatch):
        from initiatives import views

        def broken(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr(views, "ages_in_words", broken)
        InitiativeFactory(slug="crash", last_verified_on=date.today() - timedelta(days=1))
        client.raise_request_exception = False
        response = client.get("/initiatives/crash/")
        assert response.status_code == 500
        assert "Sorry, something went wrong" in text(response)


@pytest.mark.parametrize(
    ("min_age", "max_age", "words"),
    [
        (None, None, "All ages"),
        (0, None, "All ages"),
        (18, None, "18 and over"),
        (0, 25, "Up to 25"),
        (None, 11, "Up to 11"),
        (16, 25, "16 to 25"),
    ],
)
def test_ages_in_words(client, min_age, max_age, words):
    InitiativeFactory(slug="ages", min_age=min_age, max_age=max_age)
    assert client.get("/initiatives/ages/").context["ages_in_words"] == words


def test_a_short_list_is_in_the_same_name_order_as_a_long_one(client, monkeypatch):
    """Short lists are sorted after they are found (listing.pages.SHORT_LIST); the order must be
    the database's own name order either way, accents and case included."""
    from initiatives.listing import pages

    area = AreaFactory(name="Ordershire")
    for name in ["zebra walks", "Älmhult crafts", "apple growers", "Banana club", "Éclair bakers"]:
        InitiativeFactory(name=name, areas=[area])
    expected = list(
        Initiative.objects.filter(areas=area).order_by("name", "pk").values_list("name", flat=True)
    )

    def here(response):
        section = next(s for s in response.context["sections"] if s["key"] == "here")
        return [initiative.name for initiative in section["page"]]

    short = here(client.get("/areas/ordershire/"))
    monkeypatch.setattr(pages, "SHORT_LIST", 0)
    from django.core.cache import cache

    cache.clear()
    long = here(client.get("/areas/ordershire/"))
    assert short == long == expected
