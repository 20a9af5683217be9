"""The fault suite: real concurrency on PostgreSQL, two connections at once.

Each test holds one write's transaction open at a chosen point in a thread of its
own (so with a connection of its own), starts a second write against the same rows
in another thread, waits until the database shows it waiting for a lock (or until
it has finished), then lets the first one commit. What each test asserts is what a
curator would notice: every edit either landed or was refused with a message, and
no version of a record was recorded twice.

PostgreSQL only (SQLite has one writer at a time, so these races cannot happen there);
run alone with `pytest -m faults`.
"""

import threading
import time
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from initiatives.curation.admin.initiatives import InitiativeAdmin
from tests.admin_forms import form_data

# Every module here starts with `pytestmark = FAULTS`.
FAULTS = [
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the fault suite needs PostgreSQL: set DATABASE_URL (SQLite lets one writer "
        "in at a time, so these races cannot happen there)",
    ),
]


# A bound on every wait, so that a broken run fails instead of hanging the suite.
PATIENCE = 60


class Worker(threading.Thread):
    """Runs `work` in a thread with its own database connection; keeps its result or error."""

    def __init__(self, work: Callable, name: str):
        super().__init__(name=name, daemon=True)
        self.work = work
        self.result = None
        self.error: BaseException | None = None

    def run(self):
        try:
            self.result = self.work()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            connections.close_all()

    def outcome(self):
        self.join(PATIENCE)
        assert not self.is_alive(), f"{self.name} did not finish"
        if self.error is not None:
            raise self.error
        return self.result


class Hold:
    """Pause a thread inside its transaction: `pause()` is called there; the test waits
    for `reached`, then sets `release` to let it commit."""

    def __init__(self, thread_name: str):
        self.thread_name = thread_name
        self.reached = threading.Event()
        self.release = threading.Event()

    def pause(self):
        if threading.current_thread().name != self.thread_name:
            return
        self.reached.set()
        self.release.wait(PATIENCE)

    def wait_until_reached(self):
        assert self.reached.wait(PATIENCE), f"{self.thread_name} never reached its pause"


def wait_until_blocked_or_done(worker: Worker) -> None:
    """Until another connection waits for a lock, or `worker` has finished (then there
    was nothing to wait for). A wait for the race to be set up, not a timing check."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline and worker.is_alive():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)


def curator_client(username: str) -> Client:
    user = get_user_model().objects.create_superuser(username, f"{username}@example.org")
    client = Client()
    client.force_login(user)
    return client


def change_url(initiative) -> str:
    return reverse("admin:initiatives_initiative_change", args=[initiative.pk])


@pytest.fixture
def held_admin_save(monkeypatch):
    """An admin save of an initiative that stops, its row written and locked, just before
    its transaction commits (in InitiativeAdmin.log_change), until released."""
    hold = Hold("admin save")
    original = InitiativeAdmin.log_change

    def log_change_then_pause(self, request, obj, message):
        result = original(self, request, obj, message)
        hold.pause()
        return result

    monkeypatch.setattr(InitiativeAdmin, "log_change", log_change_then_pause)
    return hold


def start_admin_save(hold: Hold, initiative, **changes) -> Worker:
    client = curator_client("sam")
    data = form_data(initiative, **changes)
    worker = Worker(lambda: client.post(change_url(initiative), data), hold.thread_name)
    worker.start()
    hold.wait_until_reached()
    return worker
