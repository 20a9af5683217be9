"""The facet tally (initiatives.services.tally) equals a fresh count after every kind of
write; the listing reads a filter's counts from it, the same counts a fresh count
gives, even past the count budget; while it is not built, the listing counts as
before; `sync_tallies` builds it, checks it and repairs it."""

import importlib
import io
from collections import Counter
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from initiatives.curation.bulk import ACTIONS, apply_action
from initiatives.listing.facets import FACETS, ListingFacets
from initiatives.listing.filters import InitiativeFilter
from initiatives.models import FacetPairCount, Initiative, InitiativeFacetKeys
from initiatives.services.tally import is_built, tally_deferred, tally_sync

from ..factories import (
    AreaFactory,
    ConditionFactory,
    FundingLineFactory,
    InitiativeFactory,
    OrganisationFactory,
    PopulationGroupFactory,
    TopicFactory,
    VanguardSiteFactory,
)
from .tally_support import assert_tally_in_step, stored_tally

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    england = AreaFactory(name="England", kind="nation")
    north_west = AreaFactory(name="North West", kind="nhs_region", parent=england)
    halton = AreaFactory(name="Halton", kind="local_authority", parent=north_west, code="E06000006")
    wales = AreaFactory(name="Wales", kind="nation")
    return {
        "halton": halton,
        "wales": wales,
        "arts": TopicFactory(name="Arts"),
        "walks": TopicFactory(name="Walks"),
        "carers": PopulationGroupFactory(name="Carers"),
        "sickle": ConditionFactory(name="Sickle cell"),
        "vanguard": VanguardSiteFactory(name="Halton vanguard"),
    }


def test_a_fresh_database_has_its_tally_built():
    assert is_built()
    assert stored_tally() == Counter()


def test_each_write_to_an_initiative_keeps_it(world):
    one = InitiativeFactory(areas=[world["halton"]], topics=[world["arts"]])
    two = InitiativeFactory(role="campaigning", conditions=[world["sickle"]])
    assert_tally_in_step()
    assert stored_tally()[("*", "*")] == 2
    one.role = "both"
    one.vanguard = world["vanguard"]
    one.save()
    assert_tally_in_step()
    one.topics.add(world["walks"])
    one.population_groups.add(world["carers"])
    assert_tally_in_step()
    two.topics.add(world["arts"])
    assert_tally_in_step()
    two.topics.clear()
    assert_tally_in_step()
    one.topics.remove(world["walks"])
    one.areas.add(world["wales"])
    assert_tally_in_step()
    one.areas.clear()
    assert_tally_in_step()
    two.status = Initiative.Status.ARCHIVED
    two.save()
    assert_tally_in_step()
    assert stored_tally()[("*", "*")] == 1
    two.status = Initiative.Status.PUBLISHED
    two.lifecycle = Initiative.Lifecycle.ENDED
    two.save()
    assert_tally_in_step()
    one.delete()
    assert_tally_in_step()
    assert stored_tally() == Counter()
    assert not InitiativeFacetKeys.objects.exists()


def test_a_draft_counts_once_published(world):
    draft = InitiativeFactory(status="draft", areas=[world["halton"]])
    assert stored_tally() == Counter()
    draft.status = "published"
    draft.save()
    assert_tally_in_step()
    assert stored_tally()[("*", f"area:{world['halton'].pk}")] == 1


def test_a_save_that_changes_no_key_writes_nothing(world):
    initiative = InitiativeFactory(areas=[world["halton"]])
    initiative.refresh_from_db()
    initiative.summary = "Another summary."
    with CaptureQueriesContext(connection) as queries:
        initiative.save()
    assert not [q for q in queries if "facet" in q["sql"].lower()]
    assert_tally_in_step()


def test_the_organisation_and_its_funding(world):
    organisation = OrganisationFactory(legal_form="cic")
    initiative = InitiativeFactory(organisation=organisation)
    assert_tally_in_step()
    organisation.legal_form = "registered_charity"
    organisation.save()
    assert_tally_in_step()
    assert stored_tally()[("*", "legal_form:registered_charity")] == 1
    FundingLineFactory(
        organisation=organisation, share=Decimal("80")
    )  # one funder: highly dependent
    initiative.refresh_from_db()
    assert initiative.funding_dependency == "highly_dependent"
    assert_tally_in_step()
    assert stored_tally()[("*", "funding_dependency:highly_dependent")] == 1


def test_deleting_a_value_takes_it_out(world):
    InitiativeFactory(topics=[world["arts"]], conditions=[world["sickle"]], areas=[world["halton"]])
    initiative = InitiativeFactory(population_groups=[world["carers"]])
    initiative.vanguard = world["vanguard"]
    initiative.save()
    assert_tally_in_step()
    for value in ("arts", "sickle", "carers", "vanguard"):
        world[value].delete()
        assert_tally_in_step()


