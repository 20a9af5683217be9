"""Long work as jobs, under real concurrency on PostgreSQL: two imports creating the same
organisation at once make it once; a big upload answers at once with a job page (a
request killed at gunicorn's 30 s would lose nothing) and a worker does the import; a
worker killed mid-job is recovered by the next one to start, and the work lands once."""

import signal
import subprocess
import sys
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from initiatives.curation import imports as upload_page
from initiatives.curation.admin.jobs import progress_text
from initiatives.curation.jobs import start_action_job
from initiatives.loading import imports
from initiatives.loading.imports import import_initiatives
from initiatives.loading.problems import ImportRefused
from initiatives.models import Initiative, Job, Organisation
from tests.factories import InitiativeFactory
from tests.loading.test_import import to_csv
from tests.processes import ROOT, clean_environment

from .conftest import FAULTS, PATIENCE, Hold, Worker, wait_until_blocked_or_done

pytestmark = FAULTS


def test_two_imports_at_once_create_an_organisation_once(monkeypatch):
    """The first import stops, its new organisation written, just before it commits; the
    second, checked against a register without that organisation, waits for it and is
    then refused by name, instead of creating a second "Walking Together"."""
    hold = Hold("import A")
    original = imports.bump_version

    def bump_then_pause():
        original()
        hold.pause()

    monkeypatch.setattr(imports, "bump_version", bump_then_pause)

    def file(name: str) -> bytes:
        return to_csv(
            [{"UUID": "", "Name": name, "Role": "Both", "Organisation": "Walking Together"}]
        )

    first = Worker(lambda: import_initiatives(file("Walks A"), filename="a.csv"), "import A")
    first.start()
    hold.wait_until_reached()
    second = Worker(lambda: import_initiatives(file("Walks B"), filename="b.csv"), "import B")
    second.start()
    wait_until_blocked_or_done(second)
    hold.release.set()

    assert first.outcome().organisations_created == 1
    with pytest.raises(ImportRefused) as refused:
        second.outcome()
    (problem,) = refused.value.problems
    assert "\u201cWalking Together\u201d was added to the register" in problem.message
    assert "nothing was imported" in problem.message
    assert Organisation.objects.filter(name__iexact="Walking Together").count() == 1
    assert list(Initiative.objects.values_list("name", flat=True)) == ["Walks A"]


def test_a_big_upload_answers_with_a_job_page_and_a_worker_imports_it(monkeypatch, settings):
    settings.IMPORT_JOB_ROWS = 10

    def not_in_the_request(*args, **kwargs):
        raise AssertionError("the upload imported the file inside the request")

    # The upload page must not import; the worker (curation.jobs) still can.
    monkeypatch.setattr(upload_page, "import_initiatives", not_in_the_request)
    user = get_user_model().objects.create_superuser("cara", "cara@example.org")
    client = Client()
    client.force_login(user)
    rows = [{"UUID": "", "Name": f"Walk {n}", "Role": "Both"} for n in range(200)]
    file = SimpleUploadedFile("walks.csv", to_csv(rows), content_type="text/csv")

    response = client.post(reverse("admin:initiatives_initiative_import"), {"file": file})

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:initiatives_job_change", args=[job.pk])
    assert Initiative.objects.count() == 0
    assert "Waiting for a worker (200 rows)" in client.get(response["Location"]).content.decode()

    # A worker in a process of its own, as `manage.py db_worker` runs beside gunicorn.
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    worker = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--interval", "0"],
        cwd=ROOT,
        env=clean_environment(DATABASE_URL=url, DJANGO_DEBUG="true", DJANGO_SECRET_KEY="k" * 50),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert Initiative.objects.count() == 200
    body = client.get(response["Location"]).content.decode()
    assert "Created 200 draft initiatives" in body
    assert "200 of 200 done" in body


def site_environment(**env: str) -> dict[str, str]:
    """The environment of a worker process on this test's database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return clean_environment(
        DATABASE_URL=url,
        DJANGO_DEBUG="true",
        DJANGO_SECRET_KEY="k" * 50,
        DJANGO_SETTINGS_MODULE="directory.settings",
        DJANGO_PROCESS="command",
        **env,
    )


def wait_for(check, what: str):
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"never saw {what}")


# A real worker (`manage.py db_worker`) that stops, never to go on, once the job has
# written 5 of its rows: its transaction open, its heartbeat still beating.
WORKER_THAT_HANGS = """
import pathlib, sys, time
import django
django.setup()
from django.core.management import call_command
from initiatives.curation import jobs
told = jobs.Heartbeat.__call__
def hang_after_five(self, done, total):
    told(self, done, total)
    if done >= 5:
        pathlib.Path(sys.argv[1]).touch()
        time.sleep(600)
jobs.Heartbeat.__call__ = hang_after_five
call_command("db_worker", "--batch", "--interval", "0", "--no-startup-delay")
"""


def test_a_worker_killed_mid_job_is_recovered_and_the_work_lands_once(tmp_path):
    curator = get_user_model().objects.create_superuser("cara", "cara@example.org")
    drafts = InitiativeFactory.create_batch(12, status=Initiative.Status.DRAFT)
    job = start_action_job(
        action="publish", querystring="status__exact=draft", description="Publish", user=curator
    )
    marker = tmp_path / "hanging"
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER_THAT_HANGS, str(marker)],
        cwd=ROOT,
        env=site_environment(DJANGO_JOB_PROGRESS_SECONDS="0.2", DJANGO_JOB_STALE_SECONDS="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(marker.exists, "the worker reach the 5th row")
        # Progress is written live, from outside the job's open transaction...
        wait_for(
            lambda: Job.objects.filter(pk=job.pk, status="running", done__gte=5).exists(),
            "the job's progress",
        )
        assert "Working: " in progress_text(Job.objects.get(pk=job.pk))
        # ...while none of its work is visible yet.
        assert not Initiative.objects.filter(status=Initiative.Status.PUBLISHED).exists()
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(PATIENCE)
    lost = Job.objects.get(pk=job.pk)
    assert (lost.status, lost.attempts) == (Job.Status.RUNNING, 1)
    # Let its heartbeat go stale (DJANGO_JOB_STALE_SECONDS=1 below): a wait, not a check.
    time.sleep(1.5)

    # The next worker to start recovers the job, then runs it.
    second = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--interval", "0"],
        cwd=ROOT,
        env=site_environment(DJANGO_JOB_PROGRESS_SECONDS="0.2", DJANGO_JOB_STALE_SECONDS="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 0, second.stderr
    assert "1 queued again" in second.stdout
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.DONE, 2)
    assert job.summary == "12 initiatives published."
    for initiative in drafts:
        initiative.refresh_from_db()
        assert initiative.status == Initiative.Status.PUBLISHED
        # Made, then published once: the killed run left nothing behind.
        assert list(initiative.history.order_by("history_id").values_list("status", flat=True)) == [
            "draft",
            "published",
        ]
