"""factory_boy factories for the register's models."""

from datetime import date
from decimal import Decimal

import factory

from initiatives import models
from places.models import Postcode


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Area

    name = factory.Sequence(lambda n: f"Area {n}")
    kind = models.Area.Kind.LOCAL_AUTHORITY


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Condition

    name = factory.Sequence(lambda n: f"Condition {n}")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Topic

    name = factory.Sequence(lambda n: f"Topic {n}")


class PopulationGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PopulationGroup

    name = factory.Sequence(lambda n: f"Group {n}")


class VanguardSiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.VanguardSite

    name = factory.Sequence(lambda n: f"Vanguard {n}")
    care_model = models.VanguardSite.CareModel.MCP


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    legal_form = models.Organisation.LegalForm.REGISTERED_CHARITY


class FundingLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.FundingLine

    organisation = factory.SubFactory(OrganisationFactory)
    funder_type = models.FundingLine.FunderType.NHS
    share = Decimal("50")
    year = 2025


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Initiative
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Initiative {n}")
    organisation = factory.SubFactory(OrganisationFactory)
    summary = "A community group."
    role = models.Initiative.Role.SERVICE_PROVIDER
    status = models.Initiative.Status.PUBLISHED
    last_verified_on = factory.LazyFunction(date.today)

    @factory.post_generation
    def areas(self, create, extracted, **kwargs):
        if create and extracted:
            self.areas.set(extracted)

    @factory.post_generation
    def conditions(self, create, extracted, **kwargs):
        if create and extracted:
            self.conditions.set(extracted)

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)

    @factory.post_generation
    def population_groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.population_groups.set(extracted)


class PostcodeFactory(factory.django.DjangoModelFactory):
    """A unit postcode in Halton by default; pass easting and northing to place it."""

    class Meta:
        model = Postcode
        django_get_or_create = ("postcode",)

    postcode = "WA7 1AB"
    kind = Postcode.Kind.UNIT
    district = factory.LazyAttribute(lambda o: o.postcode.split()[0])
    sector = factory.LazyAttribute(
        lambda o: {Postcode.Kind.UNIT: o.postcode[:-2], Postcode.Kind.SECTOR: o.postcode}.get(
            o.kind, ""
        )
    )
    local_authority_code = "E06000006"
    easting = 351329
    northing = 382947
    latitude = 53.341171
    longitude = -2.73246


class SuggestionFactory(factory.django.DjangoModelFactory):
    """A new-initiative suggestion from the public; pass initiative= for a correction."""

    class Meta:
        model = models.Suggestion

    kind = factory.LazyAttribute(
        lambda o: models.Suggestion.Kind.CORRECTION if o.initiative else models.Suggestion.Kind.NEW
    )
    initiative = None
    proposed = factory.LazyAttribute(
        lambda o: (
            {"summary": "Meets on Tuesdays now."}
            if o.initiative
            else {"name": "Halton ukulele club", "role": "service_provider", "summary": "Ukuleles."}
        )
    )
    client_hash = factory.Sequence(lambda n: f"{n:064x}")


def curators_group(name: str = "Curator"):
    """The curators' group as the migrations make it.

    A transactional test (a live server, a worker in another process) empties the
    database when it ends; the group is then made again by the same migration
    functions, with the same permissions, so tests never depend on their order.
    """
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.contrib.auth.models import Group
    from django.db import connection

    if not Group.objects.filter(name=name).exists():
        editor = SimpleNamespace(connection=connection)
        for module, function in [
            ("0002_curator_group", "create_curator_group"),
            ("0005_lead_curator_group", "create_lead_curator_group"),
            ("0012_opening_times_contacts_ways_in", "grant_curators"),
            ("0017_providers_keep_their_listings", "curators_decide_claims"),
        ]:
            migration = importlib.import_module(f"initiatives.migrations.{module}")
            getattr(migration, function)(apps, editor)
    return Group.objects.get(name=name)
