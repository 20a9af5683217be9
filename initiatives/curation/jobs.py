"""Jobs: the long work curators start from the admin, run by a worker, not the request.

The queue is the Django tasks backport's database backend (settings.TASKS); each job
is also a `Job` row, which is what the admin's Jobs list and result page show. A
worker (`manage.py db_worker`, any number at once) runs `run_job`, which claims the
job (a new attempt), writes its progress and heartbeat from a thread as it goes
(`Heartbeat`), and writes the work and the job's "done" in one transaction, checking
under the job row's lock that the attempt is still its own: a job run twice (a retry,
two workers, a run replaced by recovery) does its work once, and a job that fails
changes nothing and can be started again. `recover_jobs` queues again the jobs whose
worker stopped beating.
"""

import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Q
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from ..loading.imports import import_initiatives
from ..loading.problems import ImportRefused
from ..models import Initiative, Job
from ..services import database_busy
from .bulk import ACTIONS, apply_action

logger = logging.getLogger(__name__)

# How many of a refused import's problems a job keeps (the page shows the first 100).
PROBLEMS_KEPT = 2000


def count_rows(data: bytes) -> int:
    """The file's rows after the header, roughly (a quoted cell may hold a line break)."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    return max(lines - 1, 0)


def _enqueue(job: Job) -> Job:
    result = run_job.enqueue(job.pk)
    job.task_id = str(result.id)
    job.save(update_fields=["task_id"])
    return job


def start_import_job(*, data: bytes, filename: str, user, dry_run: bool = False) -> Job:
    """Keep the uploaded file in a new job and queue it; returns at once."""
    job = Job.objects.create(
        kind=Job.Kind.IMPORT,
        description=(f"Check of {filename}" if dry_run else f"Import of {filename}")[:300],
        dry_run=dry_run,
        filename=filename[:255],
        data=data,
        total=count_rows(data),
        started_by=user,
    )
    return _enqueue(job)


def start_action_job(*, action: str, querystring: str, description: str, user) -> Job:
    """Queue a bulk action over every initiative the changelist's filter matches."""
    if action not in ACTIONS:
        raise ValueError(f"No bulk action called {action!r}.")
    job = Job.objects.create(
        kind=Job.Kind.ACTION,
        description=description[:300],
        action=action,
        querystring=querystring,
        started_by=user,
    )
    return _enqueue(job)


def retry_job(job: Job) -> Job:
    """Queue a job that failed (so changed nothing) again."""
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.QUEUED,
        summary="",
        started_at=None,
        finished_at=None,
        heartbeat_at=None,
        done=0,
        attempts=0,
    )
    job.refresh_from_db()
    return _enqueue(job)


class Superseded(Exception):
    """This run's job was queued again meanwhile (its heartbeat looked stale) and another
    run owns it now: this run's work is rolled back, so the work is done once."""


class Heartbeat:
    """A running job's progress and heartbeat, written every JOB_PROGRESS_SECONDS from a
    thread of its own, so on a connection of its own: the job's work runs in one long
    transaction on the worker's connection, and the figures written there would only be
    seen when it commits. The work tells it `(done, total)`; the thread writes the last
    figures it was told. Only this run's attempt is written to (a run superseded by
    recovery writes nothing). SQLite lets one writer in at a time, so there the figures
    are written when the job finishes.
    """

    def __init__(self, job_id: int, attempt: int):
        self.job_id = job_id
        self.attempt = attempt
        self.done = 0
        self.total: int | None = None
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def __enter__(self) -> "Heartbeat":
        if connection.vendor != "sqlite":
            self._thread = threading.Thread(
                target=self._run, name=f"job {self.job_id} heartbeat", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        try:
            while not self._stopped.wait(settings.JOB_PROGRESS_SECONDS):
                try:
                    self.beat()
                except DatabaseError:
                    logger.warning("Job %s: its heartbeat could not be written", self.job_id)
        finally:
            connections.close_all()

    def beat(self) -> int:
        """Write the figures and the time now; returns 1 if this run still owns the job."""
        figures = {"heartbeat_at": timezone.now(), "done": self.done}
        if self.total is not None:
            figures["total"] = self.total
        return Job.objects.filter(
            pk=self.job_id, status=Job.Status.RUNNING, attempts=self.attempt
        ).update(**figures)


def claim(job_id: int) -> int | None:
    """Mark a queued job running for this run; returns this run's attempt number, or None
    when the job is not waiting (finished already, running elsewhere, or gone)."""
    now = timezone.now()
    with transaction.atomic():
        job = (
            Job.objects.select_for_update()
            .filter(pk=job_id, status=Job.Status.QUEUED)
            .only("pk", "attempts")
            .first()
        )
        if job is None:
            return None
        attempt = job.attempts + 1
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.RUNNING, started_at=now, heartbeat_at=now, attempts=attempt
        )
    return attempt


