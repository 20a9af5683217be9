"""Realistic synthetic records for benchmarks (`manage.py generate_initiatives`).

Records are built in Python from word lists and a seeded random generator, so a
seed always gives the same names and UUIDs, then written in batches of 2,000
(COPY on PostgreSQL, bulk_create on SQLite; no `save()` per row) while the next
batch is built. Derived funding figures are computed here with the same rules as
`Organisation.funding_figures()`. The database's triggers (search) run as for
any insert. Every generated slug starts with "gen-" so that `delete_generated()`
can remove them all again.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from operator import attrgetter

from django.db import connections, router, transaction
from django.db.models import Max, ProtectedError
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.text import slugify

from initiatives.caching import bump_version
from initiatives.models import (
    Area,
    Condition,
    FundingDependency,
    FundingLine,
    Initiative,
    Organisation,
    PopulationGroup,
    Topic,
    VanguardSite,
)

PREFIX = "gen-"
BATCH_SIZE = 2000
SLUG_LENGTH = 80

Role = Initiative.Role
Funder = FundingLine.FunderType
LegalForm = Organisation.LegalForm


class GenerationError(Exception):
    """Generation cannot go ahead; the message says what to do."""


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

    local, icbs, boards = [], [], {}
    for pk, name, kind, parent_id in Area.objects.order_by("slug").values_list(
        "pk", "name", "kind", "parent_id"
    ):
        if kind == Area.Kind.LOCAL_AUTHORITY:
            local.append(LocalArea(pk, place_name(name), parent_id))
        elif kind == Area.Kind.ICB:
            icbs.append(LocalArea(pk, place_name(name), parent_id))
        if kind in (Area.Kind.ICB, Area.Kind.NATION):
            boards[pk] = place_name(name)
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


# Building records -------------------------------------------------------------


def weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def postcode(rng: random.Random) -> str:
    area = rng.choice(POSTCODE_AREAS)
    unit = "".join(rng.choice(POSTCODE_UNIT_LETTERS) for _ in range(2))
    return f"{area}{rng.randint(1, 20)} {rng.randint(0, 9)}{unit}"


def grid_location(rng: random.Random) -> dict:
    """A point in England: OS grid metres and roughly matching WGS84 degrees."""
    easting, northing = rng.randint(330_000, 560_000), rng.randint(100_000, 560_000)
    latitude = 49.0 + (northing + 100_000) / 111_000
    longitude = -2.0 + (easting - 400_000) / (111_320 * math.cos(math.radians(latitude)))
    return {
        "easting": easting,
        "northing": northing,
        "latitude": round(latitude, 6),
        "longitude": round(longitude, 6),
    }


def split_shares(rng: random.Random, total: int, parts: int, evenness: float) -> list[int]:
    """`parts` whole-number shares, each at least 1, adding up to `total`, largest first.

    Higher `evenness` gives more even shares (a Dirichlet draw), so every band occurs.
    """
    weights = [rng.gammavariate(evenness, 1.0) for _ in range(parts)]
    raw = [total * weight / sum(weights) for weight in weights]
    shares = sorted((max(1, round(value)) for value in raw), reverse=True)
    n = 0
    while sum(shares) != total:
        step = 1 if sum(shares) < total else -1
        i = n % parts
        if shares[i] + step >= 1:
            shares[i] += step
        n += 1
    return sorted(shares, reverse=True)


def funding_for(rng: random.Random, *, place: str, icb: str, latest_year: int):
    """Funding lines (unsaved, without organisation) and the derived figures they give."""
    lines: list[FundingLine] = []
    if rng.random() < 0.1:  # no funding recorded
        return lines, {
            "funding_year": None,
            "largest_funder_share": None,
            "nhs_share": None,
            "funding_dependency": FundingDependency.UNKNOWN,
        }
    years = rng.choices([1, 2, 3], weights=[50, 35, 15])[0]
    evenness = rng.choice([0.6, 1.5, 5.0, 20.0])
    latest: list[FundingLine] = []
    for year in range(latest_year - years + 1, latest_year + 1):
        parts = rng.choices([1, 2, 3, 4, 5], weights=[12, 20, 25, 20, 23])[0]
        total = 100 if rng.random() < 0.7 else rng.randint(60, 99)
        funders = rng.sample(list(Funder), parts)
        year_lines = [
            new_instance(
                FundingLine,
                funder_type=funder,
                funder_name=rng.choice(FUNDER_NAMES[funder]).format(place=place, icb=icb),
                share=Decimal(share),
                year=year,
                source_note="Synthetic figure.",
            )
            for funder, share in zip(
                funders, split_shares(rng, total, parts, evenness), strict=True
            )
        ]
        lines.extend(year_lines)
        latest = year_lines
    largest = max(line.share for line in latest)
    nhs = sum((line.share for line in latest if line.funder_type == Funder.NHS), Decimal("0"))
    return lines, {
        "funding_year": latest_year,
        "largest_funder_share": largest,
        "nhs_share": nhs,
        "funding_dependency": FundingDependency.for_largest_share(largest),
    }


_FIELDS: dict[type, tuple[dict[str, int], list]] = {}


def new_instance(model, **values):
    """An unsaved model instance from attribute values (`organisation_id`, not `organisation`).

    Built positionally, Model.__init__'s fast path, which matters at 100,000 rows.
    """
    if model not in _FIELDS:
        fields = model._meta.concrete_fields
        _FIELDS[model] = (
            {f.attname: i for i, f in enumerate(fields)},
            [None if f.primary_key or callable(f.default) else f.get_default() for f in fields],
        )
    index, defaults = _FIELDS[model]
    row = list(defaults)
    for name, value in values.items():
        row[index[name]] = value
    return model(*row)


def build_slug(*parts) -> str:
    return "-".join(str(part) for part in parts)[:SLUG_LENGTH].rstrip("-")


@dataclass
class Where:
    national: bool
    areas: list[int]
    place: str
    board: str  # the NHS body's place: an ICB, or a nation


@dataclass
class Links:
    areas: list[int]
    topics: list[int]
    conditions: list[int]
    populations: list[int]


@dataclass
class Row:
    """One initiative to write, with its links and its organisation (new, or written before)."""

    initiative: Initiative
    links: Links
    organisation: Organisation
    new_organisation: bool
    lines: list[FundingLine]


class Generator:
    """Builds one organisation or initiative at a time from a seeded random generator."""

    def __init__(self, *, seed: int, vocabulary: Vocabulary, today):
        self.rng = random.Random(seed)
        self.seed = seed
        self.vocab = vocabulary
        self.today = today
        self.latest_year = today.year - 1
        self.now = timezone.now()
        self.organisation_count = 0
        self.organisation: Organisation | None = None
        self.last_where: Where | None = None

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def new_organisation(self, *, place: str, icb: str) -> tuple[Organisation, list[FundingLine]]:
        rng = self.rng
        self.organisation_count += 1
        legal_form = weighted(rng, LEGAL_FORM_WEIGHTS)
        ending = rng.choice(ORGANISATION_ENDINGS[legal_form])
        name = f"{place} {rng.choice(ORGANISATION_WORDS)} {ending}"
        if legal_form == LegalForm.UNINCORPORATED and name.endswith("Friends"):
            name = f"Friends of {place} {rng.choice(['Park', 'Hospital', 'Library', 'Woods'])}"
        slug = build_slug(f"{PREFIX}{self.seed}", "org", self.organisation_count, slugify(name))
        income = weighted(rng, INCOME_WEIGHTS)
        charity_number = company_number = ""
        if legal_form in (LegalForm.REGISTERED_CHARITY, LegalForm.CIO):
            charity_number = str(rng.randint(1_000_000, 1_209_999))
        if legal_form in (
            LegalForm.CIC,
            LegalForm.COMPANY_LIMITED_BY_GUARANTEE,
            LegalForm.REGISTERED_CHARITY,
        ) and (legal_form != LegalForm.REGISTERED_CHARITY or rng.random() < 0.4):
            company_number = f"{rng.randint(1_000_000, 15_999_999):08d}"
        lines, figures = funding_for(rng, place=place, icb=icb, latest_year=self.latest_year)
        organisation = new_instance(
            Organisation,
            uuid=self.uuid(),
            name=name,
            slug=slug,
            legal_form=legal_form,
            charity_number=charity_number,
            company_number=company_number,
            website=f"https://{slugify(name)[:40].strip('-')}.example.org",
            annual_income_band=income,
            members=rng.randint(10, 5000) if rng.random() < 0.6 else None,
            volunteers=rng.randint(0, 200),
            paid_staff=rng.randint(0, STAFF_BY_INCOME[income]),
            source_note=f"Synthetic record for benchmarks (seed {self.seed}).",
            created_at=self.now,
            updated_at=self.now,
            **figures,
        )
        self.organisation = organisation
        return organisation, lines

    def where(self) -> Where:
        """~5% national, ~15% a whole ICB, the rest one to three neighbouring districts."""
        rng = self.rng
        pick = rng.random()
        if pick < 0.05:
            return Where(True, [], rng.choice(NATIONAL_PLACES), "England")
        if pick < 0.20:
            icb = rng.choice(self.vocab.icbs)
            return Where(False, [icb.pk], icb.place, icb.place)
        area = rng.choice(self.vocab.local_areas)
        areas = [area.pk]
        extra = rng.choices([0, 1, 2], weights=[70, 20, 10])[0]
        nearby = [pk for pk in self.vocab.neighbours.get(area.parent_id, []) if pk != area.pk]
        areas += rng.sample(nearby, min(extra, len(nearby)))
        board = self.vocab.boards.get(area.parent_id, "England")
        return Where(False, areas, area.place, board)

    def pick(self, names: list[str], table: dict, extra: int) -> list[int]:
        """The ids of the named terms that exist, plus up to `extra` random ones."""
        ids = [table[name] for name in names if name in table]
        ids += self.rng.sample(list(table.values()), min(extra, len(table))) if table else []
        return list(dict.fromkeys(ids))

    def initiative(self, n: int) -> Row:
        """The n-th initiative, and a new organisation (with its lines) when it starts one."""
        rng = self.rng
        new_organisation, lines = None, []
        # About one organisation for three initiatives, mostly working in one place.
        if self.organisation is None or rng.random() < 1 / 3:
            self.last_where = self.where()
            new_organisation, lines = self.new_organisation(
                place=self.last_where.place, icb=self.last_where.board
            )
        elif rng.random() < 0.2:
            self.last_where = self.where()
        organisation, where = self.organisation, self.last_where
        national, areas, place, icb = where.national, where.areas, where.place, where.board

        role = weighted(rng, ROLE_WEIGHTS)
        activity, takes_group_word, topic_names, condition_names, population_names = rng.choice(
            ACTIVITIES
        )
        known = self.vocab.conditions
        conditions = {name: known[name][0] for name in condition_names if name in known}
        rare = self.vocab.rare_conditions
        if rare and rng.random() < 0.06:
            rare_name = rng.choice(rare)
            conditions[rare_name] = known[rare_name][0]
            activity, takes_group_word = rare_name, True
        elif rng.random() < 0.3 and known:
            other = rng.choice(list(known))
            conditions[other] = known[other][0]
        group_word = rng.choice(GROUP_WORDS[role]) if takes_group_word else ""
        name = " ".join(part for part in (place, activity, group_word) if part)

        topics = self.pick(topic_names, self.vocab.topics, rng.choice([0, 0, 1, 2]))
        populations = self.pick(population_names, self.vocab.populations, rng.choice([0, 1, 1, 2]))
        min_age, max_age = weighted(rng, dict(AGE_PROFILES))
        access = {
            "self_referral": rng.random() < 0.7,
            "professional_referral": rng.random() < 0.4,
            "drop_in": rng.random() < 0.3,
            "membership": rng.random() < 0.2 or role == Role.CAMPAIGNING and rng.random() < 0.3,
        }
        if not any(access.values()):
            access["self_referral"] = True
        cost = weighted(rng, COST_WEIGHTS)
        status = weighted(rng, STATUS_WEIGHTS)
        verified = self.today - timedelta(days=rng.randint(0, 3 * 365))
        if status == "draft" and rng.random() < 0.5:
            verified = None
        frequency, venue = rng.choice(FREQUENCIES), rng.choice(VENUES)
        where_words = "across the country" if national else f"in {place}"
        summary = self.summary(role, activity, where_words, frequency, list(conditions))
        description = " ".join(
            [
                f"{name} began in {rng.randint(1985, self.latest_year)} when local people "
                f"{rng.choice(ORIGINS)}.",
                f"It meets {frequency} at {venue} and online, and about "
                f"{rng.randint(8, 400)} people take part each month.",
                self.role_sentence(role, icb),
                {
                    "free": "Everything is free.",
                    "some_costs": "Most sessions are free; some trips and materials cost a little.",
                    "paid": "Sessions are paid for, with bursaries for people on low incomes.",
                }[cost],
            ]
        )
        slug_name = slugify(name)
        has_postcode = not national and rng.random() < 0.85
        location = grid_location(rng) if has_postcode else {}
        domain = f"{slugify(organisation.name)[:40].strip('-')}.example.org"
        initiative = new_instance(
            Initiative,
            uuid=self.uuid(),
            name=name,
            slug=build_slug(f"{PREFIX}{self.seed}", n, slug_name),
            summary=summary,
            description=description,
            role=role,
            national=national,
            vanguard_id=(
                rng.choice(self.vocab.vanguards)
                if self.vocab.vanguards and rng.random() < 0.03
                else None
            ),
            cost=cost,
            min_age=min_age,
            max_age=max_age,
            website=f"https://{domain}/{slug_name[:60]}",
            email=f"hello@{domain}",
            phone=rng.choice(PHONE_FORMATS).format(rng.randint(0, 999)),
            address=(
                f"{venue[0].upper()}{venue[1:]}, {rng.randint(1, 240)} {rng.choice(STREETS)}, "
                f"{place}"
                if has_postcode
                else ""
            ),
            postcode=postcode(rng) if has_postcode else "",
            status=status,
            last_verified_on=verified,
            source_note=f"Synthetic record for benchmarks (seed {self.seed}).",
            created_at=self.now,
            updated_at=self.now,
            funding_dependency=organisation.funding_dependency,
            largest_funder_share=organisation.largest_funder_share,
            nhs_share=organisation.nhs_share,
            **access,
            **location,
        )
        links = Links(areas, topics, list(conditions.values()), populations)
        return Row(initiative, links, organisation, new_organisation is not None, lines)

    def batch(self, first: int, last: int) -> list[Row]:
        """Initiatives number `first` to `last`, in order."""
        return [self.initiative(n) for n in range(first, last + 1)]

    def summary(
        self, role: str, activity: str, where_words: str, frequency: str, conditions: list[str]
    ) -> str:
        who = self.rng.choice(["local people", "older people", "carers", "families", "adults"])
        if conditions:
            condition = conditions[0]
            # "COPD" and "Huntington's disease" keep their capitals.
            if not (condition.isupper() or "'" in condition):
                condition = condition.lower()
            who = f"{who} living with {condition}"
        if role == Role.SERVICE_PROVIDER:
            text = (
                f"{activity[0].upper()}{activity[1:]} sessions {frequency} for {who} "
                f"{where_words}, run by volunteers with a part-time coordinator."
            )
        elif role == Role.CAMPAIGNING:
            text = (
                f"A members' group {where_words} that informs, supports and speaks up for {who}, "
                "and campaigns for better local services."
            )
        else:
            text = (
                f"{activity[0].upper()}{activity[1:]} sessions {frequency} {where_words}, and a "
                f"voice for {who} in how local services are planned."
            )
        return text[:300]

    def role_sentence(self, role: str, icb: str) -> str:
        if role == Role.SERVICE_PROVIDER:
            return (
                "Sessions are led by trained volunteers; GPs, link workers and social "
                "prescribers refer people, and anyone can ask to join."
            )
        board = f"NHS {icb}" if icb not in NATIONAL_PLACES else "the NHS"
        sentence = (
            f"Members share their experience with {board}, the council and local MPs, "
            "and answer consultations so that their needs are in local plans."
        )
        if role == Role.BOTH:
            sentence += " It also runs regular sessions that anyone can join."
        return sentence


# Writing ---------------------------------------------------------------------


# Link tables: (label, m2m field name).
LINKS = [
    ("areas", "areas"),
    ("topics", "topics"),
    ("conditions", "conditions"),
    ("populations", "population_groups"),
]


def _connection():
    connection = connections[router.db_for_write(Initiative)]
    if connection.vendor not in ("postgresql", "sqlite"):
        raise GenerationError("generate_initiatives writes to PostgreSQL or SQLite only.")
    return connection


def _reserve_ids(connection, model, count: int) -> list[int]:
    """Ids for rows not inserted yet, so that rows pointing at them can go in first."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite, AUTOINCREMENT: never reuse an id, even one whose row was deleted.
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        top = max(row[0] if row else 0, model.objects.aggregate(top=Max("pk"))["top"] or 0)
        return list(range(top + 1, top + 1 + count))


