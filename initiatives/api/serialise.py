"""Records as JSON in the Open Referral UK 3.0 shapes: service, organization, location, ...

Each initiative is a `service`, its organisation an `organization`; its terms are
linked to it as `attributes`. Empty optional fields are left out rather than null.
"""

import re
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.urls import reverse

from initiatives.models import Initiative, Organisation
from initiatives.validators import normalise_postcode
from initiatives.wording import funding_line_in_words

from .ids import linked_id, stable_id
from .taxonomies import TAXONOMIES, Taxonomy, Term

ONS_GEOGRAPHY_URI = "http://statistics.data.gov.uk/id/statistical-geography/"
# An ONS (GSS) code, such as E06000006 or S08000031. Northern Ireland's trusts carry
# the Department of Health's own codes (BHSCT), which have no ONS page.
GSS_CODE = re.compile(r"[EKLMNSW]\d{8}")


def present(**fields) -> dict:
    """The fields that have a value: empty optional fields are left out, not null."""
    return {name: value for name, value in fields.items() if value not in (None, "", [])}


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def taxonomy_json(taxonomy: Taxonomy, *, terms: list[dict] | None = None) -> dict:
    data = {"id": taxonomy.id, "name": taxonomy.name, "description": taxonomy.description}
    return data | present(taxonomy_terms=terms)


def term_json(term: Term, *, base_url: str) -> dict:
    taxonomy = term.taxonomy
    term_uri = None
    if taxonomy.listing_param:
        query = urlencode({taxonomy.listing_param: term.slug})
        term_uri = f"{base_url}{reverse('initiatives:list')}?{query}"
    return {"id": term.id, "name": term.name, "description": term.description} | present(
        taxonomy=taxonomy.name, taxonomy_id=taxonomy.id, term=term.slug, term_uri=term_uri
    )


def charity_identifier(number: str) -> tuple[str, str]:
    """The org-id.guide scheme and its name for a charity number."""
    if number.startswith("SC"):
        return "GB-SC", "Scottish charity number"
    if number.startswith("NIC"):
        return "GB-NIC", "Northern Ireland charity number"
    return "GB-CHC", "Charity number (England and Wales)"


def organization_json(organisation: Organisation, *, full: bool) -> dict:
    data = {
        "id": str(organisation.uuid),
        "name": organisation.name,
        # Required by the schema; the legal form is the nearest thing we hold.
        "description": organisation.get_legal_form_display(),
    } | present(website=organisation.website)
    if full:
        identifiers = []
        if organisation.charity_number:
            scheme, kind = charity_identifier(organisation.charity_number)
            identifiers.append((scheme, kind, organisation.charity_number))
        if organisation.company_number:
            identifiers.append(("GB-COH", "Company number", organisation.company_number))
        data |= present(
            organization_identifiers=[
                {
                    "id": stable_id("organization_identifier", organisation.uuid, scheme),
                    "organization_id": str(organisation.uuid),
                    "identifier_scheme": scheme,
                    "identifier_type": kind,
                    "identifier": number,
                }
                for scheme, kind, number in identifiers
            ]
        )
    return data


# The profile's service status for each lifecycle. It is a required field: a record
# whose lifecycle nobody recorded is on the register as current, so it is "active".
SERVICE_STATUS = {
    Initiative.Lifecycle.RUNNING: "active",
    Initiative.Lifecycle.PAUSED: "temporarily closed",
    Initiative.Lifecycle.ENDED: "defunct",
    Initiative.Lifecycle.PLANNED: "inactive",
}


def service_alert(initiative: Initiative) -> str | None:
    """ "Ended in 2019." for an ended initiative; None otherwise."""
    if not initiative.ended:
        return None
    return f"Ended in {initiative.ended_in}." if initiative.ended_in else "Ended."


