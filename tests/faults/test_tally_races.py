"""The facet tally under concurrent writes (PostgreSQL, a connection each): two
transactions changing one initiative's keys at once, or two initiatives sharing the
same counts, leave the tally equal to a fresh count, with nothing counted twice or lost."""

from django.db import transaction

from initiatives.models import Initiative
from initiatives.services import tally
from tests.factories import AreaFactory, InitiativeFactory, TopicFactory
from tests.initiatives.tally_support import assert_tally_in_step

from .conftest import FAULTS, Worker, wait_until_blocked_or_done
from .test_more_races import hold_after

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

    first = Worker(
        in_transaction(lambda: Initiative.objects.get(pk=initiative.pk).topics.add(arts)), "first"
    )
    first.start()
    hold.wait_until_reached()  # its keys written, its transaction open
    second = Worker(
        in_transaction(lambda: Initiative.objects.get(pk=initiative.pk).topics.add(walks)),
        "second",
    )
    second.start()
    wait_until_blocked_or_done(second)
    hold.release.set()
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

    first = Worker(publish(drafts[0].pk), "first")
    first.start()
    hold.wait_until_reached()
    second = Worker(publish(drafts[1].pk), "second")
    second.start()
    wait_until_blocked_or_done(second)
    hold.release.set()
    first.outcome()
    second.outcome()
    assert_tally_in_step()
