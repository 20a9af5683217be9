"""What the admin's change form for an initiative posts, for tests and the loadtest's
writers (scripts/loadtest_writers.py), kept in one place so they cannot drift apart."""

# The opening times' and contacts' inlines, with no rows, as the change form sends them.
NO_INLINE_ROWS = {
    f"{prefix}-{name}": value
    for prefix in ("opening_times", "contacts")
    for name, value in (
        ("TOTAL_FORMS", "0"),
        ("INITIAL_FORMS", "0"),
        ("MIN_NUM_FORMS", "0"),
        ("MAX_NUM_FORMS", "1000"),
    )
}


def form_data(initiative, **changes) -> dict:
    """What the admin's change form sends for the record as it stands, with `changes`."""
    data = {
        "name": initiative.name,
        "slug": initiative.slug,
        "organisation": initiative.organisation_id or "",
        "summary": initiative.summary,
        "description": initiative.description,
        "role": initiative.role,
        "topics": [t.pk for t in initiative.topics.all()],
        "conditions": [c.pk for c in initiative.conditions.all()],
        "population_groups": [g.pk for g in initiative.population_groups.all()],
        "areas": [a.pk for a in initiative.areas.all()],
        "vanguard": initiative.vanguard_id or "",
        "cost": initiative.cost,
        "min_age": initiative.min_age or "",
        "max_age": initiative.max_age or "",
        "website": initiative.website,
        "email": initiative.email,
        "phone": initiative.phone,
        "address": initiative.address,
        "postcode": initiative.postcode,
        "status": initiative.status,
        "last_verified_on": initiative.last_verified_on or "",
        "source_note": initiative.source_note,
        "version": initiative.version,
    }
    return data | NO_INLINE_ROWS | changes