@task()
def run_job(job_id: int) -> str:
    """Run one job; the worker calls this. Returns the job's status.

    The work and the job's result are written in one transaction. The job's row is
    locked only at the end, checking that this run still owns the job: a run that
    recovery replaced (its heartbeat looked stale) rolls its work back, so a job's
    work lands once however many runs it takes.
    """
    attempt = claim(job_id)
    if attempt is None:
        return "skipped"
    heartbeat = Heartbeat(job_id, attempt)
    try:
        with heartbeat, transaction.atomic():
            job = Job.objects.select_related("started_by").get(pk=job_id)
            if job.kind == Job.Kind.IMPORT:
                _run_import(job, heartbeat)
            else:
                _run_action(job, heartbeat)
            heartbeat.stop()
            owned = Job.objects.select_for_update().filter(
                pk=job_id, status=Job.Status.RUNNING, attempts=attempt
            )
            if not owned.exists():
                raise Superseded
            job.finished_at = job.heartbeat_at = timezone.now()
            job.save()
            return job.status
    except Superseded:
        logger.warning("Job %s: run %s was replaced by a later run, so undone", job_id, attempt)
        return "superseded"
    except Exception as exc:
        busy = database_busy(exc)
        reason = (
            "the database was busy (another write held the records too long)"
            if busy
            else "of an error (logged for the developers)"
        )
        logger.exception("Job %s failed", job_id)
        Job.objects.filter(pk=job_id, status=Job.Status.RUNNING, attempts=attempt).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            summary=f"Stopped because {reason}: nothing was changed. Run it again.",
        )
        return Job.Status.FAILED


def recover_jobs(*, now=None) -> tuple[list[Job], list[Job]]:
    """Queue again each running job whose worker stopped (no heartbeat for
    JOB_STALE_SECONDS), or mark it failed once it has had JOB_MAX_ATTEMPTS runs.
    Returns (queued again, failed). Safe to run from any number of workers at once:
    each job is taken under its row lock, skipping any another recovery holds."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    requeued, failed = [], []
    with transaction.atomic():
        dead = list(
            Job.objects.select_for_update(skip_locked=True)
            .filter(status=Job.Status.RUNNING)
            .filter(Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale))
            .defer("data")
            .order_by("pk")
        )
        for job in dead:
            if job.attempts >= settings.JOB_MAX_ATTEMPTS:
                runs = f"{job.attempts} time{'s' * (job.attempts != 1)}"
                Job.objects.filter(pk=job.pk).update(
                    status=Job.Status.FAILED,
                    finished_at=now,
                    summary=(
                        f"Stopped because the worker running it stopped ({runs}, the last at "
                        f"{timezone.localtime(job.heartbeat_at or job.started_at):%d %b %Y %H:%M}"
                        "): nothing was changed. Run it again, and tell a developer if it "
                        "stops again."
                    ),
                )
                failed.append(job)
            else:
                Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED)
                requeued.append(job)
    for job in requeued:
        _enqueue(job)
    return requeued, failed


def _run_import(job: Job, progress: Heartbeat) -> None:
    try:
        result = import_initiatives(
            bytes(job.data),
            filename=job.filename,
            user=job.started_by,
            dry_run=job.dry_run,
            progress=progress,
        )
    except ImportRefused as refused:
        job.status = Job.Status.REFUSED
        job.problem_count = len(refused.problems)
        job.problems = [
            [p.row, p.column, p.message]
            for p in (q.brief() for q in refused.problems[:PROBLEMS_KEPT])
        ]
        job.summary = (
            f"Nothing was imported: the file has {len(refused.problems):,} "
            f"problem{'s' * (len(refused.problems) != 1)}."
        )
    else:
        job.status = Job.Status.DONE
        job.summary = f"{'Check' if job.dry_run else 'Import'} of {job.filename}: {result}"
        job.total = result.created + result.updated + result.unchanged
        job.done = job.total
    # The file is not kept once the job has its answer.
    job.data = b""


def changelist_queryset(querystring: str, user):
    """The initiatives the admin's changelist shows `user` for this filter querystring."""
    from django.contrib import admin

    request = RequestFactory().get(
        reverse("admin:initiatives_initiative_changelist"), QUERY_STRING=querystring
    )
    request.user = user
    model_admin = admin.site._registry[Initiative]
    changelist = model_admin.get_changelist_instance(request)
    return changelist.get_queryset(request)


def _run_action(job: Job, progress: Heartbeat) -> None:
    action = ACTIONS[job.action]
    queryset = changelist_queryset(job.querystring, job.started_by)
    outcome = apply_action(action, queryset, user=job.started_by, progress=progress)
    job.status = Job.Status.DONE
    job.total = outcome.selected
    job.done = outcome.selected
    parts = [f"{outcome.changed:,} initiative{'s' * (outcome.changed != 1)} {action.done}"]
    if outcome.unchanged:
        parts.append(f"{outcome.unchanged:,} already {action.done}: left as they were")
    if outcome.gone:
        parts.append(f"{outcome.gone:,} deleted meanwhile: nothing to change")
    job.summary = "; ".join(parts) + "."
