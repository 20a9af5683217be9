"""The admin's "Import from CSV" page (InitiativeAdmin.get_urls), over loading/imports.py.

A file over the size limit is refused from the request's Content-Length, before
any of it is read; the view is CSRF-exempt only so that this check comes before
Django reads the body for the token, and the token is checked straight after.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_protect

from initiatives.loading.import_rows import MAX_IMPORT_BYTES, MAX_IMPORT_MEGABYTES, size_problem
from initiatives.loading.imports import import_initiatives
from initiatives.loading.problems import ImportRefused, Problem

# Room for the form's other fields and the multipart boundaries around the file.
FORM_OVERHEAD_BYTES = 64 * 1024


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
        form = ImportForm(request.POST, request.FILES)
        too_large = getattr(request, "import_too_large", None)
        if too_large:
            problems = [size_problem(too_large)]
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            problem = size_problem(upload.size)
            if problem:
                problems = [problem]
            else:
                try:
                    result = import_initiatives(
                        upload.read(),
                        filename=upload.name,
                        dry_run=form.cleaned_data["dry_run"],
                        user=request.user,
                    )
                except ImportRefused as refused:
                    problems = refused.problems
            if result is not None and not result.dry_run:
                model_admin.message_user(
                    request, f"Import of {upload.name}: {result}", messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:initiatives_initiative_changelist"))
    else:
        form = ImportForm()
    return _render(model_admin, request, form, problems=problems, result=result)


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
        "problems": problems,
        "result": result,
        "columns": [c for c in COLUMNS if c.name not in DERIVED_COLUMNS],
        "derived": [c for c in COLUMNS if c.name in DERIVED_COLUMNS],
        "max_megabytes": MAX_IMPORT_MEGABYTES,
    }
    return TemplateResponse(
        request, "admin/initiatives/initiative/import.html", context, status=status
    )