def test_a_bulk_action_syncs_once_at_the_end(world, admin_user):
    records = [InitiativeFactory(areas=[world["halton"]]) for _ in range(3)]
    archive = ACTIONS["archive"]
    with CaptureQueriesContext(connection) as queries:
        outcome = apply_action(
            archive, Initiative.objects.filter(pk__in=[r.pk for r in records]), user=admin_user
        )
    assert outcome.changed == 3
    # One read of the kept keys for all three, not one each.
    assert len([q for q in queries if "initiativefacetkeys" in q["sql"].lower()]) <= 3
    assert_tally_in_step()
    assert stored_tally() == Counter()


def test_deferred_syncs_run_once_at_the_end(world):
    initiative = InitiativeFactory()
    with tally_deferred():
        initiative.topics.add(world["arts"])
        assert stored_tally()[("*", f"topic:{world['arts'].pk}")] == 0  # held back
    assert_tally_in_step()


# Reading ------------------------------------------------------------------------------


def counts(params: QueryDict, *, reuse: bool) -> dict:
    facets = ListingFacets(
        InitiativeFilter(params, queryset=Initiative.objects.published()), reuse_register=reuse
    )
    found = {name: dict(facets._grouped(name)) for name in FACETS if name != "area"}
    found["area"] = facets.area_counts()
    found["total"] = facets.total()
    found["without"] = {name: facets.count_without(name) for name in facets.active()}
    return found


@pytest.fixture
def listing(world):
    InitiativeFactory(areas=[world["halton"]], topics=[world["arts"]], role="campaigning")
    InitiativeFactory(areas=[world["wales"]], topics=[world["arts"], world["walks"]])
    InitiativeFactory(topics=[world["walks"]], conditions=[world["sickle"]], lifecycle="ended")
    InitiativeFactory(areas=[world["halton"]], status="draft")
    return world


@pytest.mark.parametrize(
    "params",
    [
        "",
        "role=campaigning",
        "role=service_provider",
        "topic=arts",
        "topic=walks",
        "condition=sickle-cell",
        "funding_dependency=unknown",
        "legal_form=cic",
        "role=campaigning&topic=walks",
        "topic=arts&include_ended=1",
        "topic=arts&here_only=true",
        "area=halton&here_only=true",
        "area=england&here_only=true",
        "area=halton",
    ],
)
def test_a_filters_counts_from_the_tally_equal_a_fresh_count(listing, params):
    assert counts(QueryDict(params), reuse=True) == counts(QueryDict(params), reuse=False)


def test_a_listing_with_one_filter_counts_nothing(listing):
    facets = ListingFacets(
        InitiativeFilter(QueryDict("topic=arts"), queryset=Initiative.objects.published())
    )
    with CaptureQueriesContext(connection) as queries:
        facets.all()
        assert facets.total() == 2
    counting = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counting == []
    # The filter's pairs, and the register's beside the filter's own facet.
    assert len([q for q in queries if "facetpaircount" in q["sql"].lower()]) == 2


def test_past_the_budget_a_filter_still_shows_its_counts(client, listing, settings):
    settings.DB_COUNT_BUDGET = 1e-9  # no time at all for counting
    page = client.get("/initiatives/", {"topic": "arts"})
    assert page.status_code == 200
    assert "still being counted" not in page.content.decode()
    roles = {o.value: o.count for o in page.context["facets"]["role"].options}
    assert roles == {"campaigning": 1, "service_provider": 1, "both": 0}


def test_while_it_is_not_built_the_listing_counts_as_before(listing):
    FacetPairCount.objects.filter(a="#").delete()
    assert not is_built()
    InitiativeFactory(topics=[listing["arts"]], role="both")  # not tallied meanwhile
    assert counts(QueryDict("topic=arts"), reuse=True) == counts(
        QueryDict("topic=arts"), reuse=False
    )
    call_command("sync_tallies", "--if-unbuilt", stdout=io.StringIO())
    assert_tally_in_step()


def test_the_command_checks_and_repairs_it(listing):
    out = io.StringIO()
    call_command("sync_tallies", "--check", stdout=out)
    assert "agrees" in out.getvalue()
    FacetPairCount.objects.filter(a="*", b="*").update(n=99)
    with pytest.raises(CommandError, match="differs from a fresh count in 1 pairs"):
        call_command("sync_tallies", "--check", stdout=io.StringIO())
    FacetPairCount.objects.all().delete()
    InitiativeFacetKeys.objects.all().delete()
    call_command("sync_tallies", stdout=out)
    assert_tally_in_step()
    assert tally_sync() == 0  # in step: nothing to change


def test_the_migration_marks_an_empty_register_built_and_leaves_a_full_one_to_the_command(
    listing,
):
    migration = importlib.import_module("initiatives.migrations.0020_facet_tally")
    FacetPairCount.objects.all().delete()
    migration.built_when_empty(apps, SimpleNamespace(connection=connection))
    assert not is_built()  # initiatives there: `sync_tallies` builds it
    Initiative.objects.all().delete()
    InitiativeFacetKeys.objects.all().delete()
    migration.built_when_empty(apps, SimpleNamespace(connection=connection))
    assert is_built()