def service_summary_json(initiative: Initiative) -> dict:
    """The one-to-one fields of a service (the list item shape). The curator note is
    never sent; unknown fields are left out."""
    organisation = initiative.organisation
    description = "\n\n".join(part for part in (initiative.summary, initiative.description) if part)
    status = SERVICE_STATUS.get(initiative.lifecycle, "active")
    return {"id": str(initiative.uuid), "name": initiative.name, "status": status} | present(
        organization_id=str(organisation.uuid) if organisation else None,
        alert=service_alert(initiative),
        description=description,
        url=initiative.website,
        email=initiative.email,
        minimum_age=initiative.min_age,
        maximum_age=initiative.max_age,
        assured_date=initiative.last_verified_on.isoformat()
        if initiative.last_verified_on
        else None,
        last_modified=timestamp(initiative.updated_at),
        organization=organization_json(organisation, full=False) if organisation else None,
    )


WITHDRAWN_ALERT = "Withdrawn from the directory: it is no longer listed. Remove it from your copy."


def withdrawn_service_json(initiative: Initiative) -> dict:
    """A deletion in a sync feed: a service once published, now archived or unpublished.
    Only what identifies it, nothing else of the record."""
    return {
        "id": str(initiative.uuid),
        # The name it was published under (lists.last_published), not a later draft's.
        "name": getattr(initiative, "published_name", None) or initiative.name,
        "status": "inactive",
        "alert": WITHDRAWN_ALERT,
        "last_modified": timestamp(initiative.updated_at),
    }


def sync_service_json(initiative: Initiative) -> dict:
    """A list item: the service, or its deletion when it is no longer published."""
    if initiative.status != Initiative.Status.PUBLISHED:
        return withdrawn_service_json(initiative)
    return service_summary_json(initiative)


def sync_service_at_location_json(initiative: Initiative) -> dict:
    """A service_at_locations item, or its deletion when the service is no longer published."""
    if initiative.status == Initiative.Status.PUBLISHED:
        return service_at_location_json(initiative, base_url="", full=False)
    location_id = str(linked_id(initiative.uuid, "location"))
    return {
        "id": str(linked_id(initiative.uuid, "service_at_location")),
        "service_id": str(initiative.uuid),
        "location_id": location_id,
        "location": {"id": location_id, "location_type": "physical"},
        "service": withdrawn_service_json(initiative),
    }


def organization_list_json(organisation: Organisation) -> dict:
    """A list item: the organisation, or its deletion when none of its services is
    published any more (`listed`, annotated by lists.filtered_organisations)."""
    if getattr(organisation, "listed", True):
        return organization_json(organisation, full=False)
    return {
        "id": str(organisation.uuid),
        "name": organisation.name,
        "description": "Withdrawn from the directory: none of its services is listed any "
        "more. Remove it from your copy.",
    }


def organization_detail_json(
    organisation: Organisation, services: list[Initiative], *, base_url: str
) -> dict:
    """A fully nested organisation with its published services (each fully nested, less
    the organisation itself)."""
    data = organization_json(organisation, full=True)
    nested = []
    for initiative in services:
        service = service_json(initiative, base_url=base_url)
        service.pop("organization", None)
        nested.append(service)
    return data | present(services=nested)


def has_location(initiative: Initiative) -> bool:
    """The rule of views._located(), for one record already in hand."""
    return bool(
        initiative.address
        or initiative.postcode
        or initiative.location_precision == Initiative.Precision.TOWN
    )


def approximate_location_words(initiative: Initiative) -> str | None:
    """The location's description when its point is approximate, else None."""
    precision = initiative.location_precision
    if precision == Initiative.Precision.TOWN:
        town = initiative.location_town or initiative.located_in_town
        return (
            f"Based in {town}. Approximate: the latitude and longitude are the centre of "
            f"{town}; no address is recorded."
        )
    if precision == Initiative.Precision.POSTCODE_AREA:
        return (
            "Approximate: the latitude and longitude are the centre of the postcode's "
            "sector or district, as the postcode itself is not in the postcode directory."
        )
    return None


