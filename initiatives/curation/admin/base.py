"""What every curators' admin page shares: secure URLs, shares in words, and
history with compare and restore."""

from django.db import models, transaction
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from ...services import history_baseline
from ..forms import (
    format_percent,
)

# A curator who types "example.org" means the secure site.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


def share_display(value) -> str:
    return "-" if value is None else f"{format_percent(value)}%"


# History ----------------------------------------------------------------------


def child_history(model, parent_field: str, object_id, *, limit: int = 500):
    """The history rows of a record's children (`model`, linked by `parent_field`),
    newest first, for its history page; none for an id that is not a number."""
    if not str(object_id).isdecimal():
        return model.history.none()
    return (
        model.history.filter(**{parent_field: int(object_id)})
        .select_related("history_user")
        .order_by("-history_id")[:limit]
    )


class HistoryAdmin(SimpleHistoryAdmin):
    """A record's history (who changed what, when) with restore, and nothing left out.

    Before a change or a deletion, the record's current state is recorded if its
    history does not show it yet (services.history_baseline), so that the version
    before the change can always be restored.
    """

    # As django-simple-history's own list, without its inline style (the CSP refuses it).
    object_history_list_template = "admin/initiatives/object_history_list.html"

    def save_model(self, request, obj, form, change):
        if change:
            history_baseline(model=type(obj), pks=[obj.pk])
        reason = getattr(request, "history_reason", "")
        if reason:
            obj._change_reason = reason
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        history_baseline(model=type(obj), pks=[obj.pk])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        history_baseline(model=queryset.model, pks=list(queryset.values_list("pk", flat=True)))
        super().delete_queryset(request, queryset)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Restore an earlier version; one transaction, so the version check holds its lock."""
        record = self.model.history.filter(history_id=version_id).first()
        if record is not None:
            moment = timezone.localtime(record.history_date)
            request.history_reason = f"Restored the version of {moment:%Y-%m-%d %H:%M}"
        with transaction.atomic():
            return super().history_form_view(request, object_id, version_id, extra_context)
