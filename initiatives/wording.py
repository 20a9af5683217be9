"""Register values in plain words for public pages: ages, roles, funding
dependency, distances, what someone about to go needs, and a user's own text
shortened for a message."""

from datetime import datetime
from decimal import Decimal

from .models import FundingDependency, FundingLine, Initiative, LocationPrecision
from .opening import exceptions, opening_status, weekly_rows
from .querysets import TIER_COVERING, TIER_HERE

DEPENDENCY_IN_WORDS = {
    FundingDependency.DIVERSE: "Diverse: no single funder gives a quarter or more of its income.",
    FundingDependency.MODERATE: (
        "Moderately dependent: its largest funder gives between a quarter and half of its income."
    ),
    FundingDependency.DEPENDENT: (
        "Dependent: its largest funder gives between half and three quarters of its income."
    ),
    FundingDependency.HIGHLY_DEPENDENT: (
        "Highly dependent: its largest funder gives three quarters or more of its income."
    ),
    FundingDependency.UNKNOWN: (
        "Not known: no source we have gives the share of its income that its largest funder pays."
    ),
}
ROLE_IN_WORDS = {
    Initiative.Role.SERVICE_PROVIDER: "Service provider: delivers services directly.",
    Initiative.Role.CAMPAIGNING: "Campaigning group: informs, advocates and campaigns.",
    Initiative.Role.BOTH: "Both: delivers services and campaigns.",
}
ROLE_OTHERS = {
    Initiative.Role.SERVICE_PROVIDER: "Other service providers",
    Initiative.Role.CAMPAIGNING: "Other campaigning groups",
    Initiative.Role.BOTH: "Others that both provide services and campaign",
}


NOT_RECORDED = "Not recorded"


def ages_in_words(min_age: int | None, max_age: int | None) -> str:
    """ "18 and over", "Up to 25", "16 to 25", "All ages" (from 0, no upper age) or
    "Not recorded" (neither age recorded: nobody has said it is for all ages)."""
    if min_age is None and max_age is None:
        return NOT_RECORDED
    if max_age is None:
        return "All ages" if min_age == 0 else f"{min_age} and over"
    if not min_age:
        return f"Up to {max_age}"
    return f"{min_age} to {max_age}"


def lifecycle_in_words(initiative: Initiative) -> str:
    """ "Running since 2012", "Ended in 2019", "Ended (year not recorded)", "Planned",
    or "Not recorded"."""
    lifecycle, started, ended = initiative.lifecycle, initiative.started_in, initiative.ended_in
    Lifecycle = Initiative.Lifecycle
    if lifecycle == Lifecycle.ENDED:
        if ended is not None:
            return f"Ended in {ended}" + (f" (started in {started})" if started else "")
        return "Ended (year not recorded)" + (f"; started in {started}" if started else "")
    if lifecycle == Lifecycle.RUNNING:
        return f"Running since {started}" if started else "Running"
    if lifecycle == Lifecycle.PAUSED:
        return "Paused" + (f" (started in {started})" if started else "")
    if lifecycle == Lifecycle.PLANNED:
        return f"Planned to start in {started}" if started else "Planned"
    if started:
        return f"Started in {started}; whether it still runs is not recorded"
    return NOT_RECORDED


FUNDER_TYPE_LABELS = dict(FundingLine.FunderType.choices)


def pounds(amount: int | None) -> str:
    return "" if amount is None else f"\u00a3{amount:,}"


def percent_text(share: Decimal | None) -> str:
    return "" if share is None else f"{format(share.normalize(), 'f')}%"


def funder_in_words(line: FundingLine) -> str:
    """Who paid: the funder's name with its kind, or the kind alone ("Other: payer not
    named" where the source names no payer)."""
    kind = FUNDER_TYPE_LABELS.get(line.funder_type, line.funder_type)
    if line.funder_name:
        return f"{line.funder_name} ({kind.lower() if kind != 'NHS' else kind})"
    if line.funder_type == FundingLine.FunderType.OTHER:
        return "Payer not named"
    return kind


