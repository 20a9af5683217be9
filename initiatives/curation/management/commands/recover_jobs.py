"""`python manage.py recover_jobs`: queue again the jobs whose worker stopped."""

from django.conf import settings
from django.core.management.base import BaseCommand

from initiatives.curation.jobs import recover_jobs


class Command(BaseCommand):
    help = (
        "Queue again each running job whose worker stopped (no heartbeat for "
        f"DJANGO_JOB_STALE_SECONDS, {settings.JOB_STALE_SECONDS:g} s), up to "
        f"DJANGO_JOB_MAX_ATTEMPTS ({settings.JOB_MAX_ATTEMPTS}) runs; then mark it failed. "
        "A job's work and its result are written in one transaction, so a stopped run "
        "changed nothing and a new run does the work once. Every worker runs this as it starts."
    )

    def handle(self, *args, **options):
        requeued, failed = recover_jobs()
        for job in requeued:
            self.stdout.write(f"Queued again (run {job.attempts + 1}): job {job.pk}, {job}")
        for job in failed:
            self.stdout.write(f"Failed after {job.attempts} runs: job {job.pk}, {job}")
        if not requeued and not failed:
            self.stdout.write("No job had lost its worker.")
