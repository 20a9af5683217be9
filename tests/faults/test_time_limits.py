"""Time limits: a lock held past DB_LOCK_TIMEOUT gives a clear refusal, not a hang; a
process stopped inside its transaction loses its locks after
DB_IDLE_IN_TRANSACTION_TIMEOUT; /healthz says "degraded" when its probe cannot get an
answer in time."""

import json
import signal
import subprocess
import sys
import threading
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from initiatives.models import Initiative
from tests.admin_forms import form_data
from tests.factories import InitiativeFactory
from tests.processes import ROOT

from .conftest import (
    FAULTS,
    PATIENCE,
    Worker,
    change_url,
    curator_client,
    start_admin_save,
)
from .test_jobs import site_environment

pytestmark = FAULTS


def test_connections_carry_the_time_limits():
    names = ["statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"]
    with connection.cursor() as cursor:
        # pg_settings gives each in milliseconds.
        cursor.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [names])
        found = dict(cursor.fetchall())
    assert found == {
        "statement_timeout": str(round(settings.DB_STATEMENT_TIMEOUT * 1000)),
        "lock_timeout": str(round(settings.DB_LOCK_TIMEOUT * 1000)),
        "idle_in_transaction_session_timeout": str(
            round(settings.DB_IDLE_IN_TRANSACTION_TIMEOUT * 1000)
        ),
    }


def test_an_admin_save_waiting_past_the_lock_limit_is_refused_and_keeps_the_input(
    held_admin_save,
):
    initiative = InitiativeFactory(name="KeyRing allotments", summary="Before.")
    opened = initiative.version
    saving = start_admin_save(held_admin_save, initiative, summary="Sam's summary.")
    try:
        other = curator_client("cara")
        second = Worker(
            lambda: other.post(
                change_url(initiative),
                form_data(initiative, summary="Cara's summary.", version=opened),
            ),
            "second save",
        )
        second.start()
        # Answered while the first save still holds the record: refused, not hanging.
        second.join(PATIENCE)
        assert not second.is_alive(), "the second save hung on the lock"
        assert not held_admin_save.release.is_set()
    finally:
        held_admin_save.release.set()
    response = second.outcome()
    assert response.status_code == 200
    body = response.content.decode()
    assert (
        "Someone else is saving the initiative \u201cKeyRing allotments\u201d right now, so "
        "your changes were not saved. They are still here: save again in a moment." in body
    )
    assert "Cara&#x27;s summary." in body or "Cara's summary." in body
    assert saving.outcome().status_code == 302
    initiative.refresh_from_db()
    assert initiative.summary == "Sam's summary."


def test_a_bulk_action_waiting_past_the_lock_limit_says_try_again(held_admin_save):
    initiative = InitiativeFactory(summary="Before.", last_verified_on=date(2020, 1, 1))
    saving = start_admin_save(held_admin_save, initiative, summary="Sam's summary.")
    try:
        bulk = curator_client("cara")
        marking = Worker(
            lambda: bulk.post(
                reverse("admin:initiatives_initiative_changelist"),
                {"action": "mark_verified_today", "_selected_action": [initiative.pk]},
            ),
            "bulk action",
        )
        marking.start()
        marking.join(PATIENCE)
        assert not marking.is_alive(), "the bulk action hung on the lock"
    finally:
        held_admin_save.release.set()
    response = marking.outcome()
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "The register is busy: please try again" in response.content.decode()
    assert saving.outcome().status_code == 302
    initiative.refresh_from_db()
    assert (initiative.summary, initiative.last_verified_on) == ("Sam's summary.", date(2020, 1, 1))


def test_healthz_is_degraded_while_the_register_cannot_be_read_in_time():
    InitiativeFactory()
    locked, release = threading.Event(), threading.Event()

    def hold_the_table():
        with transaction.atomic(), connection.cursor() as cursor:
            table = connection.ops.quote_name(Initiative._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(PATIENCE)

    holder = Worker(hold_the_table, "migration")
    holder.start()
    try:
        assert locked.wait(PATIENCE)
        response = Client().get("/healthz")
    finally:
        release.set()
    holder.outcome()
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "degraded", "database": "slow"}
    assert Client().get("/healthz").status_code == 200


# A process that locks a record inside a transaction, says so, and waits (to be stopped).
HOLDS_A_LOCK = """
import sys, time
import django
django.setup()
from django.db import connection, transaction
from initiatives.models import Initiative
with transaction.atomic():
    Initiative.objects.select_for_update().get(pk=int(sys.argv[1]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        print(cursor.fetchone()[0], flush=True)
    time.sleep(600)
"""


def test_a_stopped_process_holding_a_lock_is_cut_off_and_the_next_writer_gets_through():
    """A worker stopped (SIGSTOP) inside its transaction, rows locked: PostgreSQL closes
    its session after DB_IDLE_IN_TRANSACTION_TIMEOUT, which frees the rows."""
    initiative = InitiativeFactory(summary="Before.")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDS_A_LOCK, str(initiative.pk)],
        cwd=ROOT,
        env=site_environment(DJANGO_DB_IDLE_IN_TRANSACTION_TIMEOUT="2"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pid = int(holder.stdout.readline())
        holder.send_signal(signal.SIGSTOP)
        with transaction.atomic(), connection.cursor() as cursor:
            # This writer would wait up to 30 s: longer than the holder's limit.
            cursor.execute("SET LOCAL lock_timeout = '30s'")
            updated = Initiative.objects.filter(pk=initiative.pk).update(summary="After.")
        assert updated == 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            assert cursor.fetchone()[0] == 0, "the stopped process's session is still open"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(PATIENCE)
    initiative.refresh_from_db()
    assert initiative.summary == "After."
