"""The listing on the shared sample register: results, facet counts, chips, empty
states, hostile params and query counts."""

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ..factories import AreaFactory, ConditionFactory, InitiativeFactory
from .support import LIST, MAX_LISTING_QUERIES, facet_counts, names, query, text

pytestmark = pytest.mark.django_db


class TestResults:
    def test_lists_published_initiatives_only_in_name_order(self, client, reg):
        response = client.get(LIST)
        assert response.status_code == 200
        assert names(response) == [
            "Halton Litter Pickers",
            "Halton Ukulele Club",
            "North West Carers Voice",
            "Oldham Arts on Prescription",
            "Patient View Survey",
            "Wellbeing Erewash",
            "Wrexham Community Allotments",
        ]
        assert "7</strong> initiatives found" in text(response)
        assert "Halton Draft Group" not in text(response)
        assert "Halton Closed Group" not in text(response)

    def test_each_result_shows_summary_role_areas_and_last_check(self, client, reg):
        page = text(client.get(LIST, {"q": "litter"}))
        assert "Community litter cleaning." in page
        assert "Halton, Warrington" in page
        assert "Halton Social Enterprises" in page
        assert "Peer support" in page

    FILTER_CASES = [
        ({"role": "campaigning"}, ["North West Carers Voice", "Patient View Survey"]),
        (
            {"area": "north-west"},
            [
                "Halton Litter Pickers",
                "Halton Ukulele Club",
                "North West Carers Voice",
                "Oldham Arts on Prescription",
                # Tier by tier: what serves the whole UK comes after what serves the place.
                "Patient View Survey",
            ],
        ),
        (
            {"area": "north-west", "here_only": "true"},
            [
                "Halton Litter Pickers",
                "Halton Ukulele Club",
                "North West Carers Voice",
                "Oldham Arts on Prescription",
            ],
        ),
        ({"area": "wales"}, ["Wrexham Community Allotments", "Patient View Survey"]),
        ({"area": "wales", "here_only": "true"}, ["Wrexham Community Allotments"]),
        (
            {"condition": ["diabetes", "huntingtons"]},
            ["Halton Ukulele Club", "Oldham Arts on Prescription", "Patient View Survey"],
        ),
        ({"topic": "arts"}, ["Halton Ukulele Club", "Oldham Arts on Prescription"]),
        (
            {"population": "carers"},
            ["North West Carers Voice", "Wrexham Community Allotments"],
        ),
        ({"vanguard": "better-care"}, ["Oldham Arts on Prescription"]),
        ({"funding_dependency": "highly_dependent"}, ["Oldham Arts on Prescription"]),
        ({"legal_form": "cic"}, ["Halton Litter Pickers", "Halton Ukulele Club"]),
        ({"q": "ukulele"}, ["Halton Ukulele Club"]),
        (
            {"area": "north-west", "role": "service_provider", "topic": "arts"},
            ["Halton Ukulele Club", "Oldham Arts on Prescription"],
        ),
    ]

    def test_filters_narrow_the_results(self, client, reg):
        # One register for every case: building it is the slow part.
        for params, expected in self.FILTER_CASES:
            response = client.get(LIST, params)
            assert response.status_code == 200, params
            assert names(response) == expected, params

    def test_sorted_by_last_check_puts_the_stalest_last(self, client, reg):
        response = client.get(LIST, {"sort": "-last_verified_on"})
        assert names(response)[-1] == "Oldham Arts on Prescription"

    def test_relevance_is_offered_only_with_a_search(self, client, reg):
        without_q = client.get(LIST).context["sort_options"]
        with_q = client.get(LIST, {"q": "halton"}).context["sort_options"]
        assert [o["value"] for o in without_q] == ["name", "-last_verified_on"]
        assert [o["value"] for o in with_q][0] == "relevance"
        assert [o["value"] for o in with_q if o["selected"]] == ["relevance"]

    def test_download_link_carries_the_same_filters(self, client, reg):
        response = client.get(
            LIST, {"role": "service_provider", "condition": "dementia", "page": "1"}
        )
        url = response.context["export_url"]
        assert urlsplit(url).path == reverse("initiatives:export_csv")
        assert query(url) == {"role": ["service_provider"], "condition": ["dementia"]}
        assert "Download these 2 initiatives as CSV" in text(response)

    def test_empty_params_from_a_submitted_form_are_dropped_from_the_address(self, client, reg):
        response = client.get(LIST + "?q=&role=&area=&topic=arts&sort=name")
        assert response.status_code == 302
        assert query(response.url) == {"topic": ["arts"], "sort": ["name"]}


