"""Our vocabularies as Open Referral taxonomies: their terms, and the services that have them.

Role, topics, conditions, population groups, funding dependency and vanguard care
models each become a taxonomy; a term is a choice of a field or a row of a model.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.text import slugify

from initiatives.models import (
    Condition,
    FundingDependency,
    Initiative,
    PopulationGroup,
    Topic,
    VanguardSite,
)

from .ids import stable_id
from .params import parse_uuid


@dataclass(frozen=True)
class Term:
    taxonomy: "Taxonomy"
    slug: str
    name: str
    description: str

    @property
    def id(self) -> str:
        return stable_id(self.taxonomy.key, self.slug)


class Taxonomy:
    """One of our classifications, published as an Open Referral taxonomy."""

    key: str
    name: str
    description: str
    # The listing's param for it, so a term can link to the filtered listing.
    listing_param: str | None = None

    @property
    def id(self) -> str:
        return stable_id("taxonomy", self.key)

    def terms(self) -> list[Term]:
        raise NotImplementedError

    def terms_of(self, initiative: Initiative) -> list[Term]:
        raise NotImplementedError

    def with_term(self, queryset: QuerySet, slug: str) -> QuerySet:
        raise NotImplementedError

    def with_any_term(self, queryset: QuerySet) -> QuerySet:
        raise NotImplementedError


class ChoiceTaxonomy(Taxonomy):
    """Terms from a field's fixed choices."""

    def __init__(self, key, name, description, *, choices, lookup, descriptions=None, param=None):
        self.key, self.name, self.description = key, name, description
        self.choices = list(choices)
        self.lookup = lookup  # the queryset lookup, e.g. "vanguard__care_model"
        self.descriptions = descriptions or {}
        self.listing_param = param
        self._by_value = {
            value: Term(self, value, label, self.descriptions.get(value, label))
            for value, label in self.choices
        }

    def terms(self) -> list[Term]:
        return list(self._by_value.values())

    def terms_of(self, initiative: Initiative) -> list[Term]:
        value: object = initiative
        for attribute in self.lookup.split("__"):
            value = getattr(value, attribute, None)
        term = self._by_value.get(value)
        return [term] if term else []

    def with_term(self, queryset, slug):
        return queryset.filter(**{self.lookup: slug})

    def with_any_term(self, queryset):
        return queryset.filter(**{f"{self.lookup}__in": list(self._by_value)})


class ModelTaxonomy(Taxonomy):
    """Terms from a model's rows, linked to initiatives by a many-to-many field."""

    def __init__(
        self, key, name, description, *, model, relation, prefetched, describe, param=None
    ):
        self.key, self.name, self.description = key, name, description
        self.model = model
        self.relation = relation
        # The list attribute for_export() prefetches the related rows into.
        self.prefetched = prefetched
        self.describe = describe
        self.listing_param = param

    def _term(self, item) -> Term:
        return Term(self, item.slug, item.name, self.describe(item))

    def terms(self) -> list[Term]:
        return [self._term(item) for item in self.model.objects.order_by("name", "pk")]

    def terms_of(self, initiative: Initiative) -> list[Term]:
        return [self._term(item) for item in getattr(initiative, self.prefetched)]

    def with_term(self, queryset, slug):
        # The slug is unique and each link is stored once, so this join cannot repeat a row.
        return queryset.filter(**{f"{self.relation}__slug": slug})

    def with_any_term(self, queryset):
        through = getattr(Initiative, self.relation).through
        return queryset.filter(Exists(through.objects.filter(initiative_id=OuterRef("pk"))))


class LanguageTaxonomy(Taxonomy):
    """The languages initiatives are delivered in, as recorded (free text, "; " between)."""

    key = "language"
    name = "Languages"
    description = "The languages an initiative is delivered in."

    def _term(self, name: str) -> Term:
        return Term(self, slugify(name) or name.casefold(), name, f"Delivered in {name}.")

    def terms(self) -> list[Term]:
        names: dict[str, str] = {}
        for text in (
            Initiative.objects.published().exclude(languages="").values_list("languages", flat=True)
        ):
            for name in split_languages(text):
                names.setdefault(name.casefold(), name)
        return sorted((self._term(name) for name in names.values()), key=lambda t: t.name)

    def terms_of(self, initiative: Initiative) -> list[Term]:
        return [self._term(name) for name in initiative.language_list]

    def with_term(self, queryset, slug):
        term = next((t for t in self.terms() if t.slug == slug), None)
        if term is None:
            return queryset.none()
        # The name as a whole item of the list: "English" is not found in "Old English".
        return queryset.filter(languages__iregex=rf"(^|;)\s*{re.escape(term.name)}\s*(;|$)")

    def with_any_term(self, queryset):
        return queryset.exclude(languages="")


def split_languages(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


TAXONOMIES: list[Taxonomy] = [
    ChoiceTaxonomy(
        "role",
        "Role",
        "Whether an initiative delivers services directly, campaigns, or both.",
        choices=Initiative.Role.choices,
        lookup="role",
        descriptions={
            "service_provider": "Delivers services directly.",
            "campaigning": "Informs, advocates and campaigns for change.",
            "both": "Delivers services and campaigns.",
        },
        param="role",
    ),
    ModelTaxonomy(
        "topic",
        "Topics",
        "What an initiative does.",
        model=Topic,
        relation="topics",
        prefetched="topic_list",
        describe=lambda topic: f"What it does: {topic.name}.",
        param="topic",
    ),
    ModelTaxonomy(
        "condition",
        "Conditions",
        "Health conditions an initiative serves; rare conditions are marked.",
        model=Condition,
        relation="conditions",
        prefetched="condition_list",
        describe=lambda c: f"{'Rare condition' if c.is_rare else 'Condition'}: {c.name}.",
        param="condition",
    ),
    ModelTaxonomy(
        "population_group",
        "Population groups",
        "Who an initiative is for.",
        model=PopulationGroup,
        relation="population_groups",
        prefetched="population_group_list",
        describe=lambda group: f"Who it is for: {group.name}.",
        param="population",
    ),
    ChoiceTaxonomy(
        "funding_dependency",
        "Funding dependency",
        "How much the organisation depends on its largest single funder, by share of income.",
        choices=FundingDependency.choices,
        lookup="funding_dependency",
        param="funding_dependency",
    ),
    ChoiceTaxonomy(
        "care_model",
        "Vanguard care models",
        "The care model of the NHS England new care models vanguard site an initiative belongs to.",
        choices=VanguardSite.CareModel.choices,
        lookup="vanguard__care_model",
    ),
    LanguageTaxonomy(),
]


def all_terms(taxonomies: Iterable[Taxonomy] = TAXONOMIES) -> list[Term]:
    return [term for taxonomy in taxonomies for term in taxonomy.terms()]


def find_taxonomy(raw: str) -> Taxonomy | None:
    wanted = str(parse_uuid(raw, what="taxonomy id"))
    return next((v for v in TAXONOMIES if v.id == wanted), None)


def find_term(raw: str) -> Term | None:
    wanted = str(parse_uuid(raw, what="taxonomy term id"))
    return next((term for term in all_terms() if term.id == wanted), None)
