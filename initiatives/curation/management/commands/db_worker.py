"""`python manage.py db_worker`: the Django tasks backport's worker, after recovery.

Before taking jobs from the queue, a starting worker queues again the jobs whose
worker stopped (`recover_jobs`), so a restart after a crash picks them up. This
command wins over django-tasks' own `db_worker` because initiatives.curation comes
before django_tasks in INSTALLED_APPS.
"""

from django_tasks.backends.database.management.commands import db_worker

from initiatives.curation.jobs import recover_jobs


class Command(db_worker.Command):
    help = "Queue again the jobs whose worker stopped (recover_jobs), then run the jobs worker."

    def handle(self, *args, **options):
        requeued, failed = recover_jobs()
        if requeued or failed:
            self.stdout.write(
                f"Jobs whose worker stopped: {len(requeued)} queued again, "
                f"{len(failed)} marked failed (no runs left)."
            )
        return super().handle(*args, **options)