class TestFacetCounts:
    def test_each_facet_counts_with_every_other_filter_applied(self, client, reg):
        response = client.get(LIST, {"role": "service_provider", "area": "north-west"})
        # Role counts ignore the role filter but keep the area (and what serves the
        # whole UK, which serves the area too).
        assert facet_counts(response, "role") == {
            "service_provider": 2,
            "campaigning": 2,
            "both": 1,
        }
        # Condition counts keep both the role and the area.
        assert facet_counts(response, "condition") == {
            "dementia": 1,
            "diabetes": 1,
            "huntingtons": 1,
        }
        # Area counts keep the role but not the area.
        area = facet_counts(response, "area")
        assert area["england"] == 2
        assert area["north-west"] == 2
        assert area["wales"] == 1
        assert area["midlands"] == 0

    def test_the_area_and_vanguard_selects_show_each_option_with_its_count(self, client, reg):
        """The selects' options, written in Python (Facet.options_html): the chosen one
        selected, each with its count, nested ones indented, every name escaped."""
        import re

        AreaFactory(name='<b>"Bold" & Co</b>', slug="bold-co", parent=reg.areas["halton"])
        response = client.get(LIST, {"area": "halton"})
        html = text(response)
        counts = facet_counts(response, "area")
        assert re.search(
            rf'<option value="halton" selected>(\u00a0\u00a0)+Halton \({counts["halton"]}\)'
            r"</option>",
            html,
        )
        assert '<option value="england">England (' in html
        assert "&lt;b&gt;&quot;Bold&quot; &amp; Co&lt;/b&gt; (0)</option>" in html
        assert "<b>" not in html
        vanguard = response.context["facets"]["vanguard"].options[0]
        assert f'<option value="{vanguard.value}">{vanguard.label} ({vanguard.count})' in html
        options = re.findall(r'<select id="area".*?</select>', html, re.S)[0].count("<option")
        assert options == len(response.context["facets"]["area"].options) + 1  # and Anywhere

    def test_a_repeatable_facet_counts_its_options_as_if_it_were_not_chosen(self, client, reg):
        response = client.get(LIST, {"condition": "dementia"})
        assert facet_counts(response, "condition") == {
            "dementia": 2,
            "diabetes": 1,
            "huntingtons": 2,
        }
        assert facet_counts(response, "topic") == {"arts": 1, "growing": 1, "peer": 0}

    def test_other_facets_count_within_the_filtered_results(self, client, reg):
        response = client.get(LIST, {"topic": "arts"})
        assert facet_counts(response, "legal_form")["cic"] == 1
        assert facet_counts(response, "legal_form")["cio"] == 1
        assert facet_counts(response, "funding_dependency") == {
            "diverse": 1,
            "moderate": 0,
            "dependent": 0,
            "highly_dependent": 1,
            "unknown": 0,
        }
        assert facet_counts(response, "vanguard") == {"better-care": 1, "erewash-mcp": 0}

    def test_an_area_counts_initiatives_in_two_of_its_districts_once(self, client, reg):
        response = client.get(LIST)
        area = facet_counts(response, "area")
        # Litter pickers serve Halton and Warrington: one initiative in the North West.
        assert area["north-west"] == 4
        assert area["england"] == 5
        assert area["wales"] == 1

    def test_choosing_an_area_offers_its_sub_areas_with_counts(self, client, reg):
        response = client.get(LIST, {"area": "cheshire-merseyside"})
        children = response.context["area_children"]
        assert [(c["label"], c["count"]) for c in children] == [("Halton", 2), ("Warrington", 1)]
        assert query(children[0]["url"]) == {"area": ["halton"]}

    def test_rare_conditions_are_marked_and_options_without_results_hidden(self, client, reg):
        response = client.get(LIST, {"role": "campaigning"})
        page = text(response)
        assert 'id="condition-huntingtons"' in page
        assert '<span class="tag tag--rare">rare</span>' in page
        assert 'id="condition-dementia"' not in page
        assert 'id="topic-arts"' not in page


