"""Admin for suggestions from the public: review, accept or reject."""

from django.contrib import admin, messages
from django.db.models import Case, Count, IntegerField, Value, When
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from ...models import (
    Suggestion,
)
from ..services import SuggestionError, suggestion_accept, suggestion_reject

# Suggestions from the public ---------------------------------------------------


class SuggestionStatusFilter(admin.SimpleListFilter):
    """New, accepted or rejected, each with how many there are."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        counts = dict(Suggestion.objects.order_by().values_list("status").annotate(n=Count("pk")))
        return [
            (value, f"{label} ({counts.get(value, 0):,})")
            for value, label in Suggestion.Status.choices
        ]

    def queryset(self, request, queryset):
        if self.value() in Suggestion.Status.values:
            return queryset.filter(status=self.value())
        return queryset


class SuggestionSenderFilter(admin.SimpleListFilter):
    """Who sent it: the organisation's own provider, or the public."""

    title = "sent by"
    parameter_name = "sent_by"

    def lookups(self, request, model_admin):
        return [("provider", "A provider"), ("public", "The public")]

    def queryset(self, request, queryset):
        if self.value() == "provider":
            return queryset.filter(provider__isnull=False)
        if self.value() == "public":
            return queryset.filter(provider__isnull=True)
        return queryset


