"""The home page, on the shared sample register."""

import pytest

from .support import text

pytestmark = pytest.mark.django_db


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

    def test_home_queries_are_bounded(self, client, reg, django_assert_max_num_queries):
        # On PostgreSQL the roles' counts come from the facet tally (register_counts),
        # read in a few statements of its own, whatever the size of the register.
        with django_assert_max_num_queries(8):
            client.get("/")


def test_areas_covered_counts_the_areas_a_current_published_record_is_linked_to(reg):
    """Each area counts once, through any current published record linked to it; an area
    reached only by drafts, archived or ended records, or only as the parent of a linked
    one, does not count."""
    from directory.views import areas_covered
    from initiatives.models import Initiative

    from ..factories import InitiativeFactory

    halton, wales = reg.areas["halton"], reg.areas["wales"]
    InitiativeFactory(areas=[halton, wales], status=Initiative.Status.DRAFT)
    InitiativeFactory(areas=[wales], lifecycle=Initiative.Lifecycle.ENDED)
    links = Initiative.areas.through.objects.filter(
        initiative__status=Initiative.Status.PUBLISHED
    ).exclude(initiative__lifecycle=Initiative.Lifecycle.ENDED)
    expected = links.values("area_id").distinct().count()
    assert areas_covered() == expected == 6  # as on the home page: Wales is not among them
    InitiativeFactory(areas=[wales])
    assert areas_covered() == 7
