"""Helpers for the public page tests."""

MAX_DETAIL_QUERIES = 8


# Three sections of a page, each its count and ids, then their rows with one query per
# prefetch (six: what a printed result needs too).
MAX_AREA_QUERIES = 25


def text(response) -> str:
    return response.content.decode()
