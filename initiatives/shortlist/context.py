"""The header's "Shortlist (N)" on every page, and which initiatives are on it."""

from . import store


def shortlist(request) -> dict:
    session = getattr(request, "session", None)
    ids = store.ids(session) if session is not None else []
    return {"shortlist_count": len(ids), "shortlist_ids": set(ids)}
