"""Helpers for the public page tests."""

# The page made afresh: 8 statements for the record and what it shows, and one before
# them for what it says of its opening now (views.opening_now), which decides whether
# a kept page is current.
MAX_DETAIL_QUERIES = 9


# Three sections of a page, each its count and ids, then their rows with one query per
# prefetch (six: what a printed result needs too).
MAX_AREA_QUERIES = 25


def text(response) -> str:
    return response.content.decode()
