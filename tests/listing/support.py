"""Helpers for the listing tests."""

from urllib.parse import parse_qs, urlsplit

LIST = "/initiatives/"


# Every listing page, facets included, stays within this many queries.
MAX_LISTING_QUERIES = 30


def names(response) -> list[str]:
    return [initiative.name for initiative in response.context["page"]]


def facet_counts(response, name: str) -> dict[str, int]:
    return {o.value: o.count for o in response.context["facets"][name].options}


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def text(response) -> str:
    return response.content.decode()
