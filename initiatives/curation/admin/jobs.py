"""The Jobs list (what curators started and a worker runs) and each job's result page.

A job's page shows its progress (rows done of all, written by the worker's heartbeat)
until the job has finished, then what it did, or the problems by row (the first 100,
and every kept one as CSV). Without JavaScript it offers a "Refresh" link (no
automatic refresh that would move a screen reader's place); with it,
static/js/job-progress.js reads `progress.json` every few seconds into a polite live
region, with a button to stop the updates. A failed job changed nothing and can be
run again.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import slugify

from ...exports import rows_csv_response
from ...models import Job
from ..jobs import retry_job

PROBLEMS_SHOWN = 100


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["description", "kind", "status", "progress", "started_by", "created_at"]
    list_select_related = ["started_by"]
    actions = ["run_again"]

    # Anyone who may change initiatives may watch the jobs; no one adds or edits one here.
    def has_module_permission(self, request):
        return request.user.has_perm("initiatives.change_initiative")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("initiatives.change_initiative")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("initiatives.change_initiative")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Progress")
    def progress(self, job) -> str:
        return progress_text(job)

    @admin.action(description="Run the selected failed jobs again", permissions=["change"])
    def run_again(self, request, queryset):
        failed = list(queryset.filter(status=Job.Status.FAILED))
        for job in failed:
            retry_job(job)
        self.message_user(
            request,
            f"{len(failed)} failed job{'s' * (len(failed) != 1)} queued again"
            + (
                "; jobs that did not fail are left as they are."
                if len(failed) < queryset.count()
                else "."
            ),
            messages.SUCCESS,
        )

    def get_urls(self):
        return [
            path(
                "<int:job_id>/progress.json",
                self.admin_site.admin_view(self.progress_view),
                name="initiatives_job_progress",
            ),
            path(
                "<int:job_id>/problems.csv",
                self.admin_site.admin_view(self.problems_csv_view),
                name="initiatives_job_problems",
            ),
            *super().get_urls(),
        ]

    def _job(self, request, object_id) -> Job:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            return Job.objects.select_related("started_by").defer("data").get(pk=int(object_id))
        except (Job.DoesNotExist, ValueError, TypeError):
            raise Http404("No such job.") from None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The job's result page (it replaces the edit form: a job is not edited)."""
        job = self._job(request, object_id)
        if request.method == "POST":
            if job.status == Job.Status.FAILED and self.has_change_permission(request, job):
                retry_job(job)
                self.message_user(request, "The job is queued again.", messages.SUCCESS)
            return HttpResponseRedirect(request.path)
        problems = [
            {"row": row, "column": column, "message": message}
            for row, column, message in job.problems[:PROBLEMS_SHOWN]
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": str(job),
            "job": job,
            "progress": progress_text(job),
            "progress_url": reverse("admin:initiatives_job_progress", args=[job.pk]),
            "problems": problems,
            "problems_kept": len(job.problems),
            "problems_csv_url": reverse("admin:initiatives_job_problems", args=[job.pk])
            if job.problems
            else "",
        }
        return TemplateResponse(request, "admin/initiatives/job/result.html", context)

    def progress_view(self, request, job_id):
        """The job's progress for the page's script (admin_view marks it never cached)."""
        job = self._job(request, job_id)
        return JsonResponse(
            {
                "status": job.status,
                "status_label": job.get_status_display(),
                "finished": job.finished,
                "done": job.done,
                "total": job.total,
                "progress": progress_text(job),
                "summary": job.summary,
                "heartbeat_at": job.heartbeat_at.isoformat() if job.heartbeat_at else None,
            }
        )

    def problems_csv_view(self, request, job_id):
        job = self._job(request, job_id)
        rows = [["Row", "Column", "Problem"], *job.problems]
        left_out = job.problem_count - len(job.problems)
        if left_out > 0:
            rows.append(
                [
                    None,
                    None,
                    f"... and {left_out:,} more problems, not listed here: correct these and "
                    "upload the file again to see the rest.",
                ]
            )
        stem = slugify(job.filename.rsplit(".", 1)[0])[:40] or f"job-{job.pk}"
        return rows_csv_response(rows, filename=f"import-problems-{stem}.csv")


def progress_text(job: Job) -> str:
    if job.status == Job.Status.QUEUED:
        return "Waiting for a worker" + (f" ({job.total:,} rows)" if job.total else "")
    if job.status == Job.Status.RUNNING:
        if job.total:
            return f"Working: {min(job.done, job.total):,} of {job.total:,} rows done"
        return "Working"
    if job.status == Job.Status.DONE and job.total is not None:
        return f"{job.done:,} of {job.total:,} done"
    return job.get_status_display()
