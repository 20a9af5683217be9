"""What synthetic records are made of: word lists, and the register's areas and terms.

The word lists give names, descriptions, funders and weights; the vocabulary
(areas, topics, conditions, population groups, vanguard sites) is read from the
database in a stable order so that a seed always gives the same records. A table
with nothing in it gets a small fallback set, with slugs starting "gen-" like
every generated record.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.utils.text import slugify

from initiatives.models import (
    Area,
    Condition,
    FundingLine,
    Initiative,
    Organisation,
    PopulationGroup,
    Topic,
    VanguardSite,
)

# Every generated slug starts with this, so that delete_generated() finds them all.
PREFIX = "gen-"
SLUG_LENGTH = 80

Role = Initiative.Role
Funder = FundingLine.FunderType
LegalForm = Organisation.LegalForm


# Word lists ------------------------------------------------------------------

# (activity, whether a group word follows it, topics, conditions, population groups).
# Vocabulary names match the seed files; names missing from the database are skipped.
ACTIVITIES = [
    ("Ukulele", True, ["Arts and health"], [], []),
    ("Community Choir", False, ["Arts and health", "Loneliness and social connection"], [], []),
    ("Arts on Prescription", False, ["Arts and health"], ["Mental health"], []),
    ("Singing for the Brain", False, ["Arts and health"], ["Dementia"], ["Carers"]),
    ("Allotment", True, ["Green space and growing"], [], []),
    ("Community Garden", False, ["Green space and growing", "Food and nutrition"], [], []),
    ("Green Gym", False, ["Green space and growing", "Physical activity"], [], []),
    ("Litter Pickers", False, ["Green space and growing", "Volunteering"], [], []),
    ("Health Walks", False, ["Physical activity"], [], ["People who are inactive"]),
    ("Walking Football", True, ["Physical activity", "Men's health"], [], ["Men"]),
    ("Chair Yoga", True, ["Physical activity"], [], ["Older people"]),
    ("Men's Shed", False, ["Men's sheds", "Loneliness and social connection"], [], ["Men"]),
    ("Carers' Café", False, ["Carers' support", "Peer support"], [], ["Carers"]),
    ("Dementia Café", False, ["Peer support", "Carers' support"], ["Dementia"], ["Carers"]),
    ("Breathe Easy", True, ["Peer support", "Self-management"], ["COPD", "Lung conditions"], []),
    ("Heart Support", True, ["Peer support", "Rehabilitation"], ["Heart disease"], []),
    ("Stroke Club", False, ["Peer support", "Rehabilitation"], ["Stroke"], []),
    ("Diabetes Education", True, ["Self-management"], ["Diabetes"], []),
    ("Befriending", True, ["Loneliness and social connection"], [], ["Older people"]),
    ("Advice Line", False, ["Advice and information", "Practical and welfare support"], [], []),
    ("Patient Voice", True, ["Patient voice and involvement", "Campaigning and policy"], [], []),
    ("Mental Health", True, ["Peer support", "Mental wellbeing"], ["Depression", "Anxiety"], []),
    ("Young Carers", True, ["Carers' support"], [], ["Young carers"]),
    ("Food Club", False, ["Food and nutrition"], [], ["Families"]),
    ("Social Prescribing", True, ["Social prescribing and community navigation"], [], []),
    ("Crafts and Chat", False, ["Crafts and making", "Loneliness and social connection"], [], []),
    ("Recovery Café", False, ["Peer support"], ["Substance misuse"], []),
    ("Suicide Prevention", True, ["Suicide prevention and crisis support"], ["Suicide risk"], []),
    ("Cancer Support", True, ["Peer support", "Practical and welfare support"], ["Cancer"], []),
]
GROUP_WORDS = {
    Role.SERVICE_PROVIDER: ["Project", "Club", "Group", "Hub", "Sessions", "Programme"],
    Role.CAMPAIGNING: ["Network", "Forum", "Alliance", "Action Group", "Voice", "Support Group"],
    Role.BOTH: ["Group", "Network", "Collective", "Partnership", "Association", "Circle"],
}
NATIONAL_PLACES = ["National", "UK", "British", "England"]
PLACES = ["Halton", "Oldham", "Erewash", "Wrexham", "Morecambe Bay", "Tameside", "Wirral"]
ORGANISATION_WORDS = [
    "Community",
    "Wellbeing",
    "Health",
    "Together",
    "Voluntary Action",
    "Neighbourhood",
    "Carers",
    "Mind and Body",
]
ORGANISATION_ENDINGS = {
    LegalForm.REGISTERED_CHARITY: ["Trust", "Association", "Foundation", "Society"],
    LegalForm.CIO: ["Trust", "Association", "Partnership"],
    LegalForm.CIC: ["CIC"],
    LegalForm.COOPERATIVE: ["Co-operative"],
    LegalForm.COMPANY_LIMITED_BY_GUARANTEE: ["Ltd", "Services Ltd"],
    LegalForm.UNINCORPORATED: ["Group", "Friends"],
    LegalForm.NHS_BODY: ["NHS Foundation Trust"],
    LegalForm.OTHER: ["Partnership", "Alliance"],
}
LEGAL_FORM_WEIGHTS = {
    LegalForm.REGISTERED_CHARITY: 30,
    LegalForm.CIO: 15,
    LegalForm.CIC: 20,
    LegalForm.COOPERATIVE: 4,
    LegalForm.COMPANY_LIMITED_BY_GUARANTEE: 10,
    LegalForm.UNINCORPORATED: 16,
    LegalForm.NHS_BODY: 2,
    LegalForm.OTHER: 3,
}
INCOME_WEIGHTS = {"under_10k": 30, "10k_100k": 35, "100k_1m": 25, "1m_10m": 8, "over_10m": 2}
STAFF_BY_INCOME = {
    "under_10k": 0,
    "10k_100k": 3,
    "100k_1m": 15,
    "1m_10m": 80,
    "over_10m": 400,
}
FUNDER_NAMES = {
    Funder.NHS: ["NHS {icb}", "NHS England", "{place} GP Federation"],
    Funder.LOCAL_AUTHORITY: ["{place} Council", "{place} Public Health"],
    Funder.CENTRAL_GOVERNMENT: ["Department of Health and Social Care", "Office for Civil Society"],
    Funder.NATIONAL_LOTTERY: ["The National Lottery Community Fund", "Awards for All"],
    Funder.TRUSTS_FOUNDATIONS: ["{place} Community Foundation", "A family charitable trust"],
    Funder.CORPORATE: ["Local business sponsors", "A supermarket community grant"],
    Funder.INDIVIDUAL_DONATIONS: ["Supporters' donations", "Fundraising events"],
    Funder.TRADING_INCOME: ["Café and shop", "Contracts and room hire"],
    Funder.MEMBERSHIP_FEES: ["Members' subscriptions"],
    Funder.OTHER: ["Legacies", "Investment income"],
}
ORIGINS = [
    "saw a gap",
    "wanted somewhere to meet",
    "came out of hospital with nowhere to turn",
    "asked the council for help",
]
FREQUENCIES = ["every week", "every Tuesday", "twice a week", "every fortnight", "once a month"]
VENUES = [
    "the community centre",
    "the library",
    "a church hall",
    "the leisure centre",
    "the health centre",
    "the park's walled garden",
    "the town hall",
]
STREETS = ["High Street", "Church Road", "Victoria Road", "Station Road", "Park Lane", "Mill Lane"]
# Postcode areas whose letters fit the postcode check; districts and units are random.
POSTCODE_AREAS = [
    "B", "BD", "BL", "BN", "BS", "CH", "CV", "DE", "DN", "E", "HU", "L", "LA", "LE", "LS",
    "M", "N", "NE", "NG", "OL", "PR", "S", "SE", "SK", "SW", "TS", "WA", "WF", "WN", "YO",
]  # fmt: skip
POSTCODE_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
# Ofcom's ranges for drama: numbers that belong to no one.
PHONE_FORMATS = ["01632 960{:03d}", "0113 496 0{:03d}", "0161 496 0{:03d}", "07700 900{:03d}"]
AGE_PROFILES = [
    ((None, None), 45),
    ((18, None), 20),
    ((65, None), 8),
    ((50, None), 5),
    ((0, 18), 6),
    ((11, 18), 6),
    ((16, 25), 6),
    ((5, 11), 4),
]
ROLE_WEIGHTS = {Role.SERVICE_PROVIDER: 25, Role.CAMPAIGNING: 45, Role.BOTH: 30}
STATUS_WEIGHTS = {"published": 85, "draft": 10, "archived": 5}
COST_WEIGHTS = {"free": 60, "some_costs": 30, "paid": 10}

# Vocabularies created when the database has none (load_seeds gives the real ones).
FALLBACK_TOPICS = sorted({name for activity in ACTIVITIES for name in activity[2]})
FALLBACK_CONDITIONS = [
    ("Anxiety", False),
    ("Cancer", False),
    ("COPD", False),
    ("Dementia", False),
    ("Depression", False),
    ("Diabetes", False),
    ("Heart disease", False),
    ("Lung conditions", False),
    ("Mental health", False),
    ("Stroke", False),
    ("Substance misuse", False),
    ("Suicide risk", False),
    ("Cystic fibrosis", True),
    ("Huntington's disease", True),
    ("Motor neurone disease", True),
    ("Sickle cell disorder", True),
]
FALLBACK_POPULATIONS = [
    "Carers",
    "Children and young people",
    "Families",
    "Men",
    "Older people",
    "People who are inactive",
    "Women",
    "Young carers",
]
# ICB and its local authorities.
FALLBACK_AREAS = {
    "NHS Cheshire and Merseyside Integrated Care Board": ["Halton", "Warrington", "Wirral"],
    "NHS Greater Manchester Integrated Care Board": ["Oldham", "Tameside", "Stockport"],
    "NHS Derby and Derbyshire Integrated Care Board": ["Erewash", "Derby", "High Peak"],
    "NHS Lancashire and South Cumbria Integrated Care Board": ["Lancaster", "Preston"],
}
FALLBACK_VANGUARDS = [
    ("Morecambe Bay Health Community", VanguardSite.CareModel.PACS),
    ("Wirral Partners", VanguardSite.CareModel.PACS),
    ("Erewash Multispecialty Community Provider", VanguardSite.CareModel.MCP),
]


# Reading what is there -------------------------------------------------------


@dataclass
class LocalArea:
    pk: int
    place: str
    parent_id: int | None


@dataclass
class Vocabulary:
    """The rows generated records point at, in a stable order so a seed repeats."""

    local_areas: list[LocalArea]
    icbs: list[LocalArea]
    neighbours: dict[int | None, list[int]]
    # The NHS body's place for an area's parent: an ICB, or a nation outside England.
    boards: dict[int, str]
    topics: dict[str, int]
    conditions: dict[str, tuple[int, bool]]
    populations: dict[str, int]
    vanguards: list[int]
    created: Counter = field(default_factory=Counter)
    rare_conditions: list[str] = field(init=False)

    def __post_init__(self):
        self.rare_conditions = [name for name, (_, rare) in self.conditions.items() if rare]


def place_name(area_name: str) -> str:
    """ "NHS Cheshire and Merseyside Integrated Care Board" -> "Cheshire and Merseyside"."""
    name = area_name.removeprefix("NHS ").removesuffix(" Integrated Care Board")
    return name.split(",")[0].strip() or area_name  # "Bristol, City of" -> "Bristol"


def _ensure_named(model, names, created: Counter, extra: dict | None = None) -> None:
    if model.objects.exists():
        return
    extra = extra or {}
    rows = [
        model(name=name, slug=f"{PREFIX}{slugify(name)}", **extra.get(name, {})) for name in names
    ]
    model.objects.bulk_create(rows)
    created[model._meta.verbose_name_plural] += len(rows)


def _ensure_fallback_areas(created: Counter) -> None:
    if Area.objects.filter(kind=Area.Kind.LOCAL_AUTHORITY).exists():
        return
    england = Area.objects.create(name="England", slug=f"{PREFIX}england", kind=Area.Kind.NATION)
    created["areas"] += 1
    for icb_name, districts in FALLBACK_AREAS.items():
        icb = Area.objects.create(
            name=icb_name,
            slug=f"{PREFIX}{slugify(icb_name)}"[:SLUG_LENGTH],
            kind=Area.Kind.ICB,
            parent=england,
        )
        Area.objects.bulk_create(
            Area(name=name, slug=f"{PREFIX}{slugify(name)}", kind="local_authority", parent=icb)
            for name in districts
        )
        created["areas"] += 1 + len(districts)


def load_vocabulary() -> Vocabulary:
    """The areas and terms to pick from, creating a small fallback set for empty tables."""
    created: Counter = Counter()
    _ensure_fallback_areas(created)
    _ensure_named(Topic, FALLBACK_TOPICS, created)
    _ensure_named(
        Condition,
        [name for name, _ in FALLBACK_CONDITIONS],
        created,
        {name: {"is_rare": rare} for name, rare in FALLBACK_CONDITIONS},
    )
    _ensure_named(PopulationGroup, FALLBACK_POPULATIONS, created)
    if not VanguardSite.objects.exists():
        VanguardSite.objects.bulk_create(
            VanguardSite(name=name, slug=f"{PREFIX}{slugify(name)}", care_model=model)
            for name, model in FALLBACK_VANGUARDS
        )
        created["vanguard sites"] += len(FALLBACK_VANGUARDS)

    local, icbs, boards, devolved = [], [], {}, {}
    for pk, name, kind, parent_id in Area.objects.order_by("slug").values_list(
        "pk", "name", "kind", "parent_id"
    ):
        if kind == Area.Kind.LOCAL_AUTHORITY:
            local.append(LocalArea(pk, place_name(name), parent_id))
        elif kind == Area.Kind.ICB:
            icbs.append(LocalArea(pk, place_name(name), parent_id))
        if kind in (Area.Kind.ICB, Area.Kind.NATION):
            boards[pk] = place_name(name)
        elif kind in (Area.Kind.HEALTH_BOARD, Area.Kind.HSC_TRUST):
            devolved[pk] = parent_id
    # Below a Scottish or Welsh health board or a Northern Irish trust, the NHS body
    # named is the nation's ("NHS Wales").
    boards.update({pk: boards[nation] for pk, nation in devolved.items() if nation in boards})
    neighbours: dict[int | None, list[int]] = {}
    for area in local:
        neighbours.setdefault(area.parent_id, []).append(area.pk)
    return Vocabulary(
        local_areas=local,
        icbs=icbs or local,
        neighbours=neighbours,
        boards=boards,
        topics=dict(Topic.objects.order_by("slug").values_list("name", "pk")),
        conditions={
            name: (pk, rare)
            for name, pk, rare in Condition.objects.order_by("slug").values_list(
                "name", "pk", "is_rare"
            )
        },
        populations=dict(PopulationGroup.objects.order_by("slug").values_list("name", "pk")),
        vanguards=list(VanguardSite.objects.order_by("slug").values_list("pk", flat=True)),
        created=created,
    )