def _copy(connection, table: str, columns: list[str], rows) -> None:
    """PostgreSQL COPY: the fastest way in, with values adapted by psycopg, not Django."""
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _insert(connection, model, objects: list, *, with_pk: bool = True) -> None:
    """Insert instances: COPY on PostgreSQL, bulk_create elsewhere (no save() per row).

    The instances hold final column values (normalised postcodes, timestamps set),
    so COPY can skip Django's per-field preparation.
    """
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        return
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    values = attrgetter(*(f.attname for f in fields))
    _copy(connection, model._meta.db_table, [f.column for f in fields], map(values, objects))


def _insert_links(connection, rows: list[Row], counts: Counter) -> None:
    """The initiatives' links, without a model instance per row."""
    quote = connection.ops.quote_name
    for label, field_name in LINKS:
        field = Initiative._meta.get_field(field_name)
        table = field.remote_field.through._meta.db_table
        columns = [field.m2m_column_name(), field.m2m_reverse_name()]
        pairs = [(row.initiative.pk, pk) for row in rows for pk in getattr(row.links, label)]
        counts[f"initiative {label} links"] += len(pairs)
        if connection.vendor == "postgresql":
            _copy(connection, table, columns, pairs)
            continue
        # Table and column names come from the models, quoted; values are parameters.
        insert = f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) VALUES "  # noqa: S608
        with connection.cursor() as cursor:
            for start in range(0, len(pairs), BATCH_SIZE):
                chunk = pairs[start : start + BATCH_SIZE]
                values = ", ".join(["(%s, %s)"] * len(chunk))
                cursor.execute(insert + values, [value for pair in chunk for value in pair])


