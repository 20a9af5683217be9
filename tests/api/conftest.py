"""Records for the API tests: one with every field the API shows, one with none optional."""

from datetime import date
from decimal import Decimal

import pytest

from initiatives.models import VanguardSite

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
    return InitiativeFactory(
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
    )


@pytest.fixture
def bare_record():
    """An initiative with nothing optional filled in."""
    return InitiativeFactory(
        name="Bare", organisation=None, summary="", last_verified_on=None, role="campaigning"
    )
