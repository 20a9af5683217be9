"""Jobs: a big upload and a bulk action over "all matching this filter" are queued and run
by a worker (django-tasks' database backend, `manage.py db_worker`), not the request;
the Jobs list and each job's page show progress and the result or problems by row; a
job run twice does its work once; a failed job changed nothing and can be run again."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command, get_commands
from django.urls import reverse
from django.utils import timezone
from django_tasks.backends.database.models import DBTaskResult

from initiatives.curation import jobs
from initiatives.curation.jobs import Heartbeat, count_rows, run_job, start_action_job
from initiatives.models import Initiative, Job
from tests.directory.test_security import inline_code
from tests.factories import InitiativeFactory, curators_group
from tests.loading.test_import import to_csv

IMPORT_URL = "/admin/initiatives/initiative/import/"
CHANGELIST = "/admin/initiatives/initiative/"
JOBS = "/admin/initiatives/job/"


@pytest.fixture
def curator(django_user_model):
    user = django_user_model.objects.create_user("curator", is_staff=True)
    user.groups.add(curators_group())
    return user


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def big_is_two_rows(settings):
    """Any upload of more than two rows is a job."""
    settings.IMPORT_JOB_ROWS = 2


def new_rows(count: int, prefix: str = "Walk") -> bytes:
    return to_csv([{"UUID": "", "Name": f"{prefix} {n}", "Role": "Both"} for n in range(count)])


def upload(client, data: bytes, name: str = "walks.csv", **fields):
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(IMPORT_URL, {"file": file, **fields})


def run_worker():
    """What `manage.py db_worker` does, once over everything queued."""
    call_command("db_worker", "--batch", "--interval", "0", "--no-startup-delay")


def page(client, job) -> str:
    response = client.get(reverse("admin:initiatives_job_change", args=[job.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_count_rows():
    assert count_rows(b"") == 0
    assert count_rows(b"UUID,Name\n") == 0
    assert count_rows(b"UUID,Name\r\n,a\r\n,b\r\n") == 2
    assert count_rows(b"UUID,Name\n,a\n,b") == 2


@pytest.mark.django_db
class TestBigUpload:
    def test_a_small_file_is_still_imported_at_once(self, curator_client, big_is_two_rows):
        response = upload(curator_client, new_rows(2))
        assert response.status_code == 302
        assert Initiative.objects.count() == 2
        assert not Job.objects.exists()

    def test_a_big_file_is_queued_not_imported_in_the_request(
        self, curator_client, big_is_two_rows
    ):
        response = upload(curator_client, new_rows(3))
        job = Job.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:initiatives_job_change", args=[job.pk])
        # Nothing imported yet: the request only queued the work.
        assert Initiative.objects.count() == 0
        assert job.status == Job.Status.QUEUED
        assert job.total == 3
        assert job.started_by.username == "curator"
        assert DBTaskResult.objects.filter(pk=job.task_id, status="READY").exists()
        body = page(curator_client, job)
        assert "Waiting for a worker (3 rows)" in body
        # Without JavaScript: a link that loads the page again (no meta refresh).
        refresh = f'<a href="{JOBS}{job.pk}/change/" id="job-refresh" class="button">Refresh</a>'
        assert refresh in body
        assert 'http-equiv="refresh"' not in body
        assert '<p id="job-live-text" aria-live="polite">' in body
        assert '/static/js/job-progress.js" defer></script>' in body
        assert inline_code(body) == []

    def test_the_job_imports_it_and_shows_the_result(self, curator_client, big_is_two_rows):
        upload(curator_client, new_rows(3))
        job = Job.objects.get()
        assert run_job.call(job.pk) == Job.Status.DONE
        job.refresh_from_db()
        assert Initiative.objects.count() == 3
        created = Initiative.objects.get(name="Walk 0")
        assert created.history.latest().history_user.username == "curator"
        assert job.data == b"" or bytes(job.data) == b""
        body = page(curator_client, job)
        assert "Import of walks.csv: Created 3 draft initiatives, updated 0" in body
        assert "3 of 3 done" in body
        assert "Refresh" not in body
        assert "job-progress.js" not in body

    def test_a_job_run_twice_imports_once(self, curator_client, big_is_two_rows):
        upload(curator_client, new_rows(3))
        job = Job.objects.get()
        run_job.call(job.pk)
        assert run_job.call(job.pk) == "skipped"
        assert Initiative.objects.count() == 3

    def test_a_dry_run_job_imports_nothing(self, curator_client, big_is_two_rows):
        upload(curator_client, new_rows(3), dry_run="on")
        job = Job.objects.get()
        run_job.call(job.pk)
        assert Initiative.objects.count() == 0
        assert "Check of walks.csv: Would create 3 draft initiatives" in page(curator_client, job)

    def test_a_refused_file_lists_its_problems_by_row(self, curator_client, big_is_two_rows):
        rows = [
            {"UUID": "", "Name": f"G {n}", "Role": "Both", "Postcode": "XX"} for n in range(150)
        ]
        upload(curator_client, to_csv(rows), name="bad.csv")
        job = Job.objects.get()
        assert run_job.call(job.pk) == Job.Status.REFUSED
        assert Initiative.objects.count() == 0
        body = page(curator_client, job)
        assert "Nothing was imported: 150 problems found." in body
        assert "The first 100 are listed below" in body
        assert body.count("Enter a UK postcode, like WA7 1AB.") == 100
        assert "<td>2</td><td>Postcode</td>" in body
        download = curator_client.get(reverse("admin:initiatives_job_problems", args=[job.pk]))
        assert download["Content-Type"].startswith("text/csv")
        lines = download.content.decode().lstrip("\ufeff").splitlines()
        assert lines[0] == "Row,Column,Problem"
        assert len(lines) == 151

    def test_a_job_page_is_only_for_curators(self, client, django_user_model, curator):
        job = Job.objects.create(kind=Job.Kind.IMPORT, description="x", started_by=curator)
        visitor = django_user_model.objects.create_user("visitor", is_staff=True)
        client.force_login(visitor)
        assert client.get(reverse("admin:initiatives_job_change", args=[job.pk])).status_code in (
            302,
            403,
        )
        assert client.get(reverse("admin:initiatives_job_problems", args=[job.pk])).status_code in (
            302,
            403,
        )

    def test_an_unknown_job_is_a_404(self, curator_client):
        assert curator_client.get(JOBS + "999/change/").status_code == 404


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestTheWorker:
    """The real path: enqueue in the database, a worker takes it, the result is stored."""

    def test_a_worker_runs_a_queued_import(self, curator_client, big_is_two_rows):
        upload(curator_client, new_rows(4))
        job = Job.objects.get()
        run_worker()
        job.refresh_from_db()
        assert job.status == Job.Status.DONE
        assert Initiative.objects.count() == 4
        task = DBTaskResult.objects.get(pk=job.task_id)
        assert task.status == "SUCCEEDED"
        assert task.return_value == Job.Status.DONE
        # Queued again by mistake: the worker runs it, and nothing is made twice.
        run_job.enqueue(job.pk)
        run_worker()
        assert Initiative.objects.count() == 4


@pytest.mark.django_db
class TestBulkActionOverTheFilter:
    def test_select_across_queues_a_job_with_the_filter_not_ids(self, curator_client):
        drafts = InitiativeFactory.create_batch(3, status=Initiative.Status.DRAFT)
        archived = InitiativeFactory(status=Initiative.Status.ARCHIVED)
        response = curator_client.post(
            CHANGELIST + "?status__exact=draft",
            {
                "action": "publish",
                "select_across": "1",
                "index": "0",
                "_selected_action": [drafts[0].pk],
            },
        )
        job = Job.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("admin:initiatives_job_change", args=[job.pk])
        assert job.kind == Job.Kind.ACTION
        assert job.action == "publish"
        assert job.querystring == "status__exact=draft"
        assert not Initiative.objects.filter(status=Initiative.Status.PUBLISHED).exists()
        run_job.call(job.pk)
        for initiative in drafts:
            initiative.refresh_from_db()
            assert initiative.status == Initiative.Status.PUBLISHED
            assert initiative.history.latest().history_user.username == "curator"
        archived.refresh_from_db()
        assert archived.status == Initiative.Status.ARCHIVED
        assert "3 initiatives published." in page(curator_client, Job.objects.get())

    def test_more_than_a_page_selected_is_a_job(self, curator_client, settings):
        from initiatives.curation.admin.initiatives import InitiativeAdmin

        many = InitiativeFactory.create_batch(3)
        original = InitiativeAdmin.list_per_page
        InitiativeAdmin.list_per_page = 2
        try:
            curator_client.post(
                CHANGELIST,
                {
                    "action": "mark_verified_today",
                    "index": "0",
                    "_selected_action": [i.pk for i in many],
                },
            )
        finally:
            InitiativeAdmin.list_per_page = original
        job = Job.objects.get()
        run_job.call(job.pk)
        assert Initiative.objects.filter(last_verified_by__username="curator").count() == 3

    def test_a_page_or_less_is_done_at_once(self, curator_client):
        few = InitiativeFactory.create_batch(2, status=Initiative.Status.DRAFT)
        response = curator_client.post(
            CHANGELIST,
            {"action": "archive", "index": "0", "_selected_action": [i.pk for i in few]},
            follow=True,
        )
        assert "2 initiatives archived." in response.content.decode()
        assert not Job.objects.exists()

    def test_a_bad_filter_fails_the_job_which_changed_nothing_and_can_run_again(
        self, curator_client, curator
    ):
        InitiativeFactory(status=Initiative.Status.DRAFT)
        job = start_action_job(
            action="archive", querystring="nosuchfield__exact=1", description="x", user=curator
        )
        assert run_job.call(job.pk) == Job.Status.FAILED
        job.refresh_from_db()
        assert "nothing was changed" in job.summary
        assert not Initiative.objects.filter(status=Initiative.Status.ARCHIVED).exists()
        body = page(curator_client, job)
        assert "Run it again" in body
        curator_client.post(reverse("admin:initiatives_job_change", args=[job.pk]))
        job.refresh_from_db()
        assert job.status == Job.Status.QUEUED


@pytest.mark.django_db
def test_the_jobs_list_shows_status_progress_and_who(
    curator_client, curator, django_assert_max_num_queries
):
    for n in range(5):
        Job.objects.create(
            kind=Job.Kind.IMPORT,
            description=f"Import of file{n}.csv",
            started_by=curator,
            status=Job.Status.DONE,
            total=10,
            done=10,
        )
    with django_assert_max_num_queries(12):
        response = curator_client.get(JOBS)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Import of file4.csv" in body
    assert "10 of 10 done" in body
    assert "curator" in body
    assert reverse("admin:initiatives_job_change", args=[Job.objects.first().pk]) in body


def running_job(user, *, beat_ago: float, attempts: int = 1, **fields) -> Job:
    """A job a worker claimed, last heard from `beat_ago` seconds ago."""
    beat = timezone.now() - timedelta(seconds=beat_ago)
    return Job.objects.create(
        kind=Job.Kind.ACTION,
        action="publish",
        querystring="status__exact=draft",
        description="Publish the drafts",
        started_by=user,
        status=Job.Status.RUNNING,
        started_at=beat,
        heartbeat_at=beat,
        attempts=attempts,
        **fields,
    )


@pytest.mark.django_db
class TestProgress:
    def test_a_running_job_shows_rows_done_and_when_its_worker_was_last_heard(
        self, curator_client, curator
    ):
        job = running_job(curator, beat_ago=1, total=1001, done=250)
        body = page(curator_client, job)
        assert "Working: 250 of 1,001 rows done" in body
        assert "Last heard from its worker" in body
        assert f'data-progress-url="{JOBS}{job.pk}/progress.json"' in body

    def test_progress_json_gives_the_figures(self, curator_client, curator):
        job = running_job(curator, beat_ago=1, total=1001, done=250)
        response = curator_client.get(f"{JOBS}{job.pk}/progress.json")
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        figures = response.json()
        assert figures["status"] == "running"
        assert figures["finished"] is False
        assert (figures["done"], figures["total"]) == (250, 1001)
        assert figures["progress"] == "Working: 250 of 1,001 rows done"
        assert figures["heartbeat_at"] == job.heartbeat_at.isoformat()

    def test_progress_json_of_a_finished_job_gives_its_summary(self, curator_client, curator):
        job = Job.objects.create(
            kind=Job.Kind.IMPORT,
            description="x",
            status=Job.Status.DONE,
            total=3,
            done=3,
            summary="Import of walks.csv: Created 3 draft initiatives.",
        )
        figures = curator_client.get(f"{JOBS}{job.pk}/progress.json").json()
        assert figures["finished"] is True
        assert figures["summary"] == "Import of walks.csv: Created 3 draft initiatives."

    def test_progress_json_is_only_for_curators(self, client, django_user_model, curator):
        job = running_job(curator, beat_ago=1)
        assert client.get(f"{JOBS}{job.pk}/progress.json").status_code == 302
        visitor = django_user_model.objects.create_user("visitor", is_staff=True)
        client.force_login(visitor)
        assert client.get(f"{JOBS}{job.pk}/progress.json").status_code in (302, 403)
        assert (
            curator_client_for(client, curator)
            .get(f"{JOBS}{job.pk + 1000}/progress.json")
            .status_code
            == 404
        )

    def test_a_heartbeat_writes_the_figures_it_was_told_to_its_own_run_only(self, curator):
        job = running_job(curator, beat_ago=600, attempts=2)
        heartbeat = Heartbeat(job.pk, attempt=2)
        heartbeat(40, 1001)
        assert heartbeat.beat() == 1
        job.refresh_from_db()
        assert (job.done, job.total) == (40, 1001)
        assert timezone.now() - job.heartbeat_at < timedelta(seconds=60)
        # A run that recovery replaced writes nothing.
        assert Heartbeat(job.pk, attempt=1).beat() == 0

    def test_a_job_tells_its_heartbeat_the_rows_done(self, curator, monkeypatch):
        InitiativeFactory.create_batch(3, status=Initiative.Status.DRAFT)
        told = []
        monkeypatch.setattr(
            Heartbeat, "__call__", lambda self, done, total: told.append((done, total))
        )
        job = start_action_job(
            action="publish", querystring="status__exact=draft", description="x", user=curator
        )
        assert run_job.call(job.pk) == Job.Status.DONE
        assert told[-1] == (3, 3)
        assert [done for done, _ in told] == sorted(done for done, _ in told)

    def test_a_run_replaced_meanwhile_undoes_its_work(self, curator, monkeypatch):
        drafts = InitiativeFactory.create_batch(2, status=Initiative.Status.DRAFT)
        job = start_action_job(
            action="publish", querystring="status__exact=draft", description="x", user=curator
        )
        original = jobs.apply_action

        def then_replaced(*args, **kwargs):
            outcome = original(*args, **kwargs)
            # Recovery queued it again and another worker claimed it (run 2).
            Job.objects.filter(pk=job.pk).update(attempts=2)
            return outcome

        monkeypatch.setattr(jobs, "apply_action", then_replaced)
        assert run_job.call(job.pk) == "superseded"
        for initiative in drafts:
            initiative.refresh_from_db()
            assert initiative.status == Initiative.Status.DRAFT


def curator_client_for(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
class TestRecovery:
    def test_a_job_whose_worker_stopped_is_queued_again(self, curator, settings):
        settings.JOB_STALE_SECONDS = 60
        lost = running_job(curator, beat_ago=120)
        alive = running_job(curator, beat_ago=5)
        out = StringIO()
        call_command("recover_jobs", stdout=out)
        lost.refresh_from_db()
        alive.refresh_from_db()
        assert lost.status == Job.Status.QUEUED
        assert alive.status == Job.Status.RUNNING
        assert f"Queued again (run 2): job {lost.pk}" in out.getvalue()
        assert DBTaskResult.objects.filter(pk=lost.task_id, status="READY").exists()

    def test_a_job_out_of_runs_is_marked_failed_with_a_message(
        self, curator, curator_client, settings
    ):
        settings.JOB_MAX_ATTEMPTS = 3
        lost = running_job(curator, beat_ago=600, attempts=3)
        call_command("recover_jobs", stdout=StringIO())
        lost.refresh_from_db()
        assert lost.status == Job.Status.FAILED
        body = page(curator_client, lost)
        assert "Stopped because the worker running it stopped (3 times" in body
        assert "nothing was changed. Run it again" in body
        assert "Run it again" in body

    def test_nothing_lost_says_so(self):
        out = StringIO()
        call_command("recover_jobs", stdout=out)
        assert out.getvalue().strip() == "No job had lost its worker."

    def test_the_projects_db_worker_is_the_one_that_recovers_first(self):
        assert get_commands()["db_worker"] == "initiatives.curation"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_starting_worker_recovers_a_lost_job_and_does_its_work_once(curator, settings):
    drafts = InitiativeFactory.create_batch(3, status=Initiative.Status.DRAFT)
    lost = running_job(curator, beat_ago=600)
    run_worker()
    lost.refresh_from_db()
    assert lost.status == Job.Status.DONE
    assert lost.attempts == 2
    assert "3 initiatives published." in lost.summary
    for initiative in drafts:
        initiative.refresh_from_db()
        assert initiative.status == Initiative.Status.PUBLISHED
        assert initiative.history.count() == 2


@pytest.mark.django_db
def test_select_all_over_1001_matching_records_changes_all_of_them_in_a_job(
    curator_client, settings
):
    """More than DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) records: the form posts the page's
    ids and "select all", never 1,001 ids, and the job changes every matching record."""
    from initiatives.loading.generation import generate

    generate(count=1001, seed=17)
    Initiative.objects.update(status=Initiative.Status.DRAFT)
    listing = curator_client.get(CHANGELIST + "?status__exact=draft")
    assert "Select all 1001 initiatives" in listing.content.decode()
    shown = [int(pk) for pk in listing.context["cl"].result_list.values_list("pk", flat=True)]
    assert len(shown) == 100

    response = curator_client.post(
        CHANGELIST + "?status__exact=draft",
        {"action": "publish", "select_across": "1", "index": "0", "_selected_action": shown},
    )
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == reverse("admin:initiatives_job_change", args=[job.pk])
    assert run_job.call(job.pk) == Job.Status.DONE
    assert Initiative.objects.filter(status=Initiative.Status.PUBLISHED).count() == 1001
    body = page(curator_client, job)
    assert "1,001 initiatives published." in body
    assert "1,001 of 1,001 done" in body
