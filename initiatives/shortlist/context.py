"""The header's "Shortlist (N)" on every page, and which initiatives are on it."""

from django.db import DatabaseError

from . import store


def shortlist(request) -> dict:
    """Read from the session (no query without a session cookie). An error page shown
    while the database does not answer says 0 rather than failing in turn."""
    session = getattr(request, "session", None)
    try:
        ids = store.ids(session) if session is not None else []
    except DatabaseError:
        ids = []
    return {"shortlist_count": len(ids), "shortlist_ids": set(ids)}
