"""Ids for what the register does not store: taxonomies, terms, service areas, locations, ...

They are derived from stored ones with uuid5 under a fixed namespace: stable across
deploys, no migration needed.
"""

import uuid

# Never change: every derived id depends on it.
ID_NAMESPACE = uuid.UUID("0c5b2f7e-8d4a-5b61-9f3e-2a7c4e1d6b90")


def stable_id(*parts: object) -> str:
    """A UUID that always follows from the same parts (uuid5 under our namespace)."""
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(str(part) for part in parts)))


# The version and variant bits of a UUID, left alone by linked_id so the result stays well formed.
_VERSION_AND_VARIANT = (0xF << 76) | (0x3 << 62)


def linked_id(base: uuid.UUID, kind: str) -> uuid.UUID:
    """Another id for the same record, one per kind; applying it twice gives `base` back.

    A service's location and service_at_location ids must lead back to the
    initiative from a URL, which a one-way uuid5 cannot do.
    """
    mask = uuid.uuid5(ID_NAMESPACE, kind).int & ~_VERSION_AND_VARIANT
    return uuid.UUID(int=base.int ^ mask)
