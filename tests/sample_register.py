"""A small, realistic register for the page tests: areas from nation down to district,
initiatives of each role, rare and common conditions, funding of each kind."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from initiatives.models import Area, Initiative, Organisation, VanguardSite

from .factories import (
    AreaFactory,
    ConditionFactory,
    FundingLineFactory,
    InitiativeFactory,
    OrganisationFactory,
    PopulationGroupFactory,
    TopicFactory,
    VanguardSiteFactory,
)

Role = Initiative.Role


@dataclass
class Register:
    areas: dict = field(default_factory=dict)
    conditions: dict = field(default_factory=dict)
    topics: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)
    vanguards: dict = field(default_factory=dict)
    organisations: dict = field(default_factory=dict)
    initiatives: dict = field(default_factory=dict)


def area(name, kind, parent=None, slug=None, code=""):
    return AreaFactory(name=name, kind=kind, parent=parent, slug=slug or "", code=code)


def build_register() -> Register:
    reg = Register()
    a = reg.areas
    a["england"] = area("England", Area.Kind.NATION, code="E92000001")
    a["wales"] = area("Wales", Area.Kind.NATION, code="W92000004")
    a["north-west"] = area("North West", Area.Kind.NHS_REGION, a["england"], code="E40000010")
    a["midlands"] = area("Midlands", Area.Kind.NHS_REGION, a["england"], code="E40000011")
    a["cheshire-merseyside"] = area(
        "NHS Cheshire and Merseyside", Area.Kind.ICB, a["north-west"], "cheshire-merseyside"
    )
    a["greater-manchester"] = area(
        "NHS Greater Manchester", Area.Kind.ICB, a["north-west"], "greater-manchester"
    )
    a["derby"] = area("NHS Derby and Derbyshire", Area.Kind.ICB, a["midlands"], "derby")
    a["halton"] = area(
        "Halton", Area.Kind.LOCAL_AUTHORITY, a["cheshire-merseyside"], code="E06000006"
    )
    a["warrington"] = area("Warrington", Area.Kind.LOCAL_AUTHORITY, a["cheshire-merseyside"])
    a["oldham"] = area("Oldham", Area.Kind.LOCAL_AUTHORITY, a["greater-manchester"])
    a["erewash"] = area("Erewash", Area.Kind.LOCAL_AUTHORITY, a["derby"])
    a["wrexham"] = area("Wrexham", Area.Kind.LOCAL_AUTHORITY, a["wales"], code="W06000006")

    c = reg.conditions
    c["dementia"] = ConditionFactory(name="Dementia", slug="dementia")
    c["diabetes"] = ConditionFactory(name="Diabetes", slug="diabetes")
    c["huntingtons"] = ConditionFactory(
        name="Huntington's disease", slug="huntingtons", is_rare=True
    )
    t = reg.topics
    t["arts"] = TopicFactory(name="Arts and health", slug="arts")
    t["growing"] = TopicFactory(name="Green space and growing", slug="growing")
    t["peer"] = TopicFactory(name="Peer support", slug="peer")
    g = reg.groups
    g["carers"] = PopulationGroupFactory(name="Carers", slug="carers")
    g["older"] = PopulationGroupFactory(name="Older people", slug="older")
    reg.vanguards["better-care"] = VanguardSiteFactory(
        name="Better Care Together",
        slug="better-care",
        care_model=VanguardSite.CareModel.PACS,
        social_movement_site=True,
    )
    reg.vanguards["better-care"].areas.set([a["north-west"]])
    reg.vanguards["erewash"] = VanguardSiteFactory(
        name="Erewash MCP", slug="erewash-mcp", care_model=VanguardSite.CareModel.MCP
    )
    reg.vanguards["erewash"].areas.set([a["erewash"]])

    o = reg.organisations
    o["keyring"] = OrganisationFactory(
        name="KeyRing Living Support Networks",
        legal_form=Organisation.LegalForm.REGISTERED_CHARITY,
        charity_number="1061197",
        company_number="03213478",
        website="https://www.keyring.org",
    )
    FundingLineFactory(organisation=o["keyring"], funder_type="local_authority", share=60)
    FundingLineFactory(organisation=o["keyring"], funder_type="nhs", share=Decimal("20.5"))
    FundingLineFactory(
        organisation=o["keyring"], funder_type="national_lottery", share=10, year=2020
    )
    o["halton-cic"] = OrganisationFactory(
        name="Halton Social Enterprises", legal_form=Organisation.LegalForm.CIC
    )
    FundingLineFactory(organisation=o["halton-cic"], funder_type="trading_income", share=20)
    FundingLineFactory(organisation=o["halton-cic"], funder_type="nhs", share=15)
    o["oldham-arts"] = OrganisationFactory(
        name="Oldham Arts for Health", legal_form=Organisation.LegalForm.CIO
    )
    FundingLineFactory(organisation=o["oldham-arts"], funder_type="nhs", share=80)
    o["patient-view"] = OrganisationFactory(
        name="Patient View", legal_form=Organisation.LegalForm.COMPANY_LIMITED_BY_GUARANTEE
    )
    for org in o.values():
        org.refresh_from_db()

    i = reg.initiatives
    i["allotments"] = InitiativeFactory(
        name="Wrexham Community Allotments",
        slug="wrexham-allotments",
        organisation=o["keyring"],
        summary="Community allotments with support workers and carers.",
        description="Weekly growing sessions.\n\nTools and seeds provided.",
        role=Role.SERVICE_PROVIDER,
        areas=[a["wrexham"]],
        topics=[t["growing"]],
        population_groups=[g["carers"]],
        conditions=[c["dementia"]],
        self_referral=True,
        drop_in=True,
        cost=Initiative.Cost.FREE,
        min_age=18,
        website="https://www.keyring.org/allotments",
        email="allotments@keyring.example",
        phone="01978 000 000",
        source_note="Named in https://www.england.nhs.uk/example report.",
        waiting_list=False,
        cost_detail="Tools and seeds included",
        languages="English; Welsh",
        step_free_access=True,
        accessibility_note="Raised beds reachable from a wheelchair",
    )
    # Its opening times and a named contact: what someone about to go needs.
    for day in ("TU", "TH"):
        i["allotments"].opening_times.create(day=day, opens_at="10:00", closes_at="15:00")
    i["allotments"].opening_times.create(
        closed=True, valid_from=date(2026, 12, 24), valid_to=date(2027, 1, 2)
    )
    i["allotments"].contacts.create(
        name="Allotment coordinator", phone="01978 000001", email="grow@keyring.example"
    )
    i["ukulele"] = InitiativeFactory(
        name="Halton Ukulele Club",
        slug="halton-ukulele",
        organisation=o["halton-cic"],
        summary="Ukulele lessons for wellbeing.",
        role=Role.SERVICE_PROVIDER,
        areas=[a["halton"]],
        topics=[t["arts"]],
        population_groups=[g["older"]],
        conditions=[c["dementia"], c["diabetes"]],
        vanguard=None,
    )
    i["litter"] = InitiativeFactory(
        name="Halton Litter Pickers",
        slug="halton-litter",
        organisation=o["halton-cic"],
        summary="Community litter cleaning.",
        role=Role.BOTH,
        areas=[a["halton"], a["warrington"]],
        topics=[t["growing"], t["peer"]],
    )
    i["arts"] = InitiativeFactory(
        name="Oldham Arts on Prescription",
        slug="oldham-arts",
        organisation=o["oldham-arts"],
        summary="Arts for health in Oldham.",
        role=Role.SERVICE_PROVIDER,
        areas=[a["oldham"]],
        topics=[t["arts"]],
        conditions=[c["huntingtons"]],
        vanguard=reg.vanguards["better-care"],
        last_verified_on=date.today() - timedelta(days=400),
    )
    i["north-west-voice"] = InitiativeFactory(
        name="North West Carers Voice",
        slug="north-west-voice",
        organisation=o["patient-view"],
        summary="Campaigns for carers across the region.",
        role=Role.CAMPAIGNING,
        areas=[a["north-west"]],
        population_groups=[g["carers"]],
    )
    i["patient-view"] = InitiativeFactory(
        name="Patient View Survey",
        slug="patient-view",
        organisation=o["patient-view"],
        summary="A national survey of health community groups.",
        role=Role.CAMPAIGNING,
        national=True,
        conditions=[c["huntingtons"]],
    )
    i["erewash"] = InitiativeFactory(
        name="Wellbeing Erewash",
        slug="wellbeing-erewash",
        organisation=None,
        summary="Wellbeing activities in Erewash.",
        role=Role.BOTH,
        areas=[a["erewash"]],
        topics=[t["peer"]],
        vanguard=reg.vanguards["erewash"],
    )
    i["draft"] = InitiativeFactory(
        name="Halton Draft Group",
        slug="halton-draft",
        status=Initiative.Status.DRAFT,
        areas=[a["halton"]],
    )
    i["archived"] = InitiativeFactory(
        name="Halton Closed Group",
        slug="halton-closed",
        status=Initiative.Status.ARCHIVED,
        areas=[a["halton"]],
    )
    return reg
