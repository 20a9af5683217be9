"""The areas index: nations with the level below them and their counts, and the
find-an-area box. On the shared sample register."""

import re

import pytest

from initiatives.listing.areas import AreaSections, index_entries, served_counts
from initiatives.models import Area

from ..factories import AreaFactory, InitiativeFactory
from .support import text

pytestmark = pytest.mark.django_db


def listed_counts(response) -> dict[str, int]:
    """Each listed area's slug and its count, as the page's context holds them."""
    counts = {}
    for node in response.context["tree"]:
        counts[node["area"].slug] = node["count"]
        counts.update({child["area"].slug: child["count"] for child in node["children"]})
    return counts


class TestIndex:
    def test_nations_with_their_regions_and_counts(self, client, reg):
        response = client.get("/areas/")
        assert response.status_code == 200
        # Published and current only: the draft and the archived Halton groups and the
        # national survey (no area) are not counted.
        assert listed_counts(response) == {
            "england": 5,
            "north-west": 4,
            "midlands": 1,
            "wales": 1,
            "wrexham": 1,
        }
        page = text(response)
        assert re.search(
            r'href="/areas/north-west/">North West</a> <span class="muted kind">NHS England '
            r'region</span> <span class="muted count">4 initiatives</span>',
            page,
        )
        assert '<span class="muted count">1 initiative</span>' in page

    def test_districts_are_reached_through_their_areas_not_listed(self, client, reg):
        page = text(client.get("/areas/"))
        assert 'href="/areas/halton/"' not in page
        assert 'href="/areas/cheshire-merseyside/"' not in page
        # The region's page lists its ICBs, and the ICB's page its districts.
        assert 'href="/areas/cheshire-merseyside/"' in text(client.get("/areas/north-west/"))
        assert 'href="/areas/halton/"' in text(client.get("/areas/cheshire-merseyside/"))

    def test_an_area_nothing_serves_reads_none_recorded(self, client, reg):
        AreaFactory(
            name="South West", slug="south-west", kind="nhs_region", parent=reg.areas["england"]
        )
        response = client.get("/areas/")
        assert listed_counts(response)["south-west"] == 0
        assert re.search(
            r'South West</a>.*?<span class="muted count">None recorded</span>', text(response)
        )

    def test_counts_follow_a_change_to_the_register(self, client, reg):
        client.get("/areas/")
        InitiativeFactory(name="Midlands Walkers", areas=[reg.areas["derby"]])
        InitiativeFactory(name="Ended Walkers", areas=[reg.areas["derby"]], lifecycle="ended")
        assert listed_counts(client.get("/areas/"))["midlands"] == 2

    def test_queries_are_bounded(self, client, reg, django_assert_max_num_queries):
        with django_assert_max_num_queries(4):
            client.get("/areas/")
        with django_assert_max_num_queries(4):
            client.get("/areas/?find=hal")


class TestCountRule:
    def test_an_area_counts_what_serves_it_here_and_what_covers_it(self, reg):
        tree = Area.objects.tree()
        halton, north_west = reg.areas["halton"], reg.areas["north-west"]
        counts = served_counts(tree, [halton.pk, north_west.pk, reg.areas["derby"].pk])
        # Halton: the ukulele club and the litter pickers (here), North West Carers
        # Voice (covering it, through its ICB and region).
        assert counts[halton.pk] == 3
        # The region: those three and Oldham's, each once.
        assert counts[north_west.pk] == 4
        assert counts[reg.areas["derby"].pk] == 1

    def test_every_areas_count_is_what_its_own_page_lists_here_and_covering_it(self, reg):
        """The index's one statement over the area closure and the covering links gives,
        for every area (nations, regions, ICBs, districts, split ones), the number its
        page lists in its first two tiers."""
        tree = Area.objects.tree()
        areas = list(Area.objects.all())
        assert len(areas) > 5
        counts = served_counts(tree, [area.pk for area in areas])
        for area in areas:
            sections = AreaSections(area, tree)
            listed = set(sections.here().values_list("pk", flat=True))
            listed |= set(sections.wider().values_list("pk", flat=True))
            assert counts[area.pk] == len(listed), area.slug
        assert any(counts.values())

    def test_the_areas_nothing_covers_are_read_from_the_tally_as_counted(self, reg, monkeypatch):
        """A nation and the areas right under one have no covering tier: their counts
        come from the facet tally, with no statement over the closure, and equal those
        counted (the tally off), drafts and ended records left out of both."""
        from django.core.cache import cache
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        InitiativeFactory(name="Ended Walkers", areas=[reg.areas["derby"]], lifecycle="ended")
        InitiativeFactory(name="Draft Walkers", areas=[reg.areas["derby"]], status="draft")
        tree = Area.objects.tree()
        tops = [e["area"].pk for e in index_entries(tree)]
        pks = tops + [c.pk for e in index_entries(tree) for c in e["children"]]
        assert all(not tree.place(pk).covering_ids for pk in pks)
        with CaptureQueriesContext(connection) as queries:
            tallied = served_counts(tree, pks)
        assert not [q for q in queries if "initiativeareaclosure" in q["sql"]]
        cache.clear()
        monkeypatch.setattr("initiatives.listing.areas.counts_given", lambda *a, **k: None)
        assert served_counts(tree, pks) == tallied
        assert any(tallied.values())


