"""Building synthetic records (`Generator`) from a seeded random generator.

Everything here is plain Python, with no database: a seed always gives the same
organisations, funding lines and initiatives, names and UUIDs included. Derived
funding figures are computed here with the same rules as
`Organisation.funding_figures()`, since the records are written without `save()`.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.text import slugify

from initiatives.models import FundingDependency, FundingLine, Initiative, Organisation
from initiatives.validators import notes_to_self

from .generation_vocabulary import (
    ACTIVITIES,
    AGE_PROFILES,
    COST_WEIGHTS,
    FREQUENCIES,
    FUNDER_NAMES,
    GROUP_WORDS,
    INCOME_WEIGHTS,
    LEGAL_FORM_WEIGHTS,
    NATIONAL_PLACES,
    ORGANISATION_ENDINGS,
    ORGANISATION_WORDS,
    ORIGINS,
    PHONE_FORMATS,
    POSTCODE_AREAS,
    POSTCODE_UNIT_LETTERS,
    PREFIX,
    ROLE_WEIGHTS,
    SLUG_LENGTH,
    STAFF_BY_INCOME,
    STATUS_WEIGHTS,
    STREETS,
    VENUES,
    Funder,
    LegalForm,
    Role,
    Vocabulary,
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
        "location_precision": "address",  # as if from the postcode they carry
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
                source="",
                source_note="Synthetic figure.",
            )
            for funder, share in zip(
                funders, split_shares(rng, total, parts, evenness), strict=True
            )
        ]
        lines.extend(year_lines)
        latest = year_lines
    largest = max(line.share for line in latest)
    nhs_lines = [line.share for line in latest if line.funder_type == Funder.NHS]
    # As Organisation.funding_figures: 0% only when the lines account for all the income.
    accounted = sum(line.share for line in latest) >= 100
    nhs = sum(nhs_lines, Decimal("0")) if nhs_lines or accounted else None
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
            [
                None
                if f.primary_key or (f.has_default() and callable(f.default))
                else f.get_default()
                for f in fields
            ],
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
class GeneratedInitiative:
    """One initiative to write, with its links and its organisation (new, or written before)."""

    initiative: Initiative
    links: Links
    organisation: Organisation
    new_organisation: bool
    lines: list[FundingLine]
    # Its facet keys as the tally keeps them (None: not counted, or not asked for).
    keys: str | None = None


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

    def initiative(self, n: int) -> GeneratedInitiative:
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
        location = grid_location(rng) if has_postcode else {"location_precision": ""}
        domain = f"{slugify(organisation.name)[:40].strip('-')}.example.org"
        initiative = new_instance(
            Initiative,
            uuid=self.uuid(),
            name=name,
            slug=build_slug(f"{PREFIX}{self.seed}", n, slug_name),
            summary=summary,
            description=description,
            # As save() would record it (the rows are written without save()).
            notes_in_public_text=bool(notes_to_self(summary) or notes_to_self(description)),
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
            located_in_town="",
            status=status,
            last_verified_on=verified,
            source_note=f"Synthetic record for benchmarks (seed {self.seed}).",
            curator_note="",
            lifecycle="",
            created_at=self.now,
            updated_at=self.now,
            funding_dependency=organisation.funding_dependency,
            largest_funder_share=organisation.largest_funder_share,
            nhs_share=organisation.nhs_share,
            **access,
            **location,
        )
        links = Links(areas, topics, list(conditions.values()), populations)
        return GeneratedInitiative(
            initiative, links, organisation, new_organisation is not None, lines
        )

    def batch(self, first: int, last: int) -> list[GeneratedInitiative]:
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
