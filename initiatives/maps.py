"""What the map beside a page's list draws: one marker for each initiative on the page
that has a location, from the rows the page already read (no query of its own).

The map only repeats the list (it is hidden from assistive technology, which reads the
list); an initiative without a location, such as one that only serves an area, is not
drawn. Nothing here is shown unless settings.MAP_TILES_URL names a tile server.
"""

from collections.abc import Iterable

from django.conf import settings

from .models import LocationPrecision
from .wording import location_town

# Degrees to 5 places: about a metre, finer than any location the register holds.
DEGREE_PLACES = 5


def approximate_note(initiative) -> str:
    """What a marker's pop-up says of a location that is not the initiative's own
    address ("" when it is)."""
    precision = initiative.location_precision
    if precision == LocationPrecision.TOWN:
        town = location_town(initiative)
        return f"Approximate: the centre of {town}" if town else "Approximate: a town centre"
    if precision == LocationPrecision.POSTCODE_AREA:
        return "Approximate: the centre of its postcode area"
    return ""


def marker(initiative) -> dict:
    return {
        "name": initiative.name,
        "url": initiative.get_absolute_url(),
        "lat": round(initiative.latitude, DEGREE_PLACES),
        "lng": round(initiative.longitude, DEGREE_PLACES),
        "note": approximate_note(initiative),
    }


def map_data(initiatives: Iterable) -> dict | None:
    """The map's data island for a page listing `initiatives`: the tile URL and a marker
    for each located one, in the list's order; None (no map) when no tile server is set
    or none of them has a location."""
    tiles = getattr(settings, "MAP_TILES_URL", "")
    if not tiles:
        return None
    markers, seen = [], set()
    for initiative in initiatives:
        if initiative.latitude is None or initiative.longitude is None:
            continue
        if initiative.pk in seen:
            continue
        seen.add(initiative.pk)
        markers.append(marker(initiative))
    if not markers:
        return None
    return {"tiles": tiles, "markers": markers}


def map_context(initiatives: Iterable) -> dict:
    """What a page's template needs to draw the map beside its list of `initiatives`:
    `map`, the data island (None: no map, no Leaflet), and the tiles' attribution."""
    return {
        "map": map_data(initiatives),
        "map_attribution": getattr(settings, "MAP_TILES_ATTRIBUTION", ""),
    }