def address_json(initiative: Initiative, location_id: str) -> dict:
    lines = [line.strip(" ,") for line in initiative.address.splitlines() if line.strip(" ,")]
    if lines and initiative.postcode and normalise_postcode(lines[-1]) == initiative.postcode:
        lines.pop()  # the postcode has its own field
    city = lines.pop() if len(lines) > 1 else ""
    return {
        "id": stable_id("address", initiative.uuid),
        "location_id": location_id,
        "address_1": ", ".join(lines),
        "city": city,
        "state_province": "",
        "postal_code": initiative.postcode,
        "country": "GB",
        "address_type": "physical",
    }


def location_json(initiative: Initiative, *, full: bool) -> dict:
    location_id = str(linked_id(initiative.uuid, "location"))
    data = {"id": location_id, "location_type": "physical"} | present(
        name=initiative.name,
        description=approximate_location_words(initiative),
        latitude=initiative.latitude,
        longitude=initiative.longitude,
    )
    # A town's centre is no address: only what was recorded is sent as one.
    if full and (initiative.address or initiative.postcode):
        data["addresses"] = [address_json(initiative, location_id)]
        data |= present(accessibility=accessibility_json(initiative, location_id))
    return data


def service_area_json(initiative: Initiative) -> list[dict]:
    service_id = str(initiative.uuid)
    areas = [
        {"id": stable_id("service_area", service_id, area.slug), "service_id": service_id}
        | present(
            name=area.name,
            service_area=f"{area.name} ({area.get_kind_display()})",
            uri=f"{ONS_GEOGRAPHY_URI}{area.code}" if GSS_CODE.fullmatch(area.code) else None,
        )
        for area in initiative.area_list
    ]
    if initiative.national:
        areas.insert(
            0,
            {
                "id": stable_id("service_area", service_id, "national"),
                "service_id": service_id,
                "name": "National",
                "service_area": "Serves the whole of the UK or of a nation.",
            },
        )
    return areas


def funding_json(initiative: Initiative) -> list[dict]:
    organisation = initiative.organisation
    if organisation is None:
        return []
    service_id = str(initiative.uuid)
    funding = []
    for line in organisation.funding_lines.all():
        text = funding_line_in_words(line)
        if line.source:
            text = f"{text}. Source: {line.source}"
        funding.append(
            {
                "id": stable_id("funding", service_id, line.pk),
                "service_id": service_id,
                "source": text,
            }
        )
    return funding


def cost_options_json(initiative: Initiative) -> list[dict]:
    if not initiative.cost and not initiative.cost_detail:
        return []
    option = {
        "id": stable_id("cost_option", initiative.uuid),
        "service_id": str(initiative.uuid),
    } | present(
        option=initiative.get_cost_display() if initiative.cost else None,
        amount_description=initiative.cost_detail,
    )
    if initiative.cost == Initiative.Cost.FREE:
        option["amount"] = 0
    return [option]


def contacts_json(initiative: Initiative) -> list[dict]:
    """The initiative's phone and its contacts. The profile's contact has only a name
    and a title, so a contact's phone and email go in its title."""
    service_id = str(initiative.uuid)
    contacts = []
    if initiative.phone:
        contacts.append(
            {
                "id": stable_id("contact", initiative.uuid),
                "service_id": service_id,
                "name": "Enquiries",
                "title": f"Phone: {initiative.phone}",
            }
        )
    for contact in initiative.contact_list:
        reach = [
            part
            for part in (
                contact.title,
                f"Phone: {contact.phone}" if contact.phone else "",
                f"Email: {contact.email}" if contact.email else "",
            )
            if part
        ]
        contacts.append(
            {"id": stable_id("contact", service_id, contact.pk), "service_id": service_id}
            | present(name=contact.name, title="; ".join(reach))
        )
    return contacts


