"""Records for the API tests: one with every field the API shows, one with none optional."""

from datetime import date, time
from decimal import Decimal

import pytest

from initiatives.models import Contact, OpeningTime, VanguardSite

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


@pytest.fixture
def full_record():
    """An initiative with every field the API shows."""
    icb = AreaFactory(name="Cheshire and Merseyside", kind="icb", code="E54000008")
    halton = AreaFactory(name="Halton", code="E06000006", parent=icb)
    organisation = OrganisationFactory(
        name="Halton Social Enterprise",
        legal_form="cic",
        charity_number="SC012345",
        company_number="08123456",
        website="https://hse.example.org/",
    )
    FundingLineFactory(
        organisation=organisation, funder_type="nhs", funder_name="Halton ICB", share=Decimal("60")
    )
    FundingLineFactory(organisation=organisation, funder_type="corporate", share=Decimal("12.5"))
    initiative = InitiativeFactory(
        name="Ukulele lessons",
        summary="Music for wellbeing.",
        description="Weekly sessions.\nAll welcome.",
        organisation=organisation,
        role="both",
        topics=[TopicFactory(name="Arts and health")],
        conditions=[ConditionFactory(name="Dementia"), ConditionFactory(name="ALS", is_rare=True)],
        population_groups=[PopulationGroupFactory(name="Older people")],
        areas=[halton],
        national=True,
        vanguard=VanguardSiteFactory(care_model=VanguardSite.CareModel.MCP),
        cost="free",
        min_age=0,
        max_age=99,
        website="https://ukulele.example.org/",
        email="hello@ukulele.example.org",
        phone="01928 123456",
        address="Church Street\nRuncorn\nWA7 1AB",
        postcode="WA7 1AB",
        last_verified_on=date(2025, 3, 1),
        cost_detail="Free for carers",
        by_appointment=False,
        opening_notes="Closed on bank holidays",
        languages="English; Welsh",
        step_free_access=True,
        hearing_loop=False,
        bsl=True,
        accessibility_note="Lift to every floor",
    )
    OpeningTime.objects.create(
        initiative=initiative, day="MO", opens_at=time(10), closes_at=time(12)
    )
    OpeningTime.objects.create(
        initiative=initiative,
        day="SA",
        opens_at=time(9),
        closes_at=time(11),
        valid_from=date(2026, 6, 1),
        valid_to=date(2026, 8, 31),
        note="Summer mornings",
    )
    OpeningTime.objects.create(initiative=initiative, closed=True, valid_from=date(2026, 12, 24))
    Contact.objects.create(
        initiative=initiative,
        name="Sam Jones",
        title="Coordinator",
        phone="01928 654321",
        email="sam@ukulele.example.org",
    )
    return initiative


@pytest.fixture
def bare_record():
    """An initiative with nothing optional filled in."""
    return InitiativeFactory(
        name="Bare", organisation=None, summary="", last_verified_on=None, role="campaigning"
    )
