"""The facet tally under concurrent writes (PostgreSQL, a connection each): two
transactions changing one initiative's keys at once, or two initiatives sharing the
same counts, leave the tally equal to a fresh count, with nothing counted twice or lost."""

from django.db import transaction

from initiatives.models import Initiative
from initiatives.services import tally
from tests.factories import AreaFactory, InitiativeFactory, TopicFactory
from tests.initiatives.tally_support import assert_tally_in_step

from .conftest import FAULTS
from .test_more_races import hold_after, race, start

pytestmark = FAULTS


def in_transaction(work):
    def run():
        with transaction.atomic():
            work()

    return run


def test_two_changes_to_one_initiatives_keys_at_once(monkeypatch):
    tally.tally_sync()  # built, whatever the flush between tests left
    halton = AreaFactory(name="Halton", kind="local_authority")
    arts, walks = TopicFactory(name="Arts"), TopicFactory(name="Walks")
    initiative = InitiativeFactory(areas=[halton])
    hold = hold_after(monkeypatch, tally, "_apply", "first")

    # The first waits with its keys written, its transaction open; the second runs.
    first = start(
        hold, in_transaction(lambda: Initiative.objects.get(pk=initiative.pk).topics.add(arts))
    )
    second = race(
        hold,
        in_transaction(lambda: Initiative.objects.get(pk=initiative.pk).topics.add(walks)),
        "second",
    )
    first.outcome()
    second.outcome()
    assert_tally_in_step()
    assert set(Initiative.objects.get(pk=initiative.pk).topics.all()) == {arts, walks}


def test_two_initiatives_published_at_once_share_their_counts(monkeypatch):
    tally.tally_sync()
    halton = AreaFactory(name="Halton", kind="local_authority")
    arts = TopicFactory(name="Arts")
    drafts = [InitiativeFactory(status="draft", areas=[halton], topics=[arts]) for _ in range(2)]
    hold = hold_after(monkeypatch, tally, "_apply", "first")

    def publish(pk):
        def work():
            draft = Initiative.objects.get(pk=pk)
            draft.status = "published"
            draft.save()

        return in_transaction(work)

    first = start(hold, publish(drafts[0].pk))
    second = race(hold, publish(drafts[1].pk), "second")
    first.outcome()
    second.outcome()
    assert_tally_in_step()