class TestFind:
    def test_part_of_a_name_finds_the_area_with_its_kind_and_parent(self, client, reg):
        response = client.get("/areas/?find=hal")
        assert response.status_code == 200
        assert [m["area"].slug for m in response.context["find"].matches] == ["halton"]
        page = text(response)
        assert 'href="/areas/halton/">Halton</a>' in page
        assert "Local authority, in NHS Cheshire and Merseyside" in page
        assert 'value="hal"' in page

    def test_every_word_must_match_in_any_case(self, client, reg):
        response = client.get("/areas/?find=NHS  manchester")
        assert [m["area"].slug for m in response.context["find"].matches] == ["greater-manchester"]

    def test_a_long_list_is_cut_with_how_many_more(self, client, reg, monkeypatch):
        monkeypatch.setattr("initiatives.listing.areas.FIND_MAX_RESULTS", 1)
        response = client.get("/areas/?find=nhs")
        assert len(response.context["find"].matches) == 1
        assert "And 2 more areas: type more of the name" in text(response)

    def test_nothing_matching_says_so(self, client, reg):
        page = text(client.get("/areas/?find=zzqx"))
        assert "No area\u2019s name contains \u201czzqx\u201d" in page

    @pytest.mark.parametrize(
        "hostile, message",
        [
            ("x" * 500, "Type at most 100 characters"),
            ("\x00\x00", "Type part of an area\u2019s name"),
            ("", "Type part of an area\u2019s name"),
            (
                "%'\";--<script>",
                "No area\u2019s name contains \u201c%&#x27;&quot;;--&lt;script&gt;\u201d",
            ),
        ],
    )
    def test_hostile_text_gets_a_message(self, client, reg, hostile, message):
        response = client.get("/areas/", {"find": hostile})
        assert response.status_code == 200
        assert message in text(response)
        assert "<script>" not in text(response).split("<main", 1)[-1]

    def test_a_nul_inside_words_is_dropped(self, client, reg):
        response = client.get("/areas/", {"find": "hal\x00ton"})
        assert [m["area"].slug for m in response.context["find"].matches] == ["halton"]


class TestWording:
    def test_four_areas_are_all_named_and_more_are_counted_as_areas(self, client, reg):
        a = reg.areas
        four = [a["halton"], a["warrington"], a["oldham"], a["erewash"]]
        InitiativeFactory(name="Four Places Group", areas=four)
        InitiativeFactory(name="Five Places Group", areas=[*four, a["wrexham"]])
        page = text(client.get("/initiatives/", {"q": "places group"}))
        assert "<dd>Erewash, Halton, Oldham, Warrington</dd>" in page
        assert re.search(r"<dd>(\w+, ){3}and 2 more areas</dd>", page)
        assert "1 more" not in page

    def test_an_empty_section_heading_reads_none_recorded(self, client, reg):
        page = text(client.get("/areas/wales/"))
        assert re.search(r'id="wider-heading">[^<]*<span class="count">None recorded</span>', page)
        assert '<span class="count">0</span>' not in page
