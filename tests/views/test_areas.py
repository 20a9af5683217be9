"""The areas index and area pages, on the shared sample register."""

import pytest

from initiatives.listing.areas import AreaSections
from initiatives.models import Area, Initiative

from ..factories import InitiativeFactory
from .support import MAX_AREA_QUERIES, text

pytestmark = pytest.mark.django_db


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
        assert "Serving everyone in England or the whole UK" in page
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
        everything = [
            "Halton Litter Pickers",
            "Halton Ukulele Club",
            "North West Carers Voice",
            "Oldham Arts on Prescription",
        ]
        # The first few, and all of them behind "Show all".
        assert self.sections(response)["here"] == everything[:3]
        assert "Show all 4" in text(response)
        assert self.sections(client.get("/areas/north-west/?here=1"))["here"] == everything
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
        # The first few only, so that the page stays short on a phone.
        assert len(here.object_list) == 3
        assert here.show_all_url == "/areas/halton/?here=1#here"
        assert here.next_url is None
        assert 'href="/areas/halton/?here=1#here">Show all 27<' in text(response)
        first = client.get("/areas/halton/?here=1").context["sections"][0]["page"]
        assert len(first.object_list) == 20
        assert first.next_url == "/areas/halton/?here=2#here"
        assert first.overview_url == "/areas/halton/#here"
        second = client.get("/areas/halton/?here=2&national=abc")
        assert len(second.context["sections"][0]["page"].object_list) == 7
        previous = second.context["sections"][0]["page"].previous_url
        assert previous == "/areas/halton/?here=1&national=abc#here"
        assert "\u201cabc\u201d is not a page number" in text(second)

    def test_national_section_pages_keep_one_name_order(self, client, reg):
        """The national section mixes what is linked to the nation with the UK-wide
        records tied to no area; each page lists them in one name order, as the whole
        section sorted would, whichever part a name comes from."""
        england, wales = reg.areas["england"], reg.areas["wales"]
        names = ["alder", "Birch", "cedar", "Damson", "elder", "Fir", "ginkgo", "Hazel"]
        for n in range(44):
            name = f"{names[n % 8]} {n:02d}"
            if n % 3:
                InitiativeFactory(name=f"{name} UK", national=True)
            else:
                InitiativeFactory(name=f"{name} England", areas=[england])
        # Not in Halton's national section: nearer, another nation, draft, ended.
        InitiativeFactory(name="alder North West", areas=[reg.areas["north-west"]])
        InitiativeFactory(name="alder Wales", areas=[wales])
        InitiativeFactory(name="alder draft", national=True, status=Initiative.Status.DRAFT)
        InitiativeFactory(name="alder ended", national=True, lifecycle=Initiative.Lifecycle.ENDED)

        tree = Area.objects.tree()
        whole = AreaSections(tree.by_slug("halton"), tree).national().order_by("name", "pk")
        expected = [i.name for i in whole]
        assert len(expected) == 45  # the 44 above and the sample's Patient View Survey

        def national_page(n):
            response = client.get(f"/areas/halton/?national={n}")
            return [i.name for i in response.context["sections"][2]["page"]]

        pages = [national_page(n) for n in (1, 2, 3)]
        assert pages == [expected[:20], expected[20:40], expected[40:]]
        preview = client.get("/areas/halton/").context["sections"][2]["page"]
        assert [i.name for i in preview] == expected[:3]
        assert preview.paginator.count == 45

    def test_the_here_count_is_the_tallys_and_equals_a_fresh_count(self, client, reg, settings):
        """The "here" section's count comes from the facet tally (the area's closure
        rows): the same as counting the section's rows, in every area, and at once
        after a change, drafts and ended records left out."""
        InitiativeFactory(name="Halton draft", areas=[reg.areas["halton"]], status="draft")
        InitiativeFactory(
            name="Halton ended",
            areas=[reg.areas["halton"]],
            lifecycle=Initiative.Lifecycle.ENDED,
        )
        settings.PAGE_CACHE = False  # each page made, not kept whole under its ETag
        tree = Area.objects.tree()

        def counts(slug):
            sections = AreaSections(tree.by_slug(slug), tree)
            page = client.get(f"/areas/{slug}/").context["sections"][0]["page"]
            return sections.here_count(), page.paginator.count, sections.here().count()

        for slug in ("halton", "north-west", "england", "wales", "erewash"):
            tallied, shown, fresh = counts(slug)
            assert tallied == shown == fresh, slug
        before = counts("halton")[2]
        InitiativeFactory(name="Halton new", areas=[reg.areas["halton"]])
        assert counts("halton") == (before + 1,) * 3

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
