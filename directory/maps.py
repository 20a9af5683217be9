"""The map's tile server (DJANGO_MAP_TILES_URL): whether a URL template can be used, and
the one source the Content-Security-Policy must add to img-src for its tiles."""

import re
from functools import lru_cache
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# What Leaflet fills in: zoom and tile column and row (and optionally {s}, {r}).
REQUIRED_PLACEHOLDERS = ("{z}", "{x}", "{y}")
# A host name after its placeholder label, if any, became "*".
HOST = re.compile(r"(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?")


@lru_cache(maxsize=8)
def tile_source(url: str, *, allow_http: bool = False) -> str | None:
    """The CSP source for the tiles of `url`, a Leaflet URL template such as
    `https://{s}.tiles.example.org/{z}/{x}/{y}.png`: `https://*.tiles.example.org`.

    None when no tiles are set (no map) or the tiles are on this site (a path, which
    'self' already allows). Refuses, with a message saying why, a template without
    {z}, {x} and {y}, one not over HTTPS (plain HTTP only with `allow_http`, for a
    tile server on your own machine), and a placeholder in the host other than its
    first label (a policy can only wildcard that)."""
    url = url.strip()
    if not url:
        return None
    missing = [p for p in REQUIRED_PLACEHOLDERS if p not in url]
    if missing:
        raise ImproperlyConfigured(
            f"DJANGO_MAP_TILES_URL must hold {', '.join(REQUIRED_PLACEHOLDERS)} for the zoom "
            f"and the tile; it has no {', '.join(missing)}."
        )
    if url.startswith("/") and not url.startswith("//"):
        return None
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise ImproperlyConfigured(
            "DJANGO_MAP_TILES_URL must start with https:// (or be a path on this site), "
            f"not {url[:40]!r}."
        )
    host = re.sub(r"^\{[a-z]+\}\.", "*.", parts.netloc)
    if "@" in host or not HOST.fullmatch(host):
        raise ImproperlyConfigured(
            "DJANGO_MAP_TILES_URL's host must be a plain host name, with a placeholder such "
            f"as {{s}} only as its first part ({{s}}.tiles.example.org), not {parts.netloc!r}."
        )
    return f"{parts.scheme}://{host}"
