"""Where the insights figures are counted: the scope a commissioner picked, and its links.

A scope is the published initiatives in an area (the area and everything below it,
Initiative.objects.in_area) and, optionally, of one vanguard site; its figures count
the current ones, and those that have ended apart. With no area and
no vanguard it is the whole register. A scope also makes the links behind each
figure: the listing, the listing's CSV export and the insights page for the same
area and vanguard site.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode

from django.db.models import Q

from initiatives.listing.filters import clean_query_dict
from initiatives.models import Area, Initiative, VanguardSite

LISTING_PATH = "/initiatives/"
EXPORT_PATH = "/initiatives/export.csv"
INSIGHTS_PATH = "/insights/"


@dataclass
class Scope:
    """What the commissioner is looking at: an area, a vanguard site, both or neither."""

    area: Area | None = None
    vanguard: VanguardSite | None = None

    @property
    def is_whole_register(self) -> bool:
        return self.area is None and self.vanguard is None

    @property
    def name(self) -> str:
        parts = [p.name for p in (self.area, self.vanguard) if p is not None]
        return ", ".join(parts) if parts else "the whole register"

    @cached_property
    def published(self):
        """The published initiatives here, ended ones too (one queryset, so in_area runs once)."""
        queryset = Initiative.objects.published()
        if self.area is not None:
            queryset = queryset.in_area(self.area)
        if self.vanguard is not None:
            queryset = queryset.filter(vanguard=self.vanguard)
        return queryset

    @cached_property
    def initiatives(self):
        """The current provision here: published and not ended. Every figure counts these."""
        return self.published.current()

    @cached_property
    def ended(self):
        """The published initiatives here that have ended: counted apart."""
        return self.published.ended()

    def tier_parts(self, place, tier: int) -> list:
        """The current published initiatives serving `place` (the scope's area, an
        areas.ServedPlace) in `tier` (see InitiativeQuerySet.serving), of the scope's
        vanguard site if one is chosen: in parts that share no row, each read through
        its own indexes (InitiativeQuerySet.in_tier_parts)."""
        parts = Initiative.objects.published().current().in_tier_parts(place, tier)
        if self.vanguard is not None:
            parts = [part.filter(vanguard=self.vanguard) for part in parts]
        return parts

    def contains(self, path: str = "") -> Q:
        """A condition for rows whose initiative is here, reached through `path`.

        `path` is "" on Initiative itself, or a relation such as "initiative__" on a
        through table. An area adds a subquery (in_area); otherwise plain column filters.
        """
        if self.area is not None:
            lookup = f"{path}in" if path else "pk__in"
            return Q(**{lookup: self.initiatives.values("pk")})
        condition = Q(
            **{f"{path}status": Initiative.Status.PUBLISHED}
        ) & Initiative.objects.current_condition(path)
        if self.vanguard is not None:
            condition &= Q(**{f"{path}vanguard": self.vanguard})
        return condition

    def params(self, **extra) -> dict[str, str]:
        params = {}
        if self.area is not None:
            params["area"] = self.area.slug
        if self.vanguard is not None:
            params["vanguard"] = self.vanguard.slug
        params.update({key: value for key, value in extra.items() if value})
        return params

    def listing_url(self, **extra) -> str:
        """The listing that shows the initiatives behind a figure here."""
        return url_with(LISTING_PATH, self.params(**extra))

    def ended_listing_url(self) -> str:
        """The listing of the ended initiatives the figures count apart: those alone, and
        in an area only those here (as the figures count them), not its wider tiers."""
        here_only = "true" if self.area is not None else ""
        return self.listing_url(here_only=here_only, include_ended="only")

    def export_url(self, **extra) -> str:
        return url_with(EXPORT_PATH, self.params(**extra))

    def insights_url(self, **extra) -> str:
        return url_with(INSIGHTS_PATH, self.params(**extra))


def url_with(path: str, params: dict[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def register_listing_url(**params) -> str:
    """The listing over the whole register (no area), for the register-wide figures."""
    return url_with(LISTING_PATH, {key: value for key, value in params.items() if value})


def scope_from_params(querydict, *, areas=None, vanguards=None) -> tuple[Scope, list[str]]:
    """The scope the params ask for, and a message for each param that names nothing.

    `areas` and `vanguards` map slugs to objects already loaded; without them each
    param is looked up on its own.
    """
    params = clean_query_dict(querydict)
    scope, errors = Scope(), []
    lookups = (
        ("area", Area, areas, "area", "cover every area"),
        ("vanguard", VanguardSite, vanguards, "vanguard site", "are not limited to one"),
    )
    for name, model, known, what, fallback in lookups:
        slug = (params.get(name) or "").strip()
        if not slug:
            continue
        found = known.get(slug) if known is not None else model.objects.filter(slug=slug).first()
        if found is None:
            errors.append(
                f"There is no {what} \u201c{slug[:80]}\u201d in the register, so these figures "
                f"{fallback}. Choose a {what} from the list."
            )
        else:
            setattr(scope, name, found)
    return scope, errors