class TestChips:
    def test_each_active_filter_is_a_chip_that_drops_only_itself(self, client, reg):
        response = client.get(
            LIST, {"q": "halton", "role": "both", "condition": ["dementia", "diabetes"]}
        )
        chips = {chip["label"]: query(chip["url"]) for chip in response.context["chips"]}
        assert chips == {
            "Search: \u201chalton\u201d": {"role": ["both"], "condition": ["dementia", "diabetes"]},
            "Role: Both": {"q": ["halton"], "condition": ["dementia", "diabetes"]},
            "Condition: Dementia": {
                "q": ["halton"],
                "role": ["both"],
                "condition": ["diabetes"],
            },
            "Condition: Diabetes": {"q": ["halton"], "role": ["both"], "condition": ["dementia"]},
        }
        page = text(response)
        assert "Remove filter </span>Role: Both" in page
        assert f'href="{LIST}" class="chips__clear">Clear all filters' in page

    def test_no_chips_without_filters(self, client, reg):
        response = client.get(LIST, {"sort": "name"})
        assert response.context["chips"] == []
        assert "Clear all filters" not in text(response)


class TestEmptyState:
    def test_suggests_removing_the_filter_that_gives_most_results(self, client, reg):
        response = client.get(LIST, {"topic": "arts", "area": "wales"})
        assert response.context["count"] == 0
        suggestion = response.context["suggestion"]
        # Without the area, 2 arts initiatives; without the topic, 1 in Wales.
        assert suggestion["label"] == "Area: Wales"
        assert suggestion["count"] == 2
        assert query(suggestion["url"]) == {"topic": ["arts"]}
        page = text(response)
        assert "No initiatives match all of these choices" in page
        assert "Remove it to see 2 initiatives" in page

    def test_the_suggestions_counts_are_kept_until_the_register_changes(
        self, client, reg, settings, monkeypatch
    ):
        """Each count behind the suggestion is kept per version of the register: made
        again (the page cache off), the empty page counts nothing for it; after a
        change, the count is made again and includes the change."""
        from initiatives.listing.facets import ListingFacets

        settings.PAGE_CACHE = False
        params = {"topic": "arts", "area": "wales"}
        assert client.get(LIST, params).context["suggestion"]["count"] == 2
        counted = ListingFacets.count_without

        def refuse(self, name):
            raise AssertionError(f"counted again without {name}")

        monkeypatch.setattr(ListingFacets, "count_without", refuse)
        assert client.get(LIST, params).context["suggestion"]["count"] == 2
        monkeypatch.setattr(ListingFacets, "count_without", counted)
        InitiativeFactory(
            name="Painting together", topics=[reg.topics["arts"]], areas=[reg.areas["oldham"]]
        )
        suggestion = client.get(LIST, params).context["suggestion"]
        assert (suggestion["label"], suggestion["count"]) == ("Area: Wales", 3)

    def test_a_search_with_no_match_suggests_dropping_the_search(self, client, reg):
        response = client.get(LIST, {"q": "zzzzqqq", "role": "both"})
        assert response.context["suggestion"]["label"] == "Search: \u201czzzzqqq\u201d"
        assert "Check the spelling" in text(response)


