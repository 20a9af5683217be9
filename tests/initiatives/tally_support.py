"""The facet tally counted afresh, for tests of every kind of write."""

from collections import Counter, defaultdict
from itertools import combinations_with_replacement

from initiatives.models import FacetPairCount, Initiative
from initiatives.services.tally import is_built


def fresh_tally() -> Counter:
    """Every pair of facet values of the published, current initiatives, counted afresh
    through the ORM's relations and a fresh walk of the area tree (not the closure)."""
    from .test_area_closure import fresh as fresh_closure

    areas = defaultdict(set)
    for initiative, area in fresh_closure():
        areas[initiative].add(area)
    expected: Counter = Counter()
    counted = (
        Initiative.objects.filter(status="published")
        .exclude(lifecycle="ended")
        .select_related("organisation")
        .prefetch_related("topics", "population_groups", "conditions")
    )
    for initiative in counted:
        keys = {"*", f"role:{initiative.role}"}
        keys.add(f"funding_dependency:{initiative.funding_dependency}")
        if initiative.vanguard_id is not None:
            keys.add(f"vanguard:{initiative.vanguard_id}")
        if initiative.organisation is not None:
            keys.add(f"legal_form:{initiative.organisation.legal_form}")
        keys |= {f"topic:{t.pk}" for t in initiative.topics.all()}
        keys |= {f"population:{p.pk}" for p in initiative.population_groups.all()}
        keys |= {f"condition:{c.pk}" for c in initiative.conditions.all()}
        keys |= {f"area:{a}" for a in areas[initiative.pk]}
        expected.update(combinations_with_replacement(sorted(keys), 2))
    return expected


def stored_tally() -> Counter:
    return Counter(
        {
            (a, b): n
            for a, b, n in FacetPairCount.objects.values_list("a", "b", "n")
            if a != "#" and n
        }
    )


def assert_tally_in_step():
    assert is_built()
    assert stored_tally() == fresh_tally()