def _write_batch(rows: list[Row], counts: Counter) -> None:
    connection = _connection()
    organisations = [row.organisation for row in rows if row.new_organisation]
    for organisation, pk in zip(
        organisations, _reserve_ids(connection, Organisation, len(organisations)), strict=True
    ):
        organisation.pk = pk
    initiatives = [row.initiative for row in rows]
    for initiative, pk in zip(
        initiatives, _reserve_ids(connection, Initiative, len(initiatives)), strict=True
    ):
        initiative.pk = pk
    lines = []
    for row in rows:
        row.initiative.organisation_id = row.organisation.pk
        for line in row.lines:
            line.organisation_id = row.organisation.pk
            lines.append(line)
    _insert(connection, Organisation, organisations)
    _insert(connection, FundingLine, lines, with_pk=False)
    # Links before their initiatives: foreign keys are checked at commit (Django creates
    # them deferrable), so the search triggers build each initiative's document once, on
    # its insert, instead of again after every link table.
    _insert_links(connection, rows, counts)
    _insert(connection, Initiative, initiatives)
    counts["organisations"] += len(organisations)
    counts["funding lines"] += len(lines)
    counts["initiatives"] += len(initiatives)


def generate(*, count: int, seed: int, progress=None) -> Counter:
    """Write `count` initiatives (and ~count/3 organisations) for `seed`; rows per table."""
    if Initiative.objects.filter(slug__startswith=f"{PREFIX}{seed}-").exists():
        raise GenerationError(
            f"Records generated with seed {seed} are already in the database. "
            "Pass --replace to remove generated records first, or choose another --seed."
        )
    with transaction.atomic():
        vocabulary = load_vocabulary()
        generator = Generator(seed=seed, vocabulary=vocabulary, today=timezone.localdate())
        counts: Counter = Counter({f"fallback {k}": v for k, v in vocabulary.created.items()})
        ranges = [
            (first, min(first + BATCH_SIZE - 1, count)) for first in range(1, count + 1, BATCH_SIZE)
        ]
        # One thread builds the next batch (plain Python, no database) while this one waits
        # for the database to write the current batch. Batches are built in order, so a
        # seed still gives the same records.
        with ThreadPoolExecutor(max_workers=1) as builder:
            upcoming = builder.submit(generator.batch, *ranges[0])
            for i, (_, last) in enumerate(ranges):
                rows = upcoming.result()
                if i + 1 < len(ranges):
                    upcoming = builder.submit(generator.batch, *ranges[i + 1])
                _write_batch(rows, counts)
                if progress:
                    progress(last)
    bump_version()
    return counts


def delete_generated() -> Counter:
    """Remove every generated record (slug starting "gen-"); rows deleted per table."""
    counts: Counter = Counter()
    generated = {"slug__startswith": PREFIX}
    try:
        # Synthetic records leave no history behind: recording each deletion would add
        # a history row per record and make --replace many times slower.
        with override_settings(SIMPLE_HISTORY_ENABLED=False), transaction.atomic():
            for model in (Initiative, Organisation, VanguardSite):
                _, by_model = model.objects.filter(**generated).delete()
                counts.update(by_model)
            # Districts before the ICBs and nation above them (parents are protected).
            for kind in ("local_authority", "icb", "nhs_region", "nation"):
                _, by_model = Area.objects.filter(kind=kind, **generated).delete()
                counts.update(by_model)
            for model in (Topic, Condition, PopulationGroup):
                _, by_model = model.objects.filter(**generated).delete()
                counts.update(by_model)
        bump_version()
    except ProtectedError as exc:
        names = ", ".join(sorted({str(obj) for obj in exc.protected_objects})[:5])
        raise GenerationError(
            f"Generated records are in use by other records ({names}); "
            "change those first, then run --replace again."
        ) from exc
    return Counter({label: n for label, n in counts.items() if n})
