"""The admin's "Import from CSV" page (InitiativeAdmin.get_urls), over loading/imports.py.

A file over the size limit is refused from the request's Content-Length, before
any of it is read; the view is CSRF-exempt only so that this check comes before
Django reads the body for the token, and the token is checked straight after.

A file of more than settings.IMPORT_JOB_ROWS rows is not imported in the request: it is
kept in a job (curation/jobs.py) that a worker runs, and the curator is sent to the
job's page, which shows its progress and then its result or problems.

A refused file may have thousands of problems, each quoting a cell that may be huge.
The page lists the first PROBLEMS_SHOWN, each shortened, with the total, and offers
every problem as a CSV download. The upload itself is never kept: the problems are,
in the curator's session (compressed, at most PROBLEMS_KEPT of them, each shortened),
until the next upload replaces them or an import succeeds. A session is the one place
that follows the curator to whichever server answers the download, and holds only
what the page already showed them.
"""

import base64
import binascii
import json
import zlib
from pathlib import PurePath

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.csrf import csrf_protect

from initiatives.exports import rows_csv_response
from initiatives.loading.import_rows import MAX_IMPORT_BYTES, MAX_IMPORT_MEGABYTES, size_problem
from initiatives.loading.imports import import_initiatives
from initiatives.loading.problems import ImportRefused, Problem

from .jobs import count_rows, start_import_job

# Room for the form's other fields and the multipart boundaries around the file.
FORM_OVERHEAD_BYTES = 64 * 1024
# How many problems the page lists, and how many the CSV download keeps.
PROBLEMS_SHOWN = 100
PROBLEMS_KEPT = 2000
SESSION_KEY = "import-problems"


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            "In the format of the register's CSV export (UTF-8, the export's column headers). "
            f"At most {MAX_IMPORT_MEGABYTES} MB."
        ),
    )
    dry_run = forms.BooleanField(
        label="Check only: report what would change, import nothing",
        required=False,
    )


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    """Stops storing an upload once it passes the limit (when Content-Length said less)."""

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > MAX_IMPORT_BYTES:
            self.request.import_too_large = start + len(raw_data)
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)


def import_initiatives_view(model_admin, request):
    """Upload, check every row, then import all of it or nothing."""
    if not (model_admin.has_add_permission(request) and model_admin.has_change_permission(request)):
        raise PermissionDenied
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_IMPORT_BYTES + FORM_OVERHEAD_BYTES:
            problem = size_problem(length)
            return _render(model_admin, request, ImportForm(), problems=[problem], status=413)
        request.upload_handlers = [SizeLimitedUploadHandler(request)]
    return csrf_protect(lambda request: _import(model_admin, request))(request)


def _import(model_admin, request):
    problems: list[Problem] = []
    result = None
    if request.method == "POST":
        # A new upload: the problems kept from an earlier one no longer apply.
        request.session.pop(SESSION_KEY, None)
        form = ImportForm(request.POST, request.FILES)
        too_large = getattr(request, "import_too_large", None)
        if too_large:
            problems = [size_problem(too_large)]
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            problem = size_problem(upload.size)
            if problem:
                problems = [problem]
            elif count_rows(data := upload.read()) > settings.IMPORT_JOB_ROWS:
                # A big file: a worker imports it; the curator watches the job's page.
                job = start_import_job(
                    data=data,
                    filename=upload.name,
                    user=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                )
                model_admin.message_user(
                    request,
                    f"{upload.name} is queued: a worker checks and "
                    f"{'counts' if job.dry_run else 'imports'} it, and this page shows "
                    "the result.",
                    messages.INFO,
                )
                return HttpResponseRedirect(reverse("admin:initiatives_job_change", args=[job.pk]))
            else:
                try:
                    result = import_initiatives(
                        data,
                        filename=upload.name,
                        dry_run=form.cleaned_data["dry_run"],
                        user=request.user,
                    )
                except ImportRefused as refused:
                    problems = refused.problems
                    keep_problems(request, problems, filename=upload.name)
            if result is not None and not result.dry_run:
                model_admin.message_user(
                    request, f"Import of {upload.name}: {result}", messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:initiatives_initiative_changelist"))
    else:
        form = ImportForm()
    return _render(model_admin, request, form, problems=problems, result=result)


def keep_problems(request, problems: list[Problem], *, filename: str) -> None:
    """Keep the refused file's problems (the first PROBLEMS_KEPT, shortened) for the download."""
    kept = [[p.row, p.column, p.message] for p in (q.brief() for q in problems[:PROBLEMS_KEPT])]
    data = {"file": filename, "total": len(problems), "problems": kept}
    packed = zlib.compress(json.dumps(data).encode())
    request.session[SESSION_KEY] = base64.b64encode(packed).decode("ascii")


def kept_problems(request) -> dict | None:
    """What keep_problems kept in this session, or None."""
    packed = request.session.get(SESSION_KEY)
    if not isinstance(packed, str):
        return None
    try:
        return json.loads(zlib.decompress(base64.b64decode(packed)))
    except (binascii.Error, zlib.error, ValueError):
        return None


def import_problems_csv_view(model_admin, request):
    """Every problem of the last refused upload, as CSV (Row, Column, Problem)."""
    if not (model_admin.has_add_permission(request) and model_admin.has_change_permission(request)):
        raise PermissionDenied
    kept = kept_problems(request)
    if kept is None:
        model_admin.message_user(
            request,
            "There is no list of problems to download: upload the file again to check it.",
            messages.WARNING,
        )
        return HttpResponseRedirect(reverse("admin:initiatives_initiative_import"))
    rows = [["Row", "Column", "Problem"], *kept["problems"]]
    left_out = kept["total"] - len(kept["problems"])
    if left_out > 0:
        rows.append(
            [
                None,
                None,
                f"... and {left_out:,} more problems, not listed here: correct these and "
                "upload the file again to see the rest.",
            ]
        )
    stem = slugify(PurePath(kept["file"]).stem)[:40] or "file"
    return rows_csv_response(rows, filename=f"import-problems-{stem}.csv")


def _render(model_admin, request, form, *, problems=(), result=None, status=200):
    from initiatives.exports import COLUMNS
    from initiatives.loading.import_rows import DERIVED_COLUMNS

    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "app_label": opts.app_label,
        "title": "Import initiatives from a CSV file",
        "form": form,
        "problems": [problem.brief() for problem in problems[:PROBLEMS_SHOWN]],
        "problem_count": len(problems),
        "problems_kept": min(len(problems), PROBLEMS_KEPT),
        "problems_csv_url": reverse("admin:initiatives_initiative_import_problems")
        if SESSION_KEY in request.session
        else "",
        "result": result,
        "columns": [c for c in COLUMNS if c.name not in DERIVED_COLUMNS],
        "derived": [c for c in COLUMNS if c.name in DERIVED_COLUMNS],
        "max_megabytes": MAX_IMPORT_MEGABYTES,
    }
    return TemplateResponse(
        request, "admin/initiatives/initiative/import.html", context, status=status
    )
