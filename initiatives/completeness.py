"""How complete a record is: which of the things someone about to go needs it has.

One declared list of (label, test) pairs, COMPLETENESS_CHECKS, and one function over
it, `completeness(initiative)`: the curators' changelist shows the score, the change
form shows what is there and what is missing. A new field joins the score by adding
its pair here. Each test reads only what is on the record (or what the caller has
prefetched), so scoring a page of the changelist costs no query.
"""

from collections.abc import Callable
from dataclasses import dataclass

# The contact fields: a record with none of them cannot be reached.
CONTACT_FIELDS = ("website", "email", "phone", "address", "postcode")


def has_contact(initiative) -> bool:
    return any(getattr(initiative, name) for name in CONTACT_FIELDS)


def _ways_in_recorded(initiative) -> bool:
    return any(
        getattr(initiative, name) is not None
        for name in (
            "self_referral",
            "professional_referral",
            "drop_in",
            "waiting_list",
            "membership",
        )
    )


# What the score counts, in the order the change form lists it.
COMPLETENESS_CHECKS: list[tuple[str, Callable[[object], bool]]] = [
    ("Website", lambda i: bool(i.website)),
    ("Email", lambda i: bool(i.email)),
    ("Phone", lambda i: bool(i.phone)),
    ("Address or postcode", lambda i: bool(i.address or i.postcode)),
    ("Ways in (referral, drop-in, waiting list, membership)", _ways_in_recorded),
    ("Cost", lambda i: bool(i.cost)),
    ("Ages", lambda i: i.min_age is not None or i.max_age is not None),
    ("Lifecycle (running, paused, ended, planned)", lambda i: bool(i.lifecycle)),
    ("Checked by a curator", lambda i: i.last_verified_on is not None),
]


@dataclass(frozen=True)
class Completeness:
    """Which of COMPLETENESS_CHECKS a record passes."""

    present: list[str]
    missing: list[str]

    @property
    def score(self) -> int:
        return len(self.present)

    @property
    def total(self) -> int:
        return len(self.present) + len(self.missing)

    @property
    def percent(self) -> int:
        return round(100 * self.score / self.total) if self.total else 0

    def __str__(self) -> str:
        return f"{self.score} of {self.total}"


def completeness(initiative, checks=None) -> Completeness:
    """Which of the checks (COMPLETENESS_CHECKS by default) the initiative passes."""
    present, missing = [], []
    for label, test in COMPLETENESS_CHECKS if checks is None else checks:
        (present if test(initiative) else missing).append(label)
    return Completeness(present=present, missing=missing)