class TestInputThatMustNotBreakIt:
    MESSAGE_CASES = [
        ("page=abc", "\u201cabc\u201d is not a page number, so here is the first page."),
        ("page=-1", "\u201c-1\u201d is not a page number, so here is the first page."),
        ("page=99999", "There is no page 99999, so here is the first page."),
        ("area=xyz", "We don\u2019t know the area \u2018xyz\u2019"),
        ("condition=dementia&condition=nope", "We don\u2019t know the condition \u2018nope\u2019"),
        ("topic=nope", "We don\u2019t know the topic \u2018nope\u2019"),
        ("population=nope", "We don\u2019t know the population group \u2018nope\u2019"),
        ("vanguard=nope", "We don\u2019t know the vanguard site \u2018nope\u2019"),
        ("role=boss", "We don\u2019t know the role \u2018boss\u2019"),
        ("legal_form=plc", "We don\u2019t know the legal form \u2018plc\u2019"),
        ("funding_dependency=x", "We don\u2019t know the funding dependency \u2018x\u2019"),
        ("sort=drop%20table", "We can\u2019t sort by \u201cdrop table\u201d"),
        ("sort=drop%20table;--&q=halton", "sorted by relevance"),
        ("q=" + "a" * 10_000, "Your search was too long"),
        ("role=both&role=campaigning", "more than one role; we used the last one"),
        ("area=%ff", "We don\u2019t know the area \u2018\ufffd\u2019"),
        ("area=%3Cscript%3Ealert(1)%3C/script%3E", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ]

    def test_bad_params_give_a_page_with_a_clear_message(self, client, reg):
        for query_string, message in self.MESSAGE_CASES:
            response = client.get(f"{LIST}?{query_string}")
            assert response.status_code == 200, query_string
            page = text(response)
            assert message in page, query_string
            assert "<script>alert" not in page
            assert "Some of what you asked for could not be used" in page, query_string

    def test_valid_filters_still_apply_beside_a_bad_one(self, client, reg):
        response = client.get(f"{LIST}?role=campaigning&area=xyz&page=abc")
        assert names(response) == ["North West Carers Voice", "Patient View Survey"]
        chips = [chip["label"] for chip in response.context["chips"]]
        assert chips == ["Role: Campaigning group"]
        # Links no longer carry what was not understood.
        assert query(response.context["export_url"]) == {"role": ["campaigning"]}

    NEVER_500_CASES = [
        "q=%00",
        "q=hal%00ton",
        "area=%00",
        "condition=dement%00ia",
        "q=%ff%fe",
        "q=%ed%a0%80",
        "%00=%00",
        "page=%00",
        "page=1e9",
        "page=" + "9" * 400,
        "sort=",
        "q=" + "%25" * 3000,
        "condition=" + "&condition=".join(f"c{n}" for n in range(120)),
        "q=halton&q=oldham&page=1&page=2",
        "q=a:*%20%26%20!b%20|%20%27%22",
        "q=%22unterminated",
        "q=-",
        "q=%E2%80%8B",
        "area=halton&area=wales",
    ]

    def test_never_a_server_error(self, client, reg):
        for query_string in self.NEVER_500_CASES:
            response = client.get(f"{LIST}?{query_string}", follow=True)
            assert response.status_code == 200, query_string

    def test_nul_bytes_are_dropped_from_the_search(self, client, reg):
        response = client.get(f"{LIST}?q=uku%00lele")
        assert names(response) == ["Halton Ukulele Club"]

    def test_repeated_single_params_use_the_last(self, client, reg):
        response = client.get(f"{LIST}?role=both&role=campaigning")
        assert names(response) == ["North West Carers Voice", "Patient View Survey"]

    def test_too_many_values_are_capped_with_a_message(self, client, reg):
        many = "&".join(f"topic=t{n}" for n in range(60))
        response = client.get(f"{LIST}?{many}")
        assert response.status_code == 200
        assert "We used the first 50 topic choices of the 60 given." in text(response)


class TestQueryCount:
    @pytest.fixture
    def big(self, reg):
        conditions = [ConditionFactory() for _ in range(5)]
        areas = [AreaFactory(parent=reg.areas["greater-manchester"]) for _ in range(5)]
        for n in range(30):
            InitiativeFactory(
                name=f"Busy {n}",
                areas=areas[: 1 + n % 5],
                conditions=conditions[: 1 + n % 3],
                topics=[reg.topics["arts"], reg.topics["peer"]],
                population_groups=[reg.groups["older"]],
                last_verified_on=date.today() - timedelta(days=n),
            )
        return reg

    BOUND_CASES = [
        {},
        {"q": "busy"},
        # A misspelling gets the search's second chance.
        {"q": "bussy halten", "topic": "arts"},
        {
            "q": "busy",
            "role": "service_provider",
            "area": "north-west",
            "topic": ["arts", "peer"],
            "population": "older",
            "funding_dependency": "unknown",
            "legal_form": "registered_charity",
            "sort": "-last_verified_on",
            "page": "2",
        },
        # Nothing matches: the empty state counts the results without each filter.
        {
            "q": "busy",
            "role": "campaigning",
            "area": "wales",
            "vanguard": "erewash-mcp",
            "condition": ["dementia", "diabetes"],
            "topic": "arts",
            "population": "older",
            "funding_dependency": "diverse",
            "legal_form": "cic",
        },
    ]

    def test_listing_queries_are_bounded(self, client, big, django_assert_max_num_queries):
        for params in self.BOUND_CASES:
            with django_assert_max_num_queries(MAX_LISTING_QUERIES):
                response = client.get(LIST, params)
            assert response.status_code == 200

    def test_query_count_does_not_grow_with_the_results(self, client, big):
        with CaptureQueriesContext(connection) as few:
            client.get(LIST, {"topic": "arts", "page": "2"})
        for n in range(20):
            InitiativeFactory(name=f"Busy extra {n}", topics=[big.topics["arts"]])
        with CaptureQueriesContext(connection) as more:
            client.get(LIST, {"topic": "arts", "page": "2"})
        assert len(more.captured_queries) == len(few.captured_queries)
