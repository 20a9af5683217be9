"""The area facet's counts, read from the area closure table, equal a fresh count by
walking the area tree (service areas and located districts), for random combinations of
filters (a property test)."""

import pytest
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from initiatives.listing.facets import ListingFacets
from initiatives.listing.filters import InitiativeFilter
from initiatives.models import Area, Initiative

from ..factories import InitiativeFactory

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


@pytest.fixture
def located(reg):
    """Records based in Runcorn (Halton): one serving England, one serving no area."""
    InitiativeFactory(
        name="Runcorn Sewing Circle", areas=[reg.areas["england"]], located_in_town="Runcorn"
    )
    InitiativeFactory(name="Runcorn Men's Shed", located_in_town="Runcorn", role="both")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_area_counts_equal_a_fresh_walk(reg, located, data):
    params = QueryDict(mutable=True)
    params["q"] = data.draw(st.sampled_from(WORDS))
    area = data.draw(st.sampled_from([None, *sorted(reg.areas)]))
    if area:
        params["area"] = reg.areas[area].slug
        if data.draw(st.booleans()):
            params["here_only"] = "true"
    role = data.draw(st.sampled_from(["", *Initiative.Role.values]))
    if role:
        params["role"] = role
    for name, options in (("topic", reg.topics), ("condition", reg.conditions)):
        for key in data.draw(st.lists(st.sampled_from(sorted(options)), max_size=2, unique=True)):
            params.appendlist(name, options[key].slug)
    if data.draw(st.booleans()):
        params["include_ended"] = "1"

    filterset = InitiativeFilter(params, queryset=Initiative.objects.published())
    facets = ListingFacets(filterset)
    assert facets.area_counts() == fresh_area_counts(facets)
