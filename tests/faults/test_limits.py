"""Limits that hold under parallel requests: ten suggestions from one address at once,
and exactly SUGGESTIONS_PER_HOUR of them get through."""

import threading

from django.conf import settings
from django.test import Client

from initiatives.curation.suggestions import NewInitiativeForm
from initiatives.models import Suggestion
from tests.curation.test_suggestions import SUGGEST, new_initiative

from .conftest import FAULTS, PATIENCE, Worker

pytestmark = FAULTS

PARALLEL = 10


def test_parallel_suggestions_from_one_address_let_exactly_the_limit_through(monkeypatch):
    # Every request has read the form before any is stored: the widest race there is.
    everyone_checked = threading.Barrier(PARALLEL, timeout=PATIENCE)
    original = NewInitiativeForm.is_valid

    def is_valid_then_wait_for_the_others(self):
        valid = original(self)
        everyone_checked.wait()
        return valid

    monkeypatch.setattr(NewInitiativeForm, "is_valid", is_valid_then_wait_for_the_others)

    def suggest(n):
        return lambda: Client(REMOTE_ADDR="198.51.100.7").post(
            SUGGEST, new_initiative(name=f"Club {n}")
        )

    workers = [Worker(suggest(n), f"sender {n}") for n in range(PARALLEL)]
    for worker in workers:
        worker.start()
    statuses = sorted(worker.outcome().status_code for worker in workers)

    limit = settings.SUGGESTIONS_PER_HOUR
    assert statuses == [302] * limit + [429] * (PARALLEL - limit)
    assert Suggestion.objects.count() == limit
