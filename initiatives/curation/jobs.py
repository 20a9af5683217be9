"""Jobs: the long work curators start from the admin, run by a worker, not the request.

The queue is the Django tasks backport's database backend (settings.TASKS); each job
is also a `Job` row, which is what the admin's Jobs list and result page show. A
worker (`manage.py db_worker`, any number at once) runs `run_job`, which takes the job
row's lock and writes the work and the job's "done" in one transaction: a job run
twice (a retry, or two workers handed the same job) does its work once, and a job
that fails changes nothing and can be started again.
"""

import logging

from django.db import transaction
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
        status=Job.Status.QUEUED, summary="", started_at=None, finished_at=None
    )
    job.refresh_from_db()
    return _enqueue(job)


@task()
def run_job(job_id: int) -> str:
    """Run one job; the worker calls this. Returns the job's status."""
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed and not Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).exists():
        # Finished already (a retry of a job that was done), or gone.
        return "skipped"
    try:
        with transaction.atomic():
            job = Job.objects.select_for_update().get(pk=job_id)
            if job.finished:
                return "skipped"
            if job.kind == Job.Kind.IMPORT:
                _run_import(job)
            else:
                _run_action(job)
            job.finished_at = timezone.now()
            job.save()
            return job.status
    except Exception as exc:
        busy = database_busy(exc)
        reason = (
            "the database was busy (another write held the records too long)"
            if busy
            else "of an error (logged for the developers)"
        )
        logger.exception("Job %s failed", job_id)
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            summary=f"Stopped because {reason}: nothing was changed. Run it again.",
        )
        return Job.Status.FAILED


def _run_import(job: Job) -> None:
    try:
        result = import_initiatives(
            bytes(job.data), filename=job.filename, user=job.started_by, dry_run=job.dry_run
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


def _run_action(job: Job) -> None:
    action = ACTIONS[job.action]
    queryset = changelist_queryset(job.querystring, job.started_by)
    outcome = apply_action(action, queryset, user=job.started_by)
    job.status = Job.Status.DONE
    job.total = outcome.selected
    job.done = outcome.selected
    parts = [f"{outcome.changed:,} initiative{'s' * (outcome.changed != 1)} {action.done}"]
    if outcome.unchanged:
        parts.append(f"{outcome.unchanged:,} already {action.done}: left as they were")
    if outcome.gone:
        parts.append(f"{outcome.gone:,} deleted meanwhile: nothing to change")
    job.summary = "; ".join(parts) + "."