def schedules_json(initiative: Initiative) -> list[dict]:
    """Each weekly slot or closure as a schedule; "by appointment" and the notes as one
    more, without times."""
    service_id = str(initiative.uuid)
    schedules = []
    for slot in initiative.opening_time_list:
        base = {"id": stable_id("schedule", service_id, slot.pk), "service_id": service_id}
        dates = present(
            valid_from=slot.valid_from.isoformat() if slot.valid_from else None,
            valid_to=(slot.valid_to or (slot.valid_from if slot.closed else None)),
        )
        if dates.get("valid_to") is not None:
            dates["valid_to"] = dates["valid_to"].isoformat()
        if slot.closed:
            schedules.append(base | dates | {"description": "Closed"} | present(notes=slot.note))
            continue
        schedules.append(
            base
            | dates
            | {
                "freq": "WEEKLY",
                "interval": 1,
                "byday": slot.day,
                "opens_at": f"{slot.opens_at:%H:%M}:00",
                "closes_at": f"{slot.closes_at:%H:%M}:00",
                "description": f"{slot.get_day_display()} {slot.opens_at:%H:%M} to "
                f"{slot.closes_at:%H:%M}",
            }
            | present(notes=slot.note)
        )
    appointment = {True: "By appointment only.", False: "No appointment needed."}.get(
        initiative.by_appointment
    )
    if appointment or initiative.opening_notes:
        schedules.append(
            {"id": stable_id("schedule", service_id, "notes"), "service_id": service_id}
            | present(description=appointment, notes=initiative.opening_notes)
        )
    return schedules


def languages_json(initiative: Initiative) -> list[dict]:
    """The profile's language has no name: the names are the service's attributes of
    the "language" taxonomy."""
    service_id = str(initiative.uuid)
    return [
        {"id": stable_id("language", service_id, name.casefold()), "service_id": service_id}
        for name in initiative.language_list
    ]


def accessibility_json(initiative: Initiative, location_id: str) -> list[dict]:
    """Step-free access, hearing loop and BSL where recorded (yes or no), and the note."""
    items = []
    for feature, has_it in initiative.accessibility:
        text = f"{feature}: {'yes' if has_it else 'no'}."
        items.append(
            {
                "id": stable_id("accessibility", location_id, feature),
                "location_id": location_id,
                "description": text,
                "accessibility": text,
            }
        )
    if initiative.accessibility_note:
        items.append(
            {
                "id": stable_id("accessibility", location_id, "note"),
                "location_id": location_id,
                "description": initiative.accessibility_note,
                "accessibility": initiative.accessibility_note,
            }
        )
    return items


def attributes_json(initiative: Initiative, *, base_url: str) -> list[dict]:
    service_id = str(initiative.uuid)
    return [
        {
            "id": stable_id("attribute", service_id, term.id),
            "link_id": service_id,
            "link_type": taxonomy.key,
            "taxonomy_term_id": term.id,
            "taxonomy_term": term_json(term, base_url=base_url),
        }
        for taxonomy in TAXONOMIES
        for term in taxonomy.terms_of(initiative)
    ]


def service_json(initiative: Initiative, *, base_url: str, with_locations: bool = True) -> dict:
    """A fully nested service (its organisation, areas, funding, contacts, attributes)."""
    data = service_summary_json(initiative)
    organisation = initiative.organisation
    locations = None
    if with_locations and has_location(initiative):
        locations = [service_at_location_json(initiative, base_url=base_url, full=True, nest=False)]
    return data | present(
        organization=organization_json(organisation, full=True) if organisation else None,
        service_areas=service_area_json(initiative),
        service_at_locations=locations,
        funding=funding_json(initiative),
        schedules=schedules_json(initiative),
        languages=languages_json(initiative),
        cost_options=cost_options_json(initiative),
        contacts=contacts_json(initiative),
        attributes=attributes_json(initiative, base_url=base_url),
    )


def service_at_location_json(
    initiative: Initiative, *, base_url: str, full: bool, nest: bool = True
) -> dict:
    """A service at its location; `nest` adds the service itself (the endpoints' shape)."""
    location = location_json(initiative, full=full)
    data = {
        "id": str(linked_id(initiative.uuid, "service_at_location")),
        "service_id": str(initiative.uuid),
        "location_id": location["id"],
        "location": location,
    }
    if nest:
        data["service"] = (
            service_json(initiative, base_url=base_url, with_locations=False)
            if full
            else service_summary_json(initiative)
        )
    return data