def funding_line_in_words(line: FundingLine) -> str:
    """One line of income as the source gives it: year, funder, amount, and its share
    only where the same source gives the total ("Year to 31 March 2021: Mind charity
    shops (trading income), £22,800,000, 38.5% of a total income of £59,200,000")."""
    parts = [funder_in_words(line)]
    if line.amount_gbp is not None:
        parts.append(pounds(line.amount_gbp))
    if line.share is not None:
        total = line.total_income_gbp
        parts.append(
            f"{percent_text(line.share)} of a total income of {pounds(total)}"
            if total is not None
            else f"{percent_text(line.share)} of its income"
        )
    period = line.period
    return f"{period[0].upper()}{period[1:]}: " + ", ".join(parts)


def shown(value: str, limit: int = 60) -> str:
    """A user's value, shortened for a message (templates escape it)."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def short_label(label: str) -> str:
    """ "Diverse (no funder gives 25% or more)" -> "Diverse"."""
    return label.split(" (")[0]


def distance_in_words(distance_m: float) -> str:
    if distance_m < 100:
        return "under 0.1 km away"
    return f"{distance_m / 1000:.1f} km away"


APPROXIMATE_WORDS = {
    LocationPrecision.TOWN: "approximate: town centre",
    LocationPrecision.POSTCODE_AREA: "approximate: centre of its postcode area",
}


def location_in_words(
    *, precision: str, town: str, distance_m: float | None, place_name: str | None = None
) -> str:
    """Where an initiative is based, as honestly as its location allows: "based 1.2 km
    away" (its postcode), "based in Runcorn, about 1.2 km away (approximate: town
    centre)", "based in Runcorn (approximate: town centre)" with no distance asked for,
    or "" when there is nothing to say (no location)."""
    approximate = APPROXIMATE_WORDS.get(precision, "")
    where = f"based in {town}" if precision == LocationPrecision.TOWN and town else "based"
    if distance_m is not None:
        if approximate:
            # "about under 0.1 km" says nothing more than "about 0.1 km".
            about = distance_in_words(max(distance_m, 100))
            return f"{where}, about {about} ({approximate})"
        return f"{where} {distance_in_words(distance_m)}"
    if approximate and where != "based":
        return f"{where} ({approximate})"
    if place_name:
        return f"based in {place_name}" + (f" ({approximate})" if approximate else "")
    return ""


def based_in_words(initiative) -> str:
    """Where an initiative's page says it is based, when its location is approximate:
    "Runcorn (approximate: town centre; no address recorded)"; "" when it has an
    address of its own (shown with the contact details) or no location."""
    precision = initiative.location_precision
    if precision == LocationPrecision.TOWN and location_town(initiative):
        return f"{location_town(initiative)} ({APPROXIMATE_WORDS[precision]}; no address recorded)"
    if precision == LocationPrecision.POSTCODE_AREA and initiative.postcode:
        return (
            f"Near {initiative.postcode} (approximate: the centre of its postcode sector or "
            "district, as the postcode itself is not in the postcode directory)"
        )
    return ""


# Annotations of InitiativeQuerySet.serving and serving_point that the words below read.
SERVING_FIELDS = (
    "tier",
    "served_area",
    "served_within",
    "located_here",
    "place_name",
    "uk_wide",
    "distance_m",
)


def serving_reason(
    *,
    tier: int | None,
    served_area: str | None,
    served_within: bool,
    place_name: str | None,
    uk_wide: bool,
    distance_m: float | None = None,
    located_here: bool = False,
    precision: str = "",
    town: str = "",
    near_point: bool = False,
) -> str:
    """Why an initiative serves a place, in plain words: "Serves Halton, 1.9 km away",
    "Based 5.0 km away", "Based in Runcorn, about 1.2 km away (approximate: town
    centre)", "Covers North West, which includes Halton", "Serves everyone in England",
    "Serves the whole UK". A distance only where it has a location, and "approximate"
    wherever that location is a town's or a postcode area's centre. In a search near a
    point (`near_point`), a result there for its service area alone "covers this area"."""
    based = location_in_words(precision=precision, town=town, distance_m=distance_m)
    if tier == TIER_HERE:
        if served_within and served_area:
            serves = f"Serves {served_area}"
            if distance_m is None:
                if near_point:
                    no_distance = "no location recorded, so no distance"
                    return f"Covers this area: serves {served_area} ({no_distance})"
                return serves
            if precision not in APPROXIMATE_WORDS:
                return f"{serves}, {distance_in_words(distance_m)}"
            return f"{serves}; {based}"
        if located_here or distance_m is not None:
            where = location_in_words(
                precision=precision,
                town=town,
                distance_m=distance_m,
                place_name=place_name if located_here else None,
            )
            if where:
                return where[0].upper() + where[1:]
        return "Serves this place"
    if tier == TIER_COVERING and served_area:
        includes = f", which includes {place_name}" if place_name else ""
        reason = f"Covers {served_area}{includes}"
    elif uk_wide or not served_area:
        reason = "Serves the whole UK"
    else:
        reason = f"Serves everyone in {served_area}"
    # Beyond the place itself, a located result still says how far it is (its tier is
    # ordered by distance).
    return f"{reason}; {based}" if distance_m is not None and based else reason


def reason_for(initiative, *, near_point: bool = False) -> str:
    """serving_reason for a row that carries the serving annotations (and its location
    fields); `near_point`: the row was found by a search near a postcode or town."""
    values = {name: getattr(initiative, name, None) for name in SERVING_FIELDS}
    values["served_within"] = bool(values["served_within"])
    values["located_here"] = bool(values["located_here"])
    values["uk_wide"] = bool(values["uk_wide"])
    return serving_reason(
        **values,
        precision=getattr(initiative, "location_precision", "") or "",
        town=location_town(initiative),
        near_point=near_point,
    )


def location_town(initiative) -> str:
    """The name of the town whose centre is the initiative's location, or ""."""
    town = getattr(initiative, "location_town", "")
    return town if isinstance(town, str) else ""


