"""Helpers for the public page tests."""

MAX_DETAIL_QUERIES = 8


# Three sections of a page each: count, rows and three prefetches.
MAX_AREA_QUERIES = 25


def text(response) -> str:
    return response.content.decode()