def shown_value(name: str, value) -> str:
    """A proposed or current value in words, for the review page (the template escapes it)."""
    from ..suggestions import CHOICE_LABELS

    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if name in CHOICE_LABELS:
        return CHOICE_LABELS[name].get(value, str(value))
    return str(value)


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    """The queue of suggestions: each opens on a review page to accept or reject it."""

    list_display = [
        "__str__",
        "kind",
        "sent_by",
        "status",
        "created_at",
        "has_contact",
        "reviewed_by",
    ]
    list_display_links = ["__str__"]
    list_filter = [SuggestionStatusFilter, "kind", SuggestionSenderFilter]
    list_select_related = ["initiative", "reviewed_by", "provider__user"]
    search_fields = ["initiative__name", "message", "contact_email"]
    search_help_text = "Searches the initiative's name, the note and the contact email."
    list_per_page = 50

    def get_ordering(self, request):
        # New ones first, then the most recent.
        waiting = Case(
            When(status=Suggestion.Status.NEW, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return [waiting.asc(), "-created_at"]

    @admin.display(description="sent by")
    def sent_by(self, obj) -> str:
        # A provider's edit is the organisation speaking for itself: say so, and who.
        if obj.provider_id:
            return f"Provider: {obj.provider.user.email}"
        return "Public"

    @admin.display(description="contact email", boolean=True)
    def has_contact(self, obj) -> bool:
        return bool(obj.contact_email)

    def has_add_permission(self, request):
        # Suggestions come from the public form.
        return False

    def has_delete_permission(self, request, obj=None):
        # Kept once reviewed, as the record of what was asked; superusers may remove spam.
        return request.user.is_superuser

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The review page: before and after for each field, accept or reject."""
        from django.contrib.admin.utils import unquote
        from django.core.exceptions import PermissionDenied

        suggestion = self.get_object(request, unquote(object_id))
        if suggestion is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, suggestion):
            raise PermissionDenied
        may_review = self.has_change_permission(request, suggestion)
        error = None
        ticked = set()
        reason = ""
        if request.method == "POST":
            if not may_review:
                raise PermissionDenied
            action = request.POST.get("action")
            ticked = set(request.POST.getlist("fields"))
            reason = request.POST.get("reason", "")
            queue = reverse("admin:initiatives_suggestion_changelist") + "?status=new"
            try:
                if action == "accept":
                    correction = suggestion.kind == Suggestion.Kind.CORRECTION
                    initiative = suggestion_accept(
                        suggestion=suggestion,
                        curator=request.user,
                        fields=[n for n in suggestion.proposed if n in ticked]
                        if correction
                        else None,
                        seen_version=self.seen_version(request) if correction else None,
                    )
                    if correction:
                        applied = len(ticked & set(suggestion.proposed))
                        self.message_user(
                            request,
                            f"Applied {applied} change{'s' * (applied != 1)} to "
                            f"\u201c{initiative}\u201d.",
                            messages.SUCCESS,
                        )
                        return HttpResponseRedirect(queue)
                    self.message_user(
                        request,
                        f"Made the draft \u201c{initiative}\u201d from the suggestion. Finish it "
                        "here, check every detail, and publish it when it is ready.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:initiatives_initiative_change", args=[initiative.pk])
                    )
                if action == "reject":
                    suggestion_reject(suggestion=suggestion, curator=request.user, reason=reason)
                    self.message_user(request, f"Rejected: {suggestion}.", messages.SUCCESS)
                    return HttpResponseRedirect(queue)
                error = "Choose whether to accept or reject the suggestion."
            except SuggestionError as exc:
                error = str(exc)
            suggestion.refresh_from_db()

        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "title": str(suggestion),
            "subtitle": None,
            "suggestion": suggestion,
            "original": suggestion,
            "rows": self.review_rows(suggestion),
            "changed_since": self.changed_since(suggestion),
            "may_review": may_review and suggestion.status == Suggestion.Status.NEW,
            "error": error,
            "ticked": ticked,
            "reason": reason,
            "has_view_permission": True,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/initiatives/suggestion/review.html", context)

    @staticmethod
    def changed_since(suggestion: Suggestion) -> str:
        """For a new correction whose initiative was changed after it was sent: when and by
        whom, in words (the sender proposed changes to values that may have moved on)."""
        from ...services import last_change, when_in_words

        initiative = suggestion.initiative
        if (
            suggestion.kind != Suggestion.Kind.CORRECTION
            or suggestion.status != Suggestion.Status.NEW
            or initiative is None
            or initiative.updated_at <= suggestion.created_at
        ):
            return ""
        moment, who = last_change(type(initiative), initiative.pk)
        return f"at {when_in_words(moment)} by {who}"

    @staticmethod
    def seen_version(request) -> int:
        """The initiative's version the review page showed; a page that does not say
        (out of date, or not ours) is refused rather than trusted."""
        value = request.POST.get("initiative_version", "")
        if not (value.isdecimal() and len(value) < 10):
            raise SuggestionError(
                "This page is out of date: reload it, check the changes and apply them again."
            )
        return int(value)

    @staticmethod
    def review_rows(suggestion: Suggestion) -> list[dict]:
        """One row per proposed field: its label, the value now, the value proposed."""
        from ..suggestions import LABELS, MODEL_FIELDS, NEW_ONLY_FIELDS

        initiative = suggestion.initiative
        rows = []
        for name in [*MODEL_FIELDS, *NEW_ONLY_FIELDS]:
            if name not in suggestion.proposed:
                continue
            proposed = suggestion.proposed[name]
            row = {
                "name": name,
                "label": LABELS.get(name, name),
                "after": shown_value(name, proposed),
                "applied": name in (suggestion.applied_fields or []),
            }
            if suggestion.kind == Suggestion.Kind.CORRECTION and initiative is not None:
                current = getattr(initiative, name)
                row["before"] = shown_value(name, current)
                row["same"] = current == proposed
            rows.append(row)
        rows += SuggestionAdmin.other_rows(suggestion)
        return rows

    @staticmethod
    def other_rows(suggestion: Suggestion) -> list[dict]:
        """Rows for what a provider may propose beyond the public form: other fields of
        the initiative, and its whole list of opening times or contacts."""
        from ...models import Initiative
        from ..services import CHILD_FIELDS, CHILD_LABELS, child_row_in_words, children_rows
        from ..suggestions import MODEL_FIELDS, NEW_ONLY_FIELDS

        initiative = suggestion.initiative
        correction = suggestion.kind == Suggestion.Kind.CORRECTION and initiative is not None
        rows = []
        for name, proposed in suggestion.proposed.items():
            if name in MODEL_FIELDS or name in NEW_ONLY_FIELDS:
                continue
            row = {"name": name, "applied": name in (suggestion.applied_fields or [])}
            if name in CHILD_FIELDS:
                row["label"] = CHILD_LABELS[name]
                row["after"] = "; ".join(child_row_in_words(name, r) for r in proposed) or "(none)"
                if correction:
                    current = children_rows(initiative, name)
                    row["before"] = (
                        "; ".join(child_row_in_words(name, r) for r in current) or "(none)"
                    )
                    row["same"] = current == proposed
            else:
                try:
                    field = Initiative._meta.get_field(name)
                except Exception:  # noqa: BLE001 - a key no field has: shown as it is
                    field = None
                row["label"] = str(field.verbose_name).capitalize() if field else name
                row["after"] = shown_value(name, proposed)
                if correction and field is not None:
                    current = getattr(initiative, name)
                    row["before"] = shown_value(name, current)
                    row["same"] = current == proposed
            rows.append(row)
        return rows