def place_reason(place, areas: list, *, national: bool, initiative=None) -> tuple[int | None, str]:
    """An initiative's tier for `place` (an areas.ServedPlace) and why, in words, from
    its service areas already in memory (ServedPlace.tier), and from where it is located
    when `initiative` is given."""
    located_in = getattr(initiative, "location_district_id", None)
    tier, area, uk_wide = place.tier(areas, national=national, located_in=located_in)
    return tier, serving_reason(
        tier=tier,
        served_area=area.name if area is not None else None,
        served_within=tier == TIER_HERE and area is not None,
        located_here=tier == TIER_HERE and area is None,
        place_name=place.area.name,
        uk_wide=uk_wide,
        precision=getattr(initiative, "location_precision", "") or "",
        town=location_town(initiative) if initiative is not None else "",
    )


def phone_href(number: str) -> str:
    """The tel: target of a phone number (its digits and a leading +)."""
    return "".join(ch for ch in number if ch.isdigit() or ch == "+")


def what_someone_needs(initiative: Initiative, now: datetime) -> dict:
    """What someone about to go needs, as the shortlist and the printed listing show it:
    what it offers, who it is for, ages, opening times, contacts, and whether any way
    to reach it was recorded. Reads the initiative's topics, population groups, opening
    times and contacts, so prefetch them (`for_listing()` does)."""
    slots = list(initiative.opening_times.all())
    contacts = [
        {"contact": contact, "phone_href": phone_href(contact.phone)}
        for contact in initiative.contacts.all()
    ]
    return {
        "initiative": initiative,
        "topics": list(initiative.topics.all()),
        "population_groups": list(initiative.population_groups.all()),
        "ages_in_words": ages_in_words(initiative.min_age, initiative.max_age),
        "opening_status": opening_status(slots, now=now),
        "opening_rows": weekly_rows(slots),
        "opening_exceptions": exceptions(slots),
        "contacts": contacts,
        "phone_href": phone_href(initiative.phone),
        "website_is_link": initiative.website.lower().startswith(("http://", "https://")),
        "has_contact_details": bool(
            initiative.website
            or initiative.email
            or initiative.phone
            or initiative.address
            or initiative.postcode
            or contacts
        ),
    }
