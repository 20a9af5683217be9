"""The area facet's counts, read from the area closure table, equal a fresh count by
walking the area tree (service areas and located districts), for random combinations of
filters (a property test)."""

from collections import Counter

import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from initiatives.listing.facets import FACETS, TIERS, TOTAL, ListingFacets
from initiatives.listing.filters import InitiativeFilter
from initiatives.models import Area, Initiative

from ..factories import InitiativeFactory, PostcodeFactory

pytestmark = pytest.mark.django_db

WORDS = ["", "", "support", "arts", "halton", "allotments", "-arts", "dementia or carers"]


def fresh_area_counts(facets: ListingFacets) -> dict[int, int]:
    """Per candidate area, the results (without the area filter) linked to it or to an
    area below it, or located in one: counted in Python from the links, the located
    districts and a fresh walk of the tree."""
    tree = Area.objects.tree()
    results = facets.queryset_without("area")
    links: dict[int, set[int]] = {
        pk: {district} if district else set()
        for pk, district in results.values_list("pk", "location_district_id")
    }
    through = Initiative.areas.through.objects.filter(initiative_id__in=list(links))
    for initiative, area in through.values_list("initiative_id", "area_id"):
        links[initiative].add(area)
    return {
        candidate.pk: sum(
            1 for areas in links.values() if areas & tree.descendant_ids(candidate.pk)
        )
        for candidate in facets.area_candidates()
    }


# Each property: 40 random combinations, with the register built once per test.
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def draw_role_topics_conditions(data, reg, params: QueryDict) -> None:
    """Add a random role (or none) and up to two topics and two conditions to `params`."""
    role = data.draw(st.sampled_from(["", *Initiative.Role.values]))
    if role:
        params["role"] = role
    for name, options in (("topic", reg.topics), ("condition", reg.conditions)):
        for key in data.draw(st.lists(st.sampled_from(sorted(options)), max_size=2, unique=True)):
            params.appendlist(name, options[key].slug)


@pytest.fixture
def located(reg):
    """Records based in Runcorn (Halton): one serving England, one serving no area."""
    InitiativeFactory(
        name="Runcorn Sewing Circle", areas=[reg.areas["england"]], located_in_town="Runcorn"
    )
    InitiativeFactory(name="Runcorn Men's Shed", located_in_town="Runcorn", role="both")


@EXAMPLES
@given(data=st.data())
def test_area_counts_equal_a_fresh_walk(reg, located, data):
    params = QueryDict(mutable=True)
    params["q"] = data.draw(st.sampled_from(WORDS))
    area = data.draw(st.sampled_from([None, *sorted(reg.areas)]))
    if area:
        params["area"] = reg.areas[area].slug
        if data.draw(st.booleans()):
            params["here_only"] = "true"
    draw_role_topics_conditions(data, reg, params)
    if data.draw(st.booleans()):
        params["include_ended"] = "1"

    filterset = InitiativeFilter(params, queryset=Initiative.objects.published())
    facets = ListingFacets(filterset)
    assert facets.area_counts() == fresh_area_counts(facets)


def fresh_counts(facets: ListingFacets) -> dict:
    """Each facet counted on its own over the results without it, and each tier counted
    on its own (the way before they shared a statement)."""
    fresh = ListingFacets(facets.filterset, reuse_register=False)
    counts = {}
    for name in FACETS:
        queryset = fresh.queryset_without(name)
        counts[name] = dict(fresh._count_batch(queryset, [name])[name])
    counts[TOTAL] = fresh.queryset_without().count()
    tiering = facets.tiering
    if tiering == "point":
        rows = fresh.queryset_without().order_by().values_list("tier", flat=True)
        counts[TIERS] = dict(Counter(rows))
    elif tiering is not None:
        results = fresh.queryset_without("area")
        counts[TIERS] = {t: results.in_tier(tiering, t).count() for t in tiering.tier_headings()}
    return counts


@EXAMPLES
@given(data=st.data())
def test_the_counts_in_one_statement_equal_a_fresh_count_of_each(reg, located, data):
    """The listing's facets and tiers, counted together (the tiers beside the facets, the
    area facet beside an area from the closure rows), equal each counted alone."""
    PostcodeFactory(
        postcode="WA8 7QF", local_authority_code="E06000006", easting=351233, northing=385402
    )
    params = QueryDict(mutable=True)
    params["q"] = data.draw(st.sampled_from(WORDS))
    place = data.draw(st.sampled_from(["", "postcode", "place", "area"]))
    if place == "postcode":
        params["postcode"] = "WA8 7QF"
    elif place == "place":
        params["place"] = "Runcorn"
    elif place == "area":
        params["area"] = reg.areas[data.draw(st.sampled_from(sorted(reg.areas)))].slug
    if place and data.draw(st.booleans()):
        params["here_only"] = "true"
    draw_role_topics_conditions(data, reg, params)
    params["include_ended"] = data.draw(st.sampled_from(["", "1", "only"]))

    filterset = InitiativeFilter(params, queryset=Initiative.objects.published())
    facets = ListingFacets(filterset, tiers=True, reuse_register=False)
    folded = {name: dict(facets._grouped(name)) for name in FACETS}
    folded[TOTAL] = facets.total()
    if facets.tiering is not None:
        folded[TIERS] = {t: n for t, n in facets.tier_counts().items() if n}
    fresh = fresh_counts(facets)
    if TIERS in fresh:
        fresh[TIERS] = {t: n for t, n in fresh[TIERS].items() if n}
    for name in FACETS:
        # Options counted nowhere are left out of either; the area facet counts candidates.
        folded[name] = {k: v for k, v in folded[name].items() if v}
        fresh[name] = {k: v for k, v in fresh[name].items() if v}
    assert folded == fresh
    # Without the area (as an empty page suggests), counted when the closure's count skips it.
    if "area" in facets.active():
        assert facets.count_without("area") == facets.queryset_without("area").count()
