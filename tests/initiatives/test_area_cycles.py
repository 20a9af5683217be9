"""Areas are a tree, or a DAG at most: a cycle that got into the data anyway (written
behind the admin's back) never makes a walk run away, and every area is still listed."""

import pytest

from initiatives.areas import AreaTree
from initiatives.models import Area

from ..factories import AreaFactory

pytestmark = pytest.mark.django_db

CYCLE = 8


def ring(parent=None) -> list[Area]:
    """CYCLE areas, each lying also in the next one (through other_parents), the last
    in the first: a loop written through the ORM, as no form allows."""
    areas = [
        AreaFactory(name=f"Loop {n}", slug=f"loop-{n}", kind="icb", parent=parent)
        for n in range(CYCLE)
    ]
    through = Area.other_parents.through
    through.objects.bulk_create(
        through(from_area_id=area.pk, to_area_id=areas[(n + 1) % CYCLE].pk)
        for n, area in enumerate(areas)
    )
    return areas


def test_the_areas_index_lists_every_area_of_a_loop(client, django_assert_max_num_queries):
    region = AreaFactory(name="Looping region", slug="looping-region", kind="nhs_region")
    areas = ring(parent=region)
    with django_assert_max_num_queries(4):
        response = client.get("/areas/")
    assert response.status_code == 200
    page = response.content.decode()
    for area in areas:
        # Under the region, once: the index lists one level below each top area.
        assert page.count(f'href="/areas/{area.slug}/"') == 1
    assert page.count('href="/areas/looping-region/"') == 1
    # An area of the loop has its page: everything in the loop lies both above and below it.
    response = client.get("/areas/loop-3/")
    assert response.status_code == 200
    assert {a.slug for a in response.context["ancestors"]} == {"looping-region"} | {
        area.slug for area in areas if area.slug != "loop-3"
    }


def test_areas_whose_parents_loop_are_still_listed(client):
    first = AreaFactory(name="Round one", slug="round-one", kind="icb")
    second = AreaFactory(name="Round two", slug="round-two", kind="icb", parent=first)
    Area.objects.filter(pk=first.pk).update(parent=second)
    response = client.get("/areas/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'href="/areas/round-one/"' in page
    assert 'href="/areas/round-two/"' in page


class Node:
    def __init__(self, pk, parent_id=None):
        self.pk, self.parent_id = pk, parent_id
        self.name = self.slug = f"a{pk}"
        self.kind = "icb"


def count_nodes(nodes) -> int:
    total, stack = 0, list(nodes)
    while stack:
        node = stack.pop()
        total += 1
        stack.extend(node["children"])
    return total


def test_a_deep_dag_is_listed_once_per_parent_not_once_per_path():
    """Forty levels of two areas, each lying in both areas of the level above: 2**40
    paths from the top, yet each area appears once under each of its two parents."""
    levels = 40
    nodes = [Node(1), Node(2)]
    links = []
    for level in range(1, levels):
        a, b = 2 * level + 1, 2 * level + 2
        nodes += [Node(a, a - 2), Node(b, b - 2)]
        links += [(a, b - 2), (b, a - 2)]
    tree = AreaTree(nodes, links)
    assert count_nodes(tree.nested()) == 2 + 2 * 2 * (levels - 1)
    assert len(tree.in_order()) == len(nodes)


def test_a_long_chain_does_not_exhaust_the_stack():
    chain = [Node(1)] + [Node(n, n - 1) for n in range(2, 5001)]
    tree = AreaTree(chain)
    assert count_nodes(tree.nested()) == 5000
    assert [depth for _area, depth in tree.in_order()][-1] == 4999
    assert tree.descendant_ids(1) == set(range(1, 5001))
    assert tree.ancestor_ids(5000) == set(range(1, 5000))
