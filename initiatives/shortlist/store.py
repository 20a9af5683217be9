"""The shortlist in the visitor's session: initiative ids in the order chosen, and a
note for the person it is for. Nothing here is written to a model; the session ends
when the browser closes (SESSION_EXPIRE_AT_BROWSER_CLOSE) and takes both with it."""

from dataclasses import dataclass, field

SESSION_KEY = "shortlist"
MAX_ITEMS = 50
MAX_NOTE = 2000
# Ids read from one request (a form or a shared link): more than this is not looked at.
MAX_IDS_READ = 1000


@dataclass
class Parsed:
    """Ids read from input: the usable ones in order, and how many were not ids."""

    ids: list[int] = field(default_factory=list)
    not_ids: int = 0
    too_many: int = 0


def parse_ids(values) -> Parsed:
    """Whole positive numbers from a list of strings (each may hold several, separated
    by commas), in order, without repeats; anything else is counted, never raised."""
    parsed = Parsed()
    seen: set[int] = set()
    read = 0
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            read += 1
            if read > MAX_IDS_READ:
                parsed.too_many += 1
                continue
            if not part.isascii() or not part.isdigit() or len(part) > 18 or int(part) == 0:
                parsed.not_ids += 1
                continue
            number = int(part)
            if number not in seen:
                seen.add(number)
                parsed.ids.append(number)
    return parsed


def _data(session) -> dict:
    raw = session.get(SESSION_KEY)
    if not isinstance(raw, dict):
        return {"ids": [], "note": ""}
    ids = [i for i in raw.get("ids", []) if isinstance(i, int) and not isinstance(i, bool)]
    note = raw.get("note", "")
    return {"ids": ids[:MAX_ITEMS], "note": note if isinstance(note, str) else ""}


def ids(session) -> list[int]:
    """The ids on the shortlist, in order."""
    if session is None:
        return []
    return _data(session)["ids"]


def note(session) -> str:
    return _data(session)["note"]


def _save(session, ids: list[int], note: str) -> None:
    if not ids and not note:
        session.pop(SESSION_KEY, None)
    else:
        session[SESSION_KEY] = {"ids": ids, "note": note}


def add(session, new_ids: list[int]) -> tuple[list[int], list[int]]:
    """Add ids at the end (those already there stay where they are). Returns the ids
    added and those left out because the list is full."""
    data = _data(session)
    current = data["ids"]
    added, full = [], []
    for pk in new_ids:
        if pk in current:
            continue
        if len(current) >= MAX_ITEMS:
            full.append(pk)
            continue
        current.append(pk)
        added.append(pk)
    _save(session, current, data["note"])
    return added, full


def remove(session, pks) -> bool:
    data = _data(session)
    kept = [pk for pk in data["ids"] if pk not in set(pks)]
    changed = len(kept) != len(data["ids"])
    _save(session, kept, data["note"])
    return changed


def move(session, pk: int, step: int) -> bool:
    """Move one id up (step -1) or down (+1); at either end it stays."""
    data = _data(session)
    current = data["ids"]
    if pk not in current:
        return False
    here = current.index(pk)
    there = here + step
    if not 0 <= there < len(current):
        return False
    current[here], current[there] = current[there], current[here]
    _save(session, current, data["note"])
    return True


def set_note(session, text: str) -> None:
    data = _data(session)
    _save(session, data["ids"], text.replace("\r\n", "\n").strip()[:MAX_NOTE])


def clear(session) -> None:
    session.pop(SESSION_KEY, None)
